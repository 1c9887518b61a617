package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.errors.InputDlqDeserializationHandler;
import dev.bluejaybridge.errors.InputDlqProcessingHandler;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams configuration: every {@code kafka.*} key, plus the error handling we rely on.
 */
public final class StreamsProperties {
  private StreamsProperties() {}

  public static Properties from(BridgeConfig config) {
    Properties properties = new Properties();
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
    return properties;
  }
}
