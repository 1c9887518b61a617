package dev.bluejaybridge.cli.bluejay;

import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code workflow validate FILE}: no configuration, nothing sent, exit 0 or 2. */
class WorkflowValidateCommandTest {

  @TempDir Path dir;

  @Test
  void aValidGraphPrintsValidAndExitsZero() {
    Path file = BluejayCommandHarness.write(dir, "graph.json", WorkflowValidatorTest.VALID);

    Run result = run("workflow", "validate", file.toString());

    assertThat(result.exit()).isZero();
    assertThat(result.out().strip()).isEqualTo("valid");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void aWorkflowObjectAsBluejayReturnsItIsValidatedByItsDefinition() {
    Path file =
        BluejayCommandHarness.write(
            dir,
            "workflow.json",
            "{\"id\": \"6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f\", \"name\": \"Refunds\","
                + " \"definition\": "
                + WorkflowValidatorTest.VALID
                + "}");

    assertThat(run("workflow", "validate", file.toString()).exit()).isZero();
  }

  @Test
  void anInvalidGraphListsEveryViolationWithItsIdAndExitsTwo() {
    ObjectNode graph = WorkflowValidatorTest.valid();
    WorkflowValidatorTest.data(graph, "ask").put("speaker", "user");
    WorkflowValidatorTest.nodes(graph).addObject().put("id", "start2").put("type", "start");
    Path file = BluejayCommandHarness.write(dir, "graph.json", graph.toString());

    Run result = run("workflow", "validate", file.toString());

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("2 violations")
        .contains("  - node 'start2': a second start node")
        .contains("  - node 'ask': a contextual turn is the agent's")
        .contains("invalid");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void aDraftIsValid() {
    Path file =
        BluejayCommandHarness.write(
            dir, "draft.json", "{\"nodes\": [{\"id\": \"start\", \"type\": \"start\"}]}");

    Run result = run("workflow", "validate", file.toString());

    assertThat(result.exit()).isZero();
    assertThat(result.out()).startsWith("valid (a draft");
  }

  @Test
  void aMissingOrMalformedFileIsAUsageError() {
    Path missing = dir.resolve("missing.json");
    Path malformed = BluejayCommandHarness.write(dir, "bad.json", "{\"nodes\": [], \"nodes\": []}");

    Run first = run("workflow", "validate", missing.toString());
    Run second = run("workflow", "validate", malformed.toString());

    assertThat(first.exit()).isEqualTo(2);
    assertThat(first.err()).contains("no such file " + missing);
    assertThat(second.exit()).isEqualTo(2);
    assertThat(second.err()).contains("is not valid JSON").contains("Duplicate field 'nodes'");
  }
}
