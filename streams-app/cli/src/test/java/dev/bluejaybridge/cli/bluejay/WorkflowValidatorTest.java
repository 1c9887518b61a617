package dev.bluejaybridge.cli.bluejay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.cli.bluejay.WorkflowValidator.Result;
import dev.bluejaybridge.cli.bluejay.WorkflowValidator.Violation;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code workflow validate}: one failing case (at least) per documented rule of FACTS §5, each
 * naming the node or edge it is about, and graphs that pass.
 */
class WorkflowValidatorTest {

  /**
   * A valid scenario using every turn type: a user line, an agent direction, an options node with
   * three branches (two continue, named by sourceHandle), a DTMF turn and the longest silence.
   */
  static final String VALID =
      """
      {"nodes": [
         {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
         {"id": "greet", "type": "single", "selected": true,
          "data": {"type": "exact", "message": "Hi, I want a refund", "speaker": "user"}},
         {"id": "ask", "type": "single", "data": {"type": "contextual", "message": "Ask for the order number"}},
         {"id": "choice", "type": "options", "data": {"speaker": "user", "branch_options": [
            {"id": "yes", "type": "exact", "message": "Yes, order 1234", "label": "gives it"},
            {"id": "quiet", "type": "silence", "duration_ms": 3000},
            {"id": "keys", "type": "dtmf", "digits": " 12#* "}]}},
         {"id": "bye", "type": "single", "data": {"type": "dtmf", "digits": "9aD"}},
         {"id": "wait", "type": "single", "data": {"type": "silence", "duration_ms": 86400000, "speaker": "agent"}}
       ],
       "edges": [
         {"id": "e1", "source": "start", "target": "greet"},
         {"id": "e2", "source": "greet", "target": "ask"},
         {"id": "e3", "source": "ask", "target": "choice"},
         {"id": "e4", "source": "choice", "target": "bye", "sourceHandle": "yes"},
         {"id": "e5", "source": "choice", "target": "wait", "sourceHandle": "quiet", "animated": true}
       ],
       "viewport": {"x": 0, "y": 0, "zoom": 1}}
      """;

  static ObjectNode valid() {
    return (ObjectNode) BluejayCommandHarness.json(VALID);
  }

  static ArrayNode nodes(ObjectNode graph) {
    return (ArrayNode) graph.get("nodes");
  }

  static ArrayNode edges(ObjectNode graph) {
    return (ArrayNode) graph.get("edges");
  }

  /** The node with this id. */
  static ObjectNode node(ObjectNode graph, String id) {
    for (JsonNode node : graph.get("nodes")) {
      if (node.path("id").asText().equals(id)) {
        return (ObjectNode) node;
      }
    }
    throw new IllegalArgumentException("no node " + id);
  }

  static ObjectNode data(ObjectNode graph, String id) {
    return (ObjectNode) node(graph, id).get("data");
  }

  static ObjectNode branch(ObjectNode graph, int index) {
    return (ObjectNode) data(graph, "choice").get("branch_options").get(index);
  }

  static JsonNode json(String text) {
    return BluejayCommandHarness.json(text);
  }

  static Arguments rule(String rule, Consumer<ObjectNode> breakIt, String subject, String message) {
    return Arguments.of(rule, breakIt, subject, message);
  }

  static Stream<Arguments> brokenRules() {
    return Stream.of(
        // ids
        rule(
            "node ids are unique",
            g ->
                nodes(g)
                    .add(
                        json(
                            "{\"id\": \"bye\", \"type\": \"single\", \"data\": {\"type\": \"dtmf\", \"digits\": \"1\"}}")),
            "node 'bye'",
            "duplicate node id"),
        rule(
            "node ids are non-empty",
            g -> nodes(g).add(json("{\"id\": \"\", \"type\": \"start\"}")),
            "node #7",
            "id is required"),
        rule(
            "node ids are strings",
            g -> node(g, "bye").put("id", 5),
            "node #5",
            "id is required (a non-empty string), got 5"),
        rule(
            "edge ids are unique",
            g -> edges(g).add(json("{\"id\": \"e2\", \"source\": \"greet\", \"target\": \"bye\"}")),
            "edge 'e2'",
            "duplicate edge id"),
        rule(
            "edge ids are non-empty",
            g -> edges(g).add(json("{\"id\": \" \", \"source\": \"greet\", \"target\": \"bye\"}")),
            "edge #6",
            "id is required"),
        // edges between existing nodes
        rule(
            "an edge's target exists",
            g -> edges(g).add(json("{\"id\": \"e9\", \"source\": \"bye\", \"target\": \"ghost\"}")),
            "edge 'e9'",
            "target 'ghost' is not a node of this graph"),
        rule(
            "an edge's source exists",
            g -> edges(g).add(json("{\"id\": \"e9\", \"source\": \"ghost\", \"target\": \"bye\"}")),
            "edge 'e9'",
            "source 'ghost' is not a node of this graph"),
        rule(
            "an edge has a target",
            g -> edges(g).add(json("{\"id\": \"e9\", \"source\": \"bye\"}")),
            "edge 'e9'",
            "target is required"),
        // start
        rule(
            "at most one start node",
            g -> nodes(g).add(json("{\"id\": \"start2\", \"type\": \"start\"}")),
            "node 'start2'",
            "a second start node"),
        rule(
            "content nodes need a start node",
            g -> {
              nodes(g).remove(0);
              edges(g).remove(0);
            },
            "graph",
            "No paths from Start"),
        rule(
            "every content node is reachable from start",
            g ->
                nodes(g)
                    .add(
                        json(
                            "{\"id\": \"orphan\", \"type\": \"single\", \"data\": {\"type\": \"exact\", \"message\": \"hm\"}}")),
            "node 'orphan'",
            "not reachable from the start node"),
        // cycles
        rule(
            "no directed cycles",
            g -> edges(g).add(json("{\"id\": \"e9\", \"source\": \"bye\", \"target\": \"greet\"}")),
            "edge 'e9'",
            "directed cycle 'greet' -> 'ask' -> 'choice' -> 'bye' -> 'greet'"),
        rule(
            "no self-loops",
            g -> edges(g).add(json("{\"id\": \"e9\", \"source\": \"ask\", \"target\": \"ask\"}")),
            "edge 'e9'",
            "directed cycle 'ask' -> 'ask'"),
        // node types
        rule(
            "node type is start, single or options",
            g -> node(g, "bye").put("type", "decision"),
            "node 'bye'",
            "type must be start, single or options, got 'decision'"),
        // single nodes
        rule(
            "a single node has data",
            g -> node(g, "bye").remove("data"),
            "node 'bye'",
            "data is required"),
        rule(
            "single data.type is exact, contextual, silence or dtmf",
            g -> data(g, "greet").put("type", "shout"),
            "node 'greet'",
            "data.type must be exact, contextual, silence or dtmf, got 'shout'"),
        rule(
            "an exact turn needs a message",
            g -> data(g, "greet").remove("message"),
            "node 'greet'",
            "data.message is required for an exact turn"),
        rule(
            "an exact turn's message is not blank",
            g -> data(g, "greet").put("message", "   "),
            "node 'greet'",
            "data.message is required for an exact turn"),
        rule(
            "a contextual turn needs a message",
            g -> data(g, "ask").put("message", ""),
            "node 'ask'",
            "data.message is required for a contextual turn"),
        rule(
            "a contextual turn is the agent's",
            g -> data(g, "ask").put("speaker", "user"),
            "node 'ask'",
            "data.speaker must be omitted or agent, got 'user'"),
        rule(
            "a single node's speaker is agent or user",
            g -> data(g, "greet").put("speaker", "bot"),
            "node 'greet'",
            "data.speaker must be agent or user, got 'bot'"),
        rule(
            "a silence turn needs duration_ms",
            g -> data(g, "wait").remove("duration_ms"),
            "node 'wait'",
            "data.duration_ms is required"),
        rule(
            "silence duration_ms is a number, not a boolean",
            g -> data(g, "wait").put("duration_ms", true),
            "node 'wait'",
            "data.duration_ms is required for a silence turn (a number of milliseconds), got true"),
        rule(
            "silence duration_ms is a number, not text",
            g -> data(g, "wait").put("duration_ms", "3000"),
            "node 'wait'",
            "got '3000'"),
        rule(
            "silence duration_ms is at most 86,400,000",
            g -> data(g, "wait").put("duration_ms", 86_400_001),
            "node 'wait'",
            "data.duration_ms must be between 0 and 86400000"),
        rule(
            "silence duration_ms is not negative",
            g -> data(g, "wait").put("duration_ms", -0.5),
            "node 'wait'",
            "data.duration_ms must be between 0 and 86400000 (24 h), got -0.5"),
        rule(
            "a dtmf turn needs digits",
            g -> data(g, "bye").put("digits", "  "),
            "node 'bye'",
            "data.digits is required for a dtmf turn"),
        rule(
            "dtmf digits are 0-9 * # A-D",
            g -> data(g, "bye").put("digits", "12E"),
            "node 'bye'",
            "data.digits may only hold 0-9, *, # and A-D, got '12E'"),
        // options nodes
        rule(
            "an options node has at least two branches",
            g ->
                ((ArrayNode) data(g, "choice").get("branch_options"))
                    .removeAll()
                    .add(branch(valid(), 0)),
            "node 'choice'",
            "has 1 branch(es): an options node needs at least 2"),
        rule(
            "an options node has branch_options",
            g -> data(g, "choice").remove("branch_options"),
            "node 'choice'",
            "data.branch_options is required"),
        rule(
            "an options node is spoken by the user",
            g -> data(g, "choice").put("speaker", "agent"),
            "node 'choice'",
            "data.speaker must be omitted or user, got 'agent'"),
        rule(
            "a branch has an id",
            g -> branch(g, 2).remove("id"),
            "node 'choice'",
            "data.branch_options[2].id is required"),
        rule(
            "branch ids are unique",
            g -> branch(g, 2).put("id", "yes"),
            "node 'choice'",
            "branch id 'yes' is used twice"),
        rule(
            "a branch is exact, silence or dtmf",
            g -> branch(g, 0).put("type", "contextual"),
            "node 'choice'",
            "branch 'yes': type must be exact, silence or dtmf, got 'contextual'"),
        rule(
            "an exact branch needs a message",
            g -> branch(g, 0).put("message", " "),
            "node 'choice'",
            "branch 'yes': message is required for an exact turn"),
        rule(
            "a silence branch keeps the silence range",
            g -> branch(g, 1).put("duration_ms", 90_000_000),
            "node 'choice'",
            "branch 'quiet': duration_ms must be between 0 and 86400000"),
        rule(
            "a dtmf branch keeps the digit alphabet",
            g -> branch(g, 2).put("digits", "1-2"),
            "node 'choice'",
            "branch 'keys': digits may only hold"),
        rule(
            "a branch is the user's",
            g -> branch(g, 0).put("speaker", "agent"),
            "node 'choice'",
            "branch 'yes': speaker must be omitted or user"),
        rule(
            "an edge out of an options node names a branch",
            g -> ((ObjectNode) edges(g).get(3)).remove("sourceHandle"),
            "edge 'e4'",
            "leaves options node 'choice' without a sourceHandle"),
        rule(
            "an edge out of an options node names one of its branches",
            g -> ((ObjectNode) edges(g).get(4)).put("sourceHandle", "maybe"),
            "edge 'e5'",
            "sourceHandle 'maybe' is not a branch of options node 'choice' (yes, quiet, keys)"),
        // shape
        rule("nodes is a list", g -> g.put("nodes", "start"), "graph", "nodes must be a list"),
        rule("a node is an object", g -> nodes(g).add("start"), "node #7", "must be an object"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenRules")
  void eachBrokenRuleIsReportedNamingItsNodeOrEdge(
      String rule, Consumer<ObjectNode> breakIt, String subject, String message) {
    ObjectNode graph = valid();
    breakIt.accept(graph);

    Result result = WorkflowValidator.validate(graph);

    assertThat(result.valid()).isFalse();
    assertThat(result.violations())
        .as("violations of '%s'", rule)
        .anySatisfy(
            violation -> {
              assertThat(violation.subject()).contains(subject);
              assertThat(violation.message()).contains(message);
            });
    assertThat(result.violations().toString()).contains(subject);
  }

  @Test
  void aGraphWithAnOptionsNodeAndItsBranchesIsValid() {
    Result result = WorkflowValidator.validate(valid());

    assertThat(result.violations()).isEmpty();
    assertThat(result.valid()).isTrue();
    assertThat(result.draft()).isFalse();
    assertThat(result.nodes()).isEqualTo(6);
    assertThat(result.edges()).isEqualTo(5);
  }

  @Test
  void aBrokenRuleIsReportedOnceWithoutKnockOnViolations() {
    ObjectNode graph = valid();
    data(graph, "ask").put("speaker", "user");

    assertThat(WorkflowValidator.validate(graph).violations())
        .extracting(Violation::toString)
        .containsExactly(
            "node 'ask': a contextual turn is the agent's: data.speaker must be omitted or agent,"
                + " got 'user'");
  }

  @Test
  void everyViolationIsReportedAtOnce() {
    ObjectNode graph = valid();
    data(graph, "greet").put("message", "");
    data(graph, "bye").put("digits", "x");
    ((ObjectNode) edges(graph).get(3)).put("sourceHandle", "nope");
    nodes(graph).add(json("{\"id\": \"start2\", \"type\": \"start\"}"));

    assertThat(WorkflowValidator.validate(graph).violations())
        .extracting(Violation::subject)
        .containsExactlyInAnyOrder("node 'start2'", "node 'greet'", "node 'bye'", "edge 'e4'");
  }

  @Test
  void aGraphWithoutContentNodesIsADraft() {
    Result onlyStart =
        WorkflowValidator.validate(
            json("{\"nodes\": [{\"id\": \"start\", \"type\": \"start\"}], \"edges\": []}"));
    Result empty = WorkflowValidator.validate(json("{}"));

    assertThat(onlyStart.valid()).isTrue();
    assertThat(onlyStart.draft()).isTrue();
    assertThat(empty.valid()).isTrue();
    assertThat(empty.draft()).isTrue();
  }

  @Test
  void aDraftWithTwoStartNodesStillFails() {
    Result result =
        WorkflowValidator.validate(
            json(
                "{\"nodes\": [{\"id\": \"a\", \"type\": \"start\"}, {\"id\": \"b\", \"type\":"
                    + " \"start\"}]}"));

    assertThat(result.draft()).isTrue();
    assertThat(result.violations())
        .extracting(Violation::toString)
        .containsExactly(
            "node 'b': a second start node (a graph has at most one; the first is 'a')");
  }

  @Test
  void aDefinitionThatIsNotAnObjectIsReported() {
    assertThat(WorkflowValidator.validate(json("[1, 2]")).violations())
        .extracting(Violation::subject)
        .containsExactly("graph");
  }

  @Test
  void aWorkflowObjectIsReadForItsDefinition() {
    JsonNode workflow =
        json("{\"id\": \"w\", \"name\": \"Refunds\", \"definition\": " + VALID + "}");

    assertThat(WorkflowValidator.definitionOf(workflow)).isEqualTo(valid());
  }

  @Test
  void aLongChainDoesNotOverflowTheStack() {
    ObjectNode graph =
        (ObjectNode) json("{\"nodes\": [{\"id\": \"n0\", \"type\": \"start\"}], \"edges\": []}");
    for (int i = 1; i <= 20_000; i++) {
      nodes(graph)
          .addObject()
          .put("id", "n" + i)
          .put("type", "single")
          .putObject("data")
          .put("type", "exact")
          .put("message", "turn " + i);
      edges(graph)
          .addObject()
          .put("id", "e" + i)
          .put("source", "n" + (i - 1))
          .put("target", "n" + i);
    }

    assertThat(WorkflowValidator.validate(graph).valid()).isTrue();
  }
}
