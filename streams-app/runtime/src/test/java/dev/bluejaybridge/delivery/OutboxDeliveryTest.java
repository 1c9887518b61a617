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
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import dev.bluejaybridge.aggregate.CloseReason;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.aggregate.LateRecord;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.specific.SpecificRecord;
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

  /**
   * A call whose attempts all end retryable while another call is delivered goes to the delivery
   * DLQ. (Alone, it would be held instead: issue 13 item 4, {@link
   * #aLoneCallThatKeepsFailingIsHeldUntilAnotherCallGetsAnAnswerThenSpendsItsLastAttempt}.)
   */
  @Test
  void exhaustedAttemptsGoToTheDeliveryDlq() throws IOException {
    bluejay.stubUpdateLog("call-1", aResponse().withStatus(503).withBody("busy"));
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "3"))) {
      closeProductionCall(h.driver, "call-1");
      closeProductionCall(h.driver, "call-2");

      h.runUntil(() -> h.deadLetters().size() == 1 && h.receipts().size() == 1);

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
          .as(
              "while paused only probes, one per interval of at most 30 s, beyond those that found out")
          .isLessThanOrEqualTo(2 + 200 / 30 + 6);

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
        // a probe's refused connection ends before the next second of the outage (under load
        // the mock clock ran ahead of the HTTP threads and fewer probes were counted)
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(1))
            .atMost(Duration.ofSeconds(30))
            .until(() -> h.dispatcher.inFlight() == 0);
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

  private static final ObjectMapper PLAIN = new ObjectMapper();

  /** A JSON object nested {@code depth} objects deep. */
  private static String nested(int depth) {
    return "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }

  private static ClosedCall closed(
      String callId,
      String simulationResultId,
      int revision,
      List<ToolCall> toolCalls,
      List<SpecificRecord> stragglers) {
    return new ClosedCall(
        callId,
        simulationResultId,
        null,
        revision == 0 ? CloseReason.END_OF_CALL : CloseReason.LATE_RECORDS,
        revision,
        0L,
        0L,
        false,
        toolCalls,
        List.of(),
        List.of(),
        stragglers);
  }

  private static ToolCall simTool(String callId, String simulationResultId, String name, long at) {
    return toolCall(callId, name, at).setSimulationResultId(simulationResultId).build();
  }

  /**
   * Issue 13 item 1: a closed call whose request body cannot be written (here tool-call parameters
   * nested deeper than the JSON writer takes; validation now refuses such input at 100 levels as
   * {@code decode-limit}, so the call is fed to the outbox directly) is dead-lettered whole as
   * {@code unserializable}, with its records, instead of vanishing in the aggregation's
   * punctuation.
   */
  @Test
  void callWhoseBodyCannotBeWrittenIsDeadLetteredWholeAsUnserializable() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      h.feed(
          closed(
              "deep-1",
              null,
              0,
              List.of(
                  toolCall("deep-1", "lookup", 100).setParametersJson(nested(998)).build(),
                  toolCall("deep-1", "book", 200).build()),
              List.of()));

      h.runUntil(() -> h.deadLetters().size() == 1);

      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(dead.key()).isEqualTo("deep-1");
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("unserializable");
      JsonNode value = json(dead.value());
      assertThat(value.get("reason").asText()).isEqualTo("unserializable");
      assertThat(value.get("request_body").isNull()).isTrue();
      assertThat(value.get("path").asText()).isEqualTo("/v1/update-log/deep-1");
      assertThat(value.get("records")).hasSize(2);
      assertThat(value.get("records").get(0).get("name").asText()).isEqualTo("lookup");
      assertThat(value.get("records").get(0).get("parameters_json").asText())
          .isEqualTo(nested(998));
      assertThat(value.get("error").asText()).contains("nesting depth");
      assertThat(bluejay.requests()).isEmpty();
      assertThat(h.dispatcher.outboxSize()).isZero();
      assertThat(
              h.meters.get("bridge.dlq.records").tag("reason", "unserializable").counter().count())
          .isEqualTo(1.0);
    }
  }

  /**
   * Issue 13 item 1, a sibling: a body one level short of the JSON writer's limit is sent, but its
   * dead letter nests it one level deeper. The dead letter is still written (the body as text), and
   * the entry is removed only with it.
   */
  @Test
  void deadLetterOfABodyAtTheNestingLimitKeepsTheBodyAsText() throws IOException {
    bluejay.stub(
        UPDATE_LOG, validationError(List.of("body", "tool_calls"), "too deep", "value_error"));
    try (DeliveryHarness h = harness(Map.of())) {
      h.feed(
          closed(
              "deep-2",
              null,
              0,
              List.of(toolCall("deep-2", "lookup", 100).setParametersJson(nested(997)).build()),
              List.of()));

      h.runUntil(() -> h.deadLetters().size() == 1);

      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("http-422");
      JsonNode value = json(dead.value());
      assertThat(value.get("request_body").isTextual()).isTrue();
      assertThat(value.get("request_body").asText()).contains("\"lookup\"").contains(nested(997));
      assertThat(h.dispatcher.outboxSize()).isZero();
    }
  }

  /**
   * Issue 13 item 2: a straggler of a simulated call that was delivered already is dead-lettered as
   * {@code late} with its content; the call is never posted twice.
   */
  @Test
  void stragglersOfADeliveredSimulatedCallAreDeadLetteredAsLateNotPostedAgain() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      ToolCall first = simTool("sim-s1", "501", "book", 100);
      h.feed(closed("sim-s1", "501", 0, List.of(first), List.of()));
      h.runUntil(() -> h.receipts().size() == 1);

      ToolCall straggler = simTool("sim-s1", "501", "confirm", 300);
      h.feed(closed("sim-s1", "501", 1, List.of(first, straggler), List.of(straggler)));
      h.runUntil(() -> h.deadLetters().size() == 1);
      for (int i = 0; i < 40; i++) {
        h.driver.advanceWallClock(OutboxProcessor.TICK);
      }

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).as("never posted twice").hasSize(1);
      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(dead.key()).isEqualTo("sim-s1");
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("late");
      JsonNode body = json(dead.value()).get("request_body");
      assertThat(body.get("simulation_result_id").asText()).isEqualTo("501");
      assertThat(body.get("late_record").get("name").asText()).isEqualTo("confirm");
      assertThat(h.receipts()).hasSize(1);
    }
  }

  /**
   * Issue 13 item 2: while the simulated call's POST is in flight, a newer revision cannot replace
   * it (the POST may land): its stragglers go to the DLQ as {@code late}, nothing is posted twice.
   */
  @Test
  void stragglersOfASimulatedCallWhosePostIsInFlightAreDeadLetteredAsLate() throws IOException {
    bluejay.stub(
        UPDATE_SIMULATION_RESULT, delayedOk(UPDATE_SIMULATION_RESULT, Duration.ofMillis(600)));
    try (DeliveryHarness h = harness(Map.of())) {
      ToolCall first = simTool("sim-s2", "502", "book", 100);
      h.feed(closed("sim-s2", "502", 0, List.of(first), List.of()));
      h.runUntil(() -> bluejay.requestsTo(UPDATE_SIMULATION).size() == 1);

      ToolCall straggler = simTool("sim-s2", "502", "confirm", 300);
      h.feed(closed("sim-s2", "502", 1, List.of(first, straggler), List.of(straggler)));
      h.runUntil(() -> h.receipts().size() == 1 && h.deadLetters().size() == 1);
      for (int i = 0; i < 40; i++) {
        h.driver.advanceWallClock(OutboxProcessor.TICK);
      }

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).hasSize(1);
      assertThat(bluejay.requestsTo(UPDATE_SIMULATION).get(0).json().get("tool_calls")).hasSize(1);
      assertThat(header(h.deadLetters().get(0), "bridge.error.reason")).isEqualTo("late");
      assertThat(h.dispatcher.outboxSize()).isZero();
    }
  }

  /**
   * Issue 13 item 2: a newer revision of a simulated call that was never attempted merges into the
   * queued POST: one POST with everything, nothing dead-lettered.
   */
  @Test
  void newerRevisionOfASimulatedCallNotYetSentIsPostedWhole() {
    try (DeliveryHarness h = harness(Map.of())) {
      ToolCall first = simTool("sim-s3", "503", "book", 100);
      ToolCall straggler = simTool("sim-s3", "503", "confirm", 300);
      h.feed(closed("sim-s3", "503", 0, List.of(first), List.of()));
      h.feed(closed("sim-s3", "503", 1, List.of(first, straggler), List.of(straggler)));

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).hasSize(1);
      assertThat(bluejay.requestsTo(UPDATE_SIMULATION).get(0).json().get("tool_calls")).hasSize(2);
      assertThat(h.deadLetters()).isEmpty();
    }
  }

  /**
   * Issue 13 item 2: a late record of a production call that can no longer be merged goes to the
   * delivery DLQ as {@code late} for update-log, with its content; no fragment is put.
   */
  @Test
  void lateRecordOfAProductionCallIsDeadLetteredForUpdateLog() throws IOException {
    try (DeliveryHarness h = harness(Map.of())) {
      h.feed(
          new LateRecord("call-l1", null, toolCall("call-l1", "send_receipt", 5_000).build(), 0L));

      h.runUntil(() -> h.deadLetters().size() == 1);

      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("late");
      JsonNode value = json(dead.value());
      assertThat(value.get("endpoint").asText()).isEqualTo("update-log");
      assertThat(value.get("method").asText()).isEqualTo("PUT");
      assertThat(value.get("path").asText()).isEqualTo("/v1/update-log/call-l1");
      assertThat(value.get("request_body").has("simulation_result_id")).isFalse();
      assertThat(value.get("request_body").get("late_record").get("name").asText())
          .isEqualTo("send_receipt");
      assertThat(bluejay.requests()).isEmpty();
    }
  }

  /**
   * Issue 13 item 3: a 5xx to a POST may have been applied; the next attempt asks Bluejay first.
   */
  @Test
  void serverErrorToAPostIsCheckedBeforePostingAgain() {
    bluejay.stubSequence(UPDATE_SIMULATION_RESULT, status(500), ok(UPDATE_SIMULATION_RESULT));
    try (DeliveryHarness h = harness(Map.of())) {
      h.feed(closed("sim-5", "505", 0, List.of(simTool("sim-5", "505", "book", 100)), List.of()));

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requests())
          .extracting(BluejayStandIn.RecordedRequest::method)
          .containsExactly("POST", "GET", "POST");
    }
  }

  /**
   * Issue 13 item 3: Bluejay applied the POST and then answered 503: the check finds it, and the
   * call is not posted a second time.
   */
  @Test
  void postAppliedThenAnsweredWithA5xxIsNotPostedAgain() {
    bluejay.stubSequence(
        UPDATE_SIMULATION_RESULT,
        BluejayStandIn.appliedThen(status(503)),
        ok(UPDATE_SIMULATION_RESULT));
    try (DeliveryHarness h = harness(Map.of())) {
      h.feed(closed("sim-6", "506", 0, List.of(simTool("sim-6", "506", "book", 100)), List.of()));

      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).as("never posted twice").hasSize(1);
      assertThat(bluejay.applied()).hasSize(1);
      assertThat(bluejay.requestsTo("/v1/retrieve-simulation-result/506")).hasSize(1);
    }
  }

  /**
   * Issue 13 item 3: a simulated call without tool calls whose POST timed out cannot be checked at
   * Bluejay (its copy holds no tool calls to look for): it is dead-lettered as {@code
   * outcome-unknown}, never posted a second time.
   */
  @Test
  void postWithUnknownOutcomeOfACallWithoutToolCallsIsDeadLetteredAsOutcomeUnknown()
      throws IOException {
    bluejay.stub(
        UPDATE_SIMULATION_RESULT, delayedOk(UPDATE_SIMULATION_RESULT, Duration.ofMillis(1_000)));
    try (DeliveryHarness h = harness(Map.of("delivery.request-timeout", "300ms"))) {
      h.driver.transcripts.pipeInput(
          "sim-9", turn("sim-9", Speaker.AGENT, "Hello.", 200).setSimulationResultId("79").build());
      h.driver.events.pipeInput(
          "sim-9", endOfCall("sim-9", 900).setSimulationResultId("79").build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));

      h.runUntil(() -> h.deadLetters().size() == 1);
      for (int i = 0; i < 80; i++) {
        h.driver.advanceWallClock(OutboxProcessor.TICK);
      }

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).as("never posted twice").hasSize(1);
      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("outcome-unknown");
      assertThat(json(dead.value()).get("request_body").get("recorded_transcript")).hasSize(1);
      assertThat(h.receipts()).isEmpty();
    }
  }

  /**
   * Issue 13 item 3: a staged POST waits until its in-flight mark is surely committed (Kafka
   * Streams skips commits during a rebalance), so a restored entry always says a POST may be out.
   */
  @Test
  void stagedPostWaitsUntilACommitWentThrough() {
    try (DeliveryHarness h = harness(Map.of())) {
      h.commits.set(7);
      // A first call warms the connection up, so a POST, once sent, arrives within milliseconds.
      h.feed(closed("sim-w", "506", 0, List.of(simTool("sim-w", "506", "book", 100)), List.of()));
      h.runUntil(() -> h.dispatcher.inFlight() == 1);
      h.commits.incrementAndGet();
      h.runUntil(() -> h.receipts().size() == 1);

      h.feed(closed("sim-c", "507", 0, List.of(simTool("sim-c", "507", "book", 100)), List.of()));
      h.runUntil(() -> h.dispatcher.inFlight() == 1);
      // No commit goes through: ticks pass (and real time, for a request to arrive), nothing sent.
      await("nothing sent before its mark is committed")
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(10))
          .until(
              () -> {
                h.driver.advanceWallClock(OutboxProcessor.TICK);
                return bluejay.requestCount() == 1;
              });

      h.commits.incrementAndGet();
      h.runUntil(() -> h.receipts().size() == 2);

      assertThat(bluejay.requestsTo(UPDATE_SIMULATION)).hasSize(2);
    }
  }

  /**
   * Issue 13 item 4: a 30-minute 503 outage across calls holds delivery: nothing is dead-lettered
   * (attempts stop counting once held), a probe goes out at most every 30 s, {@code /status} and
   * {@code bridge_delivery_held} say so, and afterwards the calls drain at the quota.
   */
  @Test
  void thirtyMinutesOf503HoldDeliveryDeadLetterNothingAndDrainAtTheQuota() throws IOException {
    StubMapping outage =
        bluejay
            .server()
            .stubFor(
                put(urlPathMatching("/v1/update-log/.*"))
                    .atPriority(1)
                    .willReturn(aResponse().withStatus(503).withBody("busy")));
    int calls = 6;
    try (DeliveryHarness h =
        harness(Map.of("delivery.max-attempts", "3", "delivery.rate-limit-per-minute", "60"))) {
      for (int i = 1; i <= calls; i++) {
        h.driver.toolCalls.pipeInput("o-" + i, toolCall("o-" + i, "lookup", 1_000).build());
        h.driver.events.pipeInput("o-" + i, endOfCall("o-" + i, 9_000).build());
      }
      h.driver.advanceWallClock(Duration.ofSeconds(6));

      h.runUntil(() -> h.dispatcher.held());
      for (int i = 0; i < 30 * 60; i++) {
        h.driver.advanceWallClock(Duration.ofSeconds(1));
        // each probe's answer comes before the next second (under load a probe still in flight
        // when the outage ended was counted as one more request after it)
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(1))
            .atMost(Duration.ofSeconds(30))
            .until(() -> h.dispatcher.inFlight() == 0);
      }

      assertThat(h.deadLetters()).as("nothing dead-lettered by the outage").isEmpty();
      assertThat(h.dispatcher.state().name()).isEqualTo("held");
      assertThat(h.dispatcher.state().reason()).contains("5xx").contains("HTTP 503");
      assertThat(h.meters.get("bridge.delivery.held").gauge().value()).isEqualTo(1.0);
      int duringOutage = bluejay.requests().size();
      assertThat(duringOutage)
          .as("the failures that showed the outage, then a probe at most every 30 s")
          .isBetween(Outage.UNWELL_FAILURES, 2 * calls + 30 * 60 / 30 + 10);

      bluejay.server().removeStub(outage);
      int arrivedBefore = arrivals.size();
      long recoveredAt = h.driver.clock.millis();
      h.runUntil(() -> h.receipts().size() == calls);

      assertThat(h.deadLetters()).isEmpty();
      assertThat(h.dispatcher.held()).isFalse();
      assertThat(h.meters.get("bridge.delivery.held").gauge().value()).isEqualTo(0.0);
      assertThat(arrivals.size() - arrivedBefore)
          .as("one request per call once Bluejay answers again")
          .isEqualTo(calls);
      assertThat(h.driver.clock.millis() - recoveredAt)
          .as("drained within a probe interval (30 s) and the time the quota takes (60 a minute)")
          .isLessThanOrEqualTo(30_000 + calls * 1_100 + 5_000);
    }
  }

  /**
   * Issue 13 item 4: one call that alone keeps failing while others are delivered does not hold
   * delivery: it spends its own attempts and is dead-lettered as {@code attempts-exhausted}.
   */
  @Test
  void aCallThatAloneKeepsFailingSpendsItsAttempts() throws IOException {
    bluejay.stubUpdateLog("bad-1", aResponse().withStatus(503).withBody("busy"));
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "3"))) {
      closeProductionCall(h.driver, "bad-1");
      for (int i = 1; i <= 3; i++) {
        closeProductionCall(h.driver, "good-" + i);
      }

      h.runUntil(() -> h.deadLetters().size() == 1 && h.receipts().size() == 3);

      assertThat(header(h.deadLetters().get(0), "bridge.error.reason"))
          .isEqualTo("attempts-exhausted");
      assertThat(bluejay.requestsTo("/v1/update-log/bad-1")).hasSize(3);
      assertThat(h.dispatcher.held()).isFalse();
    }
  }

  /**
   * Issue 13 item 4: a call that alone keeps failing (its content makes Bluejay answer 500, or
   * Bluejay is down in quiet hours: with no other call, the bridge cannot tell) is not
   * dead-lettered on a guess. At its last attempt delivery is held (probed, spending nothing) until
   * another call gets an answer; then the call spends that attempt and goes to the DLQ as {@code
   * attempts-exhausted}.
   */
  @Test
  void aLoneCallThatKeepsFailingIsHeldUntilAnotherCallGetsAnAnswerThenSpendsItsLastAttempt()
      throws IOException {
    bluejay.stubUpdateLog("bad-1", aResponse().withStatus(500).withBody("cannot store this"));
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "3"))) {
      closeProductionCall(h.driver, "bad-1");

      h.runUntil(() -> h.dispatcher.held());
      for (int i = 0; i < 10 * 60; i++) {
        h.driver.advanceWallClock(Duration.ofSeconds(1)); // ten minutes
      }

      assertThat(h.deadLetters()).as("held, not dead-lettered").isEmpty();
      assertThat(h.dispatcher.state().name()).isEqualTo("held");
      assertThat(h.dispatcher.state().reason()).contains("HTTP 500");
      assertThat(h.meters.get("bridge.delivery.held").gauge().value()).isEqualTo(1.0);
      assertThat(bluejay.requestsTo("/v1/update-log/bad-1"))
          .as("its attempts, then a probe at most every 30 s")
          .hasSizeBetween(3, 3 + 10 * 60 / 30 + 6);

      closeProductionCall(h.driver, "good-1");
      h.runUntil(() -> h.deadLetters().size() == 1 && h.receipts().size() == 1);

      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(dead.key()).isEqualTo("bad-1");
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("attempts-exhausted");
      assertThat(header(dead, "bridge.error.attempts")).isEqualTo("3");
      assertThat(h.dispatcher.held()).isFalse();
    }
  }

  /**
   * Issue 13 item 4: a 429's Retry-After slows every call of the route, not only the call that got
   * it.
   */
  @Test
  void retryAfterOfA429SlowsEveryCallOfTheRoute() {
    bluejay.stubSequence(UPDATE_LOG, rateLimited("30"), ok(UPDATE_LOG));
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "ra-1");
      h.runUntil(
          () -> h.meters.find("bridge.deliveries").tag("outcome", "retry").counter() != null);

      closeProductionCall(h.driver, "ra-2");
      h.runUntil(() -> h.receipts().size() == 2);

      assertThat(arrivals).hasSize(3);
      assertThat(arrivals.get(1) - arrivals.get(0))
          .as("the other call waited for the route's Retry-After too")
          .isGreaterThanOrEqualTo(30_000);
    }
  }

  /**
   * Issue 13 item 9: a 401 pause ends with the same key: a probe on a timer finds Bluejay accepting
   * it again.
   */
  @Test
  void refusedKeyPauseEndsWhenAProbeIsAcceptedWithTheSameKey() {
    StubMapping refusing =
        bluejay
            .server()
            .stubFor(
                put(urlPathMatching("/v1/update-log/.*")).atPriority(1).willReturn(unauthorized()));
    try (DeliveryHarness h = harness(Map.of("delivery.max-attempts", "2"))) {
      closeProductionCall(h.driver, "k-1");
      closeProductionCall(h.driver, "k-2");
      h.runUntil(() -> h.dispatcher.paused());
      assertThat(h.dispatcher.state().name()).isEqualTo("paused");

      bluejay.server().removeStub(refusing); // the key was restored at Bluejay
      h.runUntil(() -> h.receipts().size() == 2);

      assertThat(h.dispatcher.paused()).isFalse();
      assertThat(h.deadLetters()).isEmpty();
    }
  }

  /**
   * Issue 13 item 9: a 403 on one call while the key is fine dead-letters that call as {@code
   * http-403} (after a key check), and never pauses the others.
   */
  @Test
  void forbiddenCallIsDeadLetteredAsHttp403WhileTheOthersAreDelivered() throws IOException {
    bluejay.stubUpdateLog("f-1", aResponse().withStatus(403).withBody("{\"detail\":\"no\"}"));
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "f-1");
      closeProductionCall(h.driver, "f-2");

      h.runUntil(() -> h.deadLetters().size() == 1 && h.receipts().size() == 1);

      TestRecord<String, byte[]> dead = h.deadLetters().get(0);
      assertThat(dead.key()).isEqualTo("f-1");
      assertThat(header(dead, "bridge.error.reason")).isEqualTo("http-403");
      assertThat(header(dead, "bridge.error.status")).isEqualTo("403");
      assertThat(json(dead.value()).get("response_body").asText()).contains("no");
      assertThat(bluejay.requestsTo("/v1/retrieve-simulation-result/" + Dispatcher.KEY_PROBE_ID))
          .as("the key check")
          .hasSize(1);
      assertThat(h.dispatcher.paused()).isFalse();
      assertThat(h.meters.get("bridge.delivery.paused").gauge().value()).isEqualTo(0.0);
    }
  }

  /** Issue 13 item 9: a 403 whose key check is refused too pauses delivery; nothing is lost. */
  @Test
  void forbiddenWithARefusedKeyCheckPausesDelivery() {
    bluejay.stub(UPDATE_LOG, status(403));
    bluejay.stub(BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT, status(403));
    try (DeliveryHarness h = harness(Map.of())) {
      closeProductionCall(h.driver, "f-3");

      h.runUntil(() -> h.dispatcher.paused());

      assertThat(h.deadLetters()).isEmpty();
      assertThat(h.dispatcher.outboxSize()).isEqualTo(1);
    }
  }

  /**
   * Issue 13 item 9: the key file is rotated while the 401 to the old key is on its way back: the
   * refusal of a key no longer in use pauses nothing, and the call goes with the new key.
   */
  @Test
  void keyRotatedBeforeItsRefusalIsAppliedDoesNotPause() throws IOException {
    Path keyFile = dir.resolve("api-key-race");
    Files.writeString(keyFile, "bj-old-key\n");
    bluejay
        .server()
        .stubFor(
            put(urlPathMatching("/v1/update-log/.*"))
                .atPriority(1)
                .withHeader("X-API-Key", equalTo("bj-old-key"))
                .willReturn(unauthorized().withFixedDelay(700)));
    dev.bluejaybridge.testkit.MutableClock keyClock = new dev.bluejaybridge.testkit.MutableClock();
    ApiKeySource keys =
        ApiKeySource.from(
            new BridgeConfig.Bluejay(
                bluejay.baseUrl(),
                java.util.Optional.empty(),
                java.util.Optional.of(keyFile),
                true),
            keyClock);
    try (DeliveryHarness h = harness(Map.of(), keys)) {
      closeProductionCall(h.driver, "r-1");
      h.runUntil(() -> arrivals.size() == 1); // the request with the old key is out

      Files.writeString(keyFile, "bj-new-key\n");
      keyClock.advanceMillis(ApiKeySource.RECHECK.toMillis());
      h.runUntil(() -> h.receipts().size() == 1);

      assertThat(logs.list)
          .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .noneMatch(m -> m.startsWith("Bluejay refused the API key: delivery paused"));
      assertThat(h.deadLetters()).isEmpty();
    }
  }
}
