package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.aggregate.Aggregation;
import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.telemetry.OccurredAtExtractor;
import dev.bluejaybridge.telemetry.TelemetryTopics;
import dev.bluejaybridge.telemetry.Topic;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/**
 * Wires the pipeline and nothing else:
 *
 * <pre>
 * tool-calls ─┐
 * events ─────┼─► validate ─► aggregate (call-state, call-parts, call-timers) ─► deliver
 * transcripts ┘
 * </pre>
 *
 * The three sources feed one processor, so they form one sub-topology and must be co-partitioned.
 * {@code deliver} receives every {@link CallUpdate}: the seam to the delivery stage.
 */
public final class BridgeTopology {
  static final String VALIDATE = "validate";
  static final String AGGREGATE = "aggregate";
  static final String DELIVER = "deliver";

  private BridgeTopology() {}

  public static Topology build(
      TelemetryTopics topics,
      BridgeConfig.Calls calls,
      ProcessorSupplier<String, CallUpdate, Void, Void> deliver) {
    Topology topology = new Topology();
    String[] sources = {
      source(topology, topics.toolCalls()),
      source(topology, topics.events()),
      source(topology, topics.transcripts())
    };
    topology.addProcessor(VALIDATE, Aggregation.validate(), sources);
    topology.addProcessor(AGGREGATE, Aggregation.aggregate(calls), VALIDATE);
    Aggregation.stores().forEach(store -> topology.addStateStore(store, AGGREGATE));
    topology.addProcessor(DELIVER, deliver, AGGREGATE);
    return topology;
  }

  private static String source(Topology topology, Topic<String, ?> topic) {
    String name = "source-" + topic.name();
    topology.addSource(
        AutoOffsetReset.earliest(),
        name,
        new OccurredAtExtractor(),
        topic.key().deserializer(),
        topic.value().deserializer(),
        topic.name());
    return name;
  }
}
