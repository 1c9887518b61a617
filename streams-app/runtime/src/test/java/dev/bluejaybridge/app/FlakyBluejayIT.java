package dev.bluejaybridge.app;

import static dev.bluejaybridge.testkit.FaultPlan.Answer.APPLIED_THEN_5XX;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.APPLIED_THEN_RESET;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.APPLIED_THEN_TIMEOUT;
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
import dev.bluejaybridge.testkit.BluejayStandIn.Applied;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, R2 (flaky API), made strict by issue 13 ("Tests that must become stricter", and item 3:
 * simulated calls are POSTed once): the whole application on a real broker delivering 220 calls
 * (one in four simulated) to a Bluejay that answers, per a seeded {@link FaultPlan} (at most two
 * faults per call, so no call runs out of attempts): 120 5xx, 40 429 with {@code Retry-After: 1},
 * 20 timeouts (held past the 1 s request timeout, then 503: never taken), 8 422, and 36 answers
 * given <em>after Bluejay applied the request</em> (16 5xx, 10 held past the timeout, 10 reset
 * connections), the rest 200. After an applied fault a production call is PUT again (a PUT
 * replaces); a simulated call must be found applied by {@code GET
 * /v1/retrieve-simulation-result/{id}} and never POSTed again.
 *
 * <p>Then it reconciles what Bluejay <em>holds</em> (the requests the stand-in applied) with what
 * the bridge thinks (receipts and delivery DLQ), and FAILS (listing every problem) on: a call lost
 * (neither held nor dead-lettered), held and dead-lettered, receipted but not held or held without
 * a receipt; a simulation result applied twice; any applied body that is not the expected whole
 * call (compared by content with {@link CallScript}), or two different bodies applied for one call
 * (a split or an overwrite); more update requests for a call than its script answers, or more PUTs
 * applied for a production call than one plus its applied faults (the bound on re-sends), each plus
 * the call's unplanned client timeouts; any fault kind answered other than exactly as planned; a
 * request sooner after a 429 than its Retry-After said (measured at the receiver); a 422 call not
 * in the delivery DLQ with its {@code detail}; the API key in a log line.
 *
 * <p>The request timeout is 1 s rather than 300 ms: on a loaded two-core machine a 200 answered at
 * once sometimes reached the client after 300 ms, which the client rightly treats as a timeout
 * (outcome unknown: a PUT is sent again, a POST looked up first). Such unplanned client timeouts
 * are counted from the log per call ("disturbed" calls) and widen only that call's bounds, by one
 * request per unplanned timeout; they may be fewer than {@code CALLS / 20}.
 */
class FlakyBluejayIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API_KEY = "bj-r2-key-7c3d9e21";
  private static final int CALLS = 220;
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
  private static final long SEED = 2026;
  private static final Map<FaultPlan.Answer, Integer> COUNTS =
      Map.of(
          SERVER_ERROR, 120,
          RATE_LIMITED, 40,
          TIMEOUT, 20,
          INVALID, 8,
          APPLIED_THEN_5XX, 16,
          APPLIED_THEN_TIMEOUT, 10,
          APPLIED_THEN_RESET, 10);
  private static final List<FaultPlan.Answer> FAULTS =
      List.of(
          SERVER_ERROR,
          RATE_LIMITED,
          TIMEOUT,
          APPLIED_THEN_5XX,
          APPLIED_THEN_TIMEOUT,
          APPLIED_THEN_RESET);
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
  void flakyBluejayHoldsEveryCallOnceAndWholeAndIsWaitedForAfterA429() throws Exception {
    CallScript calls = CallScript.of("r2", CALLS, 11);
    List<String> keys = calls.expected().keySet().stream().map(calls::updateKeyOf).toList();
    Predicate<String> simulated =
        key -> calls.expected().get(calls.callIdOf(key)).simulationResultId() != null;
    FaultPlan plan =
        FaultPlan.of(keys, COUNTS, 2, RETRY_AFTER, REQUEST_TIMEOUT.multipliedBy(2), SEED);
    assertThat(plan.totals())
        .containsEntry(OK, CALLS - 8)
        .containsEntry(INVALID, 8)
        .containsEntry(SERVER_ERROR, 120)
        .containsEntry(APPLIED_THEN_5XX, 16);
    // Every applied fault also hits simulated calls: what must never be POSTed twice.
    for (FaultPlan.Answer kind :
        List.of(APPLIED_THEN_5XX, APPLIED_THEN_TIMEOUT, APPLIED_THEN_RESET)) {
      assertThat(
              plan.appliedFaultKeys().stream()
                  .filter(simulated)
                  .filter(key -> plan.script(key).contains(kind))
                  .count())
          .as("simulated calls answered %s", kind)
          .isGreaterThanOrEqualTo(2);
    }
    Map<FaultPlan.Answer, Integer> planned = plan.totals(simulated);
    Map<FaultPlan.Answer, Integer> appliedFaultsOnSimulated = new EnumMap<>(FaultPlan.Answer.class);
    plan.appliedFaultKeys().stream()
        .filter(simulated)
        .flatMap(key -> plan.script(key).stream().filter(FaultPlan.Answer::applied))
        .forEach(kind -> appliedFaultsOnSimulated.merge(kind, 1, Integer::sum));

    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "r2", 3, Map.of())) {
      bluejay.plan(plan);
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");
      settings.put("delivery.request-timeout", REQUEST_TIMEOUT.toMillis() + "ms");
      // Two faults and two look-ups (a simulated call after a timeout) at most: far below;
      // nothing runs out of attempts but by design.
      settings.put("delivery.max-attempts", "12");

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer = harness.producer()) {
        calls.produce(producer, harness.prefix());

        // Every call settles, whichever way: a receipt or a delivery DLQ record.
        kafka.awaitRecords(
            List.of(harness.topic("receipts"), harness.topic("delivery-dlq")), CALLS);
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        // Then nothing more: a further request would be a re-send.
        await()
            .during(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(10))
            .until(() -> app.dispatcher().inFlight() == 0 && app.dispatcher().outboxSize() == 0);
      }

      List<Exchange> exchanges = bluejay.exchanges();
      List<Applied> applied = bluejay.applied();
      List<ConsumerRecord<String, String>> dlq = kafka.readAll(harness.topic("delivery-dlq"));
      List<ConsumerRecord<String, String>> receipts = kafka.readAll(harness.topic("receipts"));
      Map<String, Integer> unplannedTimeouts = unplannedTimeouts(calls, plan, exchanges, logs);
      List<String> failures = new ArrayList<>();

      // What Bluejay holds, by call.
      Map<String, List<Applied>> heldByCall = new TreeMap<>();
      for (Applied update : applied) {
        heldByCall
            .computeIfAbsent(calls.callIdOf(update.key()), id -> new ArrayList<>())
            .add(update);
      }
      Set<String> produced = calls.expected().keySet();
      Set<String> held = heldByCall.keySet();
      Set<String> receipted = new TreeSet<>();
      receipts.forEach(r -> receipted.add(r.key()));
      Set<String> deadLettered = new TreeSet<>();
      dlq.forEach(r -> deadLettered.add(r.key()));
      Set<String> refused = new TreeSet<>();
      plan.refused().forEach(key -> refused.add(calls.callIdOf(key)));

      // The bridge's account against Bluejay's.
      failures.addAll(
          problems(
              "lost (neither held by Bluejay nor dead-lettered)",
              minus(minus(produced, held), deadLettered)));
      failures.addAll(
          problems("held by Bluejay and dead-lettered", intersection(held, deadLettered)));
      failures.addAll(problems("receipted, but Bluejay holds nothing", minus(receipted, held)));
      failures.addAll(
          problems(
              "held by Bluejay without a receipt", minus(minus(held, receipted), deadLettered)));
      failures.addAll(problems("dead-lettered though not refused", minus(deadLettered, refused)));
      failures.addAll(problems("refused but not dead-lettered", minus(refused, deadLettered)));
      if (receipts.size() != receipted.size()) {
        failures.add(
            (receipts.size() - receipted.size()) + " receipt(s) more than calls receipted");
      }
      if (dlq.size() != deadLettered.size()) {
        failures.add((dlq.size() - deadLettered.size()) + " dead letter(s) more than calls");
      }

      // Once and whole: per call, by content.
      int maxAppliedPuts = 0;
      for (Map.Entry<String, List<Applied>> entry : heldByCall.entrySet()) {
        String callId = entry.getKey();
        List<Applied> updates = entry.getValue();
        String key = calls.updateKeyOf(callId);
        int extra = unplannedTimeouts.getOrDefault(callId, 0);
        if (simulated.test(key)) {
          if (updates.size() > 1) {
            failures.add(
                "simulation result "
                    + key
                    + " (call "
                    + callId
                    + ") applied "
                    + updates.size()
                    + " times: Bluejay appends, its tool calls are doubled");
          }
        } else {
          maxAppliedPuts = Math.max(maxAppliedPuts, updates.size());
          int bound = 1 + (int) plan.script(key).stream().filter(FaultPlan.Answer::applied).count();
          if (updates.size() > bound + extra) {
            failures.add(
                "call "
                    + callId
                    + ": Bluejay applied "
                    + updates.size()
                    + " PUTs, over the bound "
                    + (bound + extra)
                    + " (1 + its applied faults + "
                    + extra
                    + " unplanned client timeouts)");
          }
        }
        Set<JsonNode> distinct = new LinkedHashSet<>();
        for (int i = 0; i < updates.size(); i++) {
          JsonNode body = updates.get(i).json();
          distinct.add(body);
          List<String> wrong = calls.checkBody(callId, body);
          if (!wrong.isEmpty()) {
            failures.add(
                "call "
                    + callId
                    + ": applied body "
                    + (i + 1)
                    + " of "
                    + updates.size()
                    + " is not the whole call: "
                    + wrong);
          }
        }
        if (distinct.size() > 1) {
          failures.add(
              "call "
                  + callId
                  + " split or overwritten: Bluejay applied "
                  + distinct.size()
                  + " different bodies");
        }
        if (!simulated.test(key)) {
          // What Bluejay holds last for a production call: the last PUT.
          JsonNode last = bluejay.heldCallLog(callId).orElseThrow();
          List<String> wrong = calls.checkBody(callId, last);
          if (!wrong.isEmpty()) {
            failures.add(
                "call " + callId + ": Bluejay holds a body that is not the whole call: " + wrong);
          }
        }
      }

      // No more requests than the script answers (a simulated call's ends at its applied fault).
      Map<String, Integer> requestsByKey = new HashMap<>();
      Map<FaultPlan.Answer, Integer> answered = new EnumMap<>(FaultPlan.Answer.class);
      for (Exchange exchange : exchanges) {
        if (exchange.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT) {
          requestsByKey.merge(exchange.key(), 1, Integer::sum);
          answered.merge(plan.kind(exchange.key(), exchange.attempt()), 1, Integer::sum);
        }
      }
      requestsByKey.forEach(
          (key, requests) -> {
            int bound = scriptLength(plan, key, simulated.test(key));
            int extra = unplannedTimeouts.getOrDefault(calls.callIdOf(key), 0);
            if (requests > bound + extra) {
              failures.add(
                  calls.callIdOf(key)
                      + ": "
                      + requests
                      + " update requests, over the bound "
                      + (bound + extra)
                      + " (its script's "
                      + bound
                      + " answers + "
                      + extra
                      + " unplanned client timeouts)");
            }
          });
      for (FaultPlan.Answer kind : FAULTS) {
        if (!answered.getOrDefault(kind, 0).equals(planned.getOrDefault(kind, 0))) {
          failures.add(
              kind
                  + " answers: "
                  + answered.getOrDefault(kind, 0)
                  + ", planned "
                  + planned.getOrDefault(kind, 0));
        }
      }
      if (unplannedTimeouts.isEmpty() && !answered.equals(planned)) {
        failures.add("the receiver's answers " + answered + ", planned exactly " + planned);
      }
      if (unplannedTimeouts.size() >= CALLS / 20) {
        failures.add(unplannedTimeouts.size() + " calls disturbed by unplanned client timeouts");
      }
      Duration minWait = minWaitAfterRateLimit(plan, exchanges, calls, unplannedTimeouts, failures);
      if (minWait.compareTo(RETRY_AFTER) < 0) {
        failures.add("a request " + minWait.toMillis() + " ms after a 429 with Retry-After: 1");
      }

      System.out.println(
          "R2 figures: produced="
              + produced.size()
              + " held="
              + held.size()
              + " receipts="
              + receipts.size()
              + " dead-lettered="
              + dlq.size()
              + " applied_updates="
              + applied.size()
              + " max_puts_applied_per_production_call="
              + maxAppliedPuts
              + " update_requests="
              + answered.values().stream().mapToInt(Integer::intValue).sum()
              + " answers="
              + answered
              + " planned="
              + planned
              + " applied_faults_on_simulated_calls="
              + appliedFaultsOnSimulated
              + " lookups="
              + exchanges.stream()
                  .filter(e -> e.endpoint() == Endpoint.RETRIEVE_SIMULATION_RESULT)
                  .count()
              + " min_ms_after_429="
              + minWait.toMillis()
              + " disturbed_by_unplanned_client_timeouts="
              + unplannedTimeouts.size()
              + " problems="
              + failures.size());
      assertThat(failures).as("R2: what Bluejay holds against what was produced").isEmpty();

      // Every 422 call in the delivery DLQ with Bluejay's detail.
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
      bluejay.assertAllRequestsValid();
      logs.assertNoneContains(API_KEY);
    }
  }

  /**
   * The answers of {@code key}'s script the receiver gives: a simulated call's end at its applied
   * fault.
   */
  private static int scriptLength(FaultPlan plan, String key, boolean simulated) {
    List<FaultPlan.Answer> script = plan.script(key);
    if (simulated) {
      for (int i = 0; i < script.size(); i++) {
        if (script.get(i).applied()) {
          return i + 1;
        }
      }
    }
    return script.size();
  }

  /**
   * Per call, how many more timeouts its client saw (from the "will retry" log lines) than the plan
   * held answers back for it: an answer sent at once reached the client too late. Only calls with
   * at least one.
   */
  private static Map<String, Integer> unplannedTimeouts(
      CallScript calls, FaultPlan plan, List<Exchange> exchanges, LogCapture logs) {
    Map<String, Integer> planned = new HashMap<>();
    exchanges.stream()
        .filter(e -> e.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT)
        .filter(e -> plan.kind(e.key(), e.attempt()).held())
        .forEach(e -> planned.merge(calls.callIdOf(e.key()), 1, Integer::sum));
    Map<String, Integer> seen = new HashMap<>();
    Pattern retry = Pattern.compile("will retry call_id=(\\S+) attempt=\\d+ error=\"(.*)");
    for (String line : logs.lines()) {
      Matcher m = retry.matcher(line);
      if (m.find() && m.group(2).contains("timed out")) {
        seen.merge(m.group(1), 1, Integer::sum);
      }
    }
    Map<String, Integer> unplanned = new TreeMap<>();
    seen.forEach(
        (callId, n) -> {
          if (n > planned.getOrDefault(callId, 0)) {
            unplanned.put(callId, n - planned.getOrDefault(callId, 0));
          }
        });
    return unplanned;
  }

  /**
   * The shortest time, at the receiver, from a 429 to the next request of the same call (the next
   * update, or the look-up before it), over calls not disturbed; {@code Duration.ofDays(1)} if
   * there was no 429. A 429 with no request after it, or fewer 429s than planned, is a failure.
   */
  private static Duration minWaitAfterRateLimit(
      FaultPlan plan,
      List<Exchange> exchanges,
      CallScript calls,
      Map<String, Integer> disturbed,
      List<String> failures) {
    Map<String, Long> rateLimitedAt = new HashMap<>();
    long min = Duration.ofDays(1).toNanos();
    int checked = 0;
    for (Exchange exchange : exchanges) { // in arrival order
      Long at = rateLimitedAt.remove(exchange.key());
      if (at != null) {
        checked++;
        if (!disturbed.containsKey(calls.callIdOf(exchange.key()))) {
          min = Math.min(min, exchange.receivedNanos() - at);
        }
      }
      if (exchange.endpoint() != Endpoint.RETRIEVE_SIMULATION_RESULT
          && plan.kind(exchange.key(), exchange.attempt()) == RATE_LIMITED) {
        rateLimitedAt.put(exchange.key(), exchange.receivedNanos());
      }
    }
    if (!rateLimitedAt.isEmpty()) {
      failures.add("a 429 with no request after it: " + rateLimitedAt.keySet());
    }
    if (checked != COUNTS.get(RATE_LIMITED)) {
      failures.add(checked + " requests after a 429, planned " + COUNTS.get(RATE_LIMITED));
    }
    return Duration.ofNanos(min);
  }

  private static List<String> problems(String what, Set<String> callIds) {
    return callIds.isEmpty() ? List.of() : List.of(callIds.size() + " " + what + ": " + callIds);
  }

  private static Set<String> minus(Set<String> a, Set<String> b) {
    Set<String> result = new TreeSet<>(a);
    result.removeAll(b);
    return result;
  }

  private static Set<String> intersection(Set<String> a, Set<String> b) {
    Set<String> result = new HashSet<>(a);
    result.retainAll(b);
    return new TreeSet<>(result);
  }
}
