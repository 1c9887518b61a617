package dev.bluejaybridge.aggregate;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Binary keys of the part and timer stores, laid out so that RocksDB's byte order does the work: a
 * call's parts are one contiguous range in arrival order, and timers are ordered by due time, so
 * that a punctuation reads only the timers that are due. The delivery outbox orders its due entries
 * with the same timer keys.
 */
public final class Keys {
  /**
   * The key under which the timer store keeps the number of open calls. Its first byte, 0xFF, is
   * larger than the first byte of every timer key (a due time is never negative), so it sorts after
   * every timer and no range of due timers reaches it.
   */
  static final Bytes OPEN_CALLS =
      Bytes.wrap("\u00ffopen-calls".getBytes(StandardCharsets.ISO_8859_1));

  private Keys() {}

  /**
   * {@code [int length][call_id UTF-8][long seq]}: the length prefix keeps one call's range apart.
   */
  static Bytes part(String callId, long seq) {
    byte[] id = callId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(
        ByteBuffer.allocate(4 + id.length + 8).putInt(id.length).put(id).putLong(seq).array());
  }

  /**
   * {@code [long dueAt][call_id UTF-8]}; due times are never negative, so byte order is time order.
   */
  public static Bytes timer(long dueAt, String callId) {
    byte[] id = callId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(dueAt).put(id).array());
  }

  /**
   * The inclusive upper bound of every timer due at or before {@code now} (call ids are not empty).
   */
  public static Bytes timersDueBy(long now) {
    return Bytes.wrap(ByteBuffer.allocate(8).putLong(now + 1).array());
  }

  public static Bytes firstTimer() {
    return Bytes.wrap(new byte[8]);
  }

  public static long timerDueAt(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong();
  }

  public static String timerCallId(Bytes key) {
    byte[] bytes = key.get();
    return new String(bytes, 8, bytes.length - 8, StandardCharsets.UTF_8);
  }
}
