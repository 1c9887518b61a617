package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.aggregate.Aggregation;
import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.aggregate.InputOffsets;
import dev.bluejaybridge.aggregate.ValidateProcessor;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.telemetry.OccurredAtExtractor;
import dev.bluejaybridge.telemetry.TelemetryTopics;
import dev.bluejaybridge.telemetry.Topic;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;

/**
 * Wires the pipeline and nothing else:
 *
 * <pre>
 * tool-calls ─┐
 * events ─────┼─► validate ─► aggregate ─► deliver ─► delivery-dlq, delivery-receipts
 * transcripts ┘   (call-state, call-parts, call-timers)  (outbox, outbox-due)
 * </pre>
 *
 * The three sources feed one processor, so they form one sub-topology and must be co-partitioned;
 * everything after them runs in the same task and the same transaction. {@code deliver} receives
 * every closed call and late record: the seam to the delivery stage.
 */
public final class BridgeTopology {
  static final String VALIDATE = "validate";
  static final String AGGREGATE = "aggregate";
  public static final String DELIVER = "deliver";

  private BridgeTopology() {}

  /**
   * As {@link #build(TelemetryTopics, BridgeConfig.Calls, BridgeConfig.Input, DeliveryStage,
   * AggregationMetrics)} with the default {@code input.*} settings.
   */
  public static Topology build(
      TelemetryTopics topics,
      BridgeConfig.Calls calls,
      DeliveryStage delivery,
      AggregationMetrics metrics) {
    return build(topics, calls, BridgeConfig.Input.defaults(), delivery, metrics);
  }

  /** As below, with no broker offsets: tasks judge a backlog from the records they see. */
  public static Topology build(
      TelemetryTopics topics,
      BridgeConfig.Calls calls,
      BridgeConfig.Input input,
      DeliveryStage delivery,
      AggregationMetrics metrics) {
    return build(topics, calls, input, delivery, metrics, InputOffsets.UNKNOWN);
  }

  /**
   * The topology. Its sources take {@code occurred_at} as record time only when it is sane ({@link
   * OccurredAtExtractor}); validation checks it against {@code input} and forwards each record with
   * the wall-clock time, which every write downstream then carries. The aggregation learns how far
   * the inputs have been written from {@code offsets}.
   */
  public static Topology build(
      TelemetryTopics topics,
      BridgeConfig.Calls calls,
      BridgeConfig.Input input,
      DeliveryStage delivery,
      AggregationMetrics metrics,
      InputOffsets offsets) {
    Topology topology = new Topology();
    OccurredAtExtractor extractor = new OccurredAtExtractor(input.maxAhead());
    String[] sources = {
      source(topology, topics.toolCalls(), extractor),
      source(topology, topics.events(), extractor),
      source(topology, topics.transcripts(), extractor)
    };
    topology.addProcessor(VALIDATE, ValidateProcessor.supplier(input, metrics), sources);
    topology.addProcessor(AGGREGATE, Aggregation.aggregate(calls, metrics, offsets), VALIDATE);
    Aggregation.stores(calls).forEach(store -> topology.addStateStore(store, AGGREGATE));
    topology.addProcessor(DELIVER, delivery.processor(), AGGREGATE);
    delivery.stores().forEach(store -> topology.addStateStore(store, DELIVER));
    delivery
        .sinks()
        .forEach(
            (name, topic) ->
                topology.addSink(
                    name, topic, new StringSerializer(), new ByteArraySerializer(), DELIVER));
    return topology;
  }

  private static String source(
      Topology topology, Topic<String, ?> topic, OccurredAtExtractor extractor) {
    String name = "source-" + topic.name();
    topology.addSource(
        AutoOffsetReset.earliest(),
        name,
        extractor,
        topic.key().deserializer(),
        topic.value().deserializer(),
        topic.name());
    return name;
  }
}
