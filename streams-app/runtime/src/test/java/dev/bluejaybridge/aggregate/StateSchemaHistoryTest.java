package dev.bluejaybridge.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.delivery.DeliveryStores;
import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import dev.bluejaybridge.state.DeliveredCall;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 12: upgrades keep state. Every state store value is read by {@link StateSerdes},
 * which knows every released schema of its record ({@value StateSerdes#HISTORY} in the runtime's
 * resources). This keeps state bytes written by the schemas of 6617772 (the version before the
 * history: {@code state-golden/*-v1.bin}, written by that version's generated classes) and reads
 * them with today's serdes, CallState having changed since; it fails when a state record's schema
 * (or an input schema {@code CallPart} embeds) changes without its new version added to the
 * history, and when a kept version cannot be read by the current schema.
 */
class StateSchemaHistoryTest {
  /** The serde of each state record, as the stores use it. */
  private static final Map<String, Serde<? extends SpecificRecord>> SERDES =
      Map.of(
          "CallState", CallStores.callStateSerde(),
          "CallPart", CallStores.callPartSerde(),
          "DeliveredCall", CallStores.deliveredCallSerde(),
          "OutboxEntry", DeliveryStores.entrySerde());

  @Test
  void callStateWrittenBeforeTheHistoryIsReadAfterItsSchemaChanged() throws IOException {
    CallState state =
        CallStores.callStateSerde().deserializer().deserialize("t", golden("CallState-v1.bin"));

    assertThat(state.getCallId()).isEqualTo("call-7");
    assertThat(state.getStatus()).isEqualTo(CallStatus.CLOSED);
    assertThat(state.getFirstSeenAt()).isEqualTo(1_795_000_000_000L);
    assertThat(state.getLastSeenAt()).isEqualTo(1_795_000_030_000L);
    assertThat(state.getEndSeenAt()).isEqualTo(1_795_000_029_000L);
    assertThat(state.getNextSeq()).isEqualTo(3);
    assertThat(state.getRecordCount()).isEqualTo(3);
    assertThat(state.getSimulationResultId()).isEqualTo("13062");
    assertThat(state.getAgentId()).isEqualTo("agent-7");
    assertThat(state.getTimerAt()).isEqualTo(1_795_003_634_000L);
    assertThat(state.getClosedAt()).isEqualTo(1_795_000_034_000L);
    assertThat(state.getCloseReason()).isEqualTo("end-of-call");
    assertThat(state.getRevision()).isEqualTo(1);
    // the fields added since take their defaults
    assertThat(state.getStragglerSeq()).isZero();
    assertThat(state.getLastRecordTime()).isNull();
  }

  @Test
  void callPartsWrittenBeforeTheHistoryAreRead() throws IOException {
    Serde<CallPart> serde = CallStores.callPartSerde();
    CallPart tool = serde.deserializer().deserialize("t", golden("CallPart-v1-tool-call.bin"));
    CallPart event = serde.deserializer().deserialize("t", golden("CallPart-v1-event.bin"));
    CallPart turn = serde.deserializer().deserialize("t", golden("CallPart-v1-turn.bin"));

    assertThat(tool.getSeq()).isZero();
    assertThat(tool.getPart())
        .isInstanceOfSatisfying(
            ToolCall.class,
            t -> {
              assertThat(t.getName()).isEqualTo("lookup_order");
              assertThat(t.getOccurredAt()).isEqualTo(Instant.parse("2026-11-23T10:00:01Z"));
              assertThat(t.getSimulationResultId()).isEqualTo("13062");
              assertThat(t.getParametersJson()).isEqualTo("{\"order_id\":\"A-17\"}");
            });
    assertThat(event.getPart())
        .isInstanceOfSatisfying(
            CallEvent.class,
            e -> {
              assertThat(e.getEndsCall()).isTrue();
              assertThat(e.getTags()).containsExactly("hangup");
              assertThat(e.getCallMetadataJson()).isEqualTo("{\"channel\":\"phone\"}");
            });
    assertThat(turn.getPart())
        .isInstanceOfSatisfying(
            TranscriptTurn.class,
            t -> {
              assertThat(t.getSpeaker()).isEqualTo(Speaker.AGENT);
              assertThat(t.getEndOffsetMs()).isEqualTo(900);
            });
  }

  @Test
  void outboxEntriesWrittenBeforeTheHistoryAreReadThroughTheOutboxSerde() throws IOException {
    OutboxEntry entry =
        DeliveryStores.entrySerde().deserializer().deserialize("t", golden("OutboxEntry-v1.bin"));

    assertThat(entry.getCallId()).isEqualTo("call-7");
    assertThat(entry.getRevision()).isEqualTo(1);
    assertThat(entry.getEndpoint()).isEqualTo(Endpoint.UPDATE_SIMULATION_RESULT);
    assertThat(StandardCharsets.UTF_8.decode(entry.getRequestBody()).toString())
        .isEqualTo("{\"simulation_result_id\":\"13062\"}");
    assertThat(entry.getToolCallKeys()).containsExactly("lookup_order@1000");
    assertThat(entry.getAttempts()).isEqualTo(2);
    assertThat(entry.getVerifyFirst()).isTrue();
    assertThat(entry.getLastStatus()).isEqualTo(503);
    assertThat(entry.getInFlightSince()).isNull();
  }

  @Test
  void everyStateRecordTheAppWritesIsInTheHistory() throws IOException {
    List<String> records = stateRecordNames();
    assertThat(records).containsExactlyInAnyOrderElementsOf(SERDES.keySet());
    for (String name : records) {
      Schema current = currentSchema(name);
      assertThat(StateSerdes.history(name))
          .as(
              "the schema %s is written with now (with the input schemas it embeds) must be kept"
                  + " in streams-app/runtime/src/main/resources/%s%s/v<next>.avsc",
              name, StateSerdes.HISTORY, name)
          .extracting(SchemaNormalization::parsingFingerprint64)
          .contains(SchemaNormalization.parsingFingerprint64(current));
    }
  }

  @Test
  void everyKeptSchemaIsReadableByTheCurrentOneAndNumberedWithoutGaps() throws IOException {
    for (String name : stateRecordNames()) {
      Schema current = currentSchema(name);
      List<Schema> history = StateSerdes.history(name);
      try (Stream<Path> files = Files.list(historyDir().resolve(name))) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as("%s: v1.avsc … v%d.avsc, no gaps", name, history.size())
            .hasSize(history.size())
            .allMatch(f -> f.matches("v[1-9][0-9]*\\.avsc"));
      }
      for (int v = 0; v < history.size(); v++) {
        Schema writer = history.get(v);
        assertThat(writer.getFullName()).isEqualTo(current.getFullName());
        SchemaCompatibility.SchemaPairCompatibility result =
            SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
        assertThat(result.getType())
            .as("%s v%d read by the current schema: %s", name, v + 1, result.getDescription())
            .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
      }
    }
  }

  /** For every kept version: records it wrote (generated, any values) are read by the serde. */
  @Test
  void valuesWrittenWithEveryKeptSchemaAreReadByTheCurrentSerde() {
    for (String name : SERDES.keySet()) {
      Serde<? extends SpecificRecord> serde = SERDES.get(name);
      for (Schema writer : StateSerdes.history(name)) {
        BinaryMessageEncoder<GenericRecord> encoder =
            new BinaryMessageEncoder<>(GenericData.get(), writer);
        for (Object value : new RandomData(writer, 20, 13L)) {
          GenericRecord written = (GenericRecord) value;
          SpecificRecord read = serde.deserializer().deserialize("t", bytes(encoder, written));
          for (Schema.Field field : writer.getFields()) {
            Schema.Field now = read.getSchema().getField(field.name());
            if (now != null && comparable(field.schema())) {
              assertThat(String.valueOf(read.get(now.pos())))
                  .as("%s.%s", name, field.name())
                  .isEqualTo(String.valueOf(written.get(field.name())));
            }
          }
        }
      }
    }
  }

  @Test
  void stateOfAnUnknownSchemaIsAnErrorNamingTheHistory() {
    Schema unknown =
        new Schema.Parser()
            .parse(
                "{\"type\":\"record\",\"name\":\"CallState\",\"namespace\":\"dev.bluejaybridge.state\","
                    + "\"fields\":[{\"name\":\"call_id\",\"type\":\"string\"}]}");
    GenericRecord record = new GenericData.Record(unknown);
    record.put("call_id", "c1");
    byte[] bytes = bytes(new BinaryMessageEncoder<>(GenericData.get(), unknown), record);

    assertThatThrownBy(() -> CallStores.callStateSerde().deserializer().deserialize("t", bytes))
        .hasMessageContaining("CallState state written with a schema this version does not know")
        .hasMessageContaining("state-schemas/CallState/");
  }

  @Test
  void deliveredCallsRoundTrip() {
    DeliveredCall call = new DeliveredCall(2, 1_795_000_034_000L, "13062", 1_795_604_834_000L);
    Serde<DeliveredCall> serde = CallStores.deliveredCallSerde();
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", call)))
        .isEqualTo(call);
  }

  /** Primitive fields whose generic and specific forms print alike. */
  private static boolean comparable(Schema schema) {
    return switch (schema.getType()) {
      case STRING, INT, BOOLEAN -> true;
      case LONG -> schema.getLogicalType() == null;
      default -> false;
    };
  }

  private static byte[] bytes(BinaryMessageEncoder<GenericRecord> encoder, GenericRecord record) {
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The schema the app writes {@code name} with now: its generated class's. */
  private static Schema currentSchema(String name) {
    try {
      return SpecificData.get().getSchema(Class.forName("dev.bluejaybridge.state." + name));
    } catch (ClassNotFoundException e) {
      throw new AssertionError("no generated class for state record " + name, e);
    }
  }

  /** Every state record: the .avsc files of schemas/src/main/avro/state/. */
  private static List<String> stateRecordNames() throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(repoRoot().resolve("schemas/src/main/avro/state"))) {
      files
          .map(f -> f.getFileName().toString())
          .filter(f -> f.endsWith(".avsc"))
          .forEach(f -> names.add(f.substring(0, f.length() - ".avsc".length())));
    }
    return names;
  }

  private static Path historyDir() {
    return repoRoot()
        .resolve("streams-app/runtime/src/main/resources")
        .resolve(StateSerdes.HISTORY);
  }

  private static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  private static byte[] golden(String file) throws IOException {
    try (InputStream in =
        StateSchemaHistoryTest.class.getResourceAsStream("/state-golden/" + file)) {
      assertThat(in).as(file).isNotNull();
      return in.readAllBytes();
    }
  }
}
