// fmc's stand-in for the launcher class of Pulsar's `java-instance.jar`
// (the `pulsar-functions-runtime-all` artifact, which Maven Central does not
// serve here): the class the operator's command line starts. It puts the
// libraries named by -Dpulsar.functions.instance.classpath (a path whose
// entries may end in `*`, every jar of that folder) in a class loader of
// their own, over this jar's (the functions API, logging and Jackson, which
// the function and the YAML jars on the class path share), and hands the
// command line to the instance's JavaInstanceStarter, which Maven Central
// does serve (`pulsar-functions-runtime`).
package org.apache.pulsar.functions.instance;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

public final class JavaInstanceMain {
    private JavaInstanceMain() {}

    public static void main(String[] args) throws Exception {
        ClassLoader shared = JavaInstanceMain.class.getClassLoader();
        URLClassLoader instance = new URLClassLoader(instanceLibraries(), shared);
        Thread.currentThread().setContextClassLoader(instance);
        Class<?> starter = instance.loadClass("org.apache.pulsar.functions.runtime.JavaInstanceStarter");
        Method start = starter.getMethod("start", String[].class, ClassLoader.class, ClassLoader.class);
        start.invoke(starter.getConstructor().newInstance(), args, instance, shared);
    }

    private static URL[] instanceLibraries() throws Exception {
        List<URL> urls = new ArrayList<>();
        String path = System.getProperty("pulsar.functions.instance.classpath", "");
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.endsWith("*")) {
                File[] jars = new File(entry.substring(0, entry.length() - 1)).listFiles((d, n) -> n.endsWith(".jar"));
                for (File jar : jars == null ? new File[0] : jars) {
                    urls.add(jar.toURI().toURL());
                }
            } else if (!entry.isEmpty()) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        return urls.toArray(new URL[0]);
    }
}
