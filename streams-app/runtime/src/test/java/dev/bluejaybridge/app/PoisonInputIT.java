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
