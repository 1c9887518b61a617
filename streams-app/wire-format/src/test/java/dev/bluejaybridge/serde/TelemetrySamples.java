package dev.bluejaybridge.serde;

import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/** Sample telemetry records and hand-made writer schemas for the serde tests. */
final class TelemetrySamples {

  static final String TOOL_CALLS = "calls.tool-calls";
  static final String EVENTS = "calls.events";
  static final String TRANSCRIPTS = "calls.transcripts";

  static final Instant OCCURRED_AT = Instant.parse("2025-06-01T12:00:00.123Z");

  private TelemetrySamples() {}

  static ToolCall toolCall() {
    return ToolCall.newBuilder()
        .setCallId("call-1")
        .setOccurredAt(OCCURRED_AT)
        .setAgentId("agent-7")
        .setSimulationResultId(null)
        .setName("lookup_order")
        .setStartOffsetMs(1_500L)
        .setDescription("Looks up an order")
        .setParametersJson("{\"order\":\"42\"}")
        .setOutputJson("{\"status\":\"shipped\"}")
        .build();
  }

  static CallEvent callEvent() {
    return CallEvent.newBuilder()
        .setCallId("call-1")
        .setOccurredAt(OCCURRED_AT)
        .setTitle("transfer")
        .setStartOffsetMs(2_000L)
        .setEndOffsetMs(2_500L)
        .setTags(List.of("escalation", "vip"))
        .setCallMetadataJson("{\"region\":\"eu\"}")
        .setCallTags(List.of("support"))
        .setEndsCall(true)
        .build();
  }

  static TranscriptTurn transcriptTurn() {
    return TranscriptTurn.newBuilder()
        .setCallId("call-1")
        .setOccurredAt(OCCURRED_AT)
        .setSpeaker(Speaker.USER)
        .setUtterance("Where is my order?")
        .setStartOffsetMs(100L)
        .setEndOffsetMs(1_400L)
        .setFillerUtterance(false)
        .build();
  }

  /** ToolCall's schema as a newer producer might have it: one more optional field. */
  static Schema toolCallWithExtraOptionalField() {
    String json = ToolCall.SCHEMA$.toString();
    String extra = ",{\"name\":\"latency_ms\",\"type\":[\"null\",\"long\"],\"default\":null}]}";
    return new Schema.Parser().parse(json.substring(0, json.length() - 2) + extra);
  }

  /** TranscriptTurn's schema with a speaker symbol the reader does not know. */
  static Schema transcriptTurnWithBotSpeaker() {
    return new Schema.Parser()
        .parse(
            TranscriptTurn.SCHEMA$
                .toString()
                .replace("[\"AGENT\",\"USER\"]", "[\"AGENT\",\"USER\",\"BOT\"]"));
  }

  /** ToolCall's fields under another record name. */
  static Schema toolCallRenamed() {
    return new Schema.Parser()
        .parse(ToolCall.SCHEMA$.toString().replace("\"name\":\"ToolCall\"", "\"name\":\"Other\""));
  }

  static byte[] avroBinary(GenericRecord record) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] concat(byte[] first, byte[] second) {
    byte[] both = new byte[first.length + second.length];
    System.arraycopy(first, 0, both, 0, first.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }
}
