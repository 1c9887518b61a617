package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.jsonAnswer;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.run;
import static dev.bluejaybridge.testkit.OpenApiSpecs.QUEUE_SIMULATION_RUN;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.Run;
import dev.bluejaybridge.testkit.OpenApiSpecs;
import dev.bluejaybridge.testkit.OpenApiSpecs.Spec;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code simulation run}: POST /v1/queue-simulation-run (not the lesson's {@code
 * /simulations/{id}/run}), and {@code --wait} when the first poll already sees the verdict (the
 * polling sequence itself is {@link SimulationRunsTest}, with an injected sleeper).
 */
class SimulationRunCommandTest {

  static final String QUEUED =
      "{\"simulation_run_id\":\"901\",\"simulation_result_ids\":[\"5001\",\"5002\"],"
          + "\"agent_id\":\"7\",\"status\":\"success\"}";

  static BluejayCommandHarness bluejay;
  @TempDir Path dir;
  Path config;

  @BeforeAll
  static void start() {
    bluejay = new BluejayCommandHarness();
  }

  @AfterAll
  static void stop() {
    bluejay.close();
  }

  @BeforeEach
  void answerLikeBluejay() {
    bluejay.reset();
    bluejay.server.stubFor(
        post(urlPathEqualTo("/v1/queue-simulation-run")).willReturn(jsonAnswer(200, QUEUED)));
    config = bluejay.bluejayOnlyConfig(dir);
  }

  static String runs(String status, int passed, int failed) {
    return "{\"simulation_runs\":[{\"id\":900,\"experiment_id\":42,\"status\":\"COMPLETED\","
        + "\"created_at\":\"2026-05-01T10:00:00Z\",\"tests_passed\":2,\"tests_failed\":0},"
        + "{\"id\":901,\"experiment_id\":42,\"created_at\":\"2026-05-02T10:00:00Z\",\"status\":\""
        + status
        + "\",\"total_tests\":"
        + (passed + failed)
        + ",\"tests_completed\":"
        + (passed + failed)
        + ",\"tests_passed\":"
        + passed
        + ",\"tests_failed\":"
        + failed
        + ",\"tests_incompleted\":0}]}";
  }

  @Test
  void queuesTheRunBySimulationIdAndPrintsRunAndResultIds() {
    Run result = run("simulation", "run", "42", "--config", config.toString());

    assertThat(result.exit()).as(result.err()).isZero();
    LoggedRequest request = bluejay.onlyRequest();
    assertThat(request.getMethod().getName()).isEqualTo("POST");
    assertThat(request.getUrl()).isEqualTo("/v1/queue-simulation-run");
    assertThat(request.getHeader("X-API-Key")).isEqualTo(BluejayCommandHarness.KEY);
    assertThat(request.getBodyAsString()).isEqualTo("{\"simulation_id\":\"42\"}");
    assertThat(
            OpenApiSpecs.validate(
                Spec.API, QUEUE_SIMULATION_RUN, BluejayCommandHarness.body(request)))
        .isEmpty();
    assertThat(result.out())
        .contains("queued simulation run 901 of simulation 42")
        .contains("simulation result ids: 5001, 5002");
  }

  @Test
  void waitExitsZeroWhenTheRunCompletedWithoutFailedTests() {
    bluejay.server.stubFor(
        get(urlPathEqualTo("/v1/get-simulation-runs/42"))
            .willReturn(jsonAnswer(200, runs("COMPLETED", 2, 0))));

    Run result = run("simulation", "run", "42", "--wait", "--config", config.toString());

    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.out())
        .contains("run 901: COMPLETED, 2/2 tests completed (2 passed, 0 failed)")
        .contains("run 901 passed");
  }

  @Test
  void waitExitsOneWhenTestsFailed() {
    bluejay.server.stubFor(
        get(urlPathEqualTo("/v1/get-simulation-runs/42"))
            .willReturn(jsonAnswer(200, runs("COMPLETED", 1, 1))));

    Run result = run("simulation", "run", "42", "--wait", "--config", config.toString());

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.out()).contains("run 901 failed: 1 test(s) failed");
  }

  @Test
  void waitExitsOneWhenTheRunEndsWithoutCompleting() {
    bluejay.server.stubFor(
        get(urlPathEqualTo("/v1/get-simulation-runs/42"))
            .willReturn(jsonAnswer(200, runs("INSUFFICIENT_FUNDS", 0, 0))));

    Run result = run("simulation", "run", "42", "--wait", "--config", config.toString());

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.out()).contains("run 901 did not complete: INSUFFICIENT_FUNDS");
  }

  @Test
  void badIdAndDurationsAreListedTogetherAndNothingIsSent() {
    Run result =
        run(
            "simulation",
            "run",
            "forty-two",
            "--wait",
            "--poll-interval",
            "0s",
            "--timeout",
            "soon",
            "--config",
            config.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("3 problems")
        .contains("'forty-two' is not a simulation id")
        .contains("--poll-interval: must be more than 0")
        .contains("--timeout: 'soon' is not a duration");
    assertThat(bluejay.requests()).isEmpty();
  }

  @ParameterizedTest(name = "HTTP {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "400|{\"detail\":\"simulation has no digital humans\"}|the request is invalid|detail: simulation has no digital humans",
        "401|{\"detail\":\"Invalid API key\"}|the API key was refused|detail: Invalid API key",
        "404|{\"detail\":\"Simulation not found\"}|simulation 42 does not exist|detail: Simulation not found",
        "422|{\"detail\":[{\"loc\":[\"body\",\"simulation_id\"],\"msg\":\"Field required\",\"type\":\"missing\"}]}|the request body was rejected|- body.simulation_id: Field required (missing)",
        "500|{\"detail\":\"Internal Server Error\"}|Bluejay failed (server error)|detail: Internal Server Error"
      })
  void eachErrorStatusIsExplainedAndExitsOne(
      int status, String body, String meaning, String detail) {
    bluejay.server.stubFor(any(anyUrl()).atPriority(1).willReturn(jsonAnswer(status, body)));

    Run result = run("simulation", "run", "42", "--config", config.toString());

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err())
        .contains("HTTP " + status + " to POST /v1/queue-simulation-run")
        .contains(meaning)
        .contains(detail);
  }

  @Test
  void aQueueAnswerWithoutARunIdIsARuntimeFailure() {
    bluejay.server.stubFor(
        post(urlPathEqualTo("/v1/queue-simulation-run"))
            .atPriority(1)
            .willReturn(jsonAnswer(200, "{\"status\":\"success\"}")));

    Run result = run("simulation", "run", "42", "--config", config.toString());

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err()).contains("no simulation_run_id");
  }
}
