package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.jsonAnswer;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.run;
import static dev.bluejaybridge.testkit.OpenApiSpecs.UPDATE_SIMULATION;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.Run;
import dev.bluejaybridge.testkit.OpenApiSpecs;
import dev.bluejaybridge.testkit.OpenApiSpecs.Spec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code simulation update}: PUT /v1/simulation/{id} against a WireMock Bluejay. */
class SimulationUpdateCommandTest {

  static final String METRIC_A = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
  static final String METRIC_B = "0b5f2c9e-7d1a-4e3b-9c2d-1a2b3c4d5e6f";
  static final String SIMULATION =
      "{\"agent_id\":7,\"name\":\"Refunds\",\"type\":\"sequential\",\"id\":42,"
          + "\"max_concurrent\":10,\"tags\":[\"nightly\",\"refunds\"],\"pinned\":true}";

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
        put(urlPathEqualTo("/v1/simulation/42")).willReturn(jsonAnswer(200, SIMULATION)));
    config = bluejay.bluejayOnlyConfig(dir);
  }

  private Run update(String... fields) {
    List<String> args = new ArrayList<>(List.of("simulation", "update", "42"));
    args.addAll(List.of(fields));
    args.addAll(List.of("--config", config.toString()));
    return run(args.toArray(String[]::new));
  }

  private static void assertValidAgainstSpec(LoggedRequest request) {
    assertThat(
            OpenApiSpecs.validate(Spec.API, UPDATE_SIMULATION, BluejayCommandHarness.body(request)))
        .as("UpdateSimulationRequest problems of %s", request.getBodyAsString())
        .isEmpty();
  }

  @Test
  void sendsOnlyTheFieldsGiven() {
    Run result =
        update("--max-concurrent", "10", "--tag", "nightly", "--tag", "refunds", "--pinned");

    assertThat(result.exit()).as(result.err()).isZero();
    LoggedRequest request = bluejay.onlyRequest();
    assertThat(request.getMethod().getName()).isEqualTo("PUT");
    assertThat(request.getUrl()).isEqualTo("/v1/simulation/42");
    assertThat(request.getHeader("X-API-Key")).isEqualTo(BluejayCommandHarness.KEY);
    assertThat(request.getHeader("Content-Type")).startsWith("application/json");
    assertThat(request.getBodyAsString())
        .isEqualTo("{\"max_concurrent\":10,\"tags\":[\"nightly\",\"refunds\"],\"pinned\":true}");
    assertValidAgainstSpec(request);
  }

  @Test
  void printsTheUpdatedSimulationAsIndentedJson() {
    Run result = update("--name", "Refunds");

    assertThat(result.exit()).isZero();
    assertThat(BluejayCommandHarness.json(result.out()))
        .isEqualTo(BluejayCommandHarness.json(SIMULATION));
    assertThat(result.out()).contains("\n  \"name\" : \"Refunds\"");
    assertThat(result.out()).doesNotContain(BluejayCommandHarness.KEY);
  }

  @Test
  void everyOptionMapsToItsDocumentedField() {
    Run result =
        update(
            "--name",
            "Refunds",
            "--description",
            "refund flows",
            "--prompt-id",
            METRIC_A,
            "--knowledge-base-id",
            METRIC_B,
            "--max-concurrent",
            "500",
            "--no-hangup-on-transfer",
            "--max-call-duration",
            "90",
            "--units",
            "seconds",
            "--max-turns",
            "40",
            "--ringing-timeout",
            "30",
            "--custom-metric",
            METRIC_A,
            "--custom-metric",
            METRIC_B,
            "--failing-threshold",
            "0",
            "--passing-threshold",
            "100",
            "--tag",
            "a",
            "--no-pinned");

    assertThat(result.exit()).as(result.err()).isZero();
    LoggedRequest request = bluejay.onlyRequest();
    assertThat(BluejayCommandHarness.json(request))
        .isEqualTo(
            BluejayCommandHarness.json(
                "{\"name\":\"Refunds\",\"description\":\"refund flows\","
                    + "\"prompt_id\":\""
                    + METRIC_A
                    + "\",\"knowledge_base_id\":\""
                    + METRIC_B
                    + "\","
                    + "\"max_concurrent\":500,\"hangup_on_transfer\":false,"
                    + "\"max_call_duration\":90,\"max_call_duration_units\":\"seconds\","
                    + "\"max_turns\":40,\"ringing_timeout\":30,"
                    + "\"selected_custom_metrics\":[\""
                    + METRIC_A
                    + "\",\""
                    + METRIC_B
                    + "\"],"
                    + "\"custom_metrics_failing_threshold\":0,"
                    + "\"custom_metrics_passing_threshold\":100,"
                    + "\"tags\":[\"a\"],\"pinned\":false}"));
    assertValidAgainstSpec(request);
  }

  @Test
  void clearOptionsSendEmptyLists() {
    Run result = update("--clear-tags", "--clear-custom-metrics");

    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(bluejay.onlyRequest().getBodyAsString())
        .isEqualTo("{\"selected_custom_metrics\":[],\"tags\":[]}");
    assertValidAgainstSpec(bluejay.onlyRequest());
  }

  @Test
  void aPatchFileIsSentWithOptionsOverItInTheSpecsFieldOrder() {
    Path patch =
        BluejayCommandHarness.write(
            dir,
            "patch.json",
            "{\"pinned\": true, \"outcome_passing_threshold\": 80, \"name\": \"from file\","
                + " \"digital_humans_settings\": {\"voice\": \"calm\"}, \"description\": null}");

    Run result = update("--from-file", patch.toString(), "--name", "from option");

    assertThat(result.exit()).as(result.err()).isZero();
    LoggedRequest request = bluejay.onlyRequest();
    assertThat(request.getBodyAsString())
        .isEqualTo(
            "{\"name\":\"from option\",\"description\":null,"
                + "\"digital_humans_settings\":{\"voice\":\"calm\"},"
                + "\"outcome_passing_threshold\":80,\"pinned\":true}");
    assertValidAgainstSpec(request);
  }

  @Test
  void everyViolationIsListedAtOnceAndNothingIsSent() {
    Path patch =
        BluejayCommandHarness.write(
            dir,
            "patch.json",
            "{\"outcome_failing_threshold\": 100, \"runs_per_digital_human\": 0,"
                + " \"pinned\": \"yes\", \"max_tunrs\": 3}");

    Run result =
        update(
            "--from-file", patch.toString(),
            "--max-concurrent", "501",
            "--failing-threshold", "-1",
            "--passing-threshold", "101",
            "--prompt-id", "not-a-uuid",
            "--knowledge-base-id", "3c90c3cc0d444b5088888dd25736052a",
            "--custom-metric", METRIC_A,
            "--custom-metric", "metric-2",
            "--max-turns", "ten",
            "--units", "hours");

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("12 problems")
        .contains(
            "--max-concurrent (max_concurrent): 501 is out of range: must be between 1 and 500")
        .contains("--failing-threshold (custom_metrics_failing_threshold): -1 is out of range")
        .contains("--passing-threshold (custom_metrics_passing_threshold): 101 is out of range")
        .contains("--prompt-id (prompt_id): 'not-a-uuid' is not a UUID")
        .contains("--knowledge-base-id (knowledge_base_id): '3c90c3cc0d444b5088888dd25736052a'")
        .contains("--custom-metric (selected_custom_metrics) item 2: 'metric-2' is not a UUID")
        .contains("--max-turns: 'ten' is not a whole number")
        .contains("--units (max_call_duration_units): must be minutes or seconds")
        .contains(
            "patch.json: outcome_failing_threshold: 100 is out of range: must be between 0 and 99")
        .contains("patch.json: runs_per_digital_human: 0 is out of range: must be at least 1")
        .contains("patch.json: pinned: must be true or false")
        .contains("unknown field 'max_tunrs'")
        .contains("nothing was sent");
    assertThat(bluejay.requests()).isEmpty();
  }

  @Test
  void theSpecRejectsWhatTheLocalChecksReject() {
    // The local ranges are the spec's: a body past them fails the schema too.
    assertThat(
            OpenApiSpecs.validate(
                Spec.API,
                UPDATE_SIMULATION,
                BluejayCommandHarness.json(
                    "{\"max_concurrent\":0,\"custom_metrics_passing_threshold\":101,"
                        + "\"prompt_id\":\"not-a-uuid\"}")))
        .hasSize(3);
  }

  @Test
  void anIdThatIsNotANumberAndNoFieldsAreUsageErrors() {
    Run result = run("simulation", "update", "sim-42", "--config", config.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("ID: 'sim-42' is not a simulation id")
        .contains("nothing to update");
    assertThat(bluejay.requests()).isEmpty();
  }

  @ParameterizedTest(name = "HTTP {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "400|{\"detail\":\"max_concurrent exceeds your plan\"}|the request is invalid|detail: max_concurrent exceeds your plan",
        "401|{\"detail\":\"Invalid API key\"}|the API key was refused|detail: Invalid API key",
        "404|{\"detail\":\"Simulation not found\"}|simulation 42 does not exist, or this API key cannot access it|detail: Simulation not found",
        "422|{\"detail\":[{\"loc\":[\"body\",\"max_turns\"],\"msg\":\"Input should be a valid integer\",\"type\":\"int_parsing\"}]}|the request body was rejected|- body.max_turns: Input should be a valid integer (int_parsing)",
        "500|{\"detail\":\"Internal Server Error\"}|Bluejay failed (server error)|detail: Internal Server Error"
      })
  void eachErrorStatusIsExplainedWithBluejaysDetailAndExitsOne(
      int status, String body, String meaning, String detail) {
    bluejay.server.stubFor(any(anyUrl()).atPriority(1).willReturn(jsonAnswer(status, body)));

    Run result = update("--max-turns", "12");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err())
        .contains("HTTP " + status + " to PUT /v1/simulation/42")
        .contains(meaning)
        .contains(detail)
        .doesNotContain(BluejayCommandHarness.KEY);
    assertThat(result.out()).isEmpty();
  }
}
