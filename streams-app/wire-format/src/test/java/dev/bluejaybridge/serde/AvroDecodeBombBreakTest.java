package dev.bluejaybridge.serde;

import static dev.bluejaybridge.serde.TelemetrySamples.TOOL_CALLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.telemetry.ToolCall;
import java.time.Duration;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * Breaker: issue 13 item 7 ("Decoding is bounded ... the stream thread never hangs"). A writer
 * schema registered in the registry may reuse named records: {@code R0} has no fields, {@code R(i)}
 * has two fields of type {@code R(i-1)}. A value of {@code R40} takes zero bytes but is a tree of
 * 2^41 records, 42 levels deep (under {@code BoundedAvroWalk.MAX_DEPTH}); it holds no array or map,
 * so neither the item bound nor the depth bound applies. The record below is a well-formed ToolCall
 * plus a writer-only field of type {@code R40} and not one byte more.
 */
class AvroDecodeBombBreakTest {
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroDeserializer<ToolCall> toolCalls =
      new AvroDeserializer<>(registry, ToolCall.class);

  @Test
  void zeroByteWriterOnlyFieldOfExponentiallyNestedEmptyRecordsEndsFast() {
    StringBuilder type = new StringBuilder("{\"type\":\"record\",\"name\":\"R0\",\"fields\":[]}");
    for (int i = 1; i <= 40; i++) {
      type =
          new StringBuilder(
              "{\"type\":\"record\",\"name\":\"R"
                  + i
                  + "\",\"fields\":[{\"name\":\"a\",\"type\":"
                  + type
                  + "},{\"name\":\"b\",\"type\":\"R"
                  + (i - 1)
                  + "\"}]}");
    }
    String json = ToolCall.SCHEMA$.toString();
    Schema writer =
        new Schema.Parser()
            .parse(
                json.substring(0, json.length() - 2)
                    + ",{\"name\":\"bomb\",\"type\":"
                    + type
                    + "}]}");
    int id = registry.register(TOOL_CALLS + "-value", writer);
    byte[] known =
        new AvroSerializer<ToolCall>(registry, true)
            .serialize(TOOL_CALLS, TelemetrySamples.toolCall());
    // The bomb field encodes to zero bytes: the payload is the plain ToolCall's.
    byte[] value = WireFormat.encode(id, WireFormat.decode(known).payload());

    TelemetryDecodeException error =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () ->
                assertThatExceptionOfType(TelemetryDecodeException.class)
                    .isThrownBy(() -> toolCalls.deserialize(TOOL_CALLS, value))
                    .actual(),
            "decoding a " + value.length + "-byte value did not end within 10 s");

    assertThat(error.reason()).isEqualTo("decode-limit");
  }
}
