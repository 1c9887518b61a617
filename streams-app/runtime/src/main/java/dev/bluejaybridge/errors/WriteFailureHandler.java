package dev.bluejaybridge.errors;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what a write the producer or the broker refused does ({@code
 * production.exception.handler}). Nothing is ever skipped: a changelog, outbox, receipt or
 * dead-letter record that is not written would lose a call or commit half-done state.
 *
 * <ul>
 *   <li>A retriable error (a broker timeout, not enough replicas): {@code RETRY}; Kafka Streams
 *       marks the task corrupted and does its work again from the last commit, on the same thread.
 *   <li>An input dead letter refused as too large (the DLQ topic's {@code max.message.bytes} is
 *       below the input topics'): the task fails (under exactly-once the refusal has already doomed
 *       the transaction), and the record is remembered in {@link OversizedDeadLetters}, so that
 *       when it is read again its dead letter goes without the value ({@value
 *       InputDlq#VALUE_DROPPED_HEADER}) and fits.
 *   <li>Anything else (a changelog write refused, a serialization error): the task fails. The
 *       records the bridge writes carry timestamps it chooses and bounded headers, so the broker
 *       has no cause to refuse them; if it still does, the stream thread is replaced with a backoff
 *       and, after repeated failures, the instance stops ({@code Pipeline}) rather than loop.
 * </ul>
 *
 * Unlike Kafka Streams' default handler, it never writes the record being processed to the input
 * DLQ: a refused write is not the input record's fault.
 */
public final class WriteFailureHandler implements ProductionExceptionHandler {
  private static final Logger LOGGER = LoggerFactory.getLogger(WriteFailureHandler.class);
  private String inputDlqTopic;
  private OversizedDeadLetters oversized = new OversizedDeadLetters();

  @Override
  public void configure(Map<String, ?> configs) {
    inputDlqTopic = InputDlq.topic(configs);
    oversized = InputDlq.oversized(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (exception instanceof RetriableException) {
      LOGGER.warn(
          "write failed and is retried from the last commit topic={} error=\"{}\"",
          record.topic(),
          exception.toString());
      return Response.retry();
    }
    if (exception instanceof RecordTooLargeException
        && record.topic().equals(inputDlqTopic)
        && record.value() != null) {
      String topic = header(record, ExceptionHandlerUtils.HEADER_ERRORS_TOPIC_NAME);
      String partition = header(record, ExceptionHandlerUtils.HEADER_ERRORS_PARTITION_NAME);
      String offset = header(record, ExceptionHandlerUtils.HEADER_ERRORS_OFFSET_NAME);
      if (topic != null && partition != null && offset != null) {
        oversized.refused(
            topic, Integer.parseInt(partition), Long.parseLong(offset), record.value().length);
        LOGGER.error(
            "input dead letter refused as too large; failing the task, the dead letter is written"
                + " without its value when the record is read again source={}/{}@{}"
                + " value_bytes={} dlq={} error=\"{}\"",
            topic,
            partition,
            offset,
            record.value().length,
            record.topic(),
            exception.toString());
        return Response.fail();
      }
    }
    LOGGER.error(
        "write refused; failing the task topic={} partition={} value_bytes={} error=\"{}\"",
        record.topic(),
        record.partition(),
        record.value() == null ? 0 : record.value().length,
        exception.toString());
    return Response.fail();
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Response handleSerializationError(
      ErrorHandlerContext context,
      ProducerRecord record,
      Exception exception,
      SerializationExceptionOrigin origin) {
    LOGGER.error(
        "record could not be serialized; failing the task topic={} origin={}",
        record.topic(),
        origin,
        exception);
    return Response.fail();
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null
        ? null
        : new String(header.value(), StandardCharsets.UTF_8);
  }
}
