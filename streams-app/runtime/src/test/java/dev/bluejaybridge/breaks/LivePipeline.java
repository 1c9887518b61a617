package dev.bluejaybridge.breaks;

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
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.testkit.KafkaTestCluster;
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
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The running pipeline on a real broker, as {@code run} starts it, with the calls it closes
 * captured instead of sent: one-partition inputs named {@code <prefix>.*}, {@code
 * call.inactivity-gap=2s}, {@code call.end-grace=500ms}, and a producer of Avro telemetry.
 */
final class LivePipeline implements AutoCloseable {
  final String toolCalls;
  final String events;
  final KafkaProducer<String, SpecificRecord> producer;
  private final Queue<CallUpdate> delivered = new ConcurrentLinkedQueue<>();
  private final String registryName = "brk-" + UUID.randomUUID();
  private final Pipeline pipeline;

  private LivePipeline(KafkaTestCluster kafka, String prefix, Path stateDir) throws Exception {
    toolCalls = prefix + ".tool-calls";
    events = prefix + ".events";
    kafka.createTopics(
        Map.of(toolCalls, 1, events, 1, prefix + ".transcripts", 1, prefix + ".input-dlq", 1));
    BridgeConfig config =
        ConfigLoader.parse(
            Map.of(
                "kafka.bootstrap.servers",
                kafka.bootstrapServers(),
                "kafka.application.id",
                prefix + "-app",
                "kafka.state.dir",
                stateDir.toString(),
                "schema.registry.url",
                "mock://" + registryName,
                "topics.tool-calls",
                toolCalls,
                "topics.events",
                events,
                "topics.transcripts",
                prefix + ".transcripts",
                "topics.input-dlq",
                prefix + ".input-dlq",
                "call.inactivity-gap",
                "2s",
                "call.end-grace",
                "500ms"));
    SchemaRegistry registry =
        SchemaRegistries.create(config.registry().urls(), Optional.empty(), Duration.ofSeconds(5));
    pipeline =
        Pipeline.start(
            config,
            registry,
            DeliveryStage.of(() -> new Capture(delivered)),
            new AggregationMetrics(new SimpleMeterRegistry()),
            new SimpleMeterRegistry());
    producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "0"),
            new StringSerializer(),
            new AvroSerializer<>(registry, true));
  }

  static LivePipeline start(KafkaTestCluster kafka, String prefix, Path stateDir) throws Exception {
    return new LivePipeline(kafka, prefix, stateDir);
  }

  /** How many calls (and late records) have been handed to delivery. */
  int handedOn() {
    return delivered.size();
  }

  /** Every close of {@code callId}, in order. */
  List<ClosedCall> closes(String callId) {
    return delivered.stream()
        .filter(ClosedCall.class::isInstance)
        .map(ClosedCall.class::cast)
        .filter(call -> call.callId().equals(callId))
        .toList();
  }

  /** Every close, in order. */
  List<ClosedCall> closes() {
    return delivered.stream()
        .filter(ClosedCall.class::isInstance)
        .map(ClosedCall.class::cast)
        .toList();
  }

  /** The record stamped with the wall clock, as a producer on time would. */
  static SpecificRecord now(ToolCall.Builder builder) {
    return builder.setOccurredAt(Instant.now()).build();
  }

  /** The record stamped with the wall clock, as a producer on time would. */
  static SpecificRecord now(CallEvent.Builder builder) {
    return builder.setOccurredAt(Instant.now()).build();
  }

  @Override
  public void close() {
    try {
      producer.close();
      pipeline.close();
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  private static final class Capture implements Processor<String, CallUpdate, Void, Void> {
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
