package dev.bluejaybridge.serde;

import static dev.bluejaybridge.serde.TelemetrySamples.EVENTS;
import static dev.bluejaybridge.serde.TelemetrySamples.OCCURRED_AT;
import static dev.bluejaybridge.serde.TelemetrySamples.TOOL_CALLS;
import static dev.bluejaybridge.serde.TelemetrySamples.TRANSCRIPTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.registry.RegisteredSchema;
import dev.bluejaybridge.registry.RegistryUnavailableException;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

  @Test
  void toolCallSurvivesRoundTrip() {
    try (Serde<ToolCall> serde = AvroSerdes.serde(registry, ToolCall.class, true)) {
      ToolCall original = TelemetrySamples.toolCall();

      byte[] bytes = serde.serializer().serialize(TOOL_CALLS, original);
      ToolCall decoded = serde.deserializer().deserialize(TOOL_CALLS, bytes);

      assertThat(decoded).isEqualTo(original);
      assertThat(decoded.getOccurredAt()).isEqualTo(OCCURRED_AT);
    }
  }

  @Test
  void callEventSurvivesRoundTrip() {
    try (Serde<CallEvent> serde = AvroSerdes.serde(registry, CallEvent.class, true)) {
      CallEvent original = TelemetrySamples.callEvent();

      CallEvent decoded =
          serde.deserializer().deserialize(EVENTS, serde.serializer().serialize(EVENTS, original));

      assertThat(decoded).isEqualTo(original);
      assertThat(decoded.getTags()).containsExactly("escalation", "vip");
    }
  }

  @Test
  void transcriptTurnSurvivesRoundTrip() {
    try (Serde<TranscriptTurn> serde = AvroSerdes.serde(registry, TranscriptTurn.class, true)) {
      TranscriptTurn original = TelemetrySamples.transcriptTurn();

      TranscriptTurn decoded =
          serde
              .deserializer()
              .deserialize(TRANSCRIPTS, serde.serializer().serialize(TRANSCRIPTS, original));

      assertThat(decoded).isEqualTo(original);
      assertThat(decoded.getSpeaker()).isEqualTo(Speaker.USER);
    }
  }

  @Test
  void serializerRegistersUnderTopicValueSubjectAndFramesWithThatId() {
    AvroSerializer<ToolCall> serializer = new AvroSerializer<>(registry, true);

    byte[] bytes = serializer.serialize(TOOL_CALLS, TelemetrySamples.toolCall());

    RegisteredSchema latest = registry.latest(TOOL_CALLS + "-value");
    assertThat(latest.schema()).isEqualTo(ToolCall.SCHEMA$);
    assertThat(WireFormat.decode(bytes).schemaId()).isEqualTo(latest.id());
  }

  @Test
  void serializerWithoutAutoRegisterUsesTheRegisteredId() {
    registry.register("other-value", CallEvent.SCHEMA$);
    int id = registry.register(TOOL_CALLS + "-value", ToolCall.SCHEMA$);
    AvroSerializer<ToolCall> serializer = new AvroSerializer<>(registry, false);

    byte[] bytes = serializer.serialize(TOOL_CALLS, TelemetrySamples.toolCall());

    assertThat(WireFormat.decode(bytes).schemaId()).isEqualTo(id).isEqualTo(2);
  }

  @Test
  void serializerWithoutAutoRegisterFailsNamingTopicAndSubjectWhenSchemaIsNotRegistered() {
    AvroSerializer<ToolCall> serializer = new AvroSerializer<>(registry, false);

    assertThatThrownBy(() -> serializer.serialize(TOOL_CALLS, TelemetrySamples.toolCall()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("topic=" + TOOL_CALLS)
        .hasMessageContaining("subject=" + TOOL_CALLS + "-value");
  }

  @Test
  void serializerAsksTheRegistryOncePerSubjectAndSchema() {
    AtomicInteger registrations = new AtomicInteger();
    SchemaRegistry counting =
        new ForwardingRegistry(registry) {
          @Override
          public int register(String subject, Schema schema) {
            registrations.incrementAndGet();
            return super.register(subject, schema);
          }
        };
    AvroSerializer<ToolCall> serializer = new AvroSerializer<>(counting, true);

    serializer.serialize(TOOL_CALLS, TelemetrySamples.toolCall());
    serializer.serialize(TOOL_CALLS, TelemetrySamples.toolCall());
    serializer.serialize("calls.tool-calls-replay", TelemetrySamples.toolCall());

    assertThat(registrations).hasValue(2);
  }

  @Test
  void serializerFailureOnInvalidRecordNamesTopicAndSchemaId() {
    ToolCall invalid = TelemetrySamples.toolCall();
    invalid.setName(null);
    AvroSerializer<ToolCall> serializer = new AvroSerializer<>(registry, true);

    assertThatThrownBy(() -> serializer.serialize(TOOL_CALLS, invalid))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("topic=" + TOOL_CALLS)
        .hasMessageContaining("schema_id=1");
  }

  @Test
  void nullInNullOut() {
    try (Serde<ToolCall> serde = AvroSerdes.serde(registry, ToolCall.class, true)) {
      assertThat(serde.serializer().serialize(TOOL_CALLS, null)).isNull();
      assertThat(serde.deserializer().deserialize(TOOL_CALLS, null)).isNull();
    }
  }

  @Test
  void readerDecodesWriterThatAddedAnOptionalField() {
    Schema writer = TelemetrySamples.toolCallWithExtraOptionalField();
    int id = registry.register(TOOL_CALLS + "-value", writer);
    GenericRecord record = new GenericData.Record(writer);
    record.put("call_id", "call-9");
    record.put("occurred_at", OCCURRED_AT.toEpochMilli());
    record.put("name", "transfer");
    record.put("start_offset_ms", 10L);
    record.put("latency_ms", 250L);
    byte[] bytes = WireFormat.encode(id, TelemetrySamples.avroBinary(record));

    ToolCall decoded =
        new AvroDeserializer<>(registry, ToolCall.class).deserialize(TOOL_CALLS, bytes);

    assertThat(decoded.getCallId()).isEqualTo("call-9");
    assertThat(decoded.getOccurredAt()).isEqualTo(OCCURRED_AT);
    assertThat(decoded.getName()).isEqualTo("transfer");
    assertThat(decoded.getStartOffsetMs()).isEqualTo(10L);
    assertThat(decoded.getAgentId()).isNull();
  }

  @Test
  void readerDecodesKnownSymbolFromWriterWhoseEnumHasMoreSymbols() {
    Schema writer = TelemetrySamples.transcriptTurnWithBotSpeaker();
    int id = registry.register(TRANSCRIPTS + "-value", writer);
    byte[] bytes = WireFormat.encode(id, TelemetrySamples.avroBinary(turn(writer, "AGENT")));

    TranscriptTurn decoded =
        new AvroDeserializer<>(registry, TranscriptTurn.class).deserialize(TRANSCRIPTS, bytes);

    assertThat(decoded.getSpeaker()).isEqualTo(Speaker.AGENT);
  }

  @Test
  void serializerLetsRegistryUnavailablePropagate() {
    RegistryUnavailableException down = new RegistryUnavailableException("down", null);
    SchemaRegistry unavailable =
        new ForwardingRegistry(registry) {
          @Override
          public int register(String subject, Schema schema) {
            throw down;
          }
        };

    assertThatThrownBy(
            () ->
                new AvroSerializer<ToolCall>(unavailable, true)
                    .serialize(TOOL_CALLS, TelemetrySamples.toolCall()))
        .isSameAs(down);
  }

  static GenericRecord turn(Schema writer, String speaker) {
    GenericRecord record = new GenericData.Record(writer);
    record.put("call_id", "call-1");
    record.put("occurred_at", OCCURRED_AT.toEpochMilli());
    record.put("speaker", new GenericData.EnumSymbol(writer.getField("speaker").schema(), speaker));
    record.put("utterance", "Hello");
    record.put("start_offset_ms", 0L);
    record.put("end_offset_ms", 500L);
    return record;
  }

  /** Delegates everything; tests override what they observe or break. */
  static class ForwardingRegistry implements SchemaRegistry {
    private final SchemaRegistry delegate;

    ForwardingRegistry(SchemaRegistry delegate) {
      this.delegate = delegate;
    }

    @Override
    public Schema schemaById(int id) {
      return delegate.schemaById(id);
    }

    @Override
    public int register(String subject, Schema schema) {
      return delegate.register(subject, schema);
    }

    @Override
    public int idOf(String subject, Schema schema) {
      return delegate.idOf(subject, schema);
    }

    @Override
    public RegisteredSchema latest(String subject) {
      return delegate.latest(subject);
    }
  }
}
