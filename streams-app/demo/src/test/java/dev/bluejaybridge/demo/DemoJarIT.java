package dev.bluejaybridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as the README runs it: {@code java -jar bluejay-bridge.jar demo}, which hands on to
 * {@code bluejay-bridge-demo.jar} beside it, in a JVM of its own with the shipped logging setup.
 */
class DemoJarIT {
  static final Path TARGET = Path.of("..", "target");

  @Test
  void withoutVerbosePrintsOnlyItsOwnLinesAndAccountsForEveryCall(@TempDir Path bodies)
      throws Exception {
    Run run =
        run(
            "bluejay-bridge.jar",
            "demo",
            "--calls",
            "12",
            "--rate",
            "12",
            "--speed",
            "4",
            "--seed",
            "7",
            "--timeout",
            "150s",
            "--out",
            bodies.toString());

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("bluejay-bridge demo: 12 calls");
    assertThat(run.output().lines())
        .as("lines of the demo without -v")
        .noneMatch(line -> line.matches(".*\\b(WARN|ERROR|WARNING)\\b.*"))
        .noneMatch(line -> line.contains("log4j") || line.contains("SLF4J"))
        .noneMatch(line -> line.matches("^\\d{4}-\\d{2}-\\d{2}T.*"));
  }

  @Test
  void verboseShowsTheLogs(@TempDir Path bodies) throws Exception {
    Run run =
        run(
            "bluejay-bridge-demo.jar",
            "--calls",
            "4",
            "--rate",
            "8",
            "--speed",
            "4",
            "--seed",
            "3",
            "--timeout",
            "150s",
            "-v",
            "--out",
            bodies.toString());

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output().lines()).anyMatch(line -> line.contains(" INFO "));
  }

  /** Found from outside: kill -9 of the launching JVM left the demo's JVM running on. */
  @Test
  void theDemoEndsWhenTheLauncherIsKilled(@TempDir Path bodies) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(TARGET.resolve("bluejay-bridge.jar").toAbsolutePath().toString());
    command.addAll(
        List.of(
            "demo",
            "--calls",
            "200",
            "--rate",
            "1",
            "--timeout",
            "300s",
            "--out",
            bodies.toString()));
    Process launcher =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    java.util.Optional<ProcessHandle> demo = java.util.Optional.empty();
    try {
      demo =
          org.awaitility.Awaitility.await("the demo JVM started by the launcher")
              .atMost(java.time.Duration.ofSeconds(60))
              .until(() -> launcher.children().findFirst(), java.util.Optional::isPresent);

      launcher.destroyForcibly(); // SIGKILL: no shutdown hook runs in the launcher

      assertThat(demo.orElseThrow().onExit().get(60, TimeUnit.SECONDS).isAlive())
          .as("the demo JVM ended with its launcher")
          .isFalse();
    } finally {
      launcher.destroyForcibly();
      demo.ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  record Run(int exit, String output) {}

  private static Run run(String jar, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-jar");
    command.add(TARGET.resolve(jar).toAbsolutePath().toString());
    command.addAll(List.of(args));
    Path output = java.nio.file.Files.createTempFile("demo-jar-it", ".txt");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    // the demo's --timeout bounds the run; this bound only guards against a hung JVM
    boolean exited = process.waitFor(240, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor();
    }
    String text = java.nio.file.Files.readString(output, StandardCharsets.UTF_8);
    java.nio.file.Files.delete(output);
    assertThat(exited).as("the demo exited within 240 s; it printed:%n%s", text).isTrue();
    return new Run(process.exitValue(), text);
  }
}
