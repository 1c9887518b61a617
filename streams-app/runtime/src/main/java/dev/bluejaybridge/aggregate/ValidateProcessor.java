package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.telemetry.TelemetryValidator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Lets through only records that pass {@link TelemetryValidator}; the others throw a {@code
 * PoisonRecordException}, which the processing exception handler writes to the input DLQ.
 */
final class ValidateProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {
  private final AggregationMetrics metrics;
  private ProcessorContext<String, SpecificRecord> context;

  ValidateProcessor(AggregationMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    metrics.record(context.recordMetadata().map(m -> m.topic()).orElse(null));
    TelemetryValidator.validate(record.key(), record.value());
    context.forward(record);
  }
}
