package dev.bluejaybridge.bluejay;

import java.util.List;

/**
 * What {@code GET /v1/retrieve-simulation-result/{id}} tells about one simulation result: its
 * status and the tool calls Bluejay holds as {@code actual} (one entry per invocation, grouped by
 * tool name in Bluejay's order). Used to learn whether a POST whose outcome is unknown went
 * through.
 *
 * @param status e.g. {@code COMPLETED}, {@code EVALUATING}; null when absent
 */
public record SimulationResultView(String status, List<ActualToolCall> actualToolCalls) {

  public SimulationResultView {
    actualToolCalls = List.copyOf(actualToolCalls);
  }

  /**
   * One actual invocation of a tool.
   *
   * @param name the tool's name; null when absent
   * @param startOffsetMs null when absent
   */
  public record ActualToolCall(String name, Long startOffsetMs) {}
}
