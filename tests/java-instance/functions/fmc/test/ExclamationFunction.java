// Pulsar's exclamation example, written for the tests (the examples jar is
// not served here): appends "!" to each input.
package fmc.test;

public class ExclamationFunction implements java.util.function.Function<String, String> {
    @Override
    public String apply(String input) {
        return input + "!";
    }
}
