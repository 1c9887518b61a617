package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.config.BridgeConfig;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

/** The aggregation's processors and stores, for the topology to wire. */
public final class Aggregation {
  private Aggregation() {}

  public static ProcessorSupplier<String, SpecificRecord, String, SpecificRecord> validate(
      AggregationMetrics metrics) {
    return () -> new ValidateProcessor(metrics);
  }

  public static ProcessorSupplier<String, SpecificRecord, String, CallUpdate> aggregate(
      BridgeConfig.Calls settings, AggregationMetrics metrics) {
    return aggregate(settings, metrics, InputOffsets.UNKNOWN);
  }

  /** The aggregation, whose tasks learn the inputs' end offsets from {@code offsets}. */
  public static ProcessorSupplier<String, SpecificRecord, String, CallUpdate> aggregate(
      BridgeConfig.Calls settings, AggregationMetrics metrics, InputOffsets offsets) {
    return () -> new AggregateProcessor(settings, metrics, offsets);
  }

  /** The aggregation's stores; {@code settings} size the parts' changelog records. */
  public static List<StoreBuilder<?>> stores(BridgeConfig.Calls settings) {
    return CallStores.builders(settings.maxRecordBytes());
  }
}
