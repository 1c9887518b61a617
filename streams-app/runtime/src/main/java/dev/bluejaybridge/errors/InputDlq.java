package dev.bluejaybridge.errors;

import dev.bluejaybridge.ops.MeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.slf4j.Logger;

/**
 * Input dead-letter records: Kafka Streams' own (KIP-1034: raw key and value, original headers,
 * {@code __streams.errors.*}) plus our {@value #REASON_HEADER} header, with two changes that keep
 * the broker from refusing them (a refused write fails the transaction, and the record that caused
 * it would be read and refused again): the record's timestamp is the moment it is dead-lettered,
 * never the input's (whose {@code occurred_at} may lie days ahead, past the broker's {@code
 * message.timestamp.after.max.ms}); and the exception's message and stack trace are cut to a
 * bounded length. A record whose dead letter the broker refused as too large before ({@link
 * OversizedDeadLetters}) is dead-lettered without its value, and {@value #VALUE_DROPPED_HEADER}
 * says how long the value was.
 */
public final class InputDlq {
  /** Header with the short reason a record was dead-lettered, e.g. {@code key-mismatch}. */
  public static final String REASON_HEADER = "bridge.error.reason";

  /**
   * Header on a dead letter that goes without the record's value (its first write was refused as
   * too large): the value's length in bytes.
   */
  public static final String VALUE_DROPPED_HEADER = "bridge.error.value-dropped-bytes";

  /**
   * Header on an input dead letter whose key was longer than {@value #MAX_KEY_BYTES} bytes: the
   * key's length in bytes; the key is cut to its first {@value #MAX_KEY_BYTES} bytes.
   */
  public static final String KEY_DROPPED_HEADER = "bridge.error.key-dropped-bytes";

  /** The longest key an input dead letter carries whole. */
  static final int MAX_KEY_BYTES = 4 * 1024;

  /**
   * Streams config entry holding the {@link MeterRegistry} the handlers count dead letters in
   * (Kafka Streams creates the handlers by class name and hands them its configs).
   */
  public static final String METER_REGISTRY_CONFIG = "bridge.meter.registry";

  /** Streams config entry holding the pipeline's {@link OversizedDeadLetters}. */
  public static final String OVERSIZED_CONFIG = "bridge.dlq.oversized";

  /** At most this much of an exception's message goes into a header. */
  static final int MAX_MESSAGE_CHARS = 2_000;

  /** At most this much of a stack trace goes into a header. */
  static final int MAX_STACK_TRACE_CHARS = 16_000;

  private InputDlq() {}

  static String topic(Map<String, ?> configs) {
    Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    return topic == null ? null : topic.toString();
  }

  static MeterRegistry meters(Map<String, ?> configs) {
    Object registry = configs.get(METER_REGISTRY_CONFIG);
    return registry instanceof MeterRegistry meters ? meters : new SimpleMeterRegistry();
  }

  static OversizedDeadLetters oversized(Map<String, ?> configs) {
    Object oversized = configs.get(OVERSIZED_CONFIG);
    return oversized instanceof OversizedDeadLetters known ? known : new OversizedDeadLetters();
  }

  static void count(MeterRegistry meters, String reason) {
    Counter.builder(MeterNames.DLQ_RECORDS)
        .description("Records written to a dead-letter topic, by reason")
        .tag(MeterNames.TAG_DLQ, "input")
        .tag(MeterNames.TAG_REASON, reason)
        .register(meters)
        .increment();
  }

  static List<ProducerRecord<byte[], byte[]>> records(
      String dlqTopic,
      ErrorHandlerContext context,
      Exception exception,
      String reason,
      OversizedDeadLetters oversized) {
    if (dlqTopic == null) {
      return List.of();
    }
    ProducerRecord<byte[], byte[]> built =
        ExceptionHandlerUtils.buildDeadLetterQueueRecord(
            dlqTopic, context.sourceRawKey(), context.sourceRawValue(), context, exception);
    Headers headers = new RecordHeaders();
    for (Header header : built.headers()) {
      switch (header.key()) {
        case ExceptionHandlerUtils.HEADER_ERRORS_EXCEPTION_MESSAGE_NAME ->
            headers.add(header.key(), cut(header.value(), MAX_MESSAGE_CHARS));
        case ExceptionHandlerUtils.HEADER_ERRORS_STACKTRACE_NAME ->
            headers.add(header.key(), cut(header.value(), MAX_STACK_TRACE_CHARS));
        case REASON_HEADER, VALUE_DROPPED_HEADER, KEY_DROPPED_HEADER -> {
          // ours, set below; an input record's own copy is not kept
        }
        default -> headers.add(header);
      }
    }
    headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    byte[] value = built.value();
    if (value != null
        && oversized.wasRefused(context.topic(), context.partition(), context.offset())) {
      headers.add(
          VALUE_DROPPED_HEADER, String.valueOf(value.length).getBytes(StandardCharsets.UTF_8));
      value = null;
    }
    byte[] key = built.key();
    if (key != null && key.length > MAX_KEY_BYTES) {
      // A key this long is itself the poison (call-id-too-long): its first bytes name it, and
      // the whole of it could make the dead letter one the topic refuses (a task failure and a
      // thread replacement before the retry drops the value).
      headers.add(KEY_DROPPED_HEADER, String.valueOf(key.length).getBytes(StandardCharsets.UTF_8));
      key = Arrays.copyOf(key, MAX_KEY_BYTES);
    }
    // The moment of dead-lettering: the input's own timestamp may be one the broker refuses.
    return List.of(
        new ProducerRecord<>(dlqTopic, null, System.currentTimeMillis(), key, value, headers));
  }

  /** At most {@code maxChars} characters of UTF-8 {@code text}, saying where it was cut. */
  static byte[] cut(byte[] text, int maxChars) {
    if (text == null) {
      return null;
    }
    String whole = new String(text, StandardCharsets.UTF_8);
    if (whole.length() <= maxChars) {
      return text;
    }
    return (whole.substring(0, maxChars) + "...(cut, " + whole.length() + " chars in all)")
        .getBytes(StandardCharsets.UTF_8);
  }

  static void log(
      Logger logger,
      ErrorHandlerContext context,
      String reason,
      Exception exception,
      String dlqTopic) {
    logger.warn(
        "input record dead-lettered reason={} topic={} partition={} offset={} dlq={} error=\"{}\"",
        reason,
        context.topic(),
        context.partition(),
        context.offset(),
        dlqTopic,
        new String(
            cut(
                String.valueOf(exception.getMessage()).getBytes(StandardCharsets.UTF_8),
                MAX_MESSAGE_CHARS),
            StandardCharsets.UTF_8));
    logger.debug("dead-lettered record's exception", exception);
  }
}
