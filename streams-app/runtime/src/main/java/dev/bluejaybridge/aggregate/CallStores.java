package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.DeliveredCall;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The four persistent (RocksDB, changelogged) stores of the aggregation:
 *
 * <ul>
 *   <li>{@value #CALLS}: call_id → {@link CallState}, the small fixed-size summary of each call
 *       open or closed less than {@code call.late-retention} ago;
 *   <li>{@value #PARTS}: (call_id, seq) → {@link CallPart}, one entry per record, so a record costs
 *       one write whatever the length of its call;
 *   <li>{@value #TIMERS}: (due time, call_id) → nothing, one entry per call of {@value #CALLS} or
 *       {@value #DELIVERED}, so that finding the calls due reads only those; and, under a key of
 *       its own that sorts after every timer ({@link Keys#OPEN_CALLS}), the number of open calls,
 *       so that a task starting here knows it without reading the whole store;
 *   <li>{@value #DELIVERED}: call_id → {@link DeliveredCall}, the compact index of calls closed
 *       longer than {@code call.late-retention} ago, kept until {@code call.delivered-retention}
 *       after their close, so that a record of one is handed on as late and never starts a fragment
 *       of it.
 * </ul>
 *
 * State values are read and written by {@link StateSerdes}: single-object encoding, read back
 * whichever released schema wrote them.
 */
final class CallStores {
  public static final String CALLS = "call-state";
  public static final String PARTS = "call-parts";
  public static final String TIMERS = "call-timers";
  public static final String DELIVERED = "delivered-calls";

  private CallStores() {}

  /**
   * What a part's changelog record may hold beyond the input value it stores: its key (the call_id,
   * at most {@link dev.bluejaybridge.telemetry.TelemetryValidator#MAX_CALL_ID_BYTES}, and a
   * sequence number), the single-object header, the union index, the record batch's framing, and
   * what the reader schema's defaults add to a value an older writer wrote.
   */
  static final int PART_OVERHEAD_BYTES = 64 * 1024;

  /**
   * Builders for the stores, to add to the topology and connect to the aggregation.
   *
   * @param maxRecordBytes {@code call.max-record-bytes}: the largest input value taken, which one
   *     part stores whole. The parts' changelog topic is created with a {@code max.message.bytes}
   *     that fits it (the broker's default, 1 MiB, refused a part of a record at the limit, and the
   *     task failed on it after every restart). A changelog topic that already exists keeps its
   *     configuration: raise it with kafka-configs when raising {@code call.max-record-bytes}.
   */
  public static List<StoreBuilder<?>> builders(int maxRecordBytes) {
    StoreBuilder<KeyValueStore<String, CallState>> calls =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CALLS), Serdes.String(), callStateSerde())
            .withCachingEnabled();
    StoreBuilder<KeyValueStore<Bytes, CallPart>> parts =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PARTS), Serdes.Bytes(), callPartSerde())
            .withLoggingEnabled(
                Map.of(
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    String.valueOf((long) maxRecordBytes + PART_OVERHEAD_BYTES)));
    StoreBuilder<KeyValueStore<Bytes, byte[]>> timers =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TIMERS), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingEnabled();
    StoreBuilder<KeyValueStore<String, DeliveredCall>> delivered =
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(DELIVERED), Serdes.String(), deliveredCallSerde());
    return List.of(calls, parts, timers, delivered);
  }

  static Serde<CallState> callStateSerde() {
    return StateSerdes.of(
        CallState.getClassSchema(), CallState::toByteBuffer, CallState::createDecoder);
  }

  static Serde<CallPart> callPartSerde() {
    return StateSerdes.of(
        CallPart.getClassSchema(), CallPart::toByteBuffer, CallPart::createDecoder);
  }

  static Serde<DeliveredCall> deliveredCallSerde() {
    return StateSerdes.of(
        DeliveredCall.getClassSchema(), DeliveredCall::toByteBuffer, DeliveredCall::createDecoder);
  }

  /** The number of open calls kept in {@code timers}; 0 when none was kept yet. */
  static long openCalls(KeyValueStore<Bytes, byte[]> timers) {
    byte[] count = timers.get(Keys.OPEN_CALLS);
    return count == null ? 0 : ByteBuffer.wrap(count).getLong();
  }

  static void openCalls(KeyValueStore<Bytes, byte[]> timers, long count) {
    timers.put(Keys.OPEN_CALLS, ByteBuffer.allocate(Long.BYTES).putLong(count).array());
  }
}
