package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.jsonAnswer;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.run;
import static dev.bluejaybridge.testkit.OpenApiSpecs.UPDATE_WORKFLOW;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.Run;
import dev.bluejaybridge.testkit.OpenApiSpecs;
import dev.bluejaybridge.testkit.OpenApiSpecs.Spec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code workflow update}: PUT /v1/workflow/{id} (or /v1/scenario/{id}) against WireMock. */
class WorkflowUpdateCommandTest {

  static final String ID = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
  static final String PATH = "/v1/workflow/" + ID;

  static BluejayCommandHarness bluejay;
  @TempDir Path dir;
  Path config;

  @BeforeAll
  static void start() {
    bluejay = new BluejayCommandHarness();
  }

  @AfterAll
  static void stop() {
    bluejay.close();
  }

  @BeforeEach
  void answerLikeBluejay() {
    bluejay.reset();
    bluejay.server.stubFor(put(urlPathEqualTo(PATH)).willReturn(jsonAnswer(200, answer(false))));
    bluejay.server.stubFor(
        put(urlPathEqualTo("/v1/scenario/" + ID)).willReturn(jsonAnswer(200, answer(false))));
    config = bluejay.bluejayOnlyConfig(dir);
  }

  static String answer(boolean withSync) {
    return "{\"id\":\""
        + ID
        + "\",\"organization_id\":\"org-1\",\"agent_ids\":[3,4],\"name\":\"Refunds\","
        + "\"description\":null,\"definition\":{\"nodes\":[{\"id\":\"start\",\"type\":\"start\"}],"
        + "\"edges\":[]},\"created_at\":\"2026-04-03T10:00:00Z\""
        + (withSync
            ? ",\"dh_sync_summary\":{\"updated\":2,\"created\":1,\"marked_stale\":0,"
                + "\"skipped\":0,\"errors\":[]}"
            : "")
        + "}";
  }

  private Run update(String... options) {
    List<String> args = new ArrayList<>(List.of("workflow", "update", ID));
    args.addAll(List.of(options));
    args.addAll(List.of("--config", config.toString()));
    return run(args.toArray(String[]::new));
  }

  private static void assertValidAgainstSpec(LoggedRequest request) {
    assertThat(
            OpenApiSpecs.validate(
                Spec.WORKFLOWS, UPDATE_WORKFLOW, BluejayCommandHarness.body(request)))
        .as("UpdateWorkflowV2Request problems of %s", request.getBodyAsString())
        .isEmpty();
  }

  /** The validator test's graph, without the padded DTMF digits the spec's pattern cannot trim. */
  private Path validDefinition() {
    ObjectNode graph = WorkflowValidatorTest.valid();
    WorkflowValidatorTest.branch(graph, 2).put("digits", "12#*");
    return BluejayCommandHarness.write(dir, "definition.json", graph.toString());
  }

  @Test
  void sendsOnlyTheFieldsGiven() {
    Run result = update("--name", "Refunds", "--agent-id", "3", "--agent-id", "4");

    assertThat(result.exit()).as(result.err()).isZero();
    LoggedRequest request = bluejay.onlyRequest();
    assertThat(request.getMethod().getName()).isEqualTo("PUT");
    assertThat(request.getUrl()).isEqualTo(PATH);
    assertThat(request.getHeader("X-API-Key")).isEqualTo(BluejayCommandHarness.KEY);
    assertThat(request.getHeader("Content-Type")).startsWith("application/json");
    assertThat(request.getBodyAsString()).isEqualTo("{\"name\":\"Refunds\",\"agent_ids\":[3,4]}");
    assertValidAgainstSpec(request);
    assertThat(result.out())
        .isEqualTo(
            "updated workflow "
                + ID
                + " \"Refunds\", agents [3, 4], definition: 1 nodes, 0"
                + " edges"
                + System.lineSeparator());
  }

  @Test
  void clearAgentsSendsAnEmptyList() {
    Run result = update("--clear-agents");

    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(bluejay.onlyRequest().getBodyAsString()).isEqualTo("{\"agent_ids\":[]}");
    assertValidAgainstSpec(bluejay.onlyRequest());
  }

  @Test
  void aValidDefinitionIsSentWholeAndTheSyncSummaryPrinted() {
    bluejay.server.stubFor(
        put(urlPathEqualTo(PATH)).atPriority(1).willReturn(jsonAnswer(200, answer(true))));
    Path definition = validDefinition();

    Run result = update("--definition", definition.toString(), "--description", "");

    assertThat(result.exit()).as(result.err()).isZero();
    LoggedRequest request = bluejay.onlyRequest();
    JsonNode body = BluejayCommandHarness.json(request);
    assertThat(body.fieldNames()).toIterable().containsExactly("description", "definition");
    assertThat(body.get("description").asText()).isEmpty();
    assertThat(body.get("definition"))
        .isEqualTo(BluejayCommandHarness.json(readString(definition)));
    assertValidAgainstSpec(request);
    assertThat(result.out())
        .contains("updated workflow " + ID)
        .contains("dh_sync_summary: {")
        .contains("\"updated\" : 2")
        .contains("\"marked_stale\" : 0");
  }

  @Test
  void theScenarioPathUsesTheRenamedRoute() {
    Run result = update("--name", "Refunds", "--path", "scenario");

    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(bluejay.onlyRequest().getUrl()).isEqualTo("/v1/scenario/" + ID);
  }

  @Test
  void anInvalidDefinitionIsListedAndNothingIsSent() {
    ObjectNode graph = WorkflowValidatorTest.valid();
    WorkflowValidatorTest.data(graph, "bye").put("digits", "12E");
    WorkflowValidatorTest.edges(graph)
        .addObject()
        .put("id", "loop")
        .put("source", "bye")
        .put("target", "greet");
    Path definition = BluejayCommandHarness.write(dir, "broken.json", graph.toString());

    Run result = update("--definition", definition.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("2 problems")
        .contains("--definition broken.json: node 'bye': data.digits may only hold")
        .contains(
            "--definition broken.json: edge 'e2', edge 'e3', edge 'e4', edge 'loop':"
                + " directed cycle")
        .contains("nothing was sent");
    assertThat(bluejay.requests()).isEmpty();
  }

  @Test
  void theSpecRejectsDefinitionsTheValidatorRejects() {
    // The typed node schemas agree with the local rules on what they can express.
    ObjectNode graph = WorkflowValidatorTest.valid();
    WorkflowValidatorTest.branch(graph, 2).put("digits", "12#*");
    WorkflowValidatorTest.data(graph, "ask").put("speaker", "user");
    WorkflowValidatorTest.data(graph, "bye").put("digits", "12E");
    WorkflowValidatorTest.data(graph, "wait").put("duration_ms", 86_400_001);
    ObjectNode body = BluejayCommandHarness.JSON.createObjectNode();
    body.set("definition", graph);

    assertThat(OpenApiSpecs.validate(Spec.WORKFLOWS, UPDATE_WORKFLOW, body)).isNotEmpty();
    for (String node : List.of("ask", "bye", "wait")) {
      ObjectNode one = WorkflowValidatorTest.valid();
      WorkflowValidatorTest.branch(one, 2).put("digits", "12#*");
      ObjectNode broken = (ObjectNode) graph.deepCopy();
      WorkflowValidatorTest.node(one, node).set("data", WorkflowValidatorTest.data(broken, node));
      ObjectNode oneBody = BluejayCommandHarness.JSON.createObjectNode();
      oneBody.set("definition", one);
      assertThat(OpenApiSpecs.validate(Spec.WORKFLOWS, UPDATE_WORKFLOW, oneBody))
          .as("node %s", node)
          .isNotEmpty();
      assertThat(WorkflowValidator.validate(one).violations())
          .as("node %s", node)
          .singleElement()
          .satisfies(v -> assertThat(v.subject()).isEqualTo("node '" + node + "'"));
    }
  }

  @Test
  void usageProblemsAreListedTogether() {
    Path notJson = BluejayCommandHarness.write(dir, "graph.json", "{\"nodes\": [");

    Run result =
        run(
            "workflow",
            "update",
            "not-a-uuid",
            "--name",
            "x".repeat(256),
            "--agent-id",
            "three",
            "--definition",
            notJson.toString(),
            "--path",
            "flows",
            "--config",
            config.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("5 problems")
        .contains("ID: 'not-a-uuid' is not a workflow id")
        .contains("--name: must be 1 to 255 characters, got 256")
        .contains("--agent-id: 'three' is not an agent id")
        .contains("--definition: " + notJson + " is not valid JSON at line 1")
        .contains("--path: must be workflow or scenario");
    assertThat(bluejay.requests()).isEmpty();
  }

  @Test
  void agentIdsAndClearAgentsContradict() {
    Run result = update("--agent-id", "3", "--clear-agents");

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("--agent-id and --clear-agents contradict each other");
    assertThat(bluejay.requests()).isEmpty();
  }

  @Test
  void nothingToUpdateIsAUsageError() {
    Run result = update();

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("nothing to update");
  }

  @ParameterizedTest(name = "HTTP {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "400|{\"detail\":\"Node 'ask': contextual turns must be spoken by the agent\"}|the request is invalid|detail: Node 'ask': contextual turns must be spoken by the agent",
        "400|{\"detail\":[\"No paths from Start\",\"Cycle detected\"]}|the request is invalid|- No paths from Start",
        "401|{\"detail\":\"Not authenticated\"}|the API key was refused|detail: Not authenticated",
        "404|{\"detail\":\"Workflow not found\"}|workflow "
            + ID
            + " does not exist, or this API key cannot access it|detail: Workflow not found",
        "422|{\"detail\":[{\"loc\":[\"body\",\"name\"],\"msg\":\"String should have at least 1 character\",\"type\":\"string_too_short\"}]}|the request body was rejected|- body.name: String should have at least 1 character (string_too_short)",
        "500|{\"detail\":\"Internal Server Error\"}|Bluejay failed (server error)|detail: Internal Server Error"
      })
  void eachErrorStatusIsExplainedWithBluejaysDetailAndExitsOne(
      int status, String body, String meaning, String detail) {
    bluejay.server.stubFor(any(anyUrl()).atPriority(1).willReturn(jsonAnswer(status, body)));

    Run result = update("--name", "Refunds");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: Bluejay answered HTTP " + status + " to PUT " + PATH)
        .contains(meaning)
        .contains(detail)
        .doesNotContain(BluejayCommandHarness.KEY);
    assertThat(result.out()).isEmpty();
  }

  @Test
  void aPlainTextErrorBodyIsShownAsItCame() {
    bluejay.server.stubFor(
        any(anyUrl())
            .atPriority(1)
            .willReturn(
                com.github.tomakehurst.wiremock.client.WireMock.aResponse()
                    .withStatus(400)
                    .withBody("Graph validation failed: No paths from Start")));

    Run result = update("--name", "Refunds");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err()).contains("Graph validation failed: No paths from Start");
  }

  private static String readString(Path file) {
    try {
      return java.nio.file.Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
