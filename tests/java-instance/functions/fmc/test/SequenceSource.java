// A source connector for the tests of rendered sources: emits `count`
// records `<prefix>-<n>` (its `sourceConfig`), then nothing.
package fmc.test;

import java.util.Map;
import org.apache.pulsar.functions.api.Record;
import org.apache.pulsar.io.core.Source;
import org.apache.pulsar.io.core.SourceContext;

public class SequenceSource implements Source<String> {
    private String prefix;
    private int count;
    private int next;

    @Override
    public void open(Map<String, Object> config, SourceContext context) {
        prefix = String.valueOf(config.getOrDefault("prefix", "record"));
        count = Integer.parseInt(String.valueOf(config.getOrDefault("count", "10")));
    }

    @Override
    public Record<String> read() throws Exception {
        if (next >= count) {
            Thread.sleep(Long.MAX_VALUE);
        }
        String value = prefix + "-" + next++;
        return () -> value;
    }

    @Override
    public void close() {}
}
