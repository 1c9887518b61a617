package dev.bluejaybridge.cli;

import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.cli.bluejay.Ids;
import dev.bluejaybridge.cli.bluejay.WorkflowUpdate;
import dev.bluejaybridge.cli.bluejay.WorkflowValidator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code workflow validate|update}: Bluejay workflows (scenarios) v2 from the command line. */
@Command(
    name = "workflow",
    mixinStandardHelpOptions = true,
    header = "Validates a Bluejay workflow (scenario) definition locally, or updates a workflow.",
    description =
        "Workflows v2 were renamed scenarios by Bluejay in May 2026; the API is the same.",
    subcommands = {WorkflowCommand.Validate.class, WorkflowCommand.Update.class})
final class WorkflowCommand {

  /** {@code workflow validate FILE}: the graph rules Bluejay applies, checked locally. */
  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      header = "Checks a workflow (scenario) definition locally.",
      description = {
        "Applies the rules Bluejay applies on create and update: unique non-empty node and edge"
            + " ids; edges between existing nodes; at most one start node, from which every"
            + " content node is reachable; no directed cycles; single turns typed exact,"
            + " contextual (agent only), silence (duration_ms 0-86400000) or dtmf (digits 0-9 * #"
            + " A-D) with their fields; options nodes spoken by the user with 2 or more uniquely"
            + " named branches (exact, silence, dtmf), every edge out of them naming a branch in"
            + " sourceHandle. A graph without content nodes is a draft: only a second start node"
            + " fails it.",
        "",
        "FILE holds the graph ({\"nodes\": [...], \"edges\": [...]}) or a workflow object with"
            + " it under \"definition\". Prints \"valid\", or every violation with its node or"
            + " edge id. Needs no configuration and sends nothing."
      },
      exitCodeListHeading = BluejayCommandOutput.EXIT_CODES_HEADING,
      exitCodeList = {"0:valid", "2:invalid (every violation listed), or FILE missing or not JSON"})
  static final class Validate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The definition, as JSON.")
    Path file;

    @Override
    public Integer call() {
      List<String> problems = new ArrayList<>();
      Optional<com.fasterxml.jackson.databind.JsonNode> definition =
          WorkflowValidator.readDefinition(file, "FILE", problems);
      if (definition.isEmpty()) {
        return BluejayCommandOutput.problems(spec, problems, false);
      }
      WorkflowValidator.Result result = WorkflowValidator.validate(definition.get());
      if (!result.valid()) {
        PrintWriter err = spec.commandLine().getErr();
        int count = result.violations().size();
        err.println(file + ": " + (count == 1 ? "1 violation:" : count + " violations:"));
        result.violations().forEach(violation -> err.println("  - " + violation));
        err.println("invalid");
        err.flush();
        return Main.CONFIG_ERROR;
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          result.draft()
              ? "valid (a draft: no content nodes, so Bluejay saves it without the full checks)"
              : "valid");
      out.flush();
      return 0;
    }
  }

  /** {@code workflow update ID [fields]}: PUT /v1/workflow/{id}, only the fields given. */
  @Command(
      name = "update",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      header = "Updates a workflow (scenario): name, description, agents, definition.",
      description =
          "PUT /v1/workflow/{workflow_id} (or /v1/scenario/{workflow_id} with --path scenario):"
              + " only the fields given are sent. --definition replaces the whole graph and is"
              + " validated locally first, as by 'workflow validate'; if it is invalid, every"
              + " violation is listed and nothing is sent. Bluejay's 400/401/404/422 answers are"
              + " explained with their detail. Prints a summary, and Bluejay's dh_sync_summary"
              + " when it sends one. Needs only the Bluejay settings: BLUEJAY_API_KEY (or --config"
              + " with bluejay.api-key or bluejay.api-key-file), optionally --base-url.",
      exitCodeListHeading = BluejayCommandOutput.EXIT_CODES_HEADING,
      exitCodeList = {
        "0:updated",
        "1:Bluejay refused or failed (400 invalid definition, 401, 404, 422, 5xx, unreachable)",
        "2:usage or configuration problem, or an invalid definition (every one listed; nothing sent)"
      })
  static final class Update implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin BluejayOptions bluejay;

    @Parameters(index = "0", paramLabel = "ID", description = "The workflow's id (a UUID).")
    String id;

    @Option(names = "--name", paramLabel = "TEXT", description = "New name, 1-255 characters.")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "New description.")
    String description;

    @Option(
        names = "--agent-id",
        paramLabel = "N",
        description = "An agent to link (repeat for several); replaces every link.")
    List<String> agentIds;

    @Option(names = "--clear-agents", description = "Unlink every agent (sends agent_ids: []).")
    boolean clearAgents;

    @Option(
        names = "--definition",
        paramLabel = "FILE",
        description = "The new graph (JSON); replaces the whole definition.")
    Path definition;

    @Option(
        names = "--path",
        paramLabel = "ROUTE",
        defaultValue = "workflow",
        description =
            "workflow: PUT /v1/workflow/{id} (default); scenario: PUT /v1/scenario/{id}, the"
                + " route's newer name.")
    String route;

    @Override
    public Integer call() {
      List<String> problems = new ArrayList<>();
      Optional<String> workflowId = Ids.workflowId(id, problems);
      boolean scenario = route.equals("scenario");
      if (!scenario && !route.equals("workflow")) {
        problems.add("--path: must be workflow or scenario, not '" + route + "'");
      }
      WorkflowUpdate update =
          WorkflowUpdate.of(
              name, agentIds, clearAgents, description, Optional.ofNullable(definition));
      problems.addAll(update.problems());
      Optional<BluejayClient> client = bluejay.open(System.getenv(), problems);
      if (!problems.isEmpty()) {
        client.ifPresent(BluejayClient::close);
        return BluejayCommandOutput.problems(spec, problems, true);
      }
      String workflow = workflowId.get();
      try (BluejayClient bluejayClient = client.get()) {
        byte[] body = update.bodyBytes();
        BluejayClient.Response response =
            scenario
                ? bluejayClient.updateScenario(workflow, body)
                : bluejayClient.updateWorkflow(workflow, body);
        PrintWriter out = spec.commandLine().getOut();
        WorkflowUpdate.describeAnswer(workflow, response.body()).forEach(out::println);
        out.flush();
        return 0;
      } catch (BluejayException e) {
        return BluejayCommandOutput.failure(
            spec, e, (scenario ? "scenario " : "workflow ") + workflow);
      }
    }
  }
}
