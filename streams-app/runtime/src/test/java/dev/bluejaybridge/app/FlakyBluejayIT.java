package dev.bluejaybridge.app;

import static dev.bluejaybridge.testkit.FaultPlan.Answer.INVALID;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.OK;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.RATE_LIMITED;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.SERVER_ERROR;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.support.BridgeHarness;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.BluejayStandIn.Endpoint;
import dev.bluejaybridge.testkit.BluejayStandIn.Exchange;
import dev.bluejaybridge.testkit.CallScript;
import dev.bluejaybridge.testkit.FaultPlan;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, R2 (flaky API): the whole application on a real broker delivering 220 calls (one in four
 * simulated) to a Bluejay that, over the run's 400 update requests, answers exactly 30 % 5xx, 10 %
 * 429 with {@code Retry-After: 1}, 5 % timeouts (held past the 1 s request timeout, then 503, so
 * never taken) and 2 % 422, the rest 200. The faults are scripted per call by a seeded {@link
 * FaultPlan} (at most two retryable faults per call, so no call runs out of attempts), so the
 * proportions hold exactly whatever the order calls arrive in.
 *
 * <p>Then: produced = delivered (calls Bluejay took, counted at the receiver by call_id) + the
 * delivery DLQ, with no duplicate and none lost; every 422 call is in the delivery DLQ with its
 * {@code detail} (loc/msg); no call's request came sooner after a 429 than its Retry-After said
 * (measured at the receiver); and the API key is in no log line.
 *
 * <p>The request timeout is 1 s rather than 300 ms: on a loaded two-core machine a 200 answered at
 * once sometimes reached the client after 300 ms, which the client rightly treats as a timeout
 * (outcome unknown: a PUT is sent again, a POST looked up first). Such unplanned client timeouts
 * are counted from the log ("disturbed" calls) and printed; only they may explain a production call
 * taken twice, or a request sooner than a Retry-After the client never saw. A simulated call is
 * never taken twice.
 */
class FlakyBluejayIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API_KEY = "bj-r2-key-7c3d9e21";
  private static final int CALLS = 220;
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
  private static KafkaTestCluster kafka;

  @TempDir Path dir;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = KafkaTestCluster.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @Test
  void flakyBluejayLosesNothingDuplicatesNothingAndIsWaitedForAfterA429() throws Exception {
    CallScript calls = CallScript.of("r2", CALLS, 11);
    List<String> keys = calls.expected().keySet().stream().map(calls::updateKeyOf).toList();
    // 400 answers: 120 5xx, 40 429, 20 timeouts, 8 422, and 212 200 (= 220 calls - 8 refused).
    Map<FaultPlan.Answer, Integer> counts =
        Map.of(SERVER_ERROR, 120, RATE_LIMITED, 40, TIMEOUT, 20, INVALID, 8);
    FaultPlan plan =
        FaultPlan.of(keys, counts, 2, RETRY_AFTER, REQUEST_TIMEOUT.multipliedBy(2), 2026);
    assertThat(plan.totals())
        .containsEntry(OK, 212)
        .containsEntry(SERVER_ERROR, 120)
        .containsEntry(RATE_LIMITED, 40)
        .containsEntry(TIMEOUT, 20)
        .containsEntry(INVALID, 8);

    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "r2", 3, Map.of())) {
      bluejay.plan(plan);
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");
      settings.put("delivery.request-timeout", REQUEST_TIMEOUT.toMillis() + "ms");
      // Two retryable faults and two look-ups (a simulated call after a timeout) at most: far
      // below; nothing runs out of attempts but by design.
      settings.put("delivery.max-attempts", "12");

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer = harness.producer()) {
        calls.produce(producer, harness.prefix());

        // Every call settles: taken by Bluejay (a receipt) or refused (a delivery DLQ record).
        int refused = plan.refused().size();
        harness.awaitRecords("receipts", CALLS - refused);
        harness.awaitRecords("delivery-dlq", refused);
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        // Then nothing more: a further request would be a duplicate.
        await()
            .during(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(10))
            .until(() -> app.dispatcher().inFlight() == 0 && app.dispatcher().outboxSize() == 0);
      }

      List<Exchange> exchanges = bluejay.exchanges();
      List<ConsumerRecord<String, String>> dlq = kafka.readAll(harness.topic("delivery-dlq"));
      List<ConsumerRecord<String, String>> receipts = kafka.readAll(harness.topic("receipts"));

      // The reconciliation, at the receiver, by call_id.
      Map<String, Integer> acceptedByCall = new TreeMap<>();
      List<String> problems = new ArrayList<>();
      for (Exchange exchange : exchanges) {
        if (exchange.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT && exchange.accepted()) {
          String callId = calls.callIdOf(exchange.key());
          acceptedByCall.merge(callId, 1, Integer::sum);
          problems.addAll(calls.checkBody(callId, exchange.json()));
        }
      }
      Set<String> produced = calls.expected().keySet();
      Set<String> delivered = acceptedByCall.keySet();
      Set<String> deadLettered = new HashSet<>();
      dlq.forEach(r -> deadLettered.add(r.key()));
      long duplicates = acceptedByCall.values().stream().filter(n -> n > 1).count();
      Set<String> lost = new HashSet<>(produced);
      lost.removeAll(delivered);
      lost.removeAll(deadLettered);
      Set<String> both = new HashSet<>(delivered);
      both.retainAll(deadLettered);
      Map<FaultPlan.Answer, Integer> answered = new EnumMap<>(FaultPlan.Answer.class);
      exchanges.stream()
          .filter(e -> e.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT)
          .forEach(e -> answered.merge(plan.kind(e.key(), e.attempt()), 1, Integer::sum));
      Set<String> disturbed = disturbed(calls, plan, exchanges, logs);
      Duration minWait = minWaitAfterRateLimit(plan, exchanges, calls, disturbed);
      System.out.println(
          "R2 figures: produced="
              + produced.size()
              + " delivered="
              + delivered.size()
              + " dead-lettered="
              + dlq.size()
              + " duplicates="
              + duplicates
              + " lost="
              + lost.size()
              + " receipts="
              + receipts.size()
              + " update_requests="
              + answered.values().stream().mapToInt(Integer::intValue).sum()
              + " answers="
              + answered
              + " lookups="
              + exchanges.stream()
                  .filter(e -> e.endpoint() == Endpoint.RETRIEVE_SIMULATION_RESULT)
                  .count()
              + " min_ms_after_429="
              + minWait.toMillis()
              + " disturbed_by_unplanned_client_timeouts="
              + disturbed.size());

      assertThat(problems).as("bodies Bluejay took").isEmpty();
      assertThat(lost).as("lost").isEmpty();
      assertThat(both).as("both delivered and dead-lettered").isEmpty();
      acceptedByCall.forEach(
          (callId, n) -> {
            if (n > 1) {
              assertThat(calls.expected().get(callId).simulationResultId())
                  .as("a simulated call taken twice: %s", callId)
                  .isNull();
              assertThat(disturbed)
                  .as("a production call taken twice with no client timeout to explain it")
                  .contains(callId);
            }
          });
      assertThat(disturbed.size())
          .as("calls disturbed by unplanned timeouts")
          .isLessThan(CALLS / 20);
      assertThat(delivered.size() + deadLettered.size()).isEqualTo(produced.size());
      assertThat(dlq).as("one DLQ record per refused call").hasSize(deadLettered.size());
      assertThat(receipts).hasSize(delivered.size());
      // The planned faults exactly; a disturbed call's extra attempts get its last answer again.
      for (FaultPlan.Answer kind : List.of(SERVER_ERROR, RATE_LIMITED, TIMEOUT)) {
        assertThat(answered.get(kind)).as("%s answers", kind).isEqualTo(plan.totals().get(kind));
      }
      if (disturbed.isEmpty()) {
        assertThat(answered)
            .as("the receiver's answers, exactly as planned")
            .containsExactlyInAnyOrderEntriesOf(plan.totals());
      }

      // Every 422 call in the delivery DLQ with Bluejay's detail.
      Set<String> refusedCalls = new HashSet<>();
      plan.refused().forEach(key -> refusedCalls.add(calls.callIdOf(key)));
      assertThat(deadLettered).isEqualTo(refusedCalls);
      for (ConsumerRecord<String, String> record : dlq) {
        JsonNode value = JSON.readTree(record.value());
        assertThat(KafkaTestCluster.reason(record)).isEqualTo("http-422");
        assertThat(value.get("status").asInt()).isEqualTo(422);
        // The parsed detail has loc's parts as text (ValidationDetail); the raw answer is kept too.
        assertThat(value.get("detail").get(0).get("loc"))
            .isEqualTo(
                JSON.valueToTree(FaultPlan.INVALID_LOC.stream().map(String::valueOf).toList()));
        assertThat(
                JSON.readTree(value.get("response_body").asText()).get("detail").get(0).get("loc"))
            .isEqualTo(JSON.valueToTree(FaultPlan.INVALID_LOC));
        assertThat(value.get("detail").get(0).get("msg").asText()).isEqualTo(FaultPlan.INVALID_MSG);
        assertThat(calls.checkBody(record.key(), value.get("request_body"))).isEmpty();
      }

      // No request for a call before the Retry-After of its 429 had passed.
      assertThat(minWait).isGreaterThanOrEqualTo(RETRY_AFTER);
      bluejay.assertAllRequestsValid();
      logs.assertNoneContains(API_KEY);
    }
  }

  /**
   * Calls whose client saw more timeouts (from the "will retry" log lines) than the plan held back
   * answers for them: an answer sent at once reached the client too late.
   */
  private static Set<String> disturbed(
      CallScript calls, FaultPlan plan, List<Exchange> exchanges, LogCapture logs) {
    Map<String, Integer> planned = new HashMap<>();
    exchanges.stream()
        .filter(e -> e.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT)
        .filter(e -> plan.kind(e.key(), e.attempt()) == TIMEOUT)
        .forEach(e -> planned.merge(calls.callIdOf(e.key()), 1, Integer::sum));
    Map<String, Integer> seen = new HashMap<>();
    java.util.regex.Pattern retry =
        java.util.regex.Pattern.compile("will retry call_id=(\\S+) attempt=\\d+ error=\"(.*)");
    for (String line : logs.lines()) {
      java.util.regex.Matcher m = retry.matcher(line);
      if (m.find() && m.group(2).contains("timed out")) {
        seen.merge(m.group(1), 1, Integer::sum);
      }
    }
    Set<String> disturbed = new HashSet<>();
    seen.forEach(
        (callId, n) -> {
          if (n > planned.getOrDefault(callId, 0)) {
            disturbed.add(callId);
          }
        });
    return disturbed;
  }

  /**
   * The shortest time, at the receiver, from a 429 to the next request of the same call (the next
   * update, or the look-up before it), over calls not disturbed; {@code Duration.ofDays(1)} if
   * there was no 429.
   */
  private static Duration minWaitAfterRateLimit(
      FaultPlan plan, List<Exchange> exchanges, CallScript calls, Set<String> disturbed) {
    Map<String, Long> rateLimitedAt = new HashMap<>();
    long min = Duration.ofDays(1).toNanos();
    int checked = 0;
    for (Exchange exchange : exchanges) { // in arrival order
      Long at = rateLimitedAt.remove(exchange.key());
      if (at != null) {
        checked++;
        if (!disturbed.contains(calls.callIdOf(exchange.key()))) {
          min = Math.min(min, exchange.receivedNanos() - at);
        }
      }
      if (exchange.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT
          && plan.kind(exchange.key(), exchange.attempt()) == RATE_LIMITED) {
        rateLimitedAt.put(exchange.key(), exchange.receivedNanos());
      }
    }
    assertThat(rateLimitedAt).as("a 429 with no request after it").isEmpty();
    assertThat(checked).isEqualTo(40);
    return Duration.ofNanos(min);
  }
}
