package dev.bluejaybridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.ConfigKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class DemoMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return DemoMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void helpShowsTheDefaultsOfTheKeyDefinitions() {
    String baseUrl = ConfigKeys.BLUEJAY_BASE_URL.defaultText().orElseThrow();

    assertThat(run("--help")).isZero();

    assertThat(out.toString())
        .contains("BRIDGE_BLUEJAY_BASE_URL, else " + baseUrl)
        .contains(
            "at " + ConfigKeys.DELIVERY_RATE_LIMIT_PER_MINUTE.defaultText().orElseThrow() + " ")
        .doesNotContain("${bundle:");
  }

  @Test
  void takesTheArgumentsAfterTheWordDemoAsTheProductionJarHandsThemOn() {
    assertThat(run("demo", "--help")).isZero();
    assertThat(out.toString()).contains("--calls");
    assertThat(run("demo", "--calls", "none")).isEqualTo(2);
    assertThat(err.toString()).contains("--calls");
  }

  @Test
  void versionIsTheBridgesVersion() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("bluejay-bridge ").contains("(commit ");
  }
}
