package dev.bluejaybridge.errors;

import dev.bluejaybridge.serde.TelemetryDecodeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record whose bytes cannot be decoded ({@link TelemetryDecodeException}: malformed, unknown to
 * the registry, over a size or decoding limit) goes to the input DLQ with its reason and processing
 * continues. Any other failure is not known to be the record's fault (the registry unreachable or
 * answering 5xx, refused credentials, an answer that is not a registry's, a bug), so the stream
 * thread fails, is replaced after a backoff, and reads the record again from the last commit.
 */
public final class InputDlqDeserializationHandler implements DeserializationExceptionHandler {
  private static final Logger LOGGER =
      LoggerFactory.getLogger(InputDlqDeserializationHandler.class);
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
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (!(exception instanceof TelemetryDecodeException decode)) {
      LOGGER.error(
          "record could not be read, not through its own fault; the stream thread will retry"
              + " topic={} partition={} offset={} error=\"{}\"",
          context.topic(),
          context.partition(),
          context.offset(),
          exception.toString());
      return Response.fail();
    }
    String reason = decode.reason();
    InputDlq.log(LOGGER, context, reason, exception, dlqTopic);
    InputDlq.count(meters, reason);
    return Response.resume(InputDlq.records(dlqTopic, context, exception, reason, oversized));
  }

  /**
   * The {@code bridge.error.reason} a deserialization failure is dead-lettered with, or {@code
   * null} when it is not dead-lettered (it fails the stream thread instead).
   */
  public static String reason(Exception exception) {
    return exception instanceof TelemetryDecodeException decode ? decode.reason() : null;
  }
}
