package dev.bluejaybridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.testkit.CallGenerator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo} as a user runs it: a real in-process broker, the pipeline, the local receiver. */
class DemoCommandIT {
  @TempDir Path bodies;

  private record Run(int exitCode, String output) {}

  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    int exitCode;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      exitCode = DemoMain.execute(args);
    } finally {
      System.setOut(stdout);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    stdout.println(output);
    return new Run(exitCode, output);
  }

  /** The number on the summary row {@code label}. */
  private static int row(String output, String label) {
    Matcher matcher =
        Pattern.compile("(?m)^  " + Pattern.quote(label) + "\\s+(\\d+)").matcher(output);
    assertThat(matcher.find()).as("summary row '%s' in%n%s", label, output).isTrue();
    return Integer.parseInt(matcher.group(1));
  }

  @Test
  void twentyCallsAreAllDeliveredOrDeadLetteredAndEveryPoisonRecordIsInTheInputDlq()
      throws Exception {
    Run run =
        run(
            "demo",
            "--calls",
            "20",
            "--seed",
            "2026",
            "--out",
            bodies.toString(),
            "--timeout",
            "60s");

    assertThat(run.exitCode()).as(run.output()).isZero();
    String output = run.output();
    assertThat(row(output, "calls produced")).isEqualTo(20);
    int delivered = row(output, "delivered");
    int deadLettered = row(output, "dead-lettered");
    assertThat(delivered + deadLettered).isEqualTo(20);
    assertThat(row(output, "unaccounted")).isZero();
    Matcher poison = Pattern.compile("(?m)^    total\\s+(\\d+)\\s+(\\d+)").matcher(output);
    assertThat(poison.find()).as(output).isTrue();
    assertThat(Integer.parseInt(poison.group(1))).isEqualTo(CallGenerator.poisonCount(20));
    assertThat(Integer.parseInt(poison.group(2))).isEqualTo(CallGenerator.poisonCount(20));
    // <call_id>.json or <simulation_result_id>.json, one per delivered call; a call sent again
    // (a late record of a production call, on a very busy machine) adds <id>.2.json.
    List<String> names;
    try (Stream<Path> files = Files.list(bodies)) {
      names = files.map(f -> f.getFileName().toString()).toList();
    }
    assertThat(names).allSatisfy(name -> assertThat(name).endsWith(".json"));
    assertThat(names.stream().map(name -> name.substring(0, name.indexOf('.'))).distinct())
        .hasSize(delivered);
    assertThat(output).contains(bodies.toAbsolutePath().toString());
  }

  @Test
  void optionsOutOfRangeAreAUsageError() {
    Run run = run("demo", "--calls", "0");

    assertThat(run.exitCode()).isEqualTo(2);
  }
}
