package dev.bluejaybridge.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Whatever bytes arrive, the deserializers give a value or a {@link TelemetryDecodeException} with
 * a known reason: never an NPE, an index error, an Avro exception or an out-of-memory.
 */
class AvroDeserializerProperties {

  private static final Set<String> REASONS =
      Set.of(
          "bad-magic-byte",
          "truncated",
          "unknown-schema-id",
          "schema-mismatch",
          "undecodable",
          // a corrupted array count can declare more items than the value has bytes
          "decode-limit");
  private static final String TOPIC = "calls.any";

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final List<byte[]> validValues;
  private final List<Deserializer<?>> deserializers =
      List.of(
          new AvroDeserializer<>(registry, ToolCall.class),
          new AvroDeserializer<>(registry, CallEvent.class),
          new AvroDeserializer<>(registry, TranscriptTurn.class));

  AvroDeserializerProperties() {
    // ids 1-5: ToolCall, CallEvent, TranscriptTurn, ToolCall + optional field, TranscriptTurn + BOT
    validValues =
        List.of(
            new AvroSerializer<ToolCall>(registry, true)
                .serialize("a", TelemetrySamples.toolCall()),
            new AvroSerializer<CallEvent>(registry, true)
                .serialize("b", TelemetrySamples.callEvent()),
            new AvroSerializer<TranscriptTurn>(registry, true)
                .serialize("c", TelemetrySamples.transcriptTurn()));
    registry.register("d", TelemetrySamples.toolCallWithExtraOptionalField());
    registry.register("e", TelemetrySamples.transcriptTurnWithBotSpeaker());
  }

  @Property
  void anyBytesDecodeOrFailWithADecodeException(@ForAll byte[] data) {
    decodesOrFailsCleanly(data);
  }

  @Property
  void anyPayloadUnderAKnownIdDecodesOrFailsWithADecodeException(
      @ForAll @IntRange(min = 1, max = 6) int schemaId, @ForAll @Size(max = 200) byte[] payload) {
    decodesOrFailsCleanly(WireFormat.encode(schemaId, payload));
  }

  @Property
  void corruptedValidValuesDecodeOrFailWithADecodeException(
      @ForAll("validValue") byte[] value,
      @ForAll @IntRange(min = 5, max = 500) int position,
      @ForAll byte replacement) {
    byte[] corrupted = value.clone();
    corrupted[position % corrupted.length] = replacement;

    decodesOrFailsCleanly(corrupted);
  }

  @Property
  void cutOrExtendedValidValuesAlwaysFailWithADecodeException(
      @ForAll("validValue") byte[] value, @ForAll @IntRange(min = 0, max = 500) int newLength) {
    byte[] resized = Arrays.copyOf(value, newLength % (value.length * 2));
    if (resized.length == value.length) {
      return;
    }
    for (Deserializer<?> deserializer : deserializers) {
      try {
        deserializer.deserialize(TOPIC, resized);
        throw new AssertionError("decoded a value of the wrong length");
      } catch (TelemetryDecodeException expected) {
        assertThat(REASONS).contains(expected.reason());
      }
    }
  }

  @Provide
  Arbitrary<byte[]> validValue() {
    return Arbitraries.of(validValues);
  }

  private void decodesOrFailsCleanly(byte[] data) {
    for (Deserializer<?> deserializer : deserializers) {
      try {
        deserializer.deserialize(TOPIC, data);
      } catch (TelemetryDecodeException e) {
        assertThat(REASONS).contains(e.reason());
        assertThat(e.getMessage()).contains("topic=" + TOPIC);
      }
    }
  }
}
