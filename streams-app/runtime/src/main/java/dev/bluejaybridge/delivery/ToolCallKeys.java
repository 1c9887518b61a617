package dev.bluejaybridge.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.aggregate.ClosedCall;
import java.util.ArrayList;
import java.util.List;

/** {@code name@start_offset_ms}: how a tool call is recognised in Bluejay's copy of a result. */
public final class ToolCallKeys {
  private ToolCallKeys() {}

  static String key(String name, Long startOffsetMs) {
    return name + "@" + startOffsetMs;
  }

  static List<String> of(ClosedCall call) {
    return call.toolCalls().stream().map(t -> key(t.getName(), t.getStartOffsetMs())).toList();
  }

  /** The keys of the {@code tool_calls} of a request body as {@link Payloads} writes it. */
  public static List<String> of(JsonNode requestBody) {
    List<String> keys = new ArrayList<>();
    for (JsonNode toolCall : requestBody.path("tool_calls")) {
      JsonNode offset = toolCall.path("start_offset_ms");
      keys.add(key(toolCall.path("name").asText(), offset.isNumber() ? offset.asLong() : null));
    }
    return keys;
  }
}
