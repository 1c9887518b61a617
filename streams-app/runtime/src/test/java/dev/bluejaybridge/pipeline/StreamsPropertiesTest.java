package dev.bluejaybridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsPropertiesTest {

  private static BridgeConfig config(Map<String, String> extra) {
    Map<String, String> raw = new HashMap<>();
    raw.put("kafka.bootstrap.servers", "k:9092");
    raw.put("schema.registry.url", "mock://streams-properties");
    raw.putAll(extra);
    return ConfigLoader.parse(raw);
  }

  @Test
  void boundsRocksDbMemoryByDefaultWithTheConfiguredSizes() {
    Properties properties =
        StreamsProperties.from(
            config(Map.of("rocksdb.memory", "256MiB", "rocksdb.memtable-memory", "64MiB")));

    assertThat(properties.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(BoundedRocksDbConfig.class);
    assertThat(properties)
        .containsEntry(BoundedRocksDbConfig.MEMORY_CONFIG, 256L << 20)
        .containsEntry(BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG, 64L << 20);
    // What Kafka Streams makes of them: the class, and the sizes as the setter reads them.
    StreamsConfig streamsConfig = new StreamsConfig(properties);
    assertThat(streamsConfig.getClass(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(BoundedRocksDbConfig.class);
    assertThat(BoundedRocksDbConfig.sizes(streamsConfig.originals()))
        .isEqualTo(new BridgeConfig.RocksDb(256L << 20, 64L << 20));
  }

  @Test
  void aConfiguredRocksDbConfigSetterWins() {
    Properties properties =
        StreamsProperties.from(
            config(Map.of("kafka.rocksdb.config.setter", "com.example.OwnRocksDbConfig")));

    assertThat(properties.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo("com.example.OwnRocksDbConfig");
  }
}
