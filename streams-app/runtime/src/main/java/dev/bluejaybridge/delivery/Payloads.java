package dev.bluejaybridge.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.TelemetryValidator;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The request bodies Bluejay receives for a closed call (docs/bluejay-requests.md): JSON bytes with
 * keys in a fixed order, so the same call always gives the same bytes.
 *
 * <p>A production call goes to update-log, which has no transcript or tags field: the transcript's
 * figures and the call tags go into {@code metadata} instead. A simulated call goes to
 * update-simulation-result with its transcript and tags as such.
 */
public final class Payloads {

  /** The one mapper of this package: bodies out, answers in. */
  static final ObjectMapper JSON = new ObjectMapper();

  private Payloads() {}

  /**
   * The body of {@code PUT /v1/update-log/{call_id}}: {@code tool_calls}, {@code events}, {@code
   * metadata} (merged call metadata, then {@code transcript_turns}, {@code agent_talk_ms}, {@code
   * user_talk_ms}, {@code tags} when there are call tags, {@code bridge_truncated: true} when the
   * call was truncated) and {@code reevaluate}.
   */
  public static byte[] updateLogBody(ClosedCall call, boolean reevaluate) {
    Objects.requireNonNull(call, "call");
    ObjectNode body = JSON.createObjectNode();
    body.set("tool_calls", toolCalls(call.toolCalls()));
    body.set("events", events(call.events()));

    ObjectNode metadata = mergedCallMetadata(call.events());
    long agentTalkMs = 0;
    long userTalkMs = 0;
    for (TranscriptTurn turn : call.transcript()) {
      long spoken = Math.max(0, turn.getEndOffsetMs() - turn.getStartOffsetMs());
      if (turn.getSpeaker() == Speaker.AGENT) {
        agentTalkMs = saturatedAdd(agentTalkMs, spoken);
      } else {
        userTalkMs = saturatedAdd(userTalkMs, spoken);
      }
    }
    putLast(
        metadata, "transcript_turns", JSON.getNodeFactory().numberNode(call.transcript().size()));
    putLast(metadata, "agent_talk_ms", JSON.getNodeFactory().numberNode(agentTalkMs));
    putLast(metadata, "user_talk_ms", JSON.getNodeFactory().numberNode(userTalkMs));
    Set<String> tags = callTags(call.events());
    if (!tags.isEmpty()) {
      putLast(metadata, "tags", strings(tags));
    }
    if (call.truncated()) {
      putLast(metadata, "bridge_truncated", JSON.getNodeFactory().booleanNode(true));
    }
    body.set("metadata", metadata);
    body.put("reevaluate", reevaluate);
    return bytes(body);
  }

  /**
   * The body of {@code POST /v1/update-simulation-result}: {@code simulation_result_id}, {@code
   * tool_calls}, {@code events}, {@code recorded_transcript}, {@code tags} (the call tags) and
   * {@code metadata} (merged call metadata, plus {@code bridge_truncated: true} when truncated).
   *
   * @throws IllegalArgumentException if the call has no simulation result id
   */
  public static byte[] updateSimulationBody(ClosedCall call) {
    Objects.requireNonNull(call, "call");
    if (call.simulationResultId() == null) {
      throw new IllegalArgumentException(
          "call " + call.callId() + " is not simulated: it has no simulation_result_id");
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("simulation_result_id", call.simulationResultId());
    body.set("tool_calls", toolCalls(call.toolCalls()));
    body.set("events", events(call.events()));
    body.set("recorded_transcript", transcript(call.transcript()));
    body.set("tags", strings(callTags(call.events())));
    ObjectNode metadata = mergedCallMetadata(call.events());
    if (call.truncated()) {
      putLast(metadata, "bridge_truncated", JSON.getNodeFactory().booleanNode(true));
    }
    body.set("metadata", metadata);
    return bytes(body);
  }

  private static ArrayNode toolCalls(List<ToolCall> toolCalls) {
    ArrayNode array = JSON.createArrayNode();
    for (ToolCall toolCall : toolCalls) {
      ObjectNode node = array.addObject();
      node.put("name", toolCall.getName());
      node.put("start_offset_ms", toolCall.getStartOffsetMs());
      if (toolCall.getDescription() != null) {
        node.put("description", toolCall.getDescription());
      }
      if (toolCall.getParametersJson() != null) {
        node.set("parameters", TelemetryValidator.parse(toolCall.getParametersJson()));
      }
      if (toolCall.getOutputJson() != null) {
        // Any JSON value, JSON null included.
        node.set("output", TelemetryValidator.parse(toolCall.getOutputJson()));
      }
    }
    return array;
  }

  private static ArrayNode events(List<CallEvent> events) {
    ArrayNode array = JSON.createArrayNode();
    for (CallEvent event : events) {
      ObjectNode node = array.addObject();
      node.put("title", event.getTitle());
      node.put("start_offset_ms", event.getStartOffsetMs());
      if (event.getEndOffsetMs() != null) {
        node.put("end_offset_ms", event.getEndOffsetMs());
      }
      if (event.getDescription() != null) {
        node.put("description", event.getDescription());
      }
      node.set("tags", strings(event.getTags()));
      if (event.getMetadataJson() != null) {
        node.set("metadata", TelemetryValidator.parse(event.getMetadataJson()));
      }
    }
    return array;
  }

  private static ArrayNode transcript(List<TranscriptTurn> turns) {
    ArrayNode array = JSON.createArrayNode();
    for (TranscriptTurn turn : turns) {
      ObjectNode node = array.addObject();
      node.put("speaker", turn.getSpeaker().name());
      node.put("utterance", turn.getUtterance());
      node.put("start_offset_ms", turn.getStartOffsetMs());
      node.put("end_offset_ms", turn.getEndOffsetMs());
      if (turn.getFillerUtterance() != null) {
        node.put("filler_utterance", turn.getFillerUtterance());
      }
    }
    return array;
  }

  /**
   * The events' {@code call_metadata_json} objects merged key-wise, top level only, in the events'
   * order (by start offset, ties by arrival): a later event's value wins, the key keeps its first
   * position.
   */
  private static ObjectNode mergedCallMetadata(List<CallEvent> events) {
    ObjectNode merged = JSON.createObjectNode();
    for (CallEvent event : events) {
      JsonNode callMetadata = TelemetryValidator.parse(event.getCallMetadataJson());
      if (callMetadata != null && callMetadata.isObject()) {
        for (Map.Entry<String, JsonNode> field : callMetadata.properties()) {
          merged.set(field.getKey(), field.getValue());
        }
      }
    }
    return merged;
  }

  /** The events' call tags in order, each once. */
  private static Set<String> callTags(List<CallEvent> events) {
    Set<String> tags = new LinkedHashSet<>();
    for (CallEvent event : events) {
      tags.addAll(event.getCallTags());
    }
    return tags;
  }

  /** Sets a key the bridge owns after the merged metadata, replacing a same-named key. */
  private static void putLast(ObjectNode node, String key, JsonNode value) {
    node.remove(key);
    node.set(key, value);
  }

  private static ArrayNode strings(Iterable<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < a ? Long.MAX_VALUE : sum;
  }

  private static byte[] bytes(ObjectNode body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialize", e);
    }
  }
}
