package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.event;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.aggregate.CloseReason;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PayloadsTest {

  static final ObjectMapper JSON = new ObjectMapper();

  static ClosedCall call(
      String simulationResultId,
      boolean truncated,
      List<ToolCall> toolCalls,
      List<CallEvent> events,
      List<TranscriptTurn> transcript) {
    return new ClosedCall(
        "c-1",
        simulationResultId,
        "agent-7",
        CloseReason.END_OF_CALL,
        0,
        1_000L,
        2_000L,
        truncated,
        toolCalls,
        events,
        transcript,
        List.of());
  }

  /** A production call with a bit of everything, lists already in ClosedCall's order. */
  static ClosedCall productionCall() {
    return call(
        null,
        false,
        List.of(
            toolCall("c-1", "lookup_order", 1_200).setDescription("finds the order").build(),
            toolCall("c-1", "cancel_order", 5_000)
                .setParametersJson("{\"order_id\":\"A-17\",\"reason\":{\"code\":3}}")
                .setOutputJson("[1,\"two\",null]")
                .build(),
            toolCall("c-1", "ping", 6_000).setParametersJson(null).setOutputJson(null).build()),
        List.of(
            event("c-1", "greeting", 0)
                .setEndOffsetMs(800L)
                .setTags(List.of("opening"))
                .setCallMetadataJson("{\"customer\":\"ACME\",\"tier\":\"gold\"}")
                .setCallTags(List.of("vip", "billing"))
                .build(),
            event("c-1", "escalation", 3_000)
                .setDescription("asked for a human")
                .setMetadataJson("{\"queue\":\"tier2\"}")
                .setCallMetadataJson("{\"tier\":\"platinum\"}")
                .setCallTags(List.of("billing", "escalated"))
                .build(),
            endOfCall("c-1", 9_000).build()),
        List.of(
            turn("c-1", Speaker.AGENT, "Hello, how can I help?", 0).setEndOffsetMs(1_500).build(),
            turn("c-1", Speaker.USER, "Where is my order?", 1_600).setEndOffsetMs(3_100).build(),
            turn("c-1", Speaker.AGENT, "Um", 3_200)
                .setEndOffsetMs(3_400)
                .setFillerUtterance(true)
                .build(),
            turn("c-1", Speaker.AGENT, "It shipped.", 3_500).setEndOffsetMs(4_500).build()));
  }

  static final String PRODUCTION_UPDATE_LOG =
      """
      {
        "tool_calls": [
          {"name": "lookup_order", "start_offset_ms": 1200, "description": "finds the order",
           "parameters": {"order_id": "A-17"}, "output": {"status": "shipped"}},
          {"name": "cancel_order", "start_offset_ms": 5000,
           "parameters": {"order_id": "A-17", "reason": {"code": 3}}, "output": [1, "two", null]},
          {"name": "ping", "start_offset_ms": 6000}
        ],
        "events": [
          {"title": "greeting", "start_offset_ms": 0, "end_offset_ms": 800, "tags": ["opening"]},
          {"title": "escalation", "start_offset_ms": 3000, "description": "asked for a human",
           "tags": [], "metadata": {"queue": "tier2"}},
          {"title": "call ended", "start_offset_ms": 9000, "tags": []}
        ],
        "metadata": {
          "customer": "ACME",
          "tier": "platinum",
          "transcript_turns": 4,
          "agent_talk_ms": 2700,
          "user_talk_ms": 1500,
          "tags": ["vip", "billing", "escalated"]
        },
        "reevaluate": true
      }
      """;

  @Test
  void mapsProductionCallToUpdateLogBodyExactly() {
    byte[] body = Payloads.updateLogBody(productionCall(), true);

    assertThat(tree(body)).isEqualTo(tree(PRODUCTION_UPDATE_LOG));
    // Same keys in the same order: the bytes are those of the expected document.
    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(compact(PRODUCTION_UPDATE_LOG));
    assertThat(BluejayStandIn.validate(BluejayStandIn.UPDATE_LOG_SCHEMA, body)).isEmpty();
  }

  @Test
  void mapsSimulatedCallToUpdateSimulationResultBodyExactly() {
    ClosedCall production = productionCall();
    ClosedCall simulated =
        call("13062", false, production.toolCalls(), production.events(), production.transcript());

    byte[] body = Payloads.updateSimulationBody(simulated);

    String expected =
        """
        {
          "simulation_result_id": "13062",
          "tool_calls": [
            {"name": "lookup_order", "start_offset_ms": 1200, "description": "finds the order",
             "parameters": {"order_id": "A-17"}, "output": {"status": "shipped"}},
            {"name": "cancel_order", "start_offset_ms": 5000,
             "parameters": {"order_id": "A-17", "reason": {"code": 3}}, "output": [1, "two", null]},
            {"name": "ping", "start_offset_ms": 6000}
          ],
          "events": [
            {"title": "greeting", "start_offset_ms": 0, "end_offset_ms": 800, "tags": ["opening"]},
            {"title": "escalation", "start_offset_ms": 3000, "description": "asked for a human",
             "tags": [], "metadata": {"queue": "tier2"}},
            {"title": "call ended", "start_offset_ms": 9000, "tags": []}
          ],
          "recorded_transcript": [
            {"speaker": "AGENT", "utterance": "Hello, how can I help?", "start_offset_ms": 0,
             "end_offset_ms": 1500},
            {"speaker": "USER", "utterance": "Where is my order?", "start_offset_ms": 1600,
             "end_offset_ms": 3100},
            {"speaker": "AGENT", "utterance": "Um", "start_offset_ms": 3200, "end_offset_ms": 3400,
             "filler_utterance": true},
            {"speaker": "AGENT", "utterance": "It shipped.", "start_offset_ms": 3500,
             "end_offset_ms": 4500}
          ],
          "tags": ["vip", "billing", "escalated"],
          "metadata": {"customer": "ACME", "tier": "platinum"}
        }
        """;
    assertThat(tree(body)).isEqualTo(tree(expected));
    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(compact(expected));
    assertThat(BluejayStandIn.validate(BluejayStandIn.UPDATE_SIMULATION_SCHEMA, body)).isEmpty();
  }

  @Test
  void sendsReevaluateAsGiven() {
    assertThat(tree(Payloads.updateLogBody(productionCall(), false)).get("reevaluate").asBoolean())
        .isFalse();
  }

  @Test
  void laterEventWinsWhenMergingCallMetadata() {
    ClosedCall call =
        call(
            null,
            false,
            List.of(),
            List.of(
                event("c-1", "first", 100)
                    .setCallMetadataJson("{\"a\":1,\"b\":{\"x\":1},\"c\":\"first\"}")
                    .build(),
                event("c-1", "no metadata", 150).build(),
                event("c-1", "second", 200)
                    .setCallMetadataJson("{\"b\":{\"y\":2},\"c\":null}")
                    .build(),
                event("c-1", "same offset, arrived later", 200)
                    .setCallMetadataJson("{\"a\":3}")
                    .build()),
            List.of());

    JsonNode metadata = tree(Payloads.updateLogBody(call, true)).get("metadata");

    // Top-level keys only: "b" is replaced whole, not deep-merged; an explicit null wins too.
    assertThat(metadata.get("a").asInt()).isEqualTo(3);
    assertThat(metadata.get("b")).isEqualTo(tree("{\"y\":2}"));
    assertThat(metadata.get("c").isNull()).isTrue();
    assertThat(fieldNames(metadata))
        .containsExactly("a", "b", "c", "transcript_turns", "agent_talk_ms", "user_talk_ms");
  }

  @Test
  void sumsTalkTimePerSpeakerNeverNegative() {
    ClosedCall call =
        call(
            null,
            false,
            List.of(),
            List.of(),
            List.of(
                turn("c-1", Speaker.AGENT, "a", 0).setEndOffsetMs(1_000).build(),
                turn("c-1", Speaker.USER, "b", 1_000).setEndOffsetMs(1_250).build(),
                // End before start (clock skew in the source): counts as zero, not negative.
                turn("c-1", Speaker.USER, "c", 5_000).setEndOffsetMs(4_000).build(),
                turn("c-1", Speaker.AGENT, "d", 2_000).setEndOffsetMs(2_500).build()));

    JsonNode metadata = tree(Payloads.updateLogBody(call, true)).get("metadata");

    assertThat(metadata.get("transcript_turns").asInt()).isEqualTo(4);
    assertThat(metadata.get("agent_talk_ms").asLong()).isEqualTo(1_500);
    assertThat(metadata.get("user_talk_ms").asLong()).isEqualTo(250);
  }

  @Test
  void reportsZeroTalkTimeAndNoTagsForCallWithoutTranscriptOrTags() {
    ClosedCall call = call(null, false, List.of(), List.of(), List.of());

    JsonNode body = tree(Payloads.updateLogBody(call, true));

    assertThat(body)
        .isEqualTo(
            tree(
                """
                {"tool_calls": [], "events": [],
                 "metadata": {"transcript_turns": 0, "agent_talk_ms": 0, "user_talk_ms": 0},
                 "reevaluate": true}
                """));
  }

  @Test
  void deduplicatesCallTagsKeepingFirstOccurrenceOrder() {
    ClosedCall call =
        call(
            "sim-1",
            false,
            List.of(),
            List.of(
                event("c-1", "a", 0).setCallTags(List.of("b", "a", "b")).build(),
                event("c-1", "b", 10).setCallTags(List.of("c", "a")).build()),
            List.of());

    assertThat(tree(Payloads.updateLogBody(call, true)).at("/metadata/tags"))
        .isEqualTo(tree("[\"b\",\"a\",\"c\"]"));
    assertThat(tree(Payloads.updateSimulationBody(call)).get("tags"))
        .isEqualTo(tree("[\"b\",\"a\",\"c\"]"));
  }

  @Test
  void sendsEmptyTagsArrayForSimulatedCallWithoutCallTags() {
    ClosedCall call = call("sim-1", false, List.of(), List.of(), List.of());

    assertThat(tree(Payloads.updateSimulationBody(call)))
        .isEqualTo(
            tree(
                """
                {"simulation_result_id": "sim-1", "tool_calls": [], "events": [],
                 "recorded_transcript": [], "tags": [], "metadata": {}}
                """));
  }

  @Test
  void flagsTruncatedCallInMetadata() {
    ClosedCall truncated =
        call(
            "sim-1",
            true,
            List.of(),
            List.of(event("c-1", "e", 0).setCallMetadataJson("{\"k\":\"v\"}").build()),
            List.of());

    assertThat(tree(Payloads.updateLogBody(truncated, true)).at("/metadata/bridge_truncated"))
        .isEqualTo(tree("true"));
    JsonNode simulationMetadata = tree(Payloads.updateSimulationBody(truncated)).get("metadata");
    assertThat(simulationMetadata).isEqualTo(tree("{\"k\":\"v\",\"bridge_truncated\":true}"));
    assertThat(
            tree(Payloads.updateLogBody(productionCall(), true))
                .get("metadata")
                .has("bridge_truncated"))
        .isFalse();
  }

  @Test
  void bridgeFiguresReplaceSameNamedCallMetadataKeys() {
    ClosedCall call =
        call(
            null,
            false,
            List.of(),
            List.of(
                event("c-1", "e", 0)
                    .setCallMetadataJson("{\"transcript_turns\":\"many\",\"z\":1}")
                    .build()),
            List.of());

    JsonNode metadata = tree(Payloads.updateLogBody(call, true)).get("metadata");

    assertThat(metadata.get("transcript_turns").asInt()).isZero();
    assertThat(fieldNames(metadata))
        .containsExactly("z", "transcript_turns", "agent_talk_ms", "user_talk_ms");
  }

  @Test
  void keepsJsonNullOutputButOmitsAbsentOutput() {
    ClosedCall call =
        call(
            null,
            false,
            List.of(
                toolCall("c-1", "returns_null", 0).setOutputJson("null").build(),
                toolCall("c-1", "returns_number", 1).setOutputJson("42").build(),
                toolCall("c-1", "returns_nothing", 2).setOutputJson(null).build()),
            List.of(),
            List.of());

    JsonNode toolCalls = tree(Payloads.updateLogBody(call, true)).get("tool_calls");

    assertThat(toolCalls.get(0).has("output")).isTrue();
    assertThat(toolCalls.get(0).get("output").isNull()).isTrue();
    assertThat(toolCalls.get(1).get("output").asInt()).isEqualTo(42);
    assertThat(toolCalls.get(2).has("output")).isFalse();
    assertThat(
            BluejayStandIn.validate(
                BluejayStandIn.UPDATE_LOG_SCHEMA, Payloads.updateLogBody(call, true)))
        .isEmpty();
  }

  @Test
  void refusesSimulationBodyForProductionCall() {
    assertThatThrownBy(() -> Payloads.updateSimulationBody(productionCall()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("c-1");
  }

  @Test
  void givesSameBytesForSameCall() {
    assertThat(Payloads.updateLogBody(productionCall(), true))
        .isEqualTo(Payloads.updateLogBody(productionCall(), true));
  }

  static JsonNode tree(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode tree(String json) {
    return tree(json.getBytes(StandardCharsets.UTF_8));
  }

  static String compact(String json) {
    return tree(json).toString();
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
