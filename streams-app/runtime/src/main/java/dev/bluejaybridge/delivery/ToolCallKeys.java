package dev.bluejaybridge.delivery;

import dev.bluejaybridge.aggregate.ClosedCall;
import java.util.List;

/** {@code name@start_offset_ms}: how a tool call is recognised in Bluejay's copy of a result. */
final class ToolCallKeys {
  private ToolCallKeys() {}

  static String key(String name, Long startOffsetMs) {
    return name + "@" + startOffsetMs;
  }

  static List<String> of(ClosedCall call) {
    return call.toolCalls().stream().map(t -> key(t.getName(), t.getStartOffsetMs())).toList();
  }
}
