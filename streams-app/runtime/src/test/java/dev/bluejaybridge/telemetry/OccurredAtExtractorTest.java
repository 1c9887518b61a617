package dev.bluejaybridge.telemetry;

import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 6: occurred_at is the record time only when it is sane; a record days ahead does
 * not move its partition's time.
 */
class OccurredAtExtractorTest {
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private final OccurredAtExtractor extractor = new OccurredAtExtractor(Duration.ofHours(1));

  private static ConsumerRecord<Object, Object> record(Instant occurredAt, long kafkaTime) {
    return new ConsumerRecord<>(
        "calls.tool-calls",
        0,
        7,
        kafkaTime,
        TimestampType.CREATE_TIME,
        0,
        0,
        "c1",
        toolCall("c1", "x", 0).setOccurredAt(occurredAt).build(),
        new RecordHeaders(),
        Optional.empty());
  }

  @Test
  void saneOccurredAtIsTheRecordTime() {
    Instant occurredAt = NOW.minus(Duration.ofDays(30));

    assertThat(extractor.extract(record(occurredAt, NOW.toEpochMilli()), 5L))
        .isEqualTo(occurredAt.toEpochMilli());
    assertThat(extractor.extract(record(NOW.plus(Duration.ofMinutes(59)), NOW.toEpochMilli()), 5L))
        .isEqualTo(NOW.plus(Duration.ofMinutes(59)).toEpochMilli());
  }

  @Test
  void occurredAtFarAheadOfTheKafkaTimestampDoesNotMoveThePartitionsTime() {
    ConsumerRecord<Object, Object> ahead = record(NOW.plus(Duration.ofDays(3)), NOW.toEpochMilli());
    long partitionTime = NOW.minus(Duration.ofMinutes(5)).toEpochMilli();

    assertThat(extractor.extract(ahead, partitionTime)).isEqualTo(partitionTime);
    // the partition's first record: its Kafka timestamp, which the broker checked
    assertThat(extractor.extract(ahead, -1)).isEqualTo(NOW.toEpochMilli());
  }

  @Test
  void negativeOccurredAtDoesNotMakeKafkaStreamsDropTheRecord() {
    assertThat(extractor.extract(record(Instant.ofEpochMilli(-5), NOW.toEpochMilli()), 42L))
        .isEqualTo(42L);
    assertThat(extractor.extract(record(Instant.ofEpochMilli(-5), -1), -1)).isZero();
  }
}
