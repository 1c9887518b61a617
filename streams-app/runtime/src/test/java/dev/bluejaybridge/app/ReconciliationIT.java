package dev.bluejaybridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.CallScript;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: the application as {@code run} starts it ({@link BridgeApp}), on a real KRaft broker,
 * with 6-partition input topics and the Bluejay stand-in; every scenario ends in an exact
 * reconciliation: every call exactly one successful request with its records, nothing else.
 */
class ReconciliationIT {
  private static final int PARTITIONS = 6;
  private static KafkaTestCluster kafka;

  @TempDir Path dir;
  private BluejayStandIn bluejay;
  private String prefix;
  private String registryName;
  private SchemaRegistry registry;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = KafkaTestCluster.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    bluejay = new BluejayStandIn();
    prefix = "r" + UUID.randomUUID().toString().substring(0, 8);
    registryName = prefix;
    registry =
        SchemaRegistries.create("mock://" + registryName, Optional.empty(), Duration.ofSeconds(5));
    kafka.createTopics(
        Map.of(
            prefix + ".tool-calls",
            PARTITIONS,
            prefix + ".events",
            PARTITIONS,
            prefix + ".transcripts",
            PARTITIONS,
            prefix + ".input-dlq",
            1,
            prefix + ".delivery-dlq",
            1,
            prefix + ".receipts",
            1));
  }

  @AfterEach
  void tearDown() {
    try {
      bluejay.assertAllRequestsValid();
    } finally {
      bluejay.close();
      SchemaRegistries.dropMock(registryName);
    }
  }

  private BridgeConfig config(String stateDir, Map<String, String> overrides) {
    Map<String, String> settings = new HashMap<>();
    settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    settings.put("kafka.application.id", prefix + "-app");
    settings.put("kafka.state.dir", dir.resolve(stateDir).toString());
    settings.put("schema.registry.url", "mock://" + registryName);
    settings.put("topics.tool-calls", prefix + ".tool-calls");
    settings.put("topics.events", prefix + ".events");
    settings.put("topics.transcripts", prefix + ".transcripts");
    settings.put("topics.input-dlq", prefix + ".input-dlq");
    settings.put("topics.delivery-dlq", prefix + ".delivery-dlq");
    settings.put("topics.delivery-receipts", prefix + ".receipts");
    // Long enough for the three topics of a partition to be read in step (a record that comes after
    // its call closed is late, and a late production call is rightly sent again).
    settings.put("call.end-grace", "5s");
    // Calls here end with their end-of-call event; a short gap would close a call whose records are
    // spread over a slow stream, and make the rest late.
    settings.put("call.inactivity-gap", "60s");
    settings.put("delivery.rate-limit-per-minute", "100000");
    settings.put("bluejay.base-url", bluejay.baseUrl().toString());
    settings.put("bluejay.api-key", "bj-it-key-123");
    settings.put("admin.port", "0");
    settings.putAll(overrides);
    return ConfigLoader.parse(settings);
  }

  private BridgeApp start(String stateDir) {
    return start(stateDir, Map.of());
  }

  private BridgeApp start(String stateDir, Map<String, String> overrides) {
    BridgeApp app =
        BridgeApp.start(config(stateDir, overrides), new SimpleMeterRegistry(), Clock.systemUTC());
    await("Kafka Streams RUNNING")
        .atMost(Duration.ofSeconds(120))
        .until(() -> app.state() == KafkaStreams.State.RUNNING);
    return app;
  }

  private KafkaProducer<String, SpecificRecord> producer() {
    return new KafkaProducer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "5"),
        new StringSerializer(),
        new AvroSerializer<>(registry, true));
  }

  private long deliveries() {
    return bluejay.requests().stream().filter(r -> !r.method().equals("GET")).count();
  }

  private void awaitDeliveries(long count) {
    ProgressWait.forCount(count, "deliveries to Bluejay").until(this::deliveries);
    // Then nothing more may arrive: an extra request would be a duplicate.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(10))
        .until(() -> deliveries() == count);
  }

  private void assertExact(CallScript... scripts) {
    for (CallScript script : scripts) {
      List<BluejayStandIn.RecordedRequest> mine =
          bluejay.requests().stream()
              .filter(r -> belongsTo(script, r))
              .collect(Collectors.toList());
      assertThat(script.reconcile(mine)).as("reconciliation problems").isEmpty();
    }
  }

  private static boolean belongsTo(CallScript script, BluejayStandIn.RecordedRequest request) {
    if (request.path().startsWith("/v1/update-log/")) {
      String callId =
          java.net.URLDecoder.decode(
              request.path().substring("/v1/update-log/".length()), StandardCharsets.UTF_8);
      return script.expected().containsKey(callId);
    }
    if (request.path().equals("/v1/update-simulation-result")) {
      String id = request.json().get("simulation_result_id").asText();
      return script.expected().values().stream().anyMatch(e -> id.equals(e.simulationResultId()));
    }
    return false;
  }

  @Test
  void fiveHundredCallsOverSixPartitionsEachDeliveredExactlyOnceWhilePoisonIsDeadLettered()
      throws Exception {
    CallScript calls = CallScript.of("mixed", 500, 1);
    try (BridgeApp app = start("state");
        KafkaProducer<String, SpecificRecord> producer = producer();
        KafkaProducer<String, byte[]> raw =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      raw.send(
          new ProducerRecord<>(
              prefix + ".tool-calls", "poison-1", "not avro".getBytes(StandardCharsets.UTF_8)));
      raw.send(
          new ProducerRecord<>(prefix + ".events", "poison-2", new byte[] {0, 0, 0, 0x7f, 0x7f}));
      producer.send(
          new ProducerRecord<>(
              prefix + ".transcripts",
              "poison-3",
              dev.bluejaybridge.testkit.Telemetry.turn(
                      "someone-else", dev.bluejaybridge.telemetry.Speaker.USER, "hi", 0)
                  .build()));
      raw.flush();
      calls.produce(producer, prefix);

      awaitDeliveries(500);

      assertExact(calls);
      Map<String, String> reasons = new java.util.TreeMap<>();
      kafka
          .awaitRecords(prefix + ".input-dlq", 3)
          .forEach(r -> reasons.put(r.key(), KafkaTestCluster.reason(r)));
      assertThat(reasons)
          .containsEntry("poison-1", "bad-magic-byte")
          .containsEntry("poison-2", "unknown-schema-id")
          .containsEntry("poison-3", "key-mismatch");
    }
  }

  @Test
  void callOnAPartitionThatThenFallsSilentClosesWithinTheInactivityGapPlusOneSecond()
      throws Exception {
    try (BridgeApp app = start("state", Map.of("call.inactivity-gap", "2s"));
        KafkaProducer<String, SpecificRecord> producer = producer()) {
      long sent = System.nanoTime();
      producer
          .send(
              new ProducerRecord<>(
                  prefix + ".tool-calls",
                  "quiet-1",
                  dev.bluejaybridge.testkit.Telemetry.toolCall("quiet-1", "lookup_order", 0)
                      .build()))
          .get();

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> !bluejay.requestsTo("/v1/update-log/quiet-1").isEmpty());
      long elapsedMs = Duration.ofNanos(System.nanoTime() - sent).toMillis();

      assertThat(elapsedMs)
          .as("ms from the record to its request; inactivity gap 2 s")
          .isLessThanOrEqualTo(3_000);
    }
  }

  /**
   * Issue 14: a staged simulated-call POST asks for no commit of its own; the stream thread's
   * regular commit ({@code kafka.commit.interval.ms}) carries the in-flight marks of every POST
   * staged meanwhile. Before, each staging asked for a commit: in P1 ~1 260 commits in 55 s blocked
   * the stream thread ~35 % of its time. Here 40 simulated calls close one by one, four a second,
   * with a 2-s commit interval: their POSTs may take about one commit per interval, not one each.
   */
  @Test
  void simulatedCallsClosingOneByOneShareTheRegularCommitsInsteadOfAskingOneEach()
      throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Map<String, String> settings =
        Map.of("kafka.commit.interval.ms", "2000", "call.inactivity-gap", "1s");
    try (BridgeApp app = BridgeApp.start(config("commits", settings), meters, Clock.systemUTC());
        KafkaProducer<String, SpecificRecord> producer = producer()) {
      await("Kafka Streams RUNNING")
          .atMost(Duration.ofSeconds(120))
          .until(() -> app.state() == KafkaStreams.State.RUNNING);
      double before = commits(meters);
      long started = System.nanoTime();
      for (int i = 0; i < 40; i++) {
        String callId = "sim-commit-" + i;
        producer.send(
            new ProducerRecord<>(
                prefix + ".tool-calls",
                callId,
                dev.bluejaybridge.testkit.Telemetry.toolCall(callId, "lookup_order", 0)
                    .setOccurredAt(java.time.Instant.now())
                    .setSimulationResultId(String.valueOf(7_000 + i))
                    .build()));
        producer.flush();
        Thread.sleep(250); // the scenario: calls that close one by one, four a second
      }
      ProgressWait.forCount(40, "simulation POSTs")
          .until(() -> bluejay.requestsTo(BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT).size());
      double seconds = (System.nanoTime() - started) / 1e9;
      double used = commits(meters) - before;
      assertThat(used)
          .as("commits in %.1f s with a 2-s interval, for 40 POSTs", seconds)
          .isLessThanOrEqualTo(seconds / 2 + 4)
          .as("the thread's commits are counted at all")
          .isGreaterThanOrEqualTo(2);
      assertThat(bluejay.requestsTo(BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT)).hasSize(40);
    }
  }

  private static double commits(io.micrometer.core.instrument.MeterRegistry meters) {
    return meters.find("kafka.stream.thread.commit.total").functionCounters().stream()
        .mapToDouble(io.micrometer.core.instrument.FunctionCounter::count)
        .sum();
  }

  @Test
  void restartMidStreamOnTheSameStateDirStaysExact() throws Exception {
    restartMidStream("state", "state");
  }

  @Test
  void restartOnAWipedStateDirRestoresFromTheChangelogAndStaysExact() throws Exception {
    restartMidStream("state-before", "state-after");
  }

  private void restartMidStream(String before, String after) throws Exception {
    CallScript first = CallScript.of("first", 250, 2);
    CallScript second = CallScript.of("second", 250, 3);
    List<CallScript.Planned> secondRecords = second.records();
    int half = secondRecords.size() / 2;
    // Calls open across the restart do not close for inactivity while no instance runs (gap 60 s).
    try (KafkaProducer<String, SpecificRecord> producer = producer()) {
      try (BridgeApp app = start(before)) {
        first.produce(producer, prefix);
        // Half of the second batch's records (no end events yet: those come last) before the
        // restart.
        CallScript.produce(producer, prefix, secondRecords.subList(0, half));
        ProgressWait.forCount(100, "deliveries to Bluejay").until(this::deliveries);
      }
      try (BridgeApp app = start(after)) {
        CallScript.produce(producer, prefix, secondRecords.subList(half, secondRecords.size()));
        awaitDeliveries(500);
      }
    }
    assertExact(first, second);
  }

  @Test
  void twoInstancesSplitThePartitionsShareTheQuotaAndOneTakesOverWhenTheOtherLeaves()
      throws Exception {
    Map<String, String> quota = Map.of("delivery.rate-limit-per-minute", "60000");
    CallScript calls = CallScript.of("pair", 500, 4);
    CallScript takeover = CallScript.of("takeover", 100, 5);
    List<CallScript.Planned> takeoverRecords = takeover.records();
    int beforeEnds = takeoverRecords.size() - takeover.expected().size();
    try (KafkaProducer<String, SpecificRecord> producer = producer();
        BridgeApp a = start("state-a", quota)) {
      BridgeApp b = start("state-b", quota);
      try {
        await("the quota split between the two instances")
            .atMost(Duration.ofSeconds(120))
            .until(
                () ->
                    a.dispatcher().rate().perMinute() > 0
                        && b.dispatcher().rate().perMinute() > 0
                        && a.dispatcher().rate().perMinute() + b.dispatcher().rate().perMinute()
                            == 60_000.0);

        calls.produce(producer, prefix);
        awaitDeliveries(500);
        assertExact(calls);

        // Calls in progress on both instances' partitions when b leaves: a finishes them.
        CallScript.produce(producer, prefix, takeoverRecords.subList(0, beforeEnds));
      } finally {
        b.close();
      }
      await("the whole quota back on the instance that stayed")
          .atMost(Duration.ofSeconds(120))
          .until(() -> a.dispatcher().rate().perMinute() == 60_000.0);
      CallScript.produce(
          producer, prefix, takeoverRecords.subList(beforeEnds, takeoverRecords.size()));
      awaitDeliveries(600);
    }
    assertExact(calls, takeover);
  }
}
