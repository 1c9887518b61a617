package dev.bluejaybridge.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code demo}: the embedded demo is not in this (production) jar: it needs an in-process broker
 * and a Bluejay stand-in, which the image must not ship. The same build writes {@value #DEMO_JAR}
 * beside this jar; this command runs it with the same arguments, so {@code java -jar
 * bluejay-bridge.jar demo ...} keeps working where both jars are.
 */
@Command(
    name = "demo",
    header = "Runs the embedded demo (in " + DemoLauncher.DEMO_JAR + ", beside this jar).",
    description = {
      "Runs the real pipeline end to end on this machine: embedded Kafka, synthetic calls, a local"
          + " Bluejay. The demo lives in "
          + DemoLauncher.DEMO_JAR
          + ", which `./mvnw -B -DskipTests package` writes beside bluejay-bridge.jar; every"
          + " argument is handed on to it (`demo --help` lists its options)."
    })
public final class DemoLauncher implements Callable<Integer> {
  static final String DEMO_JAR = "bluejay-bridge-demo.jar";

  /** The pid of the launching JVM, whose end the demo watches (read by the demo's main). */
  public static final String PARENT_PID_PROPERTY = "bluejay.demo.parent-pid";

  @Spec CommandSpec spec;

  @Unmatched List<String> arguments = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    Optional<Path> demo = demoJar();
    if (demo.isEmpty()) {
      spec.commandLine()
          .getErr()
          .println(
              "demo: "
                  + DEMO_JAR
                  + " is not beside this jar. Build both with ./mvnw -B -DskipTests package, then"
                  + " run java -jar streams-app/target/"
                  + DEMO_JAR
                  + " (the production image does not include the demo).");
      return Main.CONFIG_ERROR;
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // the demo ends when this JVM does, even when it is killed (no shutdown hook runs then)
    command.add("-D" + PARENT_PID_PROPERTY + "=" + ProcessHandle.current().pid());
    command.add("-jar");
    command.add(demo.get().toString());
    command.addAll(arguments);
    Process process = new ProcessBuilder(command).inheritIO().start();
    Thread stop = new Thread(process::destroy, "demo-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      return process.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs: it stops the demo
      }
    }
  }

  /** The demo jar in the folder of the jar this class was loaded from, if it is there. */
  static Optional<Path> demoJar() {
    try {
      Path self =
          Path.of(DemoLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path demo = self.resolveSibling(DEMO_JAR);
      return Files.isRegularFile(self) && Files.isRegularFile(demo)
          ? Optional.of(demo)
          : Optional.empty();
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      return Optional.empty();
    }
  }
}
