package dev.bluejaybridge.errors;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record that fails validation (a {@link PoisonRecordException}) or processing goes to the input
 * DLQ with its reason, and the stream thread carries on with the next record.
 */
public final class InputDlqProcessingHandler implements ProcessingExceptionHandler {
  private static final Logger LOGGER = LoggerFactory.getLogger(InputDlqProcessingHandler.class);
  private String dlqTopic;
  private MeterRegistry meters = new SimpleMeterRegistry();

  @Override
  public void configure(Map<String, ?> configs) {
    dlqTopic = InputDlq.topic(configs);
    meters = InputDlq.meters(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    String reason;
    if (exception instanceof PoisonRecordException poison) {
      reason = poison.reason();
    } else {
      reason = "processing-error";
      LOGGER.error(
          "unexpected processing error node={} topic={} offset={}",
          context.processorNodeId(),
          context.topic(),
          context.offset(),
          exception);
    }
    if (record == null && context.sourceRawValue() == null) {
      // A punctuation failed: there is no input record to dead-letter.
      LOGGER.error(
          "punctuation failed node={} task={}",
          context.processorNodeId(),
          context.taskId(),
          exception);
      return Response.resume();
    }
    InputDlq.log(LOGGER, context, reason, exception, dlqTopic);
    InputDlq.count(meters, reason);
    return Response.resume(InputDlq.records(dlqTopic, context, exception, reason));
  }
}
