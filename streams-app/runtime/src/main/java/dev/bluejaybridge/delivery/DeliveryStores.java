package dev.bluejaybridge.delivery;

import dev.bluejaybridge.aggregate.StateSerdes;
import dev.bluejaybridge.state.OutboxEntry;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The outbox: call_id → {@link OutboxEntry} (changelogged, so a crash re-sends rather than loses),
 * and its due index (next attempt time, call_id) so a dispatch cycle reads only the entries that
 * are due.
 */
public final class DeliveryStores {
  public static final String OUTBOX = "outbox";
  public static final String OUTBOX_DUE = "outbox-due";

  /** Outbox entries hold whole request bodies; their changelog takes records this large. */
  static final int MAX_ENTRY_BYTES = 16 * 1024 * 1024;

  /** The largest request body kept for delivery, leaving room for the rest of the entry. */
  static final int MAX_REQUEST_BYTES = 15 * 1024 * 1024;

  private DeliveryStores() {}

  public static List<StoreBuilder<?>> builders() {
    StoreBuilder<KeyValueStore<String, OutboxEntry>> outbox =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(OUTBOX), Serdes.String(), entrySerde())
            .withLoggingEnabled(Map.of("max.message.bytes", String.valueOf(MAX_ENTRY_BYTES)));
    StoreBuilder<KeyValueStore<Bytes, byte[]>> due =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(OUTBOX_DUE), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingEnabled();
    return List.of(outbox, due);
  }

  /**
   * Single-object encoding, read back whichever released {@code OutboxEntry} schema wrote it
   * ({@link StateSerdes}).
   */
  public static Serde<OutboxEntry> entrySerde() {
    return StateSerdes.of(
        OutboxEntry.getClassSchema(), OutboxEntry::toByteBuffer, OutboxEntry::createDecoder);
  }
}
