package dev.bluejaybridge.breaks;

import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.pipeline.DeliveryStage;
import dev.bluejaybridge.pipeline.Pipeline;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 8 (a backlog is not silence), tried from outside: records that are written and
 * committed, but wait behind another producer's open transaction (the last stable offset stands
 * still), are a backlog the bridge cannot read yet. The read-committed end offset the bridge asks
 * for is that last stable offset, so the task counts as read to the end and closes by wall clock.
 */
class PoisonTrickleBreakIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path stateDir;

  /**
   * A producer that writes values the bridge cannot decode (they go to the input DLQ before any
   * processor sees them) to one input partition, every half second, while a call on the same task
   * falls silent. The call should close one inactivity gap (2 s) after its record, within a second.
   */
  @Test
  void undecodableRecordsTricklingIntoAnotherInputDoNotHoldAnIdleCall() throws Exception {
    String prefix = "brk-poison";
    kafka.createTopics(
        Map.of(
            prefix + ".tool-calls", 1,
            prefix + ".events", 1,
            prefix + ".transcripts", 1,
            prefix + ".input-dlq", 1));
    String registryName = "brk-" + UUID.randomUUID();
    BridgeConfig config =
        ConfigLoader.parse(
            Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "kafka.application.id", prefix + "-app",
                "kafka.state.dir", stateDir.toString(),
                "schema.registry.url", "mock://" + registryName,
                "topics.tool-calls", prefix + ".tool-calls",
                "topics.events", prefix + ".events",
                "topics.transcripts", prefix + ".transcripts",
                "topics.input-dlq", prefix + ".input-dlq",
                "call.inactivity-gap", "2s",
                "call.end-grace", "500ms"));
    SchemaRegistry registry =
        SchemaRegistries.create(config.registry().urls(), Optional.empty(), Duration.ofSeconds(5));
    Queue<CallUpdate> delivered = new ConcurrentLinkedQueue<>();
    String tools = prefix + ".tool-calls";
    try (Pipeline pipeline =
            Pipeline.start(
                config,
                registry,
                DeliveryStage.of(() -> new Capture(delivered)),
                new AggregationMetrics(new SimpleMeterRegistry()),
                new SimpleMeterRegistry());
        KafkaProducer<String, SpecificRecord> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "0"),
                new StringSerializer(),
                new AvroSerializer<>(registry, true));
        KafkaProducer<String, byte[]> broken =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "0"),
                new StringSerializer(),
                new ByteArraySerializer())) {
      // Warm up: the pipeline reads and closes a call by inactivity (control: its latency)
      producer.send(new ProducerRecord<>(tools, "warm", now(toolCall("warm", "t", 0)))).get();
      ProgressWait.forCount(1, "warm-up call closed").until(delivered::size);
      ClosedCall warm = closes(delivered, "warm").get(0);

      // Given a call that falls silent after one record
      producer.send(new ProducerRecord<>(tools, "idle", now(toolCall("idle", "t0", 0)))).get();
      // When a broken producer writes undecodable values to the events input, every half second
      // for 10 s (the scenario's real-time pace)
      for (int i = 0; i < 20; i++) {
        broken
            .send(new ProducerRecord<>(prefix + ".events", "junk-" + i, new byte[] {1, 2, 3}))
            .get();
        Thread.sleep(500);
      }
      ProgressWait.forCount(1, "idle call closed").until(() -> closes(delivered, "idle").size());

      // Then the idle call closed within its gap + 1 s, as the warm-up call did
      ClosedCall idle = closes(delivered, "idle").get(0);
      assertThat(warm.closedAt() - warm.firstSeenAt())
          .as("control: warm-up call's close latency")
          .isLessThanOrEqualTo(3_000);
      assertThat(idle.closedAt() - idle.firstSeenAt())
          .as("idle call's close latency (ms) with undecodable records trickling into events")
          .isLessThanOrEqualTo(3_000);
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  private static List<ClosedCall> closes(Queue<CallUpdate> delivered, String callId) {
    return delivered.stream()
        .filter(ClosedCall.class::isInstance)
        .map(ClosedCall.class::cast)
        .filter(call -> call.callId().equals(callId))
        .toList();
  }

  private static SpecificRecord now(dev.bluejaybridge.telemetry.ToolCall.Builder builder) {
    return builder.setOccurredAt(Instant.now()).build();
  }

  private static SpecificRecord nowEnd(dev.bluejaybridge.telemetry.CallEvent.Builder builder) {
    return builder.setOccurredAt(Instant.now()).build();
  }

  static final class Capture implements Processor<String, CallUpdate, Void, Void> {
    private final Queue<CallUpdate> sink;

    Capture(Queue<CallUpdate> sink) {
      this.sink = sink;
    }

    @Override
    public void process(Record<String, CallUpdate> record) {
      sink.add(record.value());
    }
  }
}
