package dev.bluejaybridge.errors;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * The input records whose dead-letter record the broker refused as too large: the next time such a
 * record is dead-lettered (after the failed transaction is rolled back and the record read again),
 * its dead letter goes without the value, and says so. One instance per pipeline, shared by the
 * handlers of every stream thread (Kafka Streams creates handlers by class name and hands them
 * {@link InputDlq#OVERSIZED_CONFIG}).
 */
public final class OversizedDeadLetters {
  private static final long MAX_REMEMBERED = 10_000;

  private final Cache<String, Integer> refused =
      Caffeine.newBuilder().maximumSize(MAX_REMEMBERED).build();

  /** The dead letter of the input record at that position was refused at {@code bytes}. */
  void refused(String topic, int partition, long offset, int bytes) {
    refused.put(position(topic, partition, offset), bytes);
  }

  /** True when the dead letter of that input record was refused before. */
  boolean wasRefused(String topic, int partition, long offset) {
    return refused.getIfPresent(position(topic, partition, offset)) != null;
  }

  private static String position(String topic, int partition, long offset) {
    return topic + "/" + partition + "@" + offset;
  }
}
