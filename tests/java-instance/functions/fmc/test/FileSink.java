// A sink connector for the tests of rendered sinks: appends each record's
// value as a line to the file its `sinkConfig` names, then acknowledges it.
package fmc.test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.apache.pulsar.functions.api.Record;
import org.apache.pulsar.io.core.Sink;
import org.apache.pulsar.io.core.SinkContext;

public class FileSink implements Sink<String> {
    private Path path;

    @Override
    public void open(Map<String, Object> config, SinkContext context) {
        path = Paths.get(String.valueOf(config.get("path")));
    }

    @Override
    public synchronized void write(Record<String> record) throws Exception {
        byte[] line = (record.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
        Files.write(path, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        record.ack();
    }

    @Override
    public void close() {}
}
