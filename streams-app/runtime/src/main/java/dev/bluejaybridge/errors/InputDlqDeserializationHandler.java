package dev.bluejaybridge.errors;

import dev.bluejaybridge.registry.RegistryException;
import dev.bluejaybridge.serde.TelemetryDecodeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record that cannot be decoded goes to the input DLQ with its reason and processing continues.
 * The exception: a registry failure other than "unknown schema id" (unreachable, refused
 * credentials) is not the record's fault, so the stream thread fails, is replaced, and reads the
 * record again from the last commit.
 */
public final class InputDlqDeserializationHandler implements DeserializationExceptionHandler {
  private static final Logger LOGGER =
      LoggerFactory.getLogger(InputDlqDeserializationHandler.class);
  private String dlqTopic;
  private MeterRegistry meters = new SimpleMeterRegistry();

  @Override
  public void configure(Map<String, ?> configs) {
    dlqTopic = InputDlq.topic(configs);
    meters = InputDlq.meters(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (exception instanceof RegistryException) {
      // Unreachable registry, bad credentials: not the record's fault, so fail and retry it.
      LOGGER.error(
          "schema registry failed; the stream thread will retry topic={} partition={} offset={} error=\"{}\"",
          context.topic(),
          context.partition(),
          context.offset(),
          exception.getMessage());
      return Response.fail();
    }
    String reason = reason(exception);
    InputDlq.log(LOGGER, context, reason, exception, dlqTopic);
    InputDlq.count(meters, reason);
    return Response.resume(InputDlq.records(dlqTopic, context, exception, reason));
  }

  /** The {@code bridge.error.reason} a deserialization failure is dead-lettered with. */
  public static String reason(Exception exception) {
    if (exception instanceof TelemetryDecodeException decode) {
      return decode.reason();
    }
    if (exception instanceof SerializationException) {
      return "undecodable";
    }
    return "deserialization-error";
  }
}
