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
  private ProcessorContext<String, SpecificRecord> context;

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    TelemetryValidator.validate(record.key(), record.value());
    context.forward(record);
  }
}
