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
 * Poison found by a processor goes to the input DLQ; every other failure fails the task.
 *
 * <p>A {@link PoisonRecordException} is thrown before the record changed any state (by contract;
 * see its javadoc), so the record is dead-lettered with its reason and processing resumes with the
 * next one. Anything else, thrown while a record was processed or in a punctuation, may come after
 * state was changed (a call marked closed, an outbox entry removed) and before what depends on it
 * was written: resuming would commit that half-done state. So the task fails: under exactly-once
 * the transaction is aborted and nothing of it is committed, the stream thread is replaced (see
 * {@code Pipeline}, which backs off between replacements) and the work is done again from the last
 * commit. An infrastructure failure (a broker timeout, the registry unreachable) is no poison
 * either: retried this way, it never reaches the input DLQ.
 */
public final class InputDlqProcessingHandler implements ProcessingExceptionHandler {
  private static final Logger LOGGER = LoggerFactory.getLogger(InputDlqProcessingHandler.class);
  private String dlqTopic;
  private MeterRegistry meters = new SimpleMeterRegistry();
  private OversizedDeadLetters oversized = new OversizedDeadLetters();

  @Override
  public void configure(Map<String, ?> configs) {
    dlqTopic = InputDlq.topic(configs);
    meters = InputDlq.meters(configs);
    oversized = InputDlq.oversized(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (record == null) {
      // Kafka Streams passes no record for a punctuation.
      LOGGER.error(
          "punctuation failed; failing the task, which is retried from its last commit"
              + " node={} task={}",
          context.processorNodeId(),
          context.taskId(),
          exception);
      return Response.fail();
    }
    if (!(exception instanceof PoisonRecordException poison)) {
      LOGGER.error(
          "processing failed; failing the task, which is retried from its last commit"
              + " node={} task={} topic={} partition={} offset={}",
          context.processorNodeId(),
          context.taskId(),
          context.topic(),
          context.partition(),
          context.offset(),
          exception);
      return Response.fail();
    }
    String reason = poison.reason();
    InputDlq.log(LOGGER, context, reason, exception, dlqTopic);
    InputDlq.count(meters, reason);
    return Response.resume(InputDlq.records(dlqTopic, context, exception, reason, oversized));
  }
}
