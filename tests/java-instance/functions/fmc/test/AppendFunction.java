// A Java function for the tests of rendered Java functions: appends the
// user config's `suffix` and says whether the secret `pwd` reached it (its
// length only; a value never goes to a topic).
package fmc.test;

import org.apache.pulsar.functions.api.Context;
import org.apache.pulsar.functions.api.Function;

public class AppendFunction implements Function<String, String> {
    @Override
    public String process(String input, Context context) {
        String suffix = context.getUserConfigValue("suffix").map(Object::toString).orElse("");
        String secret = context.getSecret("pwd");
        return input + suffix + " pwd=" + (secret == null ? "none" : secret.length());
    }
}
