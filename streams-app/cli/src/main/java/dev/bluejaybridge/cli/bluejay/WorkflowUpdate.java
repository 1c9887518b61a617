package dev.bluejaybridge.cli.bluejay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The body of {@code PUT /v1/workflow/{id}} ({@code UpdateWorkflowV2Request}): only the fields
 * given. {@code agent_ids}, when sent, replaces every agent link ({@code []} clears them); {@code
 * definition} replaces the whole graph and is checked first with {@link WorkflowValidator}. Every
 * problem is collected; the body is sent only when there are none.
 */
public final class WorkflowUpdate {

  static final int MAX_NAME_LENGTH = 255;

  private final ObjectNode body;
  private final List<String> problems;

  private WorkflowUpdate(ObjectNode body, List<String> problems) {
    this.body = body;
    this.problems = List.copyOf(problems);
  }

  /**
   * Builds and checks the body.
   *
   * @param name null: unchanged; 1–255 characters
   * @param agentIds whole numbers as given on the command line; null or empty: unchanged
   * @param clearAgents send {@code agent_ids: []}
   * @param description null: unchanged ("" is sent, and clears it)
   * @param definition a graph file (or a workflow object holding one), validated locally
   */
  public static WorkflowUpdate of(
      String name,
      List<String> agentIds,
      boolean clearAgents,
      String description,
      Optional<Path> definition) {
    List<String> problems = new ArrayList<>();
    ObjectNode body = Json.MAPPER.createObjectNode();
    if (name != null) {
      int length = name.codePointCount(0, name.length());
      if (length < 1 || length > MAX_NAME_LENGTH) {
        problems.add("--name: must be 1 to " + MAX_NAME_LENGTH + " characters, got " + length);
      }
      body.put("name", name);
    }
    boolean agentsGiven = agentIds != null && !agentIds.isEmpty();
    if (agentsGiven && clearAgents) {
      problems.add("--agent-id and --clear-agents contradict each other: give one");
    } else if (agentsGiven || clearAgents) {
      ArrayNode ids = body.putArray("agent_ids");
      if (agentsGiven) {
        for (String id : agentIds) {
          try {
            ids.add(Long.parseLong(id.trim()));
          } catch (NumberFormatException e) {
            problems.add("--agent-id: " + Json.quoted(id) + " is not an agent id (a whole number)");
          }
        }
      }
    }
    if (description != null) {
      body.put("description", description);
    }
    if (definition.isPresent()) {
      Path file = definition.get();
      Optional<JsonNode> graph = WorkflowValidator.readDefinition(file, "--definition", problems);
      if (graph.isPresent()) {
        WorkflowValidator.Result result = WorkflowValidator.validate(graph.get());
        for (WorkflowValidator.Violation violation : result.violations()) {
          problems.add("--definition " + file.getFileName() + ": " + violation);
        }
        body.set("definition", graph.get());
      }
    }
    if (body.isEmpty() && problems.isEmpty()) {
      problems.add(
          "nothing to update: give --name, --description, --agent-id, --clear-agents or"
              + " --definition");
    }
    return new WorkflowUpdate(body, problems);
  }

  /** The body to send; meaningful only when {@link #problems()} is empty. */
  public ObjectNode body() {
    return body.deepCopy();
  }

  /** The body as JSON bytes. */
  public byte[] bodyBytes() {
    return Json.bytes(body);
  }

  /** Every problem found; empty when the body can be sent. */
  public List<String> problems() {
    return problems;
  }

  /**
   * What to print for Bluejay's answer ({@code WorkflowV2Response}): one summary line, then {@code
   * dh_sync_summary} when the answer has one (it does when the definition changed).
   */
  public static List<String> describeAnswer(String workflowId, String answer) {
    JsonNode json;
    try {
      json = Json.answer(answer, "workflow update");
    } catch (UnexpectedAnswerException e) {
      // The update went through (2xx); only the answer is odd.
      return List.of("updated workflow " + workflowId + " (" + e.getMessage() + ")");
    }
    List<String> lines = new ArrayList<>();
    StringBuilder summary = new StringBuilder("updated workflow ");
    String id = Json.text(json.get("id"));
    summary.append(id == null ? workflowId : id);
    String name = Json.text(json.get("name"));
    if (name != null) {
      summary.append(" \"").append(name).append('"');
    }
    if (json.path("agent_ids").isArray()) {
      List<String> agents = new ArrayList<>();
      json.get("agent_ids").forEach(agent -> agents.add(agent.asText()));
      summary.append(", agents [").append(String.join(", ", agents)).append(']');
    }
    JsonNode definition = json.path("definition");
    if (definition.isObject()) {
      summary
          .append(", definition: ")
          .append(definition.path("nodes").size())
          .append(" nodes, ")
          .append(definition.path("edges").size())
          .append(" edges");
    }
    lines.add(summary.toString());
    JsonNode sync = json.get("dh_sync_summary");
    if (sync != null && !sync.isNull()) {
      lines.add("dh_sync_summary: " + Json.pretty(sync));
    }
    return lines;
  }
}
