package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The three persistent (RocksDB, changelogged) stores of the aggregation:
 *
 * <ul>
 *   <li>{@value #CALLS}: call_id → {@link CallState}, the small fixed-size summary of each call;
 *   <li>{@value #PARTS}: (call_id, seq) → {@link CallPart}, one entry per record, so a record costs
 *       one write whatever the length of its call;
 *   <li>{@value #TIMERS}: (due time, call_id) → nothing, one entry per call, so that finding the
 *       calls due to close reads only those.
 * </ul>
 *
 * State values use Avro's single-object encoding (schema fingerprint + binary), so a later version
 * of the app can tell which schema wrote them.
 */
final class CallStores {
  public static final String CALLS = "call-state";
  public static final String PARTS = "call-parts";
  public static final String TIMERS = "call-timers";

  private CallStores() {}

  /** Builders for the three stores, to add to the topology and connect to the aggregation. */
  public static List<StoreBuilder<?>> builders() {
    StoreBuilder<KeyValueStore<String, CallState>> calls =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CALLS), Serdes.String(), callStateSerde())
            .withCachingEnabled();
    StoreBuilder<KeyValueStore<Bytes, CallPart>> parts =
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PARTS), Serdes.Bytes(), callPartSerde());
    StoreBuilder<KeyValueStore<Bytes, byte[]>> timers =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TIMERS), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingEnabled();
    return List.of(calls, parts, timers);
  }

  static Serde<CallState> callStateSerde() {
    return Serdes.serdeFrom(
        (topic, state) -> state == null ? null : toBytes(encode(state)),
        (topic, bytes) -> bytes == null ? null : decodeState(bytes));
  }

  static Serde<CallPart> callPartSerde() {
    return Serdes.serdeFrom(
        (topic, part) -> part == null ? null : toBytes(encode(part)),
        (topic, bytes) -> bytes == null ? null : decodePart(bytes));
  }

  private static ByteBuffer encode(CallState state) {
    try {
      return state.toByteBuffer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteBuffer encode(CallPart part) {
    try {
      return part.toByteBuffer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static CallState decodeState(byte[] bytes) {
    try {
      return CallState.fromByteBuffer(ByteBuffer.wrap(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable call state", e);
    }
  }

  private static CallPart decodePart(byte[] bytes) {
    try {
      return CallPart.fromByteBuffer(ByteBuffer.wrap(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable call part", e);
    }
  }

  private static byte[] toBytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
