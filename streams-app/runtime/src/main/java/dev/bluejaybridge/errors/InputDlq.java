package dev.bluejaybridge.errors;

import dev.bluejaybridge.ops.MeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.slf4j.Logger;

/**
 * Input dead-letter records: Kafka Streams' own (KIP-1034: raw key and value, original headers,
 * {@code __streams.errors.*}) plus our {@value #REASON_HEADER} header.
 */
public final class InputDlq {
  /** Header with the short reason a record was dead-lettered, e.g. {@code key-mismatch}. */
  public static final String REASON_HEADER = "bridge.error.reason";

  /**
   * Streams config entry holding the {@link MeterRegistry} the handlers count dead letters in
   * (Kafka Streams creates the handlers by class name and hands them its configs).
   */
  public static final String METER_REGISTRY_CONFIG = "bridge.meter.registry";

  private InputDlq() {}

  static String topic(Map<String, ?> configs) {
    Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    return topic == null ? null : topic.toString();
  }

  static MeterRegistry meters(Map<String, ?> configs) {
    Object registry = configs.get(METER_REGISTRY_CONFIG);
    return registry instanceof MeterRegistry meters ? meters : new SimpleMeterRegistry();
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
      String dlqTopic, ErrorHandlerContext context, Exception exception, String reason) {
    if (dlqTopic == null) {
      return List.of();
    }
    ProducerRecord<byte[], byte[]> record =
        ExceptionHandlerUtils.buildDeadLetterQueueRecord(
            dlqTopic, context.sourceRawKey(), context.sourceRawValue(), context, exception);
    record.headers().remove(REASON_HEADER);
    record.headers().add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    return List.of(record);
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
        exception.getMessage());
    logger.debug("dead-lettered record's exception", exception);
  }
}
