package dev.bluejaybridge.breaks;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
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
class OpenTransactionBreakIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path stateDir;

  @Test
  void aCallWhoseRecordsWaitBehindAnotherProducersOpenTransactionIsNotSplit() throws Exception {
    String prefix = "brk-lso";
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
        KafkaProducer<String, byte[]> hanging =
            new KafkaProducer<>(
                Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    "transactional.id",
                    prefix + "-hanging",
                    "transaction.timeout.ms",
                    "60000"),
                new StringSerializer(),
                new ByteArraySerializer())) {
      hanging.initTransactions();
      // Warm up: the pipeline reads and closes a call.
      producer.send(new ProducerRecord<>(tools, "warm", now(toolCall("warm", "t", 0)))).get();
      producer
          .send(new ProducerRecord<>(prefix + ".events", "warm", nowEnd(endOfCall("warm", 1))))
          .get();
      ProgressWait.forCount(1, "warm-up call closed").until(delivered::size);

      // Given a call under way, its first record read
      producer.send(new ProducerRecord<>(tools, "c", now(toolCall("c", "t0", 0)))).get();
      Thread.sleep(500); // the call's producer keeps its real-time pace (the scenario)

      // When another producer opens a transaction on the same partition and keeps it open
      hanging.beginTransaction();
      hanging.send(new ProducerRecord<>(tools, "other", new byte[] {0})).get();

      // while the call's producer goes on, a record every second (never 2 s of silence), its
      // records written and acknowledged but behind the open transaction
      for (int second = 1; second <= 6; second++) {
        Thread.sleep(1_000); // real-time pace of the producer (the scenario)
        producer
            .send(new ProducerRecord<>(tools, "c", now(toolCall("c", "t" + second, second))))
            .get();
      }
      Thread.sleep(1_000);
      // and then the transaction ends (aborted: its one record never counts) and the call ends
      hanging.abortTransaction();
      producer
          .send(new ProducerRecord<>(prefix + ".events", "c", nowEnd(endOfCall("c", 8_000))))
          .get();

      ProgressWait.forCount(1, "call c closed whole")
          .until(
              () ->
                  closes(delivered, "c").stream()
                      .filter(call -> call.toolCalls().size() == 7 && call.events().size() == 1)
                      .count());

      // Then the call was handed to delivery once, whole: not a fragment first
      assertThat(closes(delivered, "c"))
          .as("closes of call c (tool calls per close: a split shows 1 then 7)")
          .singleElement()
          .satisfies(call -> assertThat(call.revision()).isZero());
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
