package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.errors.InputDlq;
import dev.bluejaybridge.errors.InputDlqDeserializationHandler;
import dev.bluejaybridge.errors.InputDlqProcessingHandler;
import dev.bluejaybridge.errors.OversizedDeadLetters;
import dev.bluejaybridge.errors.WriteFailureHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams configuration: every {@code kafka.*} key, plus the error handling we rely on.
 */
public final class StreamsProperties {
  private StreamsProperties() {}

  /**
   * Outbox entries carry whole request bodies (up to 16 MiB, see DeliveryStores): the producer must
   * be allowed to write them to the outbox changelog. A value set in the config wins.
   */
  static final String PRODUCER_MAX_REQUEST_SIZE = "producer.max.request.size";

  /** As {@link #from(BridgeConfig)}, with the registry the dead-letter handlers count in. */
  public static Properties from(BridgeConfig config, MeterRegistry meters) {
    Properties properties = from(config);
    properties.put(InputDlq.METER_REGISTRY_CONFIG, meters);
    return properties;
  }

  /**
   * The {@code kafka.*} settings a plain client (producer, consumer, admin) takes: connection and
   * security, without the Kafka Streams ones.
   */
  public static java.util.Map<String, Object> clientProperties(BridgeConfig config) {
    java.util.Map<String, Object> properties = new java.util.HashMap<>(config.kafka().properties());
    properties.keySet().removeAll(StreamsConfig.configDef().names());
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    return properties;
  }

  /**
   * The Kafka Streams settings: every {@code kafka.*} key over our defaults (the producer's request
   * size, {@link BoundedRocksDbConfig} as {@code rocksdb.config.setter}; a configured setter wins,
   * and then {@code rocksdb.memory} and {@code rocksdb.memtable-memory} have no effect unless it
   * reads them), then the error handling, which is always ours: the input DLQ and what goes there
   * (deserialization and processing handlers), and what a refused write does (production handler).
   */
  public static Properties from(BridgeConfig config) {
    Properties properties = new Properties();
    properties.put(PRODUCER_MAX_REQUEST_SIZE, String.valueOf(17 * 1024 * 1024));
    properties.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
    properties.put(BoundedRocksDbConfig.MEMORY_CONFIG, config.rocksDb().memoryBytes());
    properties.put(
        BoundedRocksDbConfig.MEMTABLE_MEMORY_CONFIG, config.rocksDb().memtableMemoryBytes());
    properties.putAll(config.kafka().properties());
    // Ours, whatever the file says: poison input must reach the input DLQ (KIP-1034).
    properties.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topics().inputDlq());
    properties.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        InputDlqDeserializationHandler.class.getName());
    properties.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        InputDlqProcessingHandler.class.getName());
    // A refused write is never skipped (WriteFailureHandler).
    properties.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
        WriteFailureHandler.class.getName());
    // Shared by the handlers of every stream thread of this pipeline.
    properties.put(InputDlq.OVERSIZED_CONFIG, new OversizedDeadLetters());
    // The 5.0 default, and silences a start-up warning (there are no global stores).
    properties.put("processing.exception.handler.global.enabled", "true");
    return properties;
  }
}
