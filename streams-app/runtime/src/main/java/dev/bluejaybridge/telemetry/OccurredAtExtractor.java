package dev.bluejaybridge.telemetry;

import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Uses {@code occurred_at} as the record time, Kafka Streams' stream time (docs/topics.md), when it
 * is sane: not negative, and at most {@code input.max-ahead} after the record's Kafka timestamp
 * (which the broker checked against its own clock when the record was written). Otherwise, or
 * without a usable {@code occurred_at}, the record must not move time: it takes its partition's
 * time so far (its Kafka timestamp when it is the partition's first record). So one record three
 * days ahead does not carry the task's stream time with it, and a record still reaches validation,
 * which dead-letters it: Kafka Streams would drop one with a negative timestamp silently.
 *
 * <p>This time orders records and is the stream time against which validation measures {@code
 * input.max-behind}; nothing the bridge writes carries it (validation forwards each record with the
 * wall-clock time).
 */
public final class OccurredAtExtractor implements TimestampExtractor {
  private final long maxAheadMs;

  /**
   * @param maxAhead how far {@code occurred_at} may lie after the Kafka timestamp ({@code
   *     input.max-ahead})
   */
  public OccurredAtExtractor(Duration maxAhead) {
    this.maxAheadMs = maxAhead.toMillis();
  }

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    long kafkaTime = record.timestamp();
    if (record.value() instanceof SpecificRecord value) {
      try {
        long occurredAt = Telemetry.occurredAt(value);
        if (occurredAt >= 0 && (kafkaTime < 0 || occurredAt <= kafkaTime + maxAheadMs)) {
          return occurredAt;
        }
      } catch (IllegalArgumentException | NullPointerException | ArithmeticException notUsable) {
        // fall through to the Kafka timestamp
      }
    }
    if (partitionTime >= 0) {
      return partitionTime;
    }
    return Math.max(kafkaTime, 0);
  }
}
