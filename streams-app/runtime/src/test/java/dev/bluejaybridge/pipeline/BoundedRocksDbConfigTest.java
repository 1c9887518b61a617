package dev.bluejaybridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.config.BridgeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

class BoundedRocksDbConfigTest {

  private static final Map<String, Object> CONFIGS =
      Map.of(
          BoundedRocksDbConfig.MEMORY_CONFIG, 48L << 20,
          BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG, 12L << 20);

  /** The table config Kafka Streams hands to a setter, with the store's own cache in it. */
  private static BlockBasedTableConfigWithAccessibleCache kafkaTableConfig(Cache ownCache) {
    BlockBasedTableConfigWithAccessibleCache tableConfig =
        new BlockBasedTableConfigWithAccessibleCache();
    tableConfig.setBlockCache(ownCache);
    return tableConfig;
  }

  @Test
  void everyStoreGetsTheSharedCacheAndWriteBufferManager() {
    try (Options first = new Options();
        Options second = new Options();
        Cache firstOwn = new LRUCache(1 << 20);
        Cache secondOwn = new LRUCache(1 << 20)) {
      first.setTableFormatConfig(kafkaTableConfig(firstOwn));
      second.setTableFormatConfig(kafkaTableConfig(secondOwn));

      new BoundedRocksDbConfig().setConfig("call-state", first, CONFIGS);
      new BoundedRocksDbConfig().setConfig("outbox", second, CONFIGS);

      BoundedRocksDbConfig.SharedMemory shared =
          BoundedRocksDbConfig.shared(new BridgeConfig.RocksDb(48L << 20, 12L << 20));
      BlockBasedTableConfigWithAccessibleCache firstTable =
          (BlockBasedTableConfigWithAccessibleCache) first.tableFormatConfig();
      BlockBasedTableConfigWithAccessibleCache secondTable =
          (BlockBasedTableConfigWithAccessibleCache) second.tableFormatConfig();
      assertThat(firstTable.blockCache()).isSameAs(shared.cache()).isNotSameAs(firstOwn);
      assertThat(secondTable.blockCache()).isSameAs(firstTable.blockCache());
      assertThat(first.writeBufferManager()).isSameAs(shared.writeBufferManager());
      assertThat(second.writeBufferManager()).isSameAs(first.writeBufferManager());
      assertThat(firstTable.cacheIndexAndFilterBlocks()).isTrue();
      assertThat(firstTable.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
      assertThat(firstTable.pinTopLevelIndexAndFilter()).isTrue();
    }
  }

  /** Guards the native side too: RocksDB itself must use the shared cache, not only the config. */
  @Test
  void aRealStoreChargesMemtablesAndReadBlocksToTheSharedCache(@TempDir Path dir)
      throws RocksDBException {
    Map<String, Object> configs =
        Map.of(
            BoundedRocksDbConfig.MEMORY_CONFIG, 24L << 20,
            BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG, 6L << 20);
    Cache shared =
        BoundedRocksDbConfig.shared(new BridgeConfig.RocksDb(24L << 20, 6L << 20)).cache();
    try (Cache own = new LRUCache(8 << 20);
        Options options = new Options().setCreateIfMissing(true)) {
      options.setTableFormatConfig(kafkaTableConfig(own));
      new BoundedRocksDbConfig().setConfig("call-parts", options, configs);
      byte[] value = "x".repeat(200).getBytes(StandardCharsets.UTF_8);
      try (RocksDB db = RocksDB.open(options, dir.toString());
          FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        long empty = shared.getUsage();
        for (int i = 0; i < 20_000; i++) {
          db.put(key(i), value);
        }
        // Given memtables charged to the shared cache by the write buffer manager
        assertThat(shared.getUsage()).isGreaterThan(empty);
        db.flush(flush);
      }
      // The write buffer manager gives its reservations back lazily; a reopened store has none.
      try (RocksDB db = RocksDB.open(options, dir.toString())) {
        long beforeReads = shared.getUsage();
        for (int i = 0; i < 20_000; i++) {
          assertThat(db.get(key(i))).isNotNull();
        }

        // Then the data blocks read from the table files went into the shared cache too
        assertThat(shared.getUsage()).isGreaterThan(beforeReads + (1 << 20));
        assertThat(own.getUsage()).isZero();
      }
    }
  }

  private static byte[] key(int i) {
    return String.format("call-%08d", i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void otherSizesGetAnotherCache() {
    try (Options options = new Options()) {
      options.setTableFormatConfig(new BlockBasedTableConfig());

      new BoundedRocksDbConfig()
          .setConfig(
              "call-state",
              options,
              Map.of(
                  BoundedRocksDbConfig.MEMORY_CONFIG, 40L << 20,
                  BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG, 10L << 20));

      assertThat(options.writeBufferManager())
          .isSameAs(
              BoundedRocksDbConfig.shared(new BridgeConfig.RocksDb(40L << 20, 10L << 20))
                  .writeBufferManager())
          .isNotSameAs(
              BoundedRocksDbConfig.shared(new BridgeConfig.RocksDb(48L << 20, 12L << 20))
                  .writeBufferManager());
    }
  }

  @Test
  void closingAStoreLeavesTheSharedCacheOpen() {
    BoundedRocksDbConfig setter = new BoundedRocksDbConfig();
    try (Options options = new Options()) {
      options.setTableFormatConfig(new BlockBasedTableConfig());
      setter.setConfig("call-parts", options, CONFIGS);
      setter.close("call-parts", options);
    }

    BoundedRocksDbConfig.SharedMemory shared =
        BoundedRocksDbConfig.shared(new BridgeConfig.RocksDb(48L << 20, 12L << 20));
    assertThat(shared.cache().isOwningHandle()).isTrue();
    assertThat(shared.writeBufferManager().isOwningHandle()).isTrue();
  }

  @Test
  void readsSizesFromTheConfigsWithDefaultsForMissingOnes() {
    assertThat(BoundedRocksDbConfig.sizes(Map.of())).isEqualTo(BridgeConfig.RocksDb.defaults());
    assertThat(BoundedRocksDbConfig.sizes(Map.of(BoundedRocksDbConfig.MEMORY_CONFIG, "1GiB")))
        .isEqualTo(new BridgeConfig.RocksDb(1L << 30, 128L << 20));
    assertThat(BoundedRocksDbConfig.sizes(CONFIGS))
        .isEqualTo(new BridgeConfig.RocksDb(48L << 20, 12L << 20));
  }

  @Test
  void refusesSizesThatCannotBound() {
    assertThatThrownBy(
            () ->
                BoundedRocksDbConfig.sizes(
                    Map.of(
                        BoundedRocksDbConfig.MEMORY_CONFIG, 8L << 20,
                        BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG, 8L << 20)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG);
    assertThatThrownBy(
            () -> BoundedRocksDbConfig.sizes(Map.of(BoundedRocksDbConfig.MEMORY_CONFIG, "lots")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(BoundedRocksDbConfig.MEMORY_CONFIG + ": 'lots' is not a size");
  }
}
