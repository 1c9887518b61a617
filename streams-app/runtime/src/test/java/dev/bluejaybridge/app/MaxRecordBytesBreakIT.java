package dev.bluejaybridge.app;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.support.BridgeHarness;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Breaker: "a record just under call.max-record-bytes". Everything at its default: the topics (the
 * broker's {@code message.max.bytes}, 1 MiB + 12), {@code call.max-record-bytes} (1 MiB). A
 * producer that compresses (zstd) writes a transcript turn whose value is exactly {@code
 * call.max-record-bytes}, which the bridge documents as accepted ("a larger one goes to the input
 * DLQ"). Issue 13: bad input goes to a DLQ with its reason and the app stays RUNNING (R12; items 1,
 * 6: no endless replace-thread loop); a good record's call reaches Bluejay.
 */
class MaxRecordBytesBreakIT {
  private static final int MAX_RECORD_BYTES = 1024 * 1024;
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
  void aCompressedRecordOfExactlyMaxRecordBytesIsDeliveredOrDeadLetteredWithoutFailingTheTask()
      throws Exception {
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "mrb", 1, Map.of())) {
      Map<String, String> settings = harness.settings(bluejay, "bj-mrb-key", "state");
      AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(harness.registry(), true);
      String topic = harness.topic("transcripts");
      // Size the utterance so that the wire-format value is exactly call.max-record-bytes.
      TranscriptTurn probe = turn("big", Speaker.USER, "", 0).build();
      int empty = serializer.serialize(topic, probe).length;
      String utterance = "a".repeat(MAX_RECORD_BYTES - empty);
      byte[] value = serializer.serialize(topic, turn("big", Speaker.USER, utterance, 0).build());
      // the utterance's length varint grew by a few bytes: take them off
      utterance = utterance.substring(value.length - MAX_RECORD_BYTES);
      TranscriptTurn big = turn("big", Speaker.USER, utterance, 0).build();
      value = serializer.serialize(topic, big);
      assertThat(value.length).isEqualTo(MAX_RECORD_BYTES);

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer =
              new KafkaProducer<>(
                  Map.of(
                      "bootstrap.servers", kafka.bootstrapServers(),
                      "compression.type", "zstd",
                      "max.request.size", String.valueOf(8 << 20)),
                  new StringSerializer(),
                  serializer)) {
        producer.send(new ProducerRecord<>(topic, "big", big)).get();
        producer
            .send(
                new ProducerRecord<>(topic, "big", turn("big", Speaker.AGENT, "ok", 2_000).build()))
            .get();
        producer
            .send(
                new ProducerRecord<>(
                    harness.topic("events"), "big", endOfCall("big", 3_000).build()))
            .get();

        await("the call delivered or dead-lettered, or a stream thread failing")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    !bluejay.requestsTo("/v1/update-log/big").isEmpty()
                        || !kafka.readAll(harness.topic("input-dlq")).isEmpty()
                        || !logs.containing("stream thread failed").isEmpty());

        assertThat(logs.containing("stream thread failed"))
            .as("a record the bridge accepts must not fail the task")
            .isEmpty();
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
      }
    }
  }

  /**
   * A huge call_id: 520 KB, so the value (the call_id plus a few fields) is well under {@code
   * call.max-record-bytes}; the key repeats it. Sent compressed, the input topic takes it. Before
   * the fix the bridge took it and its own state records (key and value both carrying the id) were
   * refused by the broker on every retry; now a call_id over 512 bytes is poison ({@code
   * call-id-too-long}).
   */
  @Test
  void aHugeCallIdIsDeadLetteredAsCallIdTooLongAndTheAppKeepsRunning() throws Exception {
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "hcid", 1, Map.of())) {
      Map<String, String> settings = harness.settings(bluejay, "bj-hcid-key", "state");
      AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(harness.registry(), true);
      String callId = "c".repeat(520 * 1024);
      String topic = harness.topic("transcripts");
      TranscriptTurn record = turn(callId, Speaker.USER, "hello", 0).build();
      assertThat(serializer.serialize(topic, record).length).isLessThan(MAX_RECORD_BYTES);

      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer =
              new KafkaProducer<>(
                  Map.of(
                      "bootstrap.servers", kafka.bootstrapServers(),
                      "compression.type", "zstd",
                      "max.request.size", String.valueOf(8 << 20)),
                  new StringSerializer(),
                  serializer)) {
        producer.send(new ProducerRecord<>(topic, callId, record)).get();
        producer
            .send(
                new ProducerRecord<>(
                    harness.topic("events"), callId, endOfCall(callId, 3_000).build()))
            .get();

        // Both records are poison (call-id-too-long); their dead letters carry the first 4 KiB
        // of the key (the whole key and value together would be over the topic's 1 MiB).
        await("both records in the input DLQ")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    kafka.readAll(harness.topic("input-dlq")).size() >= 2
                        || !logs.containing("stream thread failed").isEmpty());

        assertThat(kafka.readAll(harness.topic("input-dlq")))
            .allSatisfy(
                dead ->
                    assertThat(
                            new String(
                                dead.headers().lastHeader("bridge.error.reason").value(),
                                java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo("call-id-too-long"));
        assertThat(kafka.readAll(harness.topic("input-dlq")))
            .allSatisfy(
                dead -> {
                  assertThat(dead.key()).hasSize(4 * 1024);
                  assertThat(
                          new String(
                              dead.headers().lastHeader("bridge.error.key-dropped-bytes").value(),
                              java.nio.charset.StandardCharsets.UTF_8))
                      .isEqualTo(String.valueOf(callId.length()));
                });
        assertThat(logs.containing("stream thread failed"))
            .as("a poison record must not fail the task")
            .isEmpty();
        assertThat(bluejay.requests()).isEmpty();
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
      }
    }
  }
}
