package dev.bluejaybridge.telemetry;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerdes;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;

/** The three input topics, built once from the config: keys are UTF-8 call ids, values Avro. */
public record TelemetryTopics(
    Topic<String, ToolCall> toolCalls,
    Topic<String, CallEvent> events,
    Topic<String, TranscriptTurn> transcripts) {

  /**
   * Descriptors whose value serdes speak the Confluent wire format through {@code registry}; {@code
   * autoRegister} applies to serializing (producers in tests, the demo), never to reading.
   */
  public static TelemetryTopics create(
      BridgeConfig.Topics names, SchemaRegistry registry, boolean autoRegister) {
    return create(names, registry, autoRegister, Integer.MAX_VALUE);
  }

  /**
   * As {@link #create(BridgeConfig.Topics, SchemaRegistry, boolean)}; values over {@code
   * maxRecordBytes} ({@code call.max-record-bytes}) fail to deserialize as {@code
   * record-too-large}.
   */
  public static TelemetryTopics create(
      BridgeConfig.Topics names,
      SchemaRegistry registry,
      boolean autoRegister,
      int maxRecordBytes) {
    return new TelemetryTopics(
        new Topic<>(
            names.toolCalls(),
            Serdes.String(),
            AvroSerdes.serde(registry, ToolCall.class, autoRegister, maxRecordBytes)),
        new Topic<>(
            names.events(),
            Serdes.String(),
            AvroSerdes.serde(registry, CallEvent.class, autoRegister, maxRecordBytes)),
        new Topic<>(
            names.transcripts(),
            Serdes.String(),
            AvroSerdes.serde(registry, TranscriptTurn.class, autoRegister, maxRecordBytes)));
  }

  public List<String> names() {
    return List.of(toolCalls.name(), events.name(), transcripts.name());
  }
}
