package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.jsonAnswer;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.Run;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.config.ConfigLoader;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What all Bluejay commands share: --help with exit codes, and configuration that needs only the
 * Bluejay settings (no Kafka, no registry), every problem listed with exit code 2.
 */
class BluejayCommandsTest {

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {"simulation update", "simulation run", "workflow validate", "workflow update"})
  void everyCommandExplainsItsOptionsAndExitCodes(String command) {
    Run result = run((command + " --help").split(" "));

    assertThat(result.exit()).isZero();
    assertThat(result.out())
        .contains("Usage: bluejay-bridge " + command)
        .contains("Exit codes:")
        .contains("  0   ")
        .contains("  2   ");
    if (!command.equals("workflow validate")) {
      assertThat(result.out()).contains("--config").contains("--base-url").contains("  1   ");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"simulation", "workflow"})
  void theGroupsHaveHelpAndNeedASubcommand(String group) {
    assertThat(run(group, "--help").exit()).isZero();
    assertThat(run(group).exit()).isEqualTo(2);
  }

  @Test
  void aConfigWithoutKafkaSettingsIsEnough() {
    try (BluejayCommandHarness bluejay = new BluejayCommandHarness()) {
      bluejay.server.stubFor(
          put(urlPathEqualTo("/v1/simulation/42"))
              .willReturn(jsonAnswer(200, SimulationUpdateCommandTest.SIMULATION)));

      Run result =
          run(
              "simulation",
              "update",
              "42",
              "--pinned",
              "--config",
              bluejay.bluejayOnlyConfig(dir).toString());

      assertThat(result.exit()).as(result.err()).isZero();
      assertThat(bluejay.onlyRequest().getHeader("X-API-Key")).isEqualTo(BluejayCommandHarness.KEY);
    }
  }

  @Test
  void baseUrlOnTheCommandLineWinsOverTheConfigFile() {
    try (BluejayCommandHarness bluejay = new BluejayCommandHarness()) {
      bluejay.server.stubFor(
          put(urlPathEqualTo("/v1/simulation/42"))
              .willReturn(jsonAnswer(200, SimulationUpdateCommandTest.SIMULATION)));
      Path config =
          BluejayCommandHarness.write(
              dir,
              "other.properties",
              "bluejay.base-url=https://api.getbluejay.ai\nbluejay.api-key="
                  + BluejayCommandHarness.KEY);

      Run result =
          run(
              "simulation",
              "update",
              "42",
              "--pinned",
              "--config",
              config.toString(),
              "--base-url",
              bluejay.baseUrl());

      assertThat(result.exit()).as(result.err()).isZero();
      assertThat(bluejay.requests()).hasSize(1);
    }
  }

  @Test
  void theBluejayLoaderNeedsOnlyTheApiKeyFromTheEnvironment() {
    BridgeConfig.Bluejay settings =
        ConfigLoader.loadBluejay(
            Optional.empty(),
            Map.of("BLUEJAY_API_KEY", BluejayCommandHarness.KEY),
            Map.of("bluejay.base-url", "http://127.0.0.1:9"));

    assertThat(settings.baseUrl()).isEqualTo(URI.create("http://127.0.0.1:9"));
    assertThat(settings.apiKey())
        .map(secret -> secret.reveal())
        .contains(BluejayCommandHarness.KEY);
  }

  @Test
  void theBluejayLoaderDefaultsTheBaseUrl() {
    BridgeConfig.Bluejay settings =
        ConfigLoader.loadBluejay(
            Optional.empty(), Map.of("BLUEJAY_API_KEY", BluejayCommandHarness.KEY), Map.of());

    assertThat(settings.baseUrl()).isEqualTo(URI.create("https://api.getbluejay.ai"));
  }

  @Test
  void theBluejayLoaderIgnoresOtherSectionsButReportsEveryBluejayProblem() {
    Path config =
        BluejayCommandHarness.write(
            dir,
            "bridge.properties",
            String.join(
                "\n",
                "call.inactivity-gap=not checked here",
                "bluejay.base-url=not a url",
                "bluejay.api-key=k1",
                "bluejay.api-key-file=/run/secrets/bluejay",
                "bluejay.reevaluate=maybe",
                "bluejay.base-ulr=typo"));

    Assertions.assertThatThrownBy(
            () ->
                ConfigLoader.loadBluejay(
                    Optional.of(config), Map.of("BRIDGE_BLUEJAY_X", "1"), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(5)
                    .anySatisfy(p -> assertThat(p).contains("BRIDGE_BLUEJAY_X"))
                    .anySatisfy(p -> assertThat(p).contains("unknown key 'bluejay.base-ulr'"))
                    .anySatisfy(p -> assertThat(p).contains("bluejay.base-url"))
                    .anySatisfy(p -> assertThat(p).contains("both set"))
                    .anySatisfy(p -> assertThat(p).contains("bluejay.reevaluate"))
                    .noneSatisfy(p -> assertThat(p).contains("kafka"))
                    .noneSatisfy(p -> assertThat(p).contains("call.inactivity-gap")));
  }

  @Test
  void configAndUsageProblemsAreListedTogetherWithExitTwo() {
    Path config =
        BluejayCommandHarness.write(
            dir,
            "bad.properties",
            "bluejay.base-url=ftp://bluejay\nbluejay.api-key=k\nbluejay.tiemout=3");

    Run result =
        run(
            "simulation",
            "update",
            "42",
            "--max-concurrent",
            "0",
            "--request-timeout",
            "forever",
            "--config",
            config.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("4 problems")
        .contains("max_concurrent")
        .contains("--request-timeout")
        .contains("bluejay.base-url: 'ftp://bluejay' is not an http(s) URL")
        .contains("unknown key 'bluejay.tiemout'");
  }

  @Test
  void noApiKeyAnywhereIsAConfigurationError() {
    assumeTrue(System.getenv("BLUEJAY_API_KEY") == null, "BLUEJAY_API_KEY is set here");
    Path config =
        BluejayCommandHarness.write(dir, "nokey.properties", "bluejay.base-url=http://127.0.0.1:9");

    Run result =
        run(
            "workflow",
            "update",
            WorkflowUpdateCommandTest.ID,
            "--name",
            "x",
            "--config",
            config.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("no Bluejay API key");
  }

  @Test
  void anUnreachableBluejayIsARuntimeFailure() {
    Path config =
        BluejayCommandHarness.write(
            dir, "closed.properties", "bluejay.base-url=http://127.0.0.1:9\nbluejay.api-key=k");

    Run result =
        run(
            "simulation",
            "update",
            "42",
            "--pinned",
            "--request-timeout",
            "2s",
            "--config",
            config.toString());

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err()).contains("could not reach Bluejay (PUT /v1/simulation/42)");
  }
}
