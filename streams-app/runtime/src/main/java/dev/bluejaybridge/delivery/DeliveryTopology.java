package dev.bluejaybridge.delivery;

import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.pipeline.DeliveryStage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/** The delivery stage for the topology: the outbox processor, its stores and its two sinks. */
public final class DeliveryTopology {
  static final String DLQ_SINK = "delivery-dlq";
  static final String RECEIPTS_SINK = "delivery-receipts";

  private DeliveryTopology() {}

  public static DeliveryStage stage(
      BridgeConfig config, Dispatcher dispatcher, DeliveryMetrics metrics) {
    return stage(config, dispatcher, metrics, c -> CommitWatch.threadMetric(c.metrics()));
  }

  /** As above, with how a task learns that its stream thread committed (tests fake it). */
  static DeliveryStage stage(
      BridgeConfig config,
      Dispatcher dispatcher,
      DeliveryMetrics metrics,
      Function<ProcessorContext<?, ?>, CommitWatch> commitWatches) {
    DeliverySettings settings = DeliverySettings.from(config);
    Map<String, String> sinks = new LinkedHashMap<>();
    sinks.put(DLQ_SINK, config.topics().deliveryDlq());
    config.topics().deliveryReceipts().ifPresent(topic -> sinks.put(RECEIPTS_SINK, topic));
    ProcessorSupplier<String, CallUpdate, String, byte[]> outbox =
        () ->
            new OutboxProcessor(
                dispatcher,
                settings,
                new Backoff(
                    () -> ThreadLocalRandom.current().nextDouble(),
                    config.delivery().maxRetryAfter()),
                metrics,
                commitWatches);
    return new DeliveryStage(
        outbox, DeliveryStores.builders(), sinks, dispatcher.rate()::setTotalPartitions);
  }
}
