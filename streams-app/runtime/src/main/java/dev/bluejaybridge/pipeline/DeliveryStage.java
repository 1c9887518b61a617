package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.aggregate.CallUpdate;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * What the topology hangs after the aggregation: the processor that receives every {@link
 * CallUpdate}, its stores, and its sinks (sink name → topic; values are byte arrays, keys call
 * ids).
 *
 * @param partitionCount told the input topics' partition count before Kafka Streams starts
 */
public record DeliveryStage(
    ProcessorSupplier<String, CallUpdate, ?, ?> processor,
    List<StoreBuilder<?>> stores,
    Map<String, String> sinks,
    IntConsumer partitionCount) {

  /** A stage that is only a processor (tests, tools). */
  public static DeliveryStage of(ProcessorSupplier<String, CallUpdate, Void, Void> processor) {
    return new DeliveryStage(processor, List.of(), Map.of(), count -> {});
  }
}
