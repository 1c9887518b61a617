package dev.bluejaybridge.support;

import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.aggregate.LateRecord;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.pipeline.BridgeTopology;
import dev.bluejaybridge.pipeline.DeliveryStage;
import dev.bluejaybridge.pipeline.StreamsProperties;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.TelemetryTopics;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The whole topology in a {@link TopologyTestDriver}, with real RocksDB stores in a temp dir,
 * values written by our Confluent wire-format serializer through an in-process registry, and the
 * delivery stage replaced by a list of what it received.
 */
public final class PipelineDriver implements AutoCloseable {
  public static final Instant START = dev.bluejaybridge.testkit.Telemetry.T0.plusSeconds(2 * 3600);

  private final TopologyTestDriver driver;
  private final Path stateDir;
  private final String registryName;
  private final List<CallUpdate> delivered = new ArrayList<>();
  public final BridgeConfig config;

  /** The meters the pipeline reports to. */
  public final io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  /** Follows the driver's wall clock: give it to whatever else should see the same time. */
  public final MutableClock clock = new MutableClock(START.toEpochMilli());

  /**
   * What the broker says of the inputs' offsets, as the aggregation sees it (null: nothing known,
   * tasks judge alone). The driver's input topics have one partition; offsets count from 0.
   */
  public final java.util.concurrent.atomic.AtomicReference<
          dev.bluejaybridge.aggregate.InputOffsets.Snapshot>
      inputOffsets = new java.util.concurrent.atomic.AtomicReference<>();

  public final TelemetryTopics topics;
  public final TestInputTopic<String, ToolCall> toolCalls;
  public final TestInputTopic<String, CallEvent> events;
  public final TestInputTopic<String, TranscriptTurn> transcripts;
  public final TestOutputTopic<byte[], byte[]> inputDlq;

  private PipelineDriver(Map<String, String> settings) {
    this(settings, null);
  }

  /**
   * A driver whose delivery stage {@code stage} builds (the real outbox, say) from the driver's
   * config and clock. (The driver deletes its state dir when it closes, so a crash and restart on
   * the same state is an integration test.)
   */
  public PipelineDriver(
      Map<String, String> settings,
      java.util.function.Function<PipelineDriver, DeliveryStage> stage) {
    registryName = "ttd-" + UUID.randomUUID();
    Map<String, String> all = new HashMap<>();
    all.put("kafka.bootstrap.servers", "ttd:9092");
    all.put("schema.registry.url", "mock://" + registryName);
    all.putAll(settings);
    config = ConfigLoader.parse(all);
    SchemaRegistry registry =
        SchemaRegistries.create(
            config.registry().urls(), java.util.Optional.empty(), Duration.ofSeconds(5));
    topics =
        TelemetryTopics.create(config.topics(), registry, true, config.calls().maxRecordBytes());
    try {
      this.stateDir = Files.createTempDirectory("bridge-ttd");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Properties properties = StreamsProperties.from(config);
    properties.put(StreamsConfig.STATE_DIR_CONFIG, this.stateDir.toString());
    driver =
        new TopologyTestDriver(
            BridgeTopology.build(
                topics,
                config.calls(),
                config.input(),
                stage != null ? stage.apply(this) : DeliveryStage.of(() -> new Capture(delivered)),
                new AggregationMetrics(meters),
                partition -> inputOffsets.get()),
            properties,
            START);
    toolCalls =
        driver.createInputTopic(
            topics.toolCalls().name(),
            new StringSerializer(),
            topics.toolCalls().value().serializer());
    events =
        driver.createInputTopic(
            topics.events().name(), new StringSerializer(), topics.events().value().serializer());
    transcripts =
        driver.createInputTopic(
            topics.transcripts().name(),
            new StringSerializer(),
            topics.transcripts().value().serializer());
    inputDlq =
        driver.createOutputTopic(
            config.topics().inputDlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The broker's word at the driver's now, as the aggregation will see it: the inputs end at these
   * offsets (their one partition), nothing committed, no transaction open, ends standing since now.
   */
  public void brokerSays(long toolCallsEnd, long eventsEnd, long transcriptsEnd) {
    long now = clock.millis();
    inputOffsets.set(
        new dev.bluejaybridge.aggregate.InputOffsets.Snapshot(
            now,
            Map.of(
                topics.toolCalls().name(),
                new dev.bluejaybridge.aggregate.InputOffsets.Position(0, toolCallsEnd, -1, now),
                topics.events().name(),
                new dev.bluejaybridge.aggregate.InputOffsets.Position(0, eventsEnd, -1, now),
                topics.transcripts().name(),
                new dev.bluejaybridge.aggregate.InputOffsets.Position(
                    0, transcriptsEnd, -1, now))));
  }

  /** A driver with the default settings (docs/configuration.md). */
  public static PipelineDriver create() {
    return new PipelineDriver(Map.of());
  }

  /** A driver with some settings changed, e.g. {@code call.max-records=3}. */
  public static PipelineDriver create(Map<String, String> settings) {
    return new PipelineDriver(settings);
  }

  /** A topic of raw bytes, to pipe values no serializer of ours would write. */
  public TestInputTopic<String, byte[]> raw(String topic) {
    return driver.createInputTopic(topic, new StringSerializer(), new ByteArraySerializer());
  }

  public void advanceWallClock(Duration duration) {
    clock.advanceMillis(duration.toMillis());
    driver.advanceWallClockTime(duration);
  }

  /** Output topic of raw keys and values, e.g. the delivery DLQ. */
  public TestOutputTopic<String, byte[]> output(String topic) {
    return driver.createOutputTopic(
        topic,
        new org.apache.kafka.common.serialization.StringDeserializer(),
        new ByteArrayDeserializer());
  }

  /** The underlying driver, for what this class does not wrap. */
  public TopologyTestDriver driver() {
    return driver;
  }

  /** Every update the delivery stage received so far, in order. */
  public List<CallUpdate> updates() {
    return List.copyOf(delivered);
  }

  public List<ClosedCall> closedCalls() {
    return delivered.stream()
        .filter(ClosedCall.class::isInstance)
        .map(ClosedCall.class::cast)
        .toList();
  }

  public List<LateRecord> lateRecords() {
    return delivered.stream()
        .filter(LateRecord.class::isInstance)
        .map(LateRecord.class::cast)
        .toList();
  }

  @Override
  public void close() {
    try {
      driver.close();
    } finally {
      SchemaRegistries.dropMock(registryName);
      deleteRecursively(stateDir);
    }
  }

  /** Deletes a directory tree; a leftover temp dir is not worth failing a test over. */
  public static void deleteRecursively(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a leftover temp dir is not worth failing a test over
    }
  }

  private static final class Capture implements Processor<String, CallUpdate, Void, Void> {
    private final List<CallUpdate> sink;

    Capture(List<CallUpdate> sink) {
      this.sink = sink;
    }

    @Override
    public void process(Record<String, CallUpdate> record) {
      sink.add(record.value());
    }
  }
}
