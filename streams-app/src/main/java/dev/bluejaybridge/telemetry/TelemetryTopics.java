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
    return new TelemetryTopics(
        new Topic<>(
            names.toolCalls(),
            Serdes.String(),
            AvroSerdes.serde(registry, ToolCall.class, autoRegister)),
        new Topic<>(
            names.events(),
            Serdes.String(),
            AvroSerdes.serde(registry, CallEvent.class, autoRegister)),
        new Topic<>(
            names.transcripts(),
            Serdes.String(),
            AvroSerdes.serde(registry, TranscriptTurn.class, autoRegister)));
  }

  public List<String> names() {
    return List.of(toolCalls.name(), events.name(), transcripts.name());
  }
}
