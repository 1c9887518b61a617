package dev.bluejaybridge.cli.bluejay;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a workflow (scenario) v2 definition locally, by the rules Bluejay applies on create and
 * update (FACTS §5, the workflows-v2 spec's {@code WorkflowV2*} schemas):
 *
 * <ul>
 *   <li>always: the graph is an object whose {@code nodes}/{@code edges} are lists of objects; node
 *       and edge ids are non-empty strings, unique among nodes / among edges; node {@code type} is
 *       start, single or options; at most one start node;
 *   <li>once there is a content node ({@code single} or {@code options}; without one the graph is a
 *       draft): a start node ("No paths from Start"); edges between existing nodes; every content
 *       node reachable from the start; no directed cycle; {@code single} turns typed exact,
 *       contextual, silence or dtmf with their fields (non-empty {@code message}, contextual only
 *       for the agent, {@code duration_ms} 0–86,400,000, {@code digits} of 0-9 * # A-D); {@code
 *       options} nodes spoken by the user with at least two branches, each with a unique id and a
 *       type exact (with a message), silence or dtmf; every edge out of an options node names one
 *       of its branches in {@code sourceHandle}.
 * </ul>
 *
 * Every violation is reported, each naming its node or edge.
 */
public final class WorkflowValidator {

  static final long MAX_SILENCE_MS = 86_400_000L;
  private static final Pattern DTMF = Pattern.compile("[0-9*#A-Da-d]+");
  private static final Set<String> NODE_TYPES = Set.of("start", "single", "options");
  private static final Set<String> SINGLE_TYPES = Set.of("exact", "contextual", "silence", "dtmf");
  private static final Set<String> BRANCH_TYPES = Set.of("exact", "silence", "dtmf");

  private WorkflowValidator() {}

  /**
   * One broken rule.
   *
   * @param subject what it is about: {@code node 'n1'}, {@code edge 'e2'}, {@code node #3} (no
   *     usable id) or {@code graph}
   */
  public record Violation(String subject, String message) {
    @Override
    public String toString() {
      return subject + ": " + message;
    }
  }

  /**
   * The outcome.
   *
   * @param draft no content node: Bluejay saves such a graph without the full validation
   */
  public record Result(List<Violation> violations, boolean draft, int nodes, int edges) {
    public Result {
      violations = List.copyOf(violations);
    }

    public boolean valid() {
      return violations.isEmpty();
    }
  }

  /**
   * Reads a definition file: a graph ({@code {"nodes": [...], "edges": [...]}}) or a workflow
   * object holding one under {@code definition} (as GET /v1/workflow/{id} returns it).
   *
   * @return empty, with the problem added, when the file is missing or not JSON
   */
  public static Optional<JsonNode> readDefinition(Path file, String label, List<String> problems) {
    return Json.readFile(file, label, problems).map(WorkflowValidator::definitionOf);
  }

  static JsonNode definitionOf(JsonNode json) {
    if (json.isObject()
        && !json.has("nodes")
        && !json.has("edges")
        && json.path("definition").isObject()) {
      return json.get("definition");
    }
    return json;
  }

  /** Checks a definition graph. */
  public static Result validate(JsonNode definition) {
    return new Check(definition).run();
  }

  /** A node with a usable id. */
  private record Node(String id, String type, JsonNode json) {}

  /**
   * An edge.
   *
   * @param subject {@code edge 'id'}, or {@code edge #n} when it has no usable id
   */
  private record Edge(String subject, String source, String target, JsonNode json) {}

  /** A node on the depth-first path, the edge that led to it, and its edges still to follow. */
  private record Frame(String node, Edge enteredBy, Iterator<Edge> next) {}

  private static final class Check {
    private final JsonNode definition;
    private final List<Violation> violations = new ArrayList<>();
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final List<Edge> edges = new ArrayList<>();
    private int nodeCount;
    private int edgeCount;

    Check(JsonNode definition) {
      this.definition = definition;
    }

    private void add(String subject, String message) {
      violations.add(new Violation(subject, message));
    }

    Result run() {
      if (definition == null || !definition.isObject()) {
        add("graph", "the definition must be a JSON object with nodes and edges");
        return new Result(violations, false, 0, 0);
      }
      JsonNode nodeList = list("nodes");
      JsonNode edgeList = list("edges");
      readNodes(nodeList);
      readEdges(edgeList);
      List<Node> starts = nodes.values().stream().filter(n -> n.type().equals("start")).toList();
      for (Node extra : starts.subList(Math.min(1, starts.size()), starts.size())) {
        add(
            node(extra.id()),
            "a second start node (a graph has at most one; the first is "
                + Json.quoted(starts.get(0).id())
                + ")");
      }
      List<Node> content =
          nodes.values().stream()
              .filter(n -> n.type().equals("single") || n.type().equals("options"))
              .toList();
      if (content.isEmpty()) {
        return new Result(violations, true, nodeCount, edgeCount);
      }
      if (starts.isEmpty()) {
        add("graph", "No paths from Start: there are content nodes but no start node");
      }
      Map<String, List<Edge>> out = outgoing();
      for (Node n : content) {
        if (n.type().equals("single")) {
          checkSingle(n);
        } else {
          checkOptions(n, out.getOrDefault(n.id(), List.of()));
        }
      }
      if (!starts.isEmpty()) {
        checkReachable(starts, content, out);
      }
      checkAcyclic(out);
      return new Result(violations, false, nodeCount, edgeCount);
    }

    /** nodes/edges: absent or null means []. */
    private JsonNode list(String name) {
      JsonNode list = definition.get(name);
      if (list == null || list.isNull()) {
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
      }
      if (!list.isArray()) {
        add("graph", name + " must be a list, not " + list.getNodeType().name().toLowerCase());
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
      }
      return list;
    }

    private void readNodes(JsonNode list) {
      nodeCount = list.size();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode json = list.get(i);
        String position = "node #" + (i + 1);
        if (!json.isObject()) {
          add(position, "must be an object, not " + json);
          continue;
        }
        String id = nonEmptyText(json.get("id"));
        if (id == null) {
          add(position, "id is required (a non-empty string), got " + shown(json.get("id")));
        } else if (!seen.add(id)) {
          add(node(id), "duplicate node id (node ids must be unique)");
          id = null;
        }
        String subject = id == null ? position : node(id);
        JsonNode type = json.get("type");
        String typeText = type != null && type.isTextual() ? type.asText() : null;
        if (typeText == null || !NODE_TYPES.contains(typeText)) {
          add(subject, "type must be start, single or options, got " + shown(type));
          typeText = "";
        }
        if (id != null) {
          nodes.put(id, new Node(id, typeText, json));
        }
      }
    }

    private void readEdges(JsonNode list) {
      edgeCount = list.size();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode json = list.get(i);
        String position = "edge #" + (i + 1);
        if (!json.isObject()) {
          add(position, "must be an object, not " + json);
          continue;
        }
        String id = nonEmptyText(json.get("id"));
        if (id == null) {
          add(position, "id is required (a non-empty string), got " + shown(json.get("id")));
        } else if (!seen.add(id)) {
          add(edge(id), "duplicate edge id (edge ids must be unique)");
        }
        edges.add(
            new Edge(
                id == null ? position : edge(id),
                Json.text(json.get("source")),
                Json.text(json.get("target")),
                json));
      }
    }

    private Map<String, List<Edge>> outgoing() {
      Map<String, List<Edge>> out = new HashMap<>();
      for (Edge e : edges) {
        String subject = e.subject();
        boolean ok = true;
        for (String end : List.of("source", "target")) {
          String value = end.equals("source") ? e.source() : e.target();
          if (value == null || value.isEmpty()) {
            add(subject, end + " is required (the id of a node)");
            ok = false;
          } else if (!nodes.containsKey(value)) {
            add(subject, end + " " + Json.quoted(value) + " is not a node of this graph");
            ok = false;
          }
        }
        if (ok) {
          out.computeIfAbsent(e.source(), k -> new ArrayList<>()).add(e);
        }
      }
      return out;
    }

    private void checkSingle(Node n) {
      String subject = node(n.id());
      JsonNode data = n.json().get("data");
      if (data == null || !data.isObject()) {
        add(subject, "data is required: an object with type exact, contextual, silence or dtmf");
        return;
      }
      JsonNode typeNode = data.get("type");
      String type = typeNode != null && typeNode.isTextual() ? typeNode.asText() : null;
      if (type == null || !SINGLE_TYPES.contains(type)) {
        add(
            subject,
            "data.type must be exact, contextual, silence or dtmf, got " + shown(typeNode));
        return;
      }
      JsonNode speaker = data.get("speaker");
      boolean speakerGiven = speaker != null && !speaker.isNull();
      String speakerText = speakerGiven && speaker.isTextual() ? speaker.asText() : null;
      if (type.equals("contextual")) {
        if (speakerGiven && !"agent".equals(speakerText)) {
          add(
              subject,
              "a contextual turn is the agent's: data.speaker must be omitted or agent, got "
                  + shown(speaker));
        }
      } else if (speakerGiven && !"agent".equals(speakerText) && !"user".equals(speakerText)) {
        add(subject, "data.speaker must be agent or user, got " + shown(speaker));
      }
      checkTurn(subject, "data.", type, data);
    }

    /** The fields a turn of {@code type} needs (a single node's data or an options branch). */
    private void checkTurn(String subject, String prefix, String type, JsonNode data) {
      switch (type) {
        case "exact", "contextual" -> {
          JsonNode message = data.get("message");
          if (message == null || !message.isTextual() || message.asText().isBlank()) {
            add(
                subject,
                prefix
                    + "message is required for "
                    + (type.equals("exact") ? "an " : "a ")
                    + type
                    + " turn (non-empty text), got "
                    + shown(message));
          }
        }
        case "silence" -> {
          JsonNode duration = data.get("duration_ms");
          if (duration == null || !duration.isNumber()) {
            add(
                subject,
                prefix
                    + "duration_ms is required for a silence turn (a number of milliseconds), got "
                    + shown(duration));
          } else {
            double ms = duration.asDouble();
            if (!Double.isFinite(ms) || ms < 0 || ms > MAX_SILENCE_MS) {
              add(
                  subject,
                  prefix
                      + "duration_ms must be between 0 and 86400000 (24 h), got "
                      + duration.asText());
            }
          }
        }
        case "dtmf" -> {
          JsonNode digits = data.get("digits");
          if (digits == null || !digits.isTextual() || digits.asText().isBlank()) {
            add(
                subject,
                prefix + "digits is required for a dtmf turn (non-empty), got " + shown(digits));
          } else if (!DTMF.matcher(digits.asText().trim()).matches()) {
            add(
                subject,
                prefix
                    + "digits may only hold 0-9, *, # and A-D, got "
                    + Json.quoted(digits.asText()));
          }
        }
        default -> throw new IllegalStateException("unchecked turn type " + type);
      }
    }

    private void checkOptions(Node n, List<Edge> out) {
      String subject = node(n.id());
      JsonNode data = n.json().get("data");
      if (data == null || !data.isObject()) {
        add(subject, "data is required: an object with at least 2 branch_options");
        return;
      }
      JsonNode speaker = data.get("speaker");
      if (speaker != null && !speaker.isNull() && !"user".equals(Json.text(speaker))) {
        add(
            subject,
            "an options node is the user's choice: data.speaker must be omitted or user, got "
                + shown(speaker));
      }
      JsonNode branches = data.get("branch_options");
      Set<String> branchIds = new LinkedHashSet<>();
      if (branches == null || !branches.isArray()) {
        add(subject, "data.branch_options is required: a list of at least 2 branches");
      } else {
        if (branches.size() < 2) {
          add(
              subject,
              "data.branch_options has "
                  + branches.size()
                  + " branch(es): an options node needs at least 2");
        }
        for (int i = 0; i < branches.size(); i++) {
          checkBranch(subject, i, branches.get(i), branchIds);
        }
      }
      for (Edge e : out) {
        String handle = Json.text(e.json().get("sourceHandle"));
        String choices = branchIds.isEmpty() ? "none" : String.join(", ", branchIds);
        if (handle == null || handle.isEmpty()) {
          add(
              e.subject(),
              "leaves options node "
                  + Json.quoted(n.id())
                  + " without a sourceHandle: set it to the branch id it follows ("
                  + choices
                  + ")");
        } else if (!branchIds.contains(handle)) {
          add(
              e.subject(),
              "sourceHandle "
                  + Json.quoted(handle)
                  + " is not a branch of options node "
                  + Json.quoted(n.id())
                  + " ("
                  + choices
                  + ")");
        }
      }
    }

    private void checkBranch(String subject, int index, JsonNode branch, Set<String> branchIds) {
      String at = "data.branch_options[" + index + "]";
      if (!branch.isObject()) {
        add(subject, at + " must be an object, got " + branch);
        return;
      }
      String id = nonEmptyText(branch.get("id"));
      if (id == null) {
        add(subject, at + ".id is required (a non-empty string), got " + shown(branch.get("id")));
      } else {
        at = "branch " + Json.quoted(id);
        if (!branchIds.add(id)) {
          add(
              subject,
              "branch id " + Json.quoted(id) + " is used twice (branch ids must be unique)");
        }
      }
      JsonNode speaker = branch.get("speaker");
      if (speaker != null && !speaker.isNull() && !"user".equals(Json.text(speaker))) {
        add(subject, at + ": speaker must be omitted or user, got " + shown(speaker));
      }
      JsonNode typeNode = branch.get("type");
      String type = typeNode != null && typeNode.isTextual() ? typeNode.asText() : null;
      if (type == null || !BRANCH_TYPES.contains(type)) {
        add(subject, at + ": type must be exact, silence or dtmf, got " + shown(typeNode));
        return;
      }
      checkTurn(subject, at + ": ", type, branch);
    }

    private void checkReachable(
        List<Node> starts, List<Node> content, Map<String, List<Edge>> out) {
      Set<String> reached = new HashSet<>();
      Deque<String> queue = new ArrayDeque<>();
      for (Node start : starts) {
        reached.add(start.id());
        queue.add(start.id());
      }
      while (!queue.isEmpty()) {
        for (Edge e : out.getOrDefault(queue.poll(), List.of())) {
          if (reached.add(e.target())) {
            queue.add(e.target());
          }
        }
      }
      for (Node n : content) {
        if (!reached.contains(n.id())) {
          add(node(n.id()), "not reachable from the start node");
        }
      }
    }

    /**
     * Depth-first, iteratively (a long chain must not overflow the stack); one report per cycle.
     */
    private void checkAcyclic(Map<String, List<Edge>> out) {
      Map<String, Boolean> onPath = new HashMap<>(); // true: on the current path, false: done
      Set<Set<String>> reported = new HashSet<>();
      for (String root : nodes.keySet()) {
        if (onPath.containsKey(root)) {
          continue;
        }
        Deque<Frame> path = new ArrayDeque<>();
        onPath.put(root, true);
        path.push(new Frame(root, null, out.getOrDefault(root, List.of()).iterator()));
        while (!path.isEmpty()) {
          Frame top = path.peek();
          if (!top.next().hasNext()) {
            onPath.put(path.pop().node(), false);
            continue;
          }
          Edge e = top.next().next();
          Boolean seen = onPath.get(e.target());
          if (seen == null) {
            onPath.put(e.target(), true);
            path.push(new Frame(e.target(), e, out.getOrDefault(e.target(), List.of()).iterator()));
          } else if (seen) {
            reportCycle(path, e, reported);
          }
        }
      }
    }

    /** The cycle closed by {@code back}: the path from its target to its source, then back. */
    private void reportCycle(Deque<Frame> path, Edge back, Set<Set<String>> reported) {
      List<String> cycleNodes = new ArrayList<>();
      List<String> cycleEdges = new ArrayList<>();
      cycleEdges.add(back.subject());
      for (Frame frame : path) { // newest first
        cycleNodes.add(0, frame.node());
        if (frame.node().equals(back.target())) {
          break;
        }
        cycleEdges.add(0, frame.enteredBy().subject());
      }
      if (!reported.add(new HashSet<>(cycleNodes))) {
        return;
      }
      StringBuilder route = new StringBuilder();
      for (String id : cycleNodes) {
        route.append(Json.quoted(id)).append(" -> ");
      }
      route.append(Json.quoted(back.target()));
      add(
          String.join(", ", cycleEdges),
          "directed cycle " + route + " (a scenario must not loop back)");
    }

    private static String nonEmptyText(JsonNode node) {
      return node != null && node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }

    private static String shown(JsonNode node) {
      if (node == null || node.isMissingNode()) {
        return "nothing";
      }
      return node.isTextual() ? Json.quoted(node.asText()) : node.toString();
    }

    private static String node(String id) {
      return "node " + Json.quoted(id);
    }

    private static String edge(String id) {
      return "edge " + Json.quoted(id);
    }
  }
}
