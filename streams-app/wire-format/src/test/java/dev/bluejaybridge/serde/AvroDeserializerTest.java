package dev.bluejaybridge.serde;

import static dev.bluejaybridge.serde.TelemetrySamples.EVENTS;
import static dev.bluejaybridge.serde.TelemetrySamples.TOOL_CALLS;
import static dev.bluejaybridge.serde.TelemetrySamples.TRANSCRIPTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.registry.RegistryUnavailableException;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.assertj.core.api.ThrowableAssertAlternative;
import org.junit.jupiter.api.Test;

class AvroDeserializerTest {

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroDeserializer<ToolCall> toolCalls =
      new AvroDeserializer<>(registry, ToolCall.class);

  @Test
  void callEventOnToolCallsTopicIsSchemaMismatch() {
    byte[] event =
        new AvroSerializer<CallEvent>(registry, true)
            .serialize(EVENTS, TelemetrySamples.callEvent());

    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, event), "schema-mismatch")
        .withMessageContaining("schema_id=1")
        .withMessageContaining("CallEvent")
        .withMessageContaining("missing required field name");
  }

  @Test
  void recordWithSameFieldsUnderAnotherNameIsSchemaMismatch() {
    Schema renamed = TelemetrySamples.toolCallRenamed();
    int id = registry.register("renamed-value", renamed);
    byte[] valid =
        new AvroSerializer<ToolCall>(registry, true)
            .serialize(TOOL_CALLS, TelemetrySamples.toolCall());
    byte[] underOtherName = WireFormat.encode(id, WireFormat.decode(valid).payload());

    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, underOtherName), "schema-mismatch")
        .withMessageContaining("record names differ");
  }

  @Test
  void unknownSchemaIdIsUnknownSchemaIdNamingTopicAndId() {
    byte[] bytes = WireFormat.encode(99, new byte[] {0, 0});

    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, bytes), "unknown-schema-id")
        .withMessageContaining("schema_id=99")
        .satisfies(e -> assertThat(e.schemaId()).isEqualTo(OptionalInt.of(99)));
  }

  @Test
  void speakerSymbolTheReaderDoesNotKnowIsUnknownEnumSymbol() {
    Schema writer = TelemetrySamples.transcriptTurnWithBotSpeaker();
    int id = registry.register(TRANSCRIPTS + "-value", writer);
    byte[] bytes =
        WireFormat.encode(id, TelemetrySamples.avroBinary(AvroSerdeTest.turn(writer, "BOT")));
    AvroDeserializer<TranscriptTurn> turns = new AvroDeserializer<>(registry, TranscriptTurn.class);

    assertDecodeFailure(
            () -> turns.deserialize(TRANSCRIPTS, bytes), "unknown-enum-symbol", TRANSCRIPTS)
        .withMessageContaining("schema_id=" + id)
        .withMessageContaining("BOT");
    // The same writer schema with a symbol the reader knows still decodes.
    byte[] user =
        WireFormat.encode(id, TelemetrySamples.avroBinary(AvroSerdeTest.turn(writer, "USER")));
    assertThat(turns.deserialize(TRANSCRIPTS, user).getSpeaker().name()).isEqualTo("USER");
  }

  @Test
  void valueOverTheSizeLimitIsRecordTooLargeWithoutBeingDecoded() {
    byte[] valid = validToolCall();
    AvroDeserializer<ToolCall> limited =
        new AvroDeserializer<>(registry, ToolCall.class, valid.length - 1);
    AvroDeserializer<ToolCall> exact =
        new AvroDeserializer<>(registry, ToolCall.class, valid.length);

    assertDecodeFailure(() -> limited.deserialize(TOOL_CALLS, valid), "record-too-large")
        .withMessageContaining(valid.length + " bytes")
        .withMessageContaining("call.max-record-bytes=" + (valid.length - 1));
    assertThat(exact.deserialize(TOOL_CALLS, valid)).isNotNull();
    // Not even the magic byte is looked at: size is checked first.
    byte[] big = new byte[valid.length];
    assertDecodeFailure(() -> limited.deserialize(TOOL_CALLS, big), "record-too-large");
  }

  @Test
  void payloadEndingEarlyIsTruncatedNamingTopicAndId() {
    byte[] valid = validToolCall();
    byte[] cut = Arrays.copyOf(valid, valid.length - 3);

    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, cut), "truncated")
        .withMessageContaining("schema_id=1")
        .withMessageContaining("ends early");
  }

  @Test
  void headerOnlyIsTruncated() {
    validToolCall();

    assertDecodeFailure(
            () -> toolCalls.deserialize(TOOL_CALLS, WireFormat.encode(1, new byte[0])), "truncated")
        .withMessageContaining("schema_id=1");
  }

  @Test
  void valueShorterThanHeaderIsTruncated() {
    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, new byte[] {0, 0, 0}), "truncated")
        .withMessageContaining("too short: 3 bytes")
        .satisfies(e -> assertThat(e.schemaId()).isEmpty());
  }

  @Test
  void valueWithoutMagicByteIsBadMagicByte() {
    byte[] json = "{\"call_id\":\"c\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, json), "bad-magic-byte")
        .withMessageContaining("0x7b");
  }

  @Test
  void bytesLeftOverAfterTheRecordAreUndecodable() {
    byte[] padded = TelemetrySamples.concat(validToolCall(), new byte[] {1, 2, 3});

    assertDecodeFailure(() -> toolCalls.deserialize(TOOL_CALLS, padded), "undecodable")
        .withMessageContaining("3 bytes left over");
  }

  @Test
  void negativeStringLengthIsUndecodable() {
    byte[] payload = minimalToolCallPayload();
    payload[0] = 9; // call_id length -5 (zig-zag)

    assertDecodeFailure(
            () -> toolCalls.deserialize(TOOL_CALLS, WireFormat.encode(1, payload)), "undecodable")
        .withMessageContaining("schema_id=1");
  }

  @Test
  void unionBranchOutOfRangeIsUndecodable() {
    byte[] payload = minimalToolCallPayload();
    payload[2] = 10; // agent_id union branch 5 of 2

    assertDecodeFailure(
        () -> toolCalls.deserialize(TOOL_CALLS, WireFormat.encode(1, payload)), "undecodable");
  }

  @Test
  void enumIndexOutOfRangeIsUndecodable() {
    int id = registry.register(TRANSCRIPTS + "-value", TranscriptTurn.SCHEMA$);
    // call_id "", occurred_at 0, agent_id null, simulation_result_id null, speaker #7 (zig-zag 14)
    byte[] payload = concat(new byte[] {0, 0, 0, 0, 14}, avroString("hi"), new byte[] {0, 0, 0});
    AvroDeserializer<TranscriptTurn> turns = new AvroDeserializer<>(registry, TranscriptTurn.class);

    assertDecodeFailure(
        () -> turns.deserialize(TRANSCRIPTS, WireFormat.encode(id, payload)),
        "undecodable",
        TRANSCRIPTS);
  }

  @Test
  void hugeDeclaredStringLengthIsTruncatedWithoutAllocatingIt() {
    validToolCall();
    byte[] payload = avroLong(1_500_000_000L); // call_id claims 1.5 GB, then nothing
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();

    assertDecodeFailure(
        () -> toolCalls.deserialize(TOOL_CALLS, WireFormat.encode(1, payload)), "truncated");

    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(16L << 20);
  }

  @Test
  void registryUnavailableIsNotADecodeFailure() {
    RegistryUnavailableException down = new RegistryUnavailableException("all down", null);
    SchemaRegistry unavailable =
        new AvroSerdeTest.ForwardingRegistry(registry) {
          @Override
          public Schema schemaById(int id) {
            throw down;
          }
        };
    AvroDeserializer<ToolCall> deserializer = new AvroDeserializer<>(unavailable, ToolCall.class);

    assertThatThrownBy(
            () -> deserializer.deserialize(TOOL_CALLS, WireFormat.encode(1, new byte[1])))
        .isSameAs(down);
  }

  @Test
  void writerSchemaIsFetchedOncePerIdEvenWhenItDoesNotResolve() {
    byte[] toolCall = validToolCall();
    byte[] event =
        new AvroSerializer<CallEvent>(registry, true)
            .serialize(EVENTS, TelemetrySamples.callEvent());
    AtomicInteger lookups = new AtomicInteger();
    SchemaRegistry counting =
        new AvroSerdeTest.ForwardingRegistry(registry) {
          @Override
          public Schema schemaById(int id) {
            lookups.incrementAndGet();
            return super.schemaById(id);
          }
        };
    AvroDeserializer<ToolCall> deserializer = new AvroDeserializer<>(counting, ToolCall.class);

    for (int i = 0; i < 3; i++) {
      deserializer.deserialize(TOOL_CALLS, toolCall);
      assertThatThrownBy(() -> deserializer.deserialize(TOOL_CALLS, event))
          .isInstanceOf(TelemetryDecodeException.class);
    }

    assertThat(lookups).hasValue(2);
  }

  @Test
  void lookupFailureIsRetriedOnTheNextRecord() {
    byte[] toolCall = validToolCall();
    AtomicInteger calls = new AtomicInteger();
    SchemaRegistry flaky =
        new AvroSerdeTest.ForwardingRegistry(registry) {
          @Override
          public Schema schemaById(int id) {
            if (calls.incrementAndGet() == 1) {
              throw new RegistryUnavailableException("blip", null);
            }
            return super.schemaById(id);
          }
        };
    AvroDeserializer<ToolCall> deserializer = new AvroDeserializer<>(flaky, ToolCall.class);

    assertThatThrownBy(() -> deserializer.deserialize(TOOL_CALLS, toolCall))
        .isInstanceOf(RegistryUnavailableException.class);
    assertThat(deserializer.deserialize(TOOL_CALLS, toolCall))
        .isEqualTo(TelemetrySamples.toolCall());
  }

  private byte[] validToolCall() {
    return new AvroSerializer<ToolCall>(registry, true)
        .serialize(TOOL_CALLS, TelemetrySamples.toolCall());
  }

  /**
   * A ToolCall with empty strings, zeros and nulls: one byte per field. Registers ToolCall as 1.
   */
  private byte[] minimalToolCallPayload() {
    validToolCall();
    // call_id "", occurred_at 0, agent_id null, simulation_result_id null, name "", start 0,
    // description null, parameters_json null, output_json null
    return new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0};
  }

  private static ThrowableAssertAlternative<TelemetryDecodeException> assertDecodeFailure(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String reason) {
    return assertDecodeFailure(call, reason, TOOL_CALLS);
  }

  private static ThrowableAssertAlternative<TelemetryDecodeException> assertDecodeFailure(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String reason, String topic) {
    return org.assertj.core.api.Assertions.assertThatExceptionOfType(TelemetryDecodeException.class)
        .isThrownBy(call)
        .satisfies(e -> assertThat(e.reason()).isEqualTo(reason))
        .satisfies(e -> assertThat(e.topic()).isEqualTo(topic))
        .withMessageContaining("reason=" + reason)
        .withMessageContaining("topic=" + topic);
  }

  private static byte[] avroLong(long value) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      encoder.writeLong(value);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] avroString(String value) {
    return concat(
        avroLong(value.length()), value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static byte[] concat(byte[]... parts) {
    byte[] all = new byte[0];
    for (byte[] part : parts) {
      all = TelemetrySamples.concat(all, part);
    }
    return all;
  }
}
