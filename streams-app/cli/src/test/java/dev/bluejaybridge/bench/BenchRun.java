package dev.bluejaybridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs the benchmarks inside Maven ({@code ./mvnw -B -Pbench verify -Dbench.args="p1 --runs 1"}):
 * the bench profile has failsafe run this class alone, with {@code bench.args} and {@code jmh.args}
 * as system properties. Failsafe rather than exec-maven-plugin, whose parent POM the offline
 * repository lacks (as for the chaos profile; issue 14 item 1). Named so that neither surefire
 * ({@code *Test}) nor failsafe ({@code *IT}) picks it up in a plain build, and enabled only by the
 * profile's {@code bench.run=true}; {@code -Dbench.skip} / {@code -Djmh.skip} leave a half out.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BenchRun {
  @Test
  @Order(1)
  @EnabledIfSystemProperty(named = "bench.run", matches = "true")
  @DisabledIfSystemProperty(named = "bench.skip", matches = "true")
  void pipelineBenchmarks() {
    int exit = Bench.run(args("bench.args"));
    assertThat(exit)
        .as("the bench's exit code; the figures are in target/bench/results.md")
        .isZero();
  }

  @Test
  @Order(2)
  @EnabledIfSystemProperty(named = "bench.run", matches = "true")
  @DisabledIfSystemProperty(named = "jmh.skip", matches = "true")
  void jmhBenchmarks() throws Exception {
    String[] jmh = args("jmh.args");
    String[] all = new String[jmh.length + 4];
    System.arraycopy(jmh, 0, all, 0, jmh.length);
    System.arraycopy(
        new String[] {"-rf", "json", "-rff", "target/jmh-results.json"}, 0, all, jmh.length, 4);
    BenchMain.main(all);
  }

  private static String[] args(String property) {
    String args = System.getProperty(property, "").trim();
    return args.isEmpty() ? new String[0] : args.split("\\s+");
  }
}
