package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.telemetry.TelemetryTopics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running pipeline: checks the topic layout, builds the topology and runs Kafka Streams. {@code
 * run}, the integration tests and the demo all start it through {@link #start}, so they run the
 * same thing.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(Pipeline.class);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration OFFSETS_TIMEOUT = Duration.ofSeconds(5);

  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final InputOffsetWatch inputOffsets;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /**
   * Counted down when the pipeline closes: a stream thread waiting to be replaced stops waiting.
   */
  private final CountDownLatch closing = new CountDownLatch(1);

  private Pipeline(
      KafkaStreams streams, KafkaStreamsMetrics streamsMetrics, InputOffsetWatch inputOffsets) {
    this.streams = streams;
    this.streamsMetrics = streamsMetrics;
    this.inputOffsets = inputOffsets;
  }

  /**
   * Checks the input topics, then starts Kafka Streams.
   *
   * @throws TopicLayout.TopicLayoutException when the input topics are missing or not
   *     co-partitioned
   */
  public static Pipeline start(
      BridgeConfig config,
      SchemaRegistry registry,
      DeliveryStage delivery,
      AggregationMetrics metrics,
      MeterRegistry meters) {
    TelemetryTopics topics =
        TelemetryTopics.create(config.topics(), registry, false, config.calls().maxRecordBytes());
    int partitions;
    try (Admin admin = Admin.create(Map.<String, Object>copyOf(config.kafka().properties()))) {
      partitions = TopicLayout.requireCoPartitioned(admin, topics.names(), ADMIN_TIMEOUT);
      List<String> outputs = new ArrayList<>(delivery.sinks().values());
      outputs.add(config.topics().inputDlq());
      TopicLayout.requireExist(admin, outputs, ADMIN_TIMEOUT);
      LOGGER.info(
          "input topics co-partitioned topics={} partitions={}", topics.names(), partitions);
      delivery.partitionCount().accept(partitions);
    }
    // Tasks learn from it whether they have read their inputs to the end (a backlog is not
    // silence).
    InputOffsetWatch inputOffsets =
        new InputOffsetWatch(
                Admin.create(Map.<String, Object>copyOf(config.kafka().properties())),
                config.kafka().applicationId(),
                topics.names(),
                partitions,
                Clock.systemUTC(),
                OFFSETS_TIMEOUT)
            .start();
    KafkaStreams streams;
    KafkaStreamsMetrics streamsMetrics;
    try {
      Topology topology =
          BridgeTopology.build(
              topics, config.calls(), config.input(), delivery, metrics, inputOffsets);
      LOGGER.debug("topology {}", topology.describe());
      streams = new KafkaStreams(topology, StreamsProperties.from(config, meters));
      inputOffsets.consumerMetrics(streams::metrics);
      streamsMetrics = new KafkaStreamsMetrics(streams);
      streamsMetrics.bindTo(meters);
    } catch (RuntimeException e) {
      inputOffsets.close();
      throw e;
    }
    Pipeline pipeline = new Pipeline(streams, streamsMetrics, inputOffsets);
    // A failed stream thread is replaced after a backoff, and a failure that keeps coming back
    // stops the instance rather than loop (StreamThreadFailures).
    streams.setUncaughtExceptionHandler(
        new StreamThreadFailures(Clock.systemUTC(), StreamThreadFailures.until(pipeline.closing)));
    streams.setStateListener(
        (now, before) -> {
          LOGGER.info("kafka streams state={} previous={}", now, before);
          if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
            pipeline.stopped.countDown();
          }
        });
    streams.start();
    return pipeline;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Blocks until Kafka Streams stops; returns true if it stopped in error. */
  public boolean awaitStop() throws InterruptedException {
    stopped.await();
    return streams.state() == KafkaStreams.State.ERROR;
  }

  /** Waits at most {@code timeout} for Kafka Streams to stop. */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    LOGGER.info("closing kafka streams");
    closing.countDown();
    // Leaving the group hands this instance's partitions to the others at once, instead of after
    // the session timeout.
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(CLOSE_TIMEOUT));
    streamsMetrics.close();
    inputOffsets.close();
    stopped.countDown();
  }
}
