package dev.bluejaybridge.app;

import static dev.bluejaybridge.testkit.Telemetry.event;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.serde.WireFormat;
import dev.bluejaybridge.support.BridgeHarness;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.CallScript;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.LogCapture;
import dev.bluejaybridge.testkit.ProgressWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, R3 (poison): thirteen kinds of bad input interleaved with good calls on a real broker,
 * through the whole application. Every poison record reaches the input DLQ with its {@code
 * bridge.error.reason}, Kafka Streams stays RUNNING (no stream thread is replaced), and every good
 * call, including those a poison record was keyed to, is delivered exactly once with exactly its
 * good records.
 */
class PoisonInputIT {
  private static final String API_KEY = "bj-r3-key-5e1f0a9c";
  private static final int GOOD_CALLS = 24;
  private static final int MAX_RECORDS = 20;
  private static final int OVER_LIMIT = 5;
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

  /** One poison record: where it goes, its key and value, and the reason it must get. */
  private record Poison(String topic, String key, byte[] value, String reason) {}

  @Test
  void everyKindOfPoisonIsDeadLetteredWithItsReasonWhileTheCallsAroundItAreDelivered()
      throws Exception {
    // The input topics (and the DLQ) take the 2 MiB record; the app refuses it as poison.
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness =
            BridgeHarness.create(
                kafka, dir, "r3", 3, Map.of("max.message.bytes", String.valueOf(4 << 20)))) {
      CallScript good = CallScript.of("r3", GOOD_CALLS, 7);
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");
      settings.put("call.max-records", String.valueOf(MAX_RECORDS));
      List<String> stateChanges = new java.util.concurrent.CopyOnWriteArrayList<>();

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer = harness.producer();
          KafkaProducer<String, byte[]> raw = harness.rawProducer()) {
        List<Poison> poison = poison(harness);
        List<CallScript.Planned> records = good.records();
        int half = records.size() / 2;
        CallScript.produce(producer, harness.prefix(), records.subList(0, half));
        for (Poison p : poison) {
          raw.send(new ProducerRecord<>(p.topic(), p.key(), p.value()));
        }
        raw.flush();
        // A call with more records than call.max-records, all on one partition of one topic (so
        // in this order): its end-of-call event is the last one kept, the records after it
        // (within the end grace) are poison, and the call is delivered cut short.
        for (int i = 0; i < MAX_RECORDS - 1; i++) {
          producer.send(
              new ProducerRecord<>(
                  harness.topic("events"),
                  "r3-big",
                  event("r3-big", "step_" + i, 100L * i).build()));
        }
        producer.send(
            new ProducerRecord<>(
                harness.topic("events"),
                "r3-big",
                dev.bluejaybridge.testkit.Telemetry.endOfCall("r3-big", 100_000).build()));
        for (int i = 0; i < OVER_LIMIT; i++) {
          producer.send(
              new ProducerRecord<>(
                  harness.topic("events"),
                  "r3-big",
                  event("r3-big", "extra_" + i, 100_001L + i).build()));
        }
        CallScript.produce(producer, harness.prefix(), records.subList(half, records.size()));

        int expectedDlq = poison.size() + OVER_LIMIT;
        harness.awaitRecords("input-dlq", expectedDlq);
        ProgressWait.forCount(GOOD_CALLS + 1, "requests to Bluejay")
            .until(() -> bluejay.requests().size());
        await()
            .during(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(10))
            .until(() -> bluejay.requests().size() == GOOD_CALLS + 1);

        // 0 crashes: still RUNNING, no stream thread failed and was replaced.
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(logs.containing("stream thread failed")).isEmpty();

        List<ConsumerRecord<String, String>> dlq = kafka.readAll(harness.topic("input-dlq"));
        Map<String, Long> byReason =
            dlq.stream()
                .collect(
                    Collectors.groupingBy(
                        KafkaTestCluster::reason, TreeMap::new, Collectors.counting()));
        System.out.println(
            "R3 figures: good_calls="
                + GOOD_CALLS
                + " delivered="
                + (bluejay.requests().size() - 1)
                + " poison_kinds="
                + (poison.size() + 1)
                + " poison_records="
                + expectedDlq
                + " input_dlq="
                + dlq.size()
                + " by_reason="
                + byReason
                + " streams_state="
                + app.state());

        // Every poison record is there, once, with its reason, under its own key.
        List<String> got = new ArrayList<>();
        dlq.forEach(r -> got.add(KafkaTestCluster.reason(r) + " key=" + r.key()));
        List<String> want = new ArrayList<>();
        poison.forEach(p -> want.add(p.reason() + " key=" + p.key()));
        for (int i = 0; i < OVER_LIMIT; i++) {
          want.add("call-too-large key=r3-big");
        }
        assertThat(got).containsExactlyInAnyOrderElementsOf(want);
        assertThat(byReason.keySet()).hasSizeGreaterThanOrEqualTo(12);
        assertThat(dlq)
            .allSatisfy(
                r -> {
                  assertThat(r.headers().lastHeader("__streams.errors.topic")).isNotNull();
                  assertThat(r.headers().lastHeader("__streams.errors.exception")).isNotNull();
                });
        ConsumerRecord<String, String> large =
            dlq.stream()
                .filter(r -> "record-too-large".equals(KafkaTestCluster.reason(r)))
                .findFirst()
                .orElseThrow();
        assertThat(large.serializedValueSize())
            .as("the raw 2 MiB value is kept in the DLQ record")
            .isGreaterThan(2 << 20);

        // The good calls, and the big one cut short, each delivered exactly once.
        List<BluejayStandIn.RecordedRequest> goodRequests =
            bluejay.requests().stream()
                .filter(r -> !r.path().equals("/v1/update-log/r3-big"))
                .toList();
        assertThat(good.reconcile(goodRequests)).as("reconciliation problems").isEmpty();
        List<BluejayStandIn.RecordedRequest> big = bluejay.requestsTo("/v1/update-log/r3-big");
        assertThat(big).hasSize(1);
        assertThat(big.get(0).json().get("events")).hasSize(MAX_RECORDS);
        assertThat(big.get(0).json().get("metadata").get("bridge_truncated").asBoolean())
            .as("metadata says the call was cut short")
            .isTrue();
        bluejay.assertAllRequestsValid();
      }
      logs.assertNoneContains(API_KEY);
    }
  }

  /**
   * Issue 13 items 6 and 7 (R12, hostile inputs), on a broker whose topics keep Kafka 4's default
   * {@code message.timestamp.after.max.ms} (1 h): an occurred_at three days ahead, one ten days
   * behind the stream, an Avro value declaring 2^31 nulls in a field only its writer has, and JSON
   * nested a thousand levels deep, each keyed to a good call. Each reaches the input DLQ with its
   * reason (the first never makes a write the broker refuses, as it did when changelog records
   * carried occurred_at: the stream thread was replaced, read the record again, for ever), Kafka
   * Streams stays RUNNING with no stream thread replaced, and every good call is delivered exactly.
   */
  @Test
  void hostileTimestampsAvroBombsAndDeepJsonAreDeadLetteredWhileTheAppKeepsRunning()
      throws Exception {
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "r12", 3, Map.of())) {
      CallScript good = CallScript.of("r12", 12, 13);
      List<String> callIds = new ArrayList<>(good.expected().keySet());
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer = harness.producer();
          KafkaProducer<String, byte[]> raw = harness.rawProducer()) {
        List<CallScript.Planned> records = good.records();
        CallScript.produce(producer, harness.prefix(), records);
        String toolCalls = harness.topic("tool-calls");
        // After the good records of its call on the same partition of the same topic, so that
        // the task's stream time already stands at T0 when it comes.
        String aheadKey = callIds.get(1);
        String behindKey = callIds.get(2);
        producer.send(
            new ProducerRecord<>(
                toolCalls,
                aheadKey,
                toolCall(aheadKey, "three days ahead", 10)
                    .setOccurredAt(java.time.Instant.now().plus(Duration.ofDays(3)))
                    .build()));
        producer.send(
            new ProducerRecord<>(
                toolCalls,
                behindKey,
                toolCall(behindKey, "ten days behind", 10)
                    .setOccurredAt(
                        dev.bluejaybridge.testkit.Telemetry.T0.minus(Duration.ofDays(10)))
                    .build()));
        String deepKey = callIds.get(3);
        producer.send(
            new ProducerRecord<>(
                toolCalls,
                deepKey,
                toolCall(deepKey, "deep", 10)
                    .setParametersJson("{\"a\":".repeat(1000) + "1" + "}".repeat(1000))
                    .build()));
        producer.flush();
        String bombKey = callIds.get(4);
        raw.send(new ProducerRecord<>(toolCalls, bombKey, avroBomb(harness, bombKey)));
        raw.flush();

        List<ConsumerRecord<String, String>> dlq = harness.awaitRecords("input-dlq", 4);
        ProgressWait.forCount(good.expected().size(), "requests to Bluejay")
            .until(() -> bluejay.requests().size());
        await()
            .during(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(10))
            .until(() -> bluejay.requests().size() == good.expected().size());

        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(logs.containing("stream thread failed")).isEmpty();
        assertThat(dlq)
            .extracting(r -> KafkaTestCluster.reason(r) + " key=" + r.key())
            .containsExactlyInAnyOrder(
                "bad-timestamp key=" + aheadKey,
                "bad-timestamp key=" + behindKey,
                "decode-limit key=" + deepKey,
                "decode-limit key=" + bombKey);
        long now = System.currentTimeMillis();
        assertThat(dlq)
            .as("dead letters carry the moment they were written")
            .allSatisfy(r -> assertThat(r.timestamp()).isBetween(now - 600_000, now + 1_000));
        assertThat(good.reconcile(bluejay.requests())).as("reconciliation problems").isEmpty();
        bluejay.assertAllRequestsValid();
      }
    }
  }

  /**
   * Issue 13 items 6 and 10: the input DLQ topic takes smaller records than the input topics. The
   * dead letter of a 200 KB poison value is refused by the broker; the task fails once (the
   * transaction is lost, nothing is skipped), the stream thread is replaced after a backoff, and
   * when the record is read again its dead letter is written without the value, which a header
   * names. No endless loop of replaced threads, and the good calls around it are delivered.
   */
  @Test
  void deadLetterTooLargeForTheDlqTopicIsWrittenWithoutItsValueAfterOneRetry() throws Exception {
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness =
            BridgeHarness.create(
                kafka, dir, "r12b", 3, Map.of("max.message.bytes", String.valueOf(1 << 20)))) {
      try (org.apache.kafka.clients.admin.Admin admin =
          org.apache.kafka.clients.admin.Admin.create(
              Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
        org.apache.kafka.common.config.ConfigResource dlqTopic =
            new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC,
                harness.topic("input-dlq"));
        admin
            .incrementalAlterConfigs(
                Map.of(
                    dlqTopic,
                    List.of(
                        new org.apache.kafka.clients.admin.AlterConfigOp(
                            new org.apache.kafka.clients.admin.ConfigEntry(
                                "max.message.bytes", String.valueOf(64 << 10)),
                            org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
            .all()
            .get();
      }
      CallScript good = CallScript.of("r12b", 8, 17);
      int junkBytes = 200_000;
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer = harness.producer();
          KafkaProducer<String, byte[]> raw = harness.rawProducer()) {
        List<CallScript.Planned> records = good.records();
        int half = records.size() / 2;
        CallScript.produce(producer, harness.prefix(), records.subList(0, half));
        byte[] junk = new byte[junkBytes];
        Arrays.fill(junk, (byte) 'x');
        raw.send(new ProducerRecord<>(harness.topic("events"), "r12b-junk", junk));
        raw.flush();
        CallScript.produce(producer, harness.prefix(), records.subList(half, records.size()));

        List<ConsumerRecord<String, String>> dlq = harness.awaitRecords("input-dlq", 1);
        ProgressWait.forCount(good.expected().size(), "requests to Bluejay")
            .until(() -> bluejay.requests().size());
        await("Kafka Streams RUNNING again")
            .atMost(Duration.ofSeconds(60))
            .until(() -> app.state() == KafkaStreams.State.RUNNING);

        assertThat(dlq)
            .singleElement()
            .satisfies(
                r -> {
                  assertThat(r.key()).isEqualTo("r12b-junk");
                  assertThat(r.value()).as("the value is dropped").isNull();
                  assertThat(KafkaTestCluster.reason(r)).isEqualTo("bad-magic-byte");
                  assertThat(
                          new String(
                              r.headers().lastHeader("bridge.error.value-dropped-bytes").value(),
                              StandardCharsets.UTF_8))
                      .isEqualTo(String.valueOf(junkBytes));
                });
        assertThat(logs.containing("stream thread failed"))
            .as("the refusal failed the task once, not in a loop")
            .hasSizeBetween(1, 2);
        assertThat(good.reconcile(bluejay.requests())).as("reconciliation problems").isEmpty();
      }
    }
  }

  /**
   * A ToolCall by a writer whose schema has one more field, an array of nulls, declaring 2^31 items
   * in a few bytes.
   */
  private static byte[] avroBomb(BridgeHarness harness, String callId) throws IOException {
    String toolCalls = harness.topic("tool-calls");
    String json = dev.bluejaybridge.telemetry.ToolCall.SCHEMA$.toString();
    Schema writer =
        new Schema.Parser()
            .parse(
                json.substring(0, json.length() - 2)
                    + ",{\"name\":\"junk\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}");
    int id = harness.registry().register(toolCalls + "-value", writer);
    byte[] known =
        new AvroSerializer<SpecificRecord>(harness.registry(), true)
            .serialize(toolCalls, toolCall(callId, "bomb", 10).build());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(WireFormat.decode(known).payload());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    encoder.writeLong(1L << 31);
    encoder.writeLong(0);
    encoder.flush();
    return WireFormat.encode(id, out.toByteArray());
  }

  /**
   * One record of each kind of poison; each decodable one keyed to a good call, so that call must
   * still be delivered exactly with its own good records.
   */
  private static List<Poison> poison(BridgeHarness harness) throws IOException {
    String toolCalls = harness.topic("tool-calls");
    String events = harness.topic("events");
    String transcripts = harness.topic("transcripts");
    AvroSerializer<SpecificRecord> avro = new AvroSerializer<>(harness.registry(), true);
    List<Poison> poison = new ArrayList<>();

    byte[] whole = avro.serialize(toolCalls, toolCall("r3-1", "cut", 50).build());
    poison.add(new Poison(toolCalls, "r3-1", Arrays.copyOf(whole, whole.length - 6), "truncated"));
    poison.add(
        new Poison(
            events,
            "r3-2",
            "{\"call_id\":\"r3-2\"}".getBytes(StandardCharsets.UTF_8),
            "bad-magic-byte"));
    poison.add(
        new Poison(
            transcripts,
            "r3-3",
            WireFormat.encode(987_654, new byte[] {2, 0x61}),
            "unknown-schema-id"));
    poison.add(
        new Poison(
            toolCalls,
            "r3-4",
            avro.serialize(
                toolCalls, event("r3-4", "an event on the tool-calls topic", 60).build()),
            "schema-mismatch"));
    poison.add(
        new Poison(
            toolCalls,
            null,
            avro.serialize(toolCalls, toolCall("r3-5", "no key", 70).build()),
            "null-key"));
    poison.add(
        new Poison(
            toolCalls,
            "r3-6",
            avro.serialize(toolCalls, toolCall("r3-7", "other call", 80).build()),
            "key-mismatch"));
    poison.add(
        new Poison(
            events,
            "",
            avro.serialize(events, event("", "no call id", 90).build()),
            "empty-call-id"));
    poison.add(
        new Poison(
            toolCalls,
            "r3-8",
            avro.serialize(
                toolCalls,
                toolCall("r3-8", "broken json", 95).setParametersJson("{\"order_id\":").build()),
            "invalid-json"));
    poison.add(
        new Poison(
            transcripts,
            "r3-9",
            avro.serialize(
                transcripts,
                turn("r3-9", Speaker.USER, "before the call began", 0)
                    .setStartOffsetMs(-250)
                    .build()),
            "negative-offset"));
    poison.add(
        new Poison(
            transcripts,
            "r3-10",
            avro.serialize(
                transcripts, turn("r3-10", Speaker.AGENT, "x".repeat(2 << 20), 120).build()),
            "record-too-large"));
    poison.add(
        new Poison(
            transcripts, "r3-11", systemSpeakerTurn(harness, "r3-11"), "unknown-enum-symbol"));
    poison.add(new Poison(events, "r3-12", null, "null-value"));
    return poison;
  }

  /** A transcript turn by a writer whose Speaker enum has SYSTEM, spoken by SYSTEM. */
  private static byte[] systemSpeakerTurn(BridgeHarness harness, String callId) throws IOException {
    Schema writer =
        new Schema.Parser()
            .parse(
                TranscriptTurn.SCHEMA$
                    .toString()
                    .replace("[\"AGENT\",\"USER\"]", "[\"AGENT\",\"USER\",\"SYSTEM\"]"));
    int id = harness.registry().register(harness.topic("transcripts") + "-value", writer);
    GenericRecord turn = new GenericData.Record(writer);
    turn.put("call_id", callId);
    turn.put("occurred_at", dev.bluejaybridge.testkit.Telemetry.T0.toEpochMilli());
    turn.put("speaker", new GenericData.EnumSymbol(writer.getField("speaker").schema(), "SYSTEM"));
    turn.put("utterance", "This call is recorded.");
    turn.put("start_offset_ms", 10L);
    turn.put("end_offset_ms", 20L);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(writer).write(turn, encoder);
    encoder.flush();
    return WireFormat.encode(id, out.toByteArray());
  }
}
