package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT;
import static dev.bluejaybridge.testkit.BluejayStandIn.UPDATE_LOG_SCHEMA;
import static dev.bluejaybridge.testkit.BluejayStandIn.UPDATE_SIMULATION_SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.bluejay.SimulationResultView;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.BluejayStandIn.ValidationFailure;
import dev.bluejaybridge.testkit.FaultPlan;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stand-in can fail: it holds our requests to Bluejay's spec, and plays Bluejay's answers. */
class BluejayStandInTest {

  static final String KEY = "stand-in-key";
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  static final String GOOD_UPDATE_LOG =
      """
      {"tool_calls": [{"name": "lookup", "start_offset_ms": 10}],
       "events": [{"title": "t", "start_offset_ms": 0, "tags": []}],
       "metadata": {"k": "v"}, "reevaluate": true}
      """;
  static final String TOOL_CALL_WITHOUT_NAME =
      """
      {"tool_calls": [{"start_offset_ms": 10}], "events": [], "metadata": {}, "reevaluate": true}
      """;
  static final String REEVALUATE_YES =
      """
      {"tool_calls": [], "events": [], "metadata": {}, "reevaluate": "yes"}
      """;
  static final String SPEAKER_BOT =
      """
      {"simulation_result_id": "1",
       "recorded_transcript": [
         {"speaker": "BOT", "utterance": "hi", "start_offset_ms": 0, "end_offset_ms": 5}]}
      """;

  static BluejayStandIn bluejay;
  static BluejayClient client;

  @BeforeAll
  static void start() {
    bluejay = new BluejayStandIn();
    client = BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), TIMEOUT);
  }

  @AfterAll
  static void stop() {
    client.close();
    bluejay.close();
  }

  @AfterEach
  void resetStandIn() {
    bluejay.reset();
  }

  @Test
  void specValidatorPassesGoodBodiesAndCatchesBrokenOnes() {
    assertThat(BluejayStandIn.validate(UPDATE_LOG_SCHEMA, bytes(GOOD_UPDATE_LOG))).isEmpty();
    assertThat(BluejayStandIn.validate(UPDATE_LOG_SCHEMA, bytes(TOOL_CALL_WITHOUT_NAME)))
        .singleElement()
        .asString()
        .contains("name");
    assertThat(BluejayStandIn.validate(UPDATE_LOG_SCHEMA, bytes(REEVALUATE_YES)))
        .isNotEmpty()
        .anySatisfy(problem -> assertThat(problem).contains("reevaluate"));
    assertThat(BluejayStandIn.validate(UPDATE_SIMULATION_SCHEMA, bytes(SPEAKER_BOT)))
        .isNotEmpty()
        .anySatisfy(problem -> assertThat(problem).contains("speaker"));
    assertThat(BluejayStandIn.validate(UPDATE_SIMULATION_SCHEMA, bytes("{\"tags\": []}")))
        .singleElement()
        .asString()
        .contains("simulation_result_id");
    assertThat(BluejayStandIn.validate(UPDATE_LOG_SCHEMA, bytes("{\"tool_calls\": [")))
        .singleElement()
        .asString()
        .startsWith("body is not JSON");
  }

  @Test
  void answersInvalidUpdateLogWith422InFastApiShape() {
    RejectedException e =
        catchThrowableOfType(
            RejectedException.class, () -> client.updateLog("c-1", bytes(TOOL_CALL_WITHOUT_NAME)));

    assertThat(e.status()).isEqualTo(422);
    assertThat(e.details())
        .singleElement()
        .satisfies(
            detail -> {
              assertThat(detail.loc()).containsExactly("body", "tool_calls", "0", "name");
              assertThat(detail.type()).isEqualTo("required");
            });
    assertThat(bluejay.validationFailures())
        .singleElement()
        .satisfies(
            failure -> {
              assertThat(failure.method()).isEqualTo("PUT");
              assertThat(failure.url()).isEqualTo("/v1/update-log/c-1");
            });
    assertThatThrownBy(bluejay::assertAllRequestsValid)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("1 invalid request(s)")
        .hasMessageContaining("PUT /v1/update-log/c-1");
  }

  @Test
  void answersInvalidSimulationUpdateWith422() {
    assertThatThrownBy(() -> client.updateSimulationResult(bytes(SPEAKER_BOT)))
        .isInstanceOf(RejectedException.class)
        .extracting(e -> ((RejectedException) e).status())
        .isEqualTo(422);
    assertThatThrownBy(() -> client.updateLog("c-1", bytes(REEVALUATE_YES)))
        .isInstanceOf(RejectedException.class);

    assertThat(bluejay.validationFailures()).hasSize(2);
  }

  @Test
  void validatesBodiesEvenWhenAFaultIsStubbed() {
    bluejay.stubServerError(UPDATE_LOG, 503);

    assertThatThrownBy(() -> client.updateLog("c-1", bytes(TOOL_CALL_WITHOUT_NAME)))
        .isInstanceOf(RejectedException.class);
    assertThat(bluejay.validationFailures()).hasSize(1);
  }

  @Test
  void recordsRequestsWithoutKeyOrJsonContentTypeOrToUnknownPaths() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    int keyless =
        send(
            http,
            HttpRequest.newBuilder(bluejay.baseUrl().resolve("/v1/update-log/c-1"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(GOOD_UPDATE_LOG)));
    send(
        http,
        HttpRequest.newBuilder(bluejay.baseUrl().resolve("/v1/update-log/c-1"))
            .header("X-API-Key", KEY)
            .header("Content-Type", "text/plain")
            .PUT(HttpRequest.BodyPublishers.ofString(GOOD_UPDATE_LOG)));
    int status =
        send(
            http,
            HttpRequest.newBuilder(bluejay.baseUrl().resolve("/v1/admin"))
                .header("X-API-Key", KEY)
                .GET());

    assertThat(keyless).isEqualTo(422);
    assertThat(status).isEqualTo(404);
    assertThat(bluejay.validationFailures())
        .extracting(ValidationFailure::problems)
        .containsExactly(
            List.of("no X-API-Key header"),
            List.of("Content-Type is not application/json: text/plain"),
            List.of("Bluejay has no endpoint GET /v1/admin"));
  }

  @Test
  void playsSequenceOfAnswersThenRepeatsTheLast() {
    bluejay.stubSequence(
        UPDATE_LOG,
        BluejayStandIn.status(500),
        BluejayStandIn.rateLimited("1"),
        BluejayStandIn.ok(UPDATE_LOG));

    assertThatThrownBy(() -> client.updateLog("c-1", bytes(GOOD_UPDATE_LOG)))
        .isInstanceOf(RetryableException.class)
        .extracting(e -> ((RetryableException) e).status())
        .isEqualTo(500);
    assertThatThrownBy(() -> client.updateLog("c-1", bytes(GOOD_UPDATE_LOG)))
        .isInstanceOf(RetryableException.class)
        .extracting(e -> ((RetryableException) e).status())
        .isEqualTo(429);
    assertThat(client.updateLog("c-1", bytes(GOOD_UPDATE_LOG)).status()).isEqualTo(200);
    assertThat(client.updateLog("c-1", bytes(GOOD_UPDATE_LOG)).status()).isEqualTo(200);
    assertThat(bluejay.requestsTo("/v1/update-log/c-1")).hasSize(4);
    bluejay.assertAllRequestsValid();
  }

  @Test
  void answersOneCallDifferently() {
    bluejay.stubUpdateLog("a/b", BluejayStandIn.status(409));
    bluejay.stubUpdateSimulationResult("7", BluejayStandIn.unauthorized());

    assertThatThrownBy(() -> client.updateLog("a/b", bytes(GOOD_UPDATE_LOG)))
        .isInstanceOf(RejectedException.class);
    assertThat(client.updateLog("a", bytes(GOOD_UPDATE_LOG)).status()).isEqualTo(200);
    assertThatThrownBy(
            () -> client.updateSimulationResult(bytes("{\"simulation_result_id\":\"7\"}")))
        .isInstanceOf(AuthException.class);
    assertThat(client.updateSimulationResult(bytes("{\"simulation_result_id\":\"8\"}")).status())
        .isEqualTo(200);
  }

  @Test
  void appendsToolCallsOfEveryAcceptedSimulationUpdateAsBluejayDoes() {
    ClosedCall production = PayloadsTest.productionCall();
    ClosedCall simulated =
        PayloadsTest.call(
            "42", false, production.toolCalls(), production.events(), production.transcript());
    byte[] body = Payloads.updateSimulationBody(simulated);

    assertThat(client.retrieveSimulationResult("42").actualToolCalls()).isEmpty();
    client.updateSimulationResult(body);
    SimulationResultView once = client.retrieveSimulationResult("42");
    client.updateSimulationResult(body);
    SimulationResultView twice = client.retrieveSimulationResult("42");

    assertThat(once.status()).isEqualTo("COMPLETED");
    assertThat(once.actualToolCalls())
        .containsExactly(
            new SimulationResultView.ActualToolCall("lookup_order", 1_200L),
            new SimulationResultView.ActualToolCall("cancel_order", 5_000L),
            new SimulationResultView.ActualToolCall("ping", 6_000L));
    // A second POST doubles the tool calls: why the caller must not repeat a delivered POST.
    assertThat(twice.actualToolCalls()).hasSize(6);
    assertThat(client.retrieveSimulationResult("43").actualToolCalls()).isEmpty();
    bluejay.assertAllRequestsValid();
  }

  @Test
  void keepsSimulationUpdateThatTimedOutButNotOneThatFailed() {
    byte[] body =
        bytes(
            "{\"simulation_result_id\":\"5\",\"tool_calls\":[{\"name\":\"t\",\"start_offset_ms\":1}]}");
    bluejay.stubDelay(UPDATE_SIMULATION_RESULT, Duration.ofSeconds(2));
    try (BluejayClient impatient =
        BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), Duration.ofMillis(200))) {
      RetryableException timeout =
          catchThrowableOfType(
              RetryableException.class, () -> impatient.updateSimulationResult(body));
      assertThat(timeout.outcomeUnknown()).isTrue();
    }
    bluejay.stubServerError(UPDATE_SIMULATION_RESULT, 500);
    assertThatThrownBy(() -> client.updateSimulationResult(body))
        .isInstanceOf(RetryableException.class);

    // The outcome-unknown POST went through; the 500 did not.
    assertThat(client.retrieveSimulationResult("5").actualToolCalls())
        .containsExactly(new SimulationResultView.ActualToolCall("t", 1L));
  }

  /** Issue 13 ("the stand-in can apply a request and then time out or answer 5xx"). */
  @Test
  void holdsWhatItAppliedThoughItAnsweredAFaultAndTheLookUpSeesIt() {
    byte[] first =
        bytes(
            "{\"simulation_result_id\":\"6\",\"tool_calls\":[{\"name\":\"a\",\"start_offset_ms\":1}]}");
    byte[] second =
        bytes(
            "{\"simulation_result_id\":\"6\",\"tool_calls\":[{\"name\":\"b\",\"start_offset_ms\":2}]}");
    bluejay.stubSequence(
        UPDATE_SIMULATION_RESULT,
        BluejayStandIn.appliedThen(BluejayStandIn.status(502)),
        BluejayStandIn.appliedThen(BluejayStandIn.connectionReset()),
        BluejayStandIn.status(503));

    RetryableException badGateway =
        catchThrowableOfType(RetryableException.class, () -> client.updateSimulationResult(first));
    RetryableException reset =
        catchThrowableOfType(RetryableException.class, () -> client.updateSimulationResult(second));
    RetryableException unavailable =
        catchThrowableOfType(RetryableException.class, () -> client.updateSimulationResult(second));

    assertThat(badGateway.status()).isEqualTo(502);
    assertThat(reset.status()).isEqualTo(-1);
    assertThat(unavailable.status()).isEqualTo(503);
    // Bluejay holds the two applied POSTs, appended; not the one answered 503 without applying.
    assertThat(client.retrieveSimulationResult("6").actualToolCalls())
        .containsExactly(
            new SimulationResultView.ActualToolCall("a", 1L),
            new SimulationResultView.ActualToolCall("b", 2L));
    assertThat(bluejay.applied())
        .extracting(BluejayStandIn.Applied::key, BluejayStandIn.Applied::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("6", 502),
            org.assertj.core.groups.Tuple.tuple("6", -1));
    assertThat(bluejay.exchanges())
        .filteredOn(e -> e.endpoint() == UPDATE_SIMULATION_RESULT)
        .extracting(BluejayStandIn.Exchange::status, BluejayStandIn.Exchange::applied)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(502, true),
            org.assertj.core.groups.Tuple.tuple(-1, true),
            org.assertj.core.groups.Tuple.tuple(503, false));
  }

  /** Issue 13: an update applied, then answered only after the client gave up. */
  @Test
  void holdsAnUpdateAppliedThenTimedOutAndTheLastPutOfACall() {
    bluejay.stubUpdateLog(
        "c-9",
        BluejayStandIn.appliedThen(BluejayStandIn.delayedOk(UPDATE_LOG, Duration.ofSeconds(2))));
    try (BluejayClient impatient =
        BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), Duration.ofMillis(200))) {
      RetryableException timeout =
          catchThrowableOfType(
              RetryableException.class, () -> impatient.updateLog("c-9", bytes(GOOD_UPDATE_LOG)));
      assertThat(timeout.outcomeUnknown()).isTrue();
    }
    String replaced = GOOD_UPDATE_LOG.replace("\"k\": \"v\"", "\"k\": \"w\"");
    bluejay.reset();
    assertThat(bluejay.heldCallLog("c-9")).isEmpty();
    bluejay.stubUpdateLog("c-9", BluejayStandIn.appliedThen(BluejayStandIn.status(500)));
    assertThatThrownBy(() -> client.updateLog("c-9", bytes(GOOD_UPDATE_LOG)))
        .isInstanceOf(RetryableException.class);
    bluejay.reset();
    client.updateLog("c-9", bytes(GOOD_UPDATE_LOG));
    client.updateLog("c-9", bytes(replaced));

    // A PUT replaces: Bluejay holds the last one applied.
    assertThat(bluejay.heldCallLog("c-9"))
        .hasValueSatisfying(
            log -> assertThat(log.path("metadata").path("k").asText()).isEqualTo("w"));
    assertThat(bluejay.applied()).hasSize(2);
    assertThat(bluejay.heldCallLog("c-10")).isEmpty();
  }

  /** Issue 13: FaultPlan's applied faults are applied by the stand-in, whatever it answers. */
  @Test
  void faultPlanAppliesTheAppliedFaults() {
    FaultPlan plan =
        FaultPlan.of(
            List.of("c-1", "c-2", "c-3"),
            java.util.Map.of(
                FaultPlan.Answer.APPLIED_THEN_5XX, 1,
                FaultPlan.Answer.APPLIED_THEN_RESET, 1,
                FaultPlan.Answer.APPLIED_THEN_TIMEOUT, 1),
            1,
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            7);
    bluejay.plan(plan);
    try (BluejayClient impatient =
        BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), Duration.ofMillis(300))) {
      for (String callId : List.of("c-1", "c-2", "c-3")) {
        assertThatThrownBy(() -> impatient.updateLog(callId, bytes(GOOD_UPDATE_LOG)))
            .isInstanceOf(RetryableException.class);
        assertThat(impatient.updateLog(callId, bytes(GOOD_UPDATE_LOG)).status()).isEqualTo(200);
      }
    }

    assertThat(bluejay.applied()).hasSize(6);
    assertThat(bluejay.exchanges()).allMatch(BluejayStandIn.Exchange::applied);
  }

  @Test
  void reportsStatusSetForSimulationResult() {
    bluejay.setSimulationResultStatus("9", "EVALUATING");

    assertThat(client.retrieveSimulationResult("9"))
        .isEqualTo(new SimulationResultView("EVALUATING", List.of()));
  }

  @Test
  void resetForgetsFaultsRequestsAndResults() {
    bluejay.stubServerError(UPDATE_LOG, 500);
    client.updateSimulationResult(
        bytes(
            "{\"simulation_result_id\":\"5\",\"tool_calls\":[{\"name\":\"t\",\"start_offset_ms\":1}]}"));

    bluejay.reset();

    assertThat(bluejay.requests()).isEmpty();
    assertThat(client.updateLog("c-1", bytes(GOOD_UPDATE_LOG)).status()).isEqualTo(200);
    assertThat(client.retrieveSimulationResult("5").actualToolCalls()).isEmpty();
    assertThat(bluejay.requestsTo(RETRIEVE_SIMULATION_RESULT)).hasSize(1);
  }

  static int send(HttpClient http, HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
