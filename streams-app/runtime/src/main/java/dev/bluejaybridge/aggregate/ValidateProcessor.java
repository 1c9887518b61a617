package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.telemetry.TelemetryValidator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Lets through only records that pass {@link TelemetryValidator}, including its {@code occurred_at}
 * tolerance ({@code input.max-ahead}, {@code input.max-behind}); the others throw a {@code
 * PoisonRecordException} before any state is touched, which the processing exception handler writes
 * to the input DLQ.
 *
 * <p>A record is forwarded with the wall-clock time as its timestamp. Kafka Streams gives every
 * write made while a record is processed the timestamp of the record in hand (a store's changelog
 * records take the processor context's timestamp; a sink's records take the forwarded record's): so
 * every changelog, outbox, receipt and dead-letter record the bridge writes carries a time the
 * broker accepts, never an {@code occurred_at} days ahead that {@code
 * message.timestamp.after.max.ms} refuses (which would fail the task on every retry).
 */
public final class ValidateProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {
  private final BridgeConfig.Input input;
  private final AggregationMetrics metrics;
  private ProcessorContext<String, SpecificRecord> context;

  /** With the default {@code input.*} settings. */
  ValidateProcessor(AggregationMetrics metrics) {
    this(BridgeConfig.Input.defaults(), metrics);
  }

  ValidateProcessor(BridgeConfig.Input input, AggregationMetrics metrics) {
    this.input = input;
    this.metrics = metrics;
  }

  /** The processor, for the topology to wire. */
  public static ProcessorSupplier<String, SpecificRecord, String, SpecificRecord> supplier(
      BridgeConfig.Input input, AggregationMetrics metrics) {
    return () -> new ValidateProcessor(input, metrics);
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    metrics.record(context.recordMetadata().map(m -> m.topic()).orElse(null));
    TelemetryValidator.validate(record.key(), record.value());
    long now = context.currentSystemTimeMs();
    // Behind what: the wall clock, or the stream time if it is later. The stream time alone does
    // not move on a quiet partition: a straggler eight days late passed there after its call's
    // index entry (call.delivered-retention) was gone, and was sent as a fragment.
    TelemetryValidator.occurredAt(
        record.value(),
        now,
        Math.max(now, context.currentStreamTimeMs()),
        input.maxAhead(),
        input.maxBehind());
    context.forward(record.withTimestamp(now));
  }
}
