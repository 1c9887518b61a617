package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.Sizes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.TableFormatConfig;
import org.rocksdb.WriteBufferManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the off-heap memory of every RocksDB store of this instance, after Kafka Streams' "bounded
 * memory usage" recipe: all stores, of all tasks and stream threads, share one LRU block cache of
 * {@code rocksdb.memory} bytes, which holds data, index and filter blocks; and one {@link
 * WriteBufferManager} that charges the memtables to that same cache and flushes them when they
 * reach {@code rocksdb.memtable-memory}. Without it each store has its own cache and memtables, and
 * RocksDB's memory grows with the number of partitions.
 *
 * <p>The bound is the cache's capacity, not a hard limit: the cache is not strict (a strict one
 * fails reads when pinned blocks fill it), so it can briefly run over while blocks are in use.
 *
 * <p>Kafka Streams creates one setter per store, by reflection; the sizes arrive in the configs map
 * under {@link #MEMORY_CONFIG} and {@link #MEMTABLE_MEMORY_CONFIG} (set by {@link
 * StreamsProperties}; missing keys mean the defaults).
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {

  private static final Logger LOGGER = LoggerFactory.getLogger(BoundedRocksDbConfig.class);

  /** The shared block cache's capacity in bytes ({@code rocksdb.memory}). */
  public static final String MEMORY_CONFIG = "bridge.rocksdb.memory.bytes";

  /** The memtables' share of it in bytes ({@code rocksdb.memtable-memory}). */
  public static final String MEMTABLE_MEMORY_CONFIG = "bridge.rocksdb.memtable-memory.bytes";

  /**
   * The part of the cache kept for index and filter blocks (cached with high priority), so that
   * data blocks cannot push them out; Kafka's recipe leaves the ratio to the application.
   */
  static final double INDEX_FILTER_BLOCK_RATIO = 0.1;

  /** One block cache and its write buffer manager. */
  record SharedMemory(Cache cache, WriteBufferManager writeBufferManager) {}

  /**
   * Static because Kafka Streams instantiates a setter per store and the point is that they share.
   * Keyed by the sizes, so that two configurations in one JVM (tests, the demo) do not silently get
   * each other's; an application has one entry. Never closed: stores open and close for as long as
   * the JVM runs, and a store still open would crash on a closed cache.
   */
  private static final ConcurrentMap<BridgeConfig.RocksDb, SharedMemory> SHARED =
      new ConcurrentHashMap<>();

  /** Kafka Streams' way of creating it. */
  public BoundedRocksDbConfig() {}

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    SharedMemory shared = shared(sizes(configs));
    TableFormatConfig format = options.tableFormatConfig();
    BlockBasedTableConfig tableConfig;
    if (format == null) {
      tableConfig = new BlockBasedTableConfig();
    } else if (format instanceof BlockBasedTableConfig blockBased) {
      tableConfig = blockBased;
    } else {
      throw new IllegalStateException(
          "store "
              + storeName
              + ": RocksDB table format "
              + format.getClass().getName()
              + " has no block cache to bound");
    }
    // These three together bound the memory by the cache's capacity.
    tableConfig.setBlockCache(shared.cache());
    tableConfig.setCacheIndexAndFilterBlocks(true);
    options.setWriteBufferManager(shared.writeBufferManager());
    // Recommended with the above: index and filter blocks in the high-priority pool, and the
    // top-level ones pinned, so that a read does not first have to reload them.
    tableConfig.setCacheIndexAndFilterBlocksWithHighPriority(true);
    tableConfig.setPinTopLevelIndexAndFilter(true);
    // The native table factory is built from the config here: set it again after changing it.
    options.setTableFormatConfig(tableConfig);
  }

  @Override
  public void close(String storeName, Options options) {
    // Nothing: the cache and the write buffer manager are shared by every store (see SHARED).
  }

  /** The cache and write buffer manager every store with these sizes shares. */
  static SharedMemory shared(BridgeConfig.RocksDb sizes) {
    return SHARED.computeIfAbsent(
        sizes,
        s -> {
          RocksDB.loadLibrary();
          Cache cache = new LRUCache(s.memoryBytes(), -1, false, INDEX_FILTER_BLOCK_RATIO);
          WriteBufferManager writeBufferManager =
              new WriteBufferManager(s.memtableMemoryBytes(), cache);
          LOGGER.info(
              "RocksDB memory bounded: one block cache for every store memory={} memtable_memory={}",
              Sizes.format(s.memoryBytes()),
              Sizes.format(s.memtableMemoryBytes()));
          return new SharedMemory(cache, writeBufferManager);
        });
  }

  /** The sizes in {@code configs}, or the defaults for those missing. */
  static BridgeConfig.RocksDb sizes(Map<String, ?> configs) {
    BridgeConfig.RocksDb defaults = BridgeConfig.RocksDb.defaults();
    long memory = bytes(configs, MEMORY_CONFIG, defaults.memoryBytes());
    long memtableMemory = bytes(configs, MEMTABLE_MEMORY_CONFIG, defaults.memtableMemoryBytes());
    if (memory <= 0 || memtableMemory <= 0 || memtableMemory >= memory) {
      throw new IllegalArgumentException(
          MEMTABLE_MEMORY_CONFIG
              + " ("
              + memtableMemory
              + ") must be positive and less than "
              + MEMORY_CONFIG
              + " ("
              + memory
              + ")");
    }
    return new BridgeConfig.RocksDb(memory, memtableMemory);
  }

  private static long bytes(Map<String, ?> configs, String key, long fallback) {
    Object value = configs.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number number) {
      return number.longValue();
    }
    try {
      return Sizes.parse(value.toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
  }
}
