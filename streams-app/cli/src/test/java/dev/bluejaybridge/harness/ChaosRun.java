package dev.bluejaybridge.harness;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs the chaos command inside Maven ({@code ./mvnw -B -Pchaos verify -Dchaos.args="r8"}): the
 * chaos profile has failsafe run this class alone, with {@code chaos.args} as a system property.
 * Named so that neither surefire ({@code *Test}) nor failsafe ({@code *IT}) picks it up in a plain
 * build, and enabled only by the profile's {@code chaos.run=true}, so that a {@code -Dtest} pattern
 * over the harness package does not start half an hour of scenarios.
 */
class ChaosRun {
  @Test
  @EnabledIfSystemProperty(named = "chaos.run", matches = "true")
  void everyChaosScenarioIsExact() {
    String args = System.getProperty("chaos.args", "").trim();
    int exit = Chaos.run(args.isEmpty() ? new String[0] : args.split("\\s+"));
    assertThat(exit)
        .as("the chaos command's exit code; the figures are in target/chaos/results.md")
        .isZero();
  }
}
