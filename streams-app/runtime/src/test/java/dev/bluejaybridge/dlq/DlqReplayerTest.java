package dev.bluejaybridge.dlq;

import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.delivery.Backoff;
import dev.bluejaybridge.delivery.DeliveryPolicy;
import dev.bluejaybridge.delivery.DeliveryRecords;
import dev.bluejaybridge.delivery.RateShare;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.MutableClock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code dlq replay} of delivery dead letters drives the pipeline's delivery policy. */
class DlqReplayerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DLQ = "calls.delivery-dlq";
  private static final Optional<String> RECEIPTS = Optional.of("calls.delivery-receipts");
  private static final String SIMULATED_BODY =
      "{\"simulation_result_id\":\"77\",\"tool_calls\":[{\"name\":\"book_slot\",\"start_offset_ms\":5000}]}";
  private static final String PRODUCTION_BODY =
      "{\"tool_calls\":[{\"name\":\"lookup\",\"start_offset_ms\":10}],\"events\":[],"
          + "\"metadata\":{},\"reevaluate\":true}";

  private final MutableClock clock = new MutableClock(1_700_000_000_000L);
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final StringWriter out = new StringWriter();
  private final List<Long> sleeps = new ArrayList<>();
  private BluejayStandIn bluejay;
  private BluejayClient client;

  /** Sleeps by moving the clock; {@code onSleep} runs after each. */
  private Runnable onSleep = () -> {};

  @BeforeEach
  void startBluejay() {
    bluejay = new BluejayStandIn();
    client =
        BluejayClient.create(
            bluejay.baseUrl(), () -> Secret.of("bj-test-key"), Duration.ofSeconds(2), clock);
  }

  @AfterEach
  void stopBluejay() {
    client.close();
    bluejay.close();
  }

  private DlqReplayer replayer(Duration patience) {
    RateShare rate = new RateShare(60_000, clock);
    rate.setTotalPartitions(1);
    rate.partitionAssigned(0);
    clock.advanceMillis(1_000); // the rate share has filled: the first request need not wait
    return new DlqReplayer(
        producer,
        client,
        rate,
        new DeliveryPolicy(4, new Backoff(() -> 0.5, Duration.ofMinutes(10))),
        millis -> {
          sleeps.add(millis);
          clock.advanceMillis(millis);
          onSleep.run();
        },
        clock,
        patience,
        new PrintWriter(out, true));
  }

  /** A delivery dead letter as the pipeline writes it, at {@code offset} of the DLQ. */
  private static DlqEntry deadLetter(String callId, Endpoint endpoint, String body, long offset) {
    return deadLetter(callId, endpoint, body, offset, "attempts-exhausted");
  }

  private static DlqEntry deadLetter(
      String callId, Endpoint endpoint, String body, long offset, String reason) {
    OutboxEntry entry =
        OutboxEntry.newBuilder()
            .setCallId(callId)
            .setRevision(1)
            .setEndpoint(endpoint)
            .setSimulationResultId(endpoint == Endpoint.UPDATE_SIMULATION_RESULT ? "77" : null)
            .setRequestBody(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)))
            .setEnqueuedAt(0)
            .setAttempts(8)
            .setNextAttemptAt(0)
            .setLastError("I/O error: request timed out")
            .build();
    RecordHeaders headers = new RecordHeaders();
    DeliveryRecords.headers(reason, null, 8).forEach(headers::add);
    ConsumerRecord<byte[], byte[]> record =
        new ConsumerRecord<>(
            DLQ,
            0,
            offset,
            0L,
            TimestampType.CREATE_TIME,
            0,
            0,
            callId.getBytes(StandardCharsets.UTF_8),
            DeliveryRecords.deadLetter(entry, reason, null),
            headers,
            Optional.empty());
    return DlqEntry.of(DlqEntry.Kind.DELIVERY, record);
  }

  private List<ProducerRecord<byte[], byte[]>> written(String topic) {
    return producer.history().stream().filter(r -> r.topic().equals(topic)).toList();
  }

  private static JsonNode json(byte[] value) throws IOException {
    return JSON.readTree(value);
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void simulatedDeadLetterWhosePostHadArrivedIsDeliveredWithoutASecondPost() throws Exception {
    // Given: the dead letter's last POST was applied by Bluejay, its answer lost.
    client.updateSimulationResult(SIMULATED_BODY.getBytes(StandardCharsets.UTF_8));
    DlqEntry dead = deadLetter("s-1", Endpoint.UPDATE_SIMULATION_RESULT, SIMULATED_BODY, 5);

    // When
    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    // Then: asked, found it, did not post again; a receipt and a "delivered" marker.
    assertThat(result).isEqualTo(new DlqReplayer.Result(1, 0, 0, 0, 0));
    assertThat(bluejay.requestsTo(BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT))
        .as("only the POST before the replay")
        .hasSize(1);
    assertThat(bluejay.requestsTo(BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT)).hasSize(1);
    assertThat(client.retrieveSimulationResult("77").actualToolCalls()).hasSize(1);
    assertThat(written(RECEIPTS.get())).hasSize(1);
    JsonNode receipt = json(written(RECEIPTS.get()).get(0).value());
    assertThat(receipt.get("simulation_result_id").asText()).isEqualTo("77");
    assertThat(written(DLQ))
        .singleElement()
        .satisfies(
            marker -> {
              assertThat(marker.value()).isNull();
              assertThat(header(marker, "bridge.replay.of")).isEqualTo("0:5");
              assertThat(header(marker, "bridge.replay.outcome")).isEqualTo("delivered");
            });
    bluejay.assertAllRequestsValid();
  }

  @Test
  void simulatedDeadLetterThatBluejayDoesNotHoldIsPostedOnce() throws Exception {
    DlqEntry dead = deadLetter("s-2", Endpoint.UPDATE_SIMULATION_RESULT, SIMULATED_BODY, 0);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.delivered()).isEqualTo(1);
    assertThat(bluejay.requests())
        .extracting(BluejayStandIn.RecordedRequest::method)
        .containsExactly("GET", "POST");
    assertThat(client.retrieveSimulationResult("77").actualToolCalls()).hasSize(1);
    bluejay.assertAllRequestsValid();
  }

  @Test
  void postWhoseOutcomeIsUnknownAgainIsCheckedBeforeItIsPostedAgain() throws Exception {
    // The check says not there, the POST times out (Bluejay took it), the next check finds it.
    bluejay.stubSequence(
        BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT,
        BluejayStandIn.delayedOk(
            BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT, Duration.ofSeconds(3)),
        BluejayStandIn.ok(BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT));
    DlqEntry dead = deadLetter("s-3", Endpoint.UPDATE_SIMULATION_RESULT, SIMULATED_BODY, 0);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.delivered()).isEqualTo(1);
    assertThat(bluejay.requests())
        .extracting(BluejayStandIn.RecordedRequest::method)
        .containsExactly("GET", "POST", "GET");
    assertThat(client.retrieveSimulationResult("77").actualToolCalls()).hasSize(1);
  }

  @Test
  void replayDuringAnOutageLeavesTheDeadLettersAsTheyWere() throws Exception {
    bluejay.down();
    List<DlqEntry> dead =
        List.of(
            deadLetter("p-1", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 0),
            deadLetter("p-2", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 1));

    DlqReplayer.Result result =
        replayer(Duration.ofSeconds(10)).replayDelivery(dead, DLQ, RECEIPTS, false);

    assertThat(result).isEqualTo(new DlqReplayer.Result(0, 0, 0, 0, 2));
    assertThat(producer.history()).as("no marker, no new dead letter, no receipt").isEmpty();
    assertThat(sleeps)
        .as("probes 1 s apart, doubling, until the patience is spent")
        .containsExactly(1_000L, 2_000L, 4_000L, 3_000L);
    assertThat(out.toString())
        .contains("Bluejay cannot be reached")
        .contains("p-1 not sent")
        .contains("2 dead letters left unchanged");
  }

  @Test
  void outageThatEndsWithinThePatienceSpendsNoAttempt() throws Exception {
    bluejay.down();
    onSleep =
        () -> {
          if (sleeps.size() == 2) {
            bluejay.up();
          }
        };
    DlqEntry dead = deadLetter("p-3", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 0);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.delivered()).isEqualTo(1);
    assertThat(json(written(RECEIPTS.get()).get(0).value()).get("attempts").asInt())
        .as("the probes that found Bluejay down do not count")
        .isEqualTo(1);
    assertThat(out.toString()).contains("Bluejay answers again");
  }

  /**
   * Issue 13 item 4, as in the pipeline: a dead letter whose every attempt fails with a 5xx while
   * no other request is answered (a replay sends one at a time) cannot be told from an outage, so
   * it is not put back as {@code attempts-exhausted}: the replay holds, probing, for its patience,
   * then stops and leaves it and the rest as they were.
   */
  @Test
  void deadLetterThatKeepsFailingAloneIsHeldForThePatienceNotPutBack() throws Exception {
    bluejay.stubUpdateLog("p-20", BluejayStandIn.status(503));
    List<DlqEntry> dead =
        List.of(
            deadLetter("p-20", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 0),
            deadLetter("p-21", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 1));

    DlqReplayer.Result result =
        replayer(Duration.ofSeconds(10)).replayDelivery(dead, DLQ, RECEIPTS, false);

    assertThat(result).isEqualTo(new DlqReplayer.Result(0, 0, 0, 0, 2));
    assertThat(producer.history()).as("no marker, no new dead letter, no receipt").isEmpty();
    assertThat(sleeps)
        .as("the backoff of its 4 attempts, then probes 1 s apart, doubling, for the patience")
        .containsExactly(500L, 1_000L, 2_000L, 1_000L, 2_000L, 4_000L, 3_000L);
    assertThat(bluejay.requestsTo("/v1/update-log/p-20")).hasSize(4 + 4);
    assertThat(bluejay.requestsTo("/v1/update-log/p-21")).isEmpty();
    assertThat(out.toString())
        .contains("p-20 keeps failing (HTTP 503")
        .contains("2 dead letters left unchanged");
  }

  /** Issue 13 item 4: held alone, a dead letter whose probe gets through is delivered. */
  @Test
  void deadLetterHeldAloneIsDeliveredWhenAProbeGetsThrough() throws Exception {
    StubMapping failing =
        bluejay
            .server()
            .stubFor(
                put(urlPathEqualTo("/v1/update-log/p-22"))
                    .atPriority(1)
                    .willReturn(BluejayStandIn.status(503)));
    onSleep =
        () -> {
          if (sleeps.size() == 5) { // after the 4 attempts and a failed probe
            bluejay.server().removeStub(failing);
          }
        };
    DlqEntry dead = deadLetter("p-22", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 0);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.delivered()).isEqualTo(1);
    assertThat(json(written(RECEIPTS.get()).get(0).value()).get("attempts").asInt())
        .as("the held probes do not count")
        .isEqualTo(4);
    assertThat(out.toString()).contains("Bluejay answers again");
  }

  @Test
  void notFoundIsRetriedBeforeItGoesBackToTheDlq() throws Exception {
    bluejay.stubUpdateLog("p-4", BluejayStandIn.status(404));
    DlqEntry dead = deadLetter("p-4", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 3);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.failed()).isEqualTo(1);
    assertThat(bluejay.requestsTo("/v1/update-log/p-4")).hasSize(3);
    ProducerRecord<byte[], byte[]> again = written(DLQ).get(0);
    assertThat(header(again, "bridge.error.reason")).isEqualTo("http-404");
    assertThat(header(again, "bridge.error.attempts")).isEqualTo("3");
    assertThat(header(again, "bridge.replay.of")).isEqualTo("0:3");
    assertThat(json(again.value()).get("status").asInt()).isEqualTo(404);
    assertThat(header(written(DLQ).get(1), "bridge.replay.outcome")).isEqualTo("failed");
  }

  @Test
  void unprocessableGoesBackToTheDlqAtOnce() throws Exception {
    bluejay.stubUpdateLog(
        "p-5", BluejayStandIn.validationError(List.of("body", "events"), "bad", "type_error"));
    DlqEntry dead = deadLetter("p-5", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 0);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.failed()).isEqualTo(1);
    assertThat(bluejay.requestsTo("/v1/update-log/p-5")).hasSize(1);
    assertThat(header(written(DLQ).get(0), "bridge.error.reason")).isEqualTo("http-422");
  }

  @Test
  void refusedKeyStopsTheReplayAndChangesNothing() throws Exception {
    bluejay.stubUnauthorized(BluejayStandIn.Endpoint.UPDATE_LOG);
    List<DlqEntry> dead =
        List.of(
            deadLetter("p-6", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 0),
            deadLetter("p-7", Endpoint.UPDATE_LOG, PRODUCTION_BODY, 1));

    assertThatThrownBy(
            () -> replayer(Duration.ofMinutes(1)).replayDelivery(dead, DLQ, RECEIPTS, false))
        .isInstanceOf(AuthException.class);
    assertThat(bluejay.requests()).hasSize(1);
    assertThat(producer.history()).isEmpty();
  }

  /**
   * Issue 13 item 3: the replay of a simulated call without tool calls whose POST may have arrived
   * cannot be settled by Bluejay's copy: it goes back to the DLQ as {@code outcome-unknown}, never
   * posted a second time.
   */
  @Test
  void deadLetterWithoutToolCallsWhosePostMayHaveArrivedGoesBackAsOutcomeUnknown()
      throws Exception {
    DlqEntry dead =
        deadLetter(
            "s-9",
            Endpoint.UPDATE_SIMULATION_RESULT,
            "{\"simulation_result_id\":\"77\",\"tool_calls\":[],\"tags\":[\"x\"]}",
            4);

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.failed()).isEqualTo(1);
    assertThat(bluejay.requestsTo(BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT)).isEmpty();
    ProducerRecord<byte[], byte[]> again = written(DLQ).get(0);
    assertThat(header(again, "bridge.error.reason")).isEqualTo("outcome-unknown");
    assertThat(json(again.value()).get("request_body").get("tags").get(0).asText()).isEqualTo("x");
  }

  /**
   * Issue 13 item 3: a replayed POST that gets a 5xx may have been applied: the replay checks at
   * Bluejay before posting again. (A dead letter Bluejay refused needs no check first.)
   */
  @Test
  void serverErrorToAReplayedPostIsCheckedBeforePostingAgain() throws Exception {
    bluejay.stubSequence(
        BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT,
        BluejayStandIn.status(500),
        BluejayStandIn.ok(BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT));
    DlqEntry dead =
        deadLetter("s-10", Endpoint.UPDATE_SIMULATION_RESULT, SIMULATED_BODY, 6, "http-422");

    DlqReplayer.Result result =
        replayer(Duration.ofMinutes(1)).replayDelivery(List.of(dead), DLQ, RECEIPTS, false);

    assertThat(result.delivered()).isEqualTo(1);
    assertThat(bluejay.requests())
        .extracting(BluejayStandIn.RecordedRequest::method)
        .containsExactly("POST", "GET", "POST");
    assertThat(client.retrieveSimulationResult("77").actualToolCalls()).hasSize(1);
  }
}
