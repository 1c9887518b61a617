package dev.bluejaybridge.telemetry;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Uses {@code occurred_at} as the record time (docs/topics.md). A record without a usable one keeps
 * its Kafka timestamp, so that it still reaches validation and, if it is poison, the input DLQ:
 * Kafka Streams would silently drop a record with a negative timestamp.
 */
public final class OccurredAtExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof SpecificRecord value) {
      try {
        long occurredAt = Telemetry.occurredAt(value);
        if (occurredAt >= 0) {
          return occurredAt;
        }
      } catch (IllegalArgumentException | NullPointerException notTelemetry) {
        // fall through to the Kafka timestamp
      }
    }
    if (record.timestamp() >= 0) {
      return record.timestamp();
    }
    return Math.max(partitionTime, 0);
  }
}
