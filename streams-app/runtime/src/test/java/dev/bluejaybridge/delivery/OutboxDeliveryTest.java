package dev.bluejaybridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT;
import static dev.bluejaybridge.testkit.BluejayStandIn.connectionReset;
import static dev.bluejaybridge.testkit.BluejayStandIn.delayedOk;
import static dev.bluejaybridge.testkit.BluejayStandIn.ok;
import static dev.bluejaybridge.testkit.BluejayStandIn.rateLimited;
import static dev.bluejaybridge.testkit.BluejayStandIn.status;
import static dev.bluejaybridge.testkit.BluejayStandIn.unauthorized;
import static dev.bluejaybridge.testkit.BluejayStandIn.validationError;
import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery stage end to end in a TopologyTestDriver: closed calls become requests to a Bluejay
 * stand-in (real HTTP, every body validated against Bluejay's OpenAPI spec), with faults injected.
 */
class OutboxDeliveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UPDATE_SIMULATION = "/v1/update-simulation-result";

  @TempDir Path dir;
  private BluejayStandIn bluejay;

  /** Wall-clock time of the driver when each request reached the stand-in. */
  private final List<Long> arrivals = new CopyOnWriteArrayList<>();

  private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>
      logs = new ch.qos.logback.core.read.ListAppender<>();

  @BeforeEach
  void startBluejay() {
    bluejay = new BluejayStandIn();
    rootLogger().setLevel(ch.qos.logback.classic.Level.DEBUG);
    ourLogger().setLevel(ch.qos.logback.classic.Level.DEBUG);
    logs.start();
    rootLogger().addAppender(logs);
  }

  @AfterEach
  void checkEveryRequestAgainstTheSpecAndTheLogsForKeys() {
    try {
      bluejay.assertAllRequestsValid();
      assertThat(logs.list).isNotEmpty();
      for (ch.qos.logback.classic.spi.ILoggingEvent event : logs.list) {
        String line =
            event.getFormattedMessage()
                + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage());
        assertThat(line).doesNotContain("bj-test-key-0001", "bj-old-key", "bj-new-key");
      }
    } finally {
      rootLogger().detachAppender(logs);
      rootLogger().setLevel(ch.qos.logback.classic.Level.WARN);
      ourLogger().setLevel(ch.qos.logback.classic.Level.INFO);
      bluejay.close();
    }
  }

  private static ch.qos.logback.classic.Logger ourLogger() {
    return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.bluejaybridge");
  }

  private static ch.qos.logback.classic.Logger rootLogger() {
    return (ch.qos.logback.classic.Logger)
        org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private DeliveryHarness harness(Map<String, String> settings) {
    return harness(settings, null);
  }

  private DeliveryHarness harness(Map<String, String> settings, ApiKeySource keys) {
    DeliveryHarness harness = new DeliveryHarness(bluejay.baseUrl(), settings, keys);
    bluejay
        .server()
        .addMockServiceRequestListener(
            (request, response) -> arrivals.add(harness.driver.clock.millis()));
    return harness;
  }

  private static void closeProductionCall(PipelineDriver driver, String callId) {
    driver.toolCalls.pipeInput(callId, toolCall(callId, "lookup_order", 1_000).build());
    driver.events.pipeInput(callId, endOfCall(callId, 9_000).build());
    driver.advanceWallClock(Duration.ofSeconds(6));
  }

  private static JsonNode json(byte[] bytes) throws IOException {
    return JSON.readTree(bytes);
  }

  private static String header(TestRecord<String, byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void deliversAProductionCallOnceAndWritesItsReceipt() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "call-1");

      h.runUntil(() -> h.receipts().size() == 1);
      for (int i = 0; i < 40; i++) {
        h.driver.advanceWallClock(OutboxProcessor.TICK); // nothing more may be sent
      }

      assertThat(bluejay.requestsTo("/v1/update-log/call-1")).hasSize(1);
      assertThat(bluejay.requests()).hasSize(1);
      TestRecord<String, byte[]> receipt = h.receipts().get(0);
      assertThat(receipt.key()).isEqualTo("call-1");
      JsonNode value = json(receipt.value());
      assertThat(value.get("endpoint").asText()).isEqualTo("update-log");
      assertThat(value.get("status").asInt()).isEqualTo(200);
      assertThat(value.get("attempts").asInt()).isEqualTo(1);
      assertThat(value.get("request_bytes").asInt()).isPositive();
      assertThat(value.get("simulation_result_id").isNull()).isTrue();
      assertThat(h.deadLetters()).isEmpty();
      assertThat(h.meters.get("bridge.rate.limit.per.minute").gauge().value())
          .as("this instance owns the only partition: the whole quota")
          .isEqualTo(100_000.0);
      assertThat(logs.list)
          .as("log lines about the call carry call_id as a field")
          .anySatisfy(
              event -> {
                assertThat(event.getFormattedMessage()).startsWith("delivered");
                assertThat(event.getMDCPropertyMap()).containsEntry("call_id", "call-1");
              });
    }
  }

  @Test
  void deliversASimulatedCallToUpdateSimulationResult() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      h.driver.toolCalls.pipeInput(
          "sim-1", toolCall("sim-1", "book", 100).setSimulationResultId("13062").build());
      h.driver.transcripts.pipeInput(
          "sim-1",
          turn("sim-1", Speaker.AGENT, "Booked.", 200).setSimulationResultId("13062").build());
      h.driver.events.pipeInput(
          "sim-1", endOfCall("sim-1", 900).setSimulationResultId("13062").build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));

      h.runUntil(() -> h.receipts().size() == 1);

      JsonNode body = bluejay.requestsTo(UPDATE_SIMULATION).get(0).json();
      assertThat(body.get("simulation_result_id").asText()).isEqualTo("13062");
      assertThat(body.get("recorded_transcript")).hasSize(1);
      assertThat(json(h.receipts().get(0).value()).get("simulation_result_id").asText())
          .isEqualTo("13062");
    }
  }

  @Test
  void serverErrorThenSuccessDeliversOnce() {
    bluejay.stubSequence(UPDATE_LOG, status(500), ok(UPDATE_LOG));
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "call-1");

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requestsTo("/v1/update-log/call-1")).hasSize(2);
      assertThat(h.deadLetters()).isEmpty();
      assertThat(h.meters.get("bridge.deliveries").tag("outcome", "retry").counter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void retryAfterIsHonouredBeforeTheNextAttempt() {
    bluejay.stubSequence(UPDATE_LOG, rateLimited("2"), ok(UPDATE_LOG));
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "call-1");

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(arrivals).hasSize(2);
      assertThat(arrivals.get(1) - arrivals.get(0))
          .as("ms between the 429 and the next attempt")
          .isGreaterThanOrEqualTo(2_000);
    }
  }

  @Test
  void unprocessableCallGoesToTheDeliveryDlqAtOnceWithTheValidationDetail() throws IOException {
    bluejay.stub(
        UPDATE_LOG,
        validationError(List.of("body", "tool_calls", 0, "name"), "Field required", "missing"));
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "call-1");

      h.runUntil(() -> h.deadLetters().size() == 1);

      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(dead.key()).isEqualTo("call-1");
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("http-422");
      assertThat(header(dead, "bridge.error.status")).isEqualTo("422");
      assertThat(header(dead, "bridge.error.attempts")).isEqualTo("1");
      JsonNode value = json(dead.value());
      assertThat(value.get("reason").asText()).isEqualTo("http-422");
      assertThat(value.get("method").asText()).isEqualTo("PUT");
      assertThat(value.get("path").asText()).isEqualTo("/v1/update-log/call-1");
      assertThat(value.get("request_body").get("tool_calls").get(0).get("name").asText())
          .isEqualTo("lookup_order");
      assertThat(value.get("detail").get(0).get("msg").asText()).isEqualTo("Field required");
      assertThat(value.get("detail").get(0).get("loc").toString())
          .isEqualTo("[\"body\",\"tool_calls\",\"0\",\"name\"]");
      assertThat(value.get("first_attempt_at").asText()).isNotBlank();
      assertThat(bluejay.requestsTo("/v1/update-log/call-1")).hasSize(1);
      assertThat(h.receipts()).isEmpty();
    }
  }

  @Test
  void timeoutsAreRetried() throws IOException {
    bluejay.stubSequence(
        UPDATE_LOG, delayedOk(UPDATE_LOG, Duration.ofMillis(1_500)), ok(UPDATE_LOG));
    try (DeliveryHarness h = harness(Map.of("delivery.request-timeout", "300ms"))) {
      closeProductionCall(h.driver, "call-1");

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requestsTo("/v1/update-log/call-1")).hasSize(2);
      assertThat(json(h.receipts().get(0).value()).get("attempts").asInt()).isEqualTo(2);
    }
  }

  @Test
  void exhaustedAttemptsGoToTheDeliveryDlq() throws IOException {
    bluejay.stub(UPDATE_LOG, aResponse().withStatus(503).withBody("busy"));
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "3"))) {
      closeProductionCall(h.driver, "call-1");

      h.runUntil(() -> h.deadLetters().size() == 1);

      assertThat(bluejay.requestsTo("/v1/update-log/call-1")).hasSize(3);
      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("attempts-exhausted");
      assertThat(header(dead, "bridge.error.attempts")).isEqualTo("3");
      assertThat(json(dead.value()).get("response_body").asText()).isEqualTo("busy");
    }
  }

  @Test
  void refusedKeyPausesDeliveryWithoutDeadLettersUntilTheKeyFileChanges() throws IOException {
    Path keyFile = dir.resolve("api-key");
    Files.writeString(keyFile, "bj-old-key\n");
    bluejay
        .server()
        .stubFor(
            put(urlPathMatching("/v1/update-log/.*"))
                .atPriority(1)
                .withHeader("X-API-Key", equalTo("bj-old-key"))
                .willReturn(unauthorized()));
    PipelineDriver[] driverRef = new PipelineDriver[1];
    dev.bluejaybridge.testkit.MutableClock keyClock = new dev.bluejaybridge.testkit.MutableClock();
    ApiKeySource keys =
        ApiKeySource.from(
            new BridgeConfig.Bluejay(
                bluejay.baseUrl(),
                java.util.Optional.empty(),
                java.util.Optional.of(keyFile),
                true),
            keyClock);
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "2"), keys)) {
      driverRef[0] = h.driver;
      closeProductionCall(h.driver, "call-1");
      closeProductionCall(h.driver, "call-2");

      h.runUntil(() -> h.dispatcher.paused());
      for (int i = 0; i < 200; i++) {
        h.driver.advanceWallClock(
            Duration.ofSeconds(1)); // minutes pass: still nothing dead-lettered
      }
      assertThat(h.dispatcher.paused()).isTrue();
      assertThat(h.meters.get("bridge.delivery.paused").gauge().value()).isEqualTo(1.0);
      assertThat(h.deadLetters()).isEmpty();
      int refused = bluejay.requests().size();
      assertThat(refused)
          .as("no requests while paused beyond those that found out")
          .isLessThanOrEqualTo(2);

      Files.writeString(keyFile, "bj-new-key\n");
      keyClock.advanceMillis(ApiKeySource.RECHECK.toMillis());

      h.runUntil(() -> h.receipts().size() == 2);
      assertThat(h.dispatcher.paused()).isFalse();
      assertThat(h.deadLetters()).isEmpty();
    }
  }

  /** Issue 7, R4: an outage longer than every attempt's backoff loses and dead-letters nothing. */
  @Test
  void unreachableBluejayHoldsDeliveryWithoutSpendingAttemptsAndResumesAtTheFirstAnswer()
      throws IOException {
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "2"))) {
      bluejay.down();
      closeProductionCall(h.driver, "call-1");
      closeProductionCall(h.driver, "call-2");

      h.runUntil(() -> h.dispatcher.unreachable());
      for (int i = 0; i < 600; i++) {
        h.driver.advanceWallClock(Duration.ofSeconds(1)); // ten minutes of outage
      }

      assertThat(h.deadLetters()).isEmpty();
      assertThat(h.dispatcher.unreachable()).isTrue();
      assertThat(h.dispatcher.unreachableReason()).contains("/v1/update-log/call-");
      assertThat(h.meters.get("bridge.delivery.unreachable").gauge().value()).isEqualTo(1.0);
      double refused =
          h.meters.get("bridge.deliveries").tag("outcome", "unreachable").counter().count();
      assertThat(refused)
          .as("probes, one per interval of at most 30 s, not an attempt per call per backoff")
          .isBetween(5.0, 2 + 600 / 30.0 + 6);

      bluejay.up();
      h.runUntil(() -> h.receipts().size() == 2);

      assertThat(h.dispatcher.unreachable()).isFalse();
      assertThat(h.meters.get("bridge.delivery.unreachable").gauge().value()).isEqualTo(0.0);
      assertThat(h.deadLetters()).isEmpty();
      for (TestRecord<String, byte[]> receipt : h.receipts()) {
        assertThat(json(receipt.value()).get("attempts").asInt())
            .as("refused connections are not the call's attempts")
            .isEqualTo(1);
      }
    }
  }

  @Test
  void lateRecordOfADeliveredSimulatedCallGoesToTheDeliveryDlqAsLate() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      h.driver.toolCalls.pipeInput(
          "sim-1", toolCall("sim-1", "book", 100).setSimulationResultId("42").build());
      h.driver.events.pipeInput(
          "sim-1", endOfCall("sim-1", 900).setSimulationResultId("42").build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));
      h.runUntil(() -> h.receipts().size() == 1);

      h.driver.toolCalls.pipeInput(
          "sim-1", toolCall("sim-1", "straggler", 800).setSimulationResultId("42").build());
      h.runUntil(() -> h.deadLetters().size() == 1);

      assertThat(header(h.deadLetters().get(0), "bridge.error.reason")).isEqualTo("late");
      assertThat(json(h.deadLetters().get(0).value()).get("reason").asText()).isEqualTo("late");
      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).as("never posted twice").hasSize(1);
    }
  }

  @Test
  void lateRecordOfAProductionCallPutsTheWholeCallAgain() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "call-1");
      h.runUntil(() -> h.receipts().size() == 1);

      h.driver.toolCalls.pipeInput("call-1", toolCall("call-1", "send_receipt", 5_000).build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));
      h.runUntil(() -> h.receipts().size() == 2);

      List<BluejayStandIn.RecordedRequest> puts = bluejay.requestsTo("/v1/update-log/call-1");
      assertThat(puts).hasSize(2);
      JsonNode second = puts.get(1).json();
      assertThat(second.get("tool_calls")).hasSize(2);
    }
  }

  @Test
  void postWithUnknownOutcomeIsCheckedBeforePostingAgain() {
    // The POST arrives (the stand-in records its tool calls) but answers too late for the client.
    bluejay.stubSequence(
        UPDATE_SIMULATION_RESULT,
        delayedOk(UPDATE_SIMULATION_RESULT, Duration.ofMillis(1_000)),
        ok(UPDATE_SIMULATION_RESULT));
    try (DeliveryHarness h = harness(Map.of("delivery.request-timeout", "300ms"))) {
      h.driver.toolCalls.pipeInput(
          "sim-7", toolCall("sim-7", "book", 100).setSimulationResultId("77").build());
      h.driver.events.pipeInput(
          "sim-7", endOfCall("sim-7", 900).setSimulationResultId("77").build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION))
          .as("the timed-out POST had arrived: not posted again")
          .hasSize(1);
      assertThat(bluejay.requestsTo("/v1/retrieve-simulation-result/77")).hasSize(1);
    }
  }

  @Test
  void postWithUnknownOutcomeThatDidNotArriveIsPostedAgain() {
    // The connection drops after the request was sent, and Bluejay never stored it.
    bluejay.stubSequence(UPDATE_SIMULATION_RESULT, connectionReset(), ok(UPDATE_SIMULATION_RESULT));
    try (DeliveryHarness h = harness(Map.of("delivery.request-timeout", "300ms"))) {
      h.driver.toolCalls.pipeInput(
          "sim-8", toolCall("sim-8", "book", 100).setSimulationResultId("78").build());
      h.driver.events.pipeInput(
          "sim-8", endOfCall("sim-8", 900).setSimulationResultId("78").build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).hasSize(2);
      assertThat(bluejay.requestsTo("/v1/retrieve-simulation-result/78")).hasSize(1);
      assertThat(bluejay.requestsTo(UPDATE_SIMULATION).get(1).json().get("tool_calls")).hasSize(1);
    }
  }
}
