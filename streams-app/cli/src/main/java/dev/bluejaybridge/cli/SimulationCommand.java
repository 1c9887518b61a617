package dev.bluejaybridge.cli;

import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.cli.bluejay.Ids;
import dev.bluejaybridge.cli.bluejay.SimulationRuns;
import dev.bluejaybridge.cli.bluejay.SimulationUpdate;
import dev.bluejaybridge.cli.bluejay.Sleeper;
import dev.bluejaybridge.cli.bluejay.UnexpectedAnswerException;
import dev.bluejaybridge.config.Durations;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

/** {@code simulation update|run}: Bluejay's simulation API from the command line. */
@Command(
    name = "simulation",
    mixinStandardHelpOptions = true,
    header = "Updates a Bluejay simulation or runs it.",
    description = "The subcommands need only the Bluejay settings (no Kafka, no registry).",
    subcommands = {SimulationCommand.Update.class, SimulationCommand.Run.class})
final class SimulationCommand {

  /** {@code simulation update ID [fields]}: PUT /v1/simulation/{id}, only the fields given. */
  @Command(
      name = "update",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      header = "Updates a simulation's settings (only the fields given).",
      description =
          "PUT /v1/simulation/{simulation_id}: only the fields given are sent, the others keep"
              + " their values. Every documented constraint is checked before sending"
              + " (max_concurrent 1-500, thresholds 0-100, UUIDs, whole numbers): all violations"
              + " are listed and nothing is sent. Prints the updated simulation (Bluejay's answer)"
              + " as JSON. Needs only the Bluejay settings: BLUEJAY_API_KEY (or --config with"
              + " bluejay.api-key or bluejay.api-key-file), optionally --base-url.",
      exitCodeListHeading = BluejayCommandOutput.EXIT_CODES_HEADING,
      exitCodeList = {
        "0:updated",
        "1:Bluejay refused or failed (401, 404, 422, 5xx, unreachable)",
        "2:usage or configuration problem (every one listed; nothing sent)"
      })
  static final class Update implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin BluejayOptions bluejay;

    @Parameters(index = "0", paramLabel = "ID", description = "The simulation's id (a number).")
    String id;

    @Option(names = "--name", paramLabel = "TEXT", description = "New name.")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "New description.")
    String description;

    @Option(names = "--prompt-id", paramLabel = "UUID", description = "Default prompt.")
    String promptId;

    @Option(
        names = "--knowledge-base-id",
        paramLabel = "UUID",
        description = "Default knowledge base.")
    String knowledgeBaseId;

    @Option(
        names = "--max-concurrent",
        paramLabel = "N",
        description = "Most concurrent runs, 1-500.")
    String maxConcurrent;

    @Option(
        names = "--hangup-on-transfer",
        negatable = true,
        description = "Hang up when the agent transfers the call (--no-hangup-on-transfer: don't).")
    Boolean hangupOnTransfer;

    @Option(
        names = "--max-call-duration",
        paramLabel = "N",
        description = "Longest call, in --units.")
    String maxCallDuration;

    @Option(
        names = "--units",
        paramLabel = "UNITS",
        description = "Units of --max-call-duration: minutes or seconds.")
    String units;

    @Option(names = "--max-turns", paramLabel = "N", description = "Most turns per call.")
    String maxTurns;

    @Option(
        names = "--ringing-timeout",
        paramLabel = "SECONDS",
        description = "Seconds of ringing before giving up.")
    String ringingTimeout;

    @Option(
        names = "--custom-metric",
        paramLabel = "UUID",
        description = "A custom metric to evaluate (repeat for several; replaces the selection).")
    List<String> customMetrics;

    @Option(
        names = "--clear-custom-metrics",
        description = "Select no custom metric (sends selected_custom_metrics: []).")
    boolean clearCustomMetrics;

    @Option(
        names = "--failing-threshold",
        paramLabel = "0-100",
        description = "Custom-metric score below which a metric fails.")
    String failingThreshold;

    @Option(
        names = "--passing-threshold",
        paramLabel = "0-100",
        description = "Custom-metric score from which a metric passes.")
    String passingThreshold;

    @Option(
        names = "--tag",
        paramLabel = "TAG",
        description = "A tag (repeat for several; replaces the tags).")
    List<String> tags;

    @Option(names = "--clear-tags", description = "Remove every tag (sends tags: []).")
    boolean clearTags;

    @Option(
        names = "--pinned",
        negatable = true,
        description = "Pin the simulation (--no-pinned: unpin).")
    Boolean pinned;

    @Option(
        names = "--from-file",
        paramLabel = "FILE",
        description =
            "A JSON object of UpdateSimulationRequest fields (any of them, e.g."
                + " outcome_passing_threshold, digital_humans_settings); options given as well"
                + " win.")
    Path fromFile;

    @Override
    public Integer call() {
      List<String> problems = new ArrayList<>();
      Optional<Long> simulationId = Ids.simulationId(id, problems);
      SimulationUpdate.Builder builder = SimulationUpdate.builder();
      if (fromFile != null) {
        builder.fromFile(fromFile);
      }
      SimulationUpdate update =
          builder
              .text("name", "--name", name)
              .text("description", "--description", description)
              .uuid("prompt_id", "--prompt-id", promptId)
              .uuid("knowledge_base_id", "--knowledge-base-id", knowledgeBaseId)
              .integer("max_concurrent", "--max-concurrent", maxConcurrent)
              .bool("hangup_on_transfer", "--hangup-on-transfer", hangupOnTransfer)
              .integer("max_call_duration", "--max-call-duration", maxCallDuration)
              .text("max_call_duration_units", "--units", units)
              .integer("max_turns", "--max-turns", maxTurns)
              .integer("ringing_timeout", "--ringing-timeout", ringingTimeout)
              .list("selected_custom_metrics", "--custom-metric", customMetrics, clearCustomMetrics)
              .integer("custom_metrics_failing_threshold", "--failing-threshold", failingThreshold)
              .integer("custom_metrics_passing_threshold", "--passing-threshold", passingThreshold)
              .list("tags", "--tag", tags, clearTags)
              .bool("pinned", "--pinned", pinned)
              .build();
      problems.addAll(update.problems());
      Optional<BluejayClient> client = bluejay.open(System.getenv(), problems);
      if (!problems.isEmpty()) {
        client.ifPresent(BluejayClient::close);
        return BluejayCommandOutput.problems(spec, problems, true);
      }
      String subject = "simulation " + simulationId.get();
      try (BluejayClient bluejayClient = client.get()) {
        BluejayClient.Response response =
            bluejayClient.updateSimulation(simulationId.get(), update.bodyBytes());
        PrintWriter out = spec.commandLine().getOut();
        out.println(SimulationUpdate.describeAnswer(response.body()));
        out.flush();
        return 0;
      } catch (BluejayException e) {
        return BluejayCommandOutput.failure(spec, e, subject);
      }
    }
  }

  /** {@code simulation run ID [--wait]}: POST /v1/queue-simulation-run, then optionally waits. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      header = "Queues a simulation run; --wait waits for its verdict.",
      description =
          "POST /v1/queue-simulation-run with {\"simulation_id\": ID}; prints the run id and its"
              + " simulation result ids. With --wait, polls GET"
              + " /v1/get-simulation-runs/{simulation_id} until the run reaches a final status"
              + " (COMPLETED, INCOMPLETED, INSUFFICIENT_FUNDS, ...), printing a progress line when"
              + " it changes (and every minute); the exit code then says whether it completed"
              + " with no failed test, so a CI job can gate on it.",
      exitCodeListHeading = BluejayCommandOutput.EXIT_CODES_HEADING,
      exitCodeList = {
        "0:queued (with --wait: completed with tests_failed = 0)",
        "1:Bluejay refused or failed; with --wait also: failed tests, did not complete, timed out",
        "2:usage or configuration problem (every one listed; nothing sent)"
      })
  static final class Run implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin BluejayOptions bluejay;

    @Parameters(index = "0", paramLabel = "ID", description = "The simulation's id (a number).")
    String id;

    @Option(names = "--wait", description = "Wait for the run to finish; exit 0 only if it passed.")
    boolean waitForRun;

    @Option(
        names = "--poll-interval",
        paramLabel = "DURATION",
        defaultValue = "5s",
        description = "With --wait: time between polls (default ${DEFAULT-VALUE}).")
    String pollInterval;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "1h",
        description = "With --wait: give up (exit 1) after this long (default ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() throws InterruptedException {
      List<String> problems = new ArrayList<>();
      Optional<Long> simulationId = Ids.simulationId(id, problems);
      Duration interval = positive("--poll-interval", pollInterval, problems);
      Duration limit = positive("--timeout", timeout, problems);
      Optional<BluejayClient> client = bluejay.open(System.getenv(), problems);
      if (!problems.isEmpty()) {
        client.ifPresent(BluejayClient::close);
        return BluejayCommandOutput.problems(spec, problems, true);
      }
      String simulation = Long.toString(simulationId.get());
      PrintWriter out = spec.commandLine().getOut();
      try (BluejayClient bluejayClient = client.get()) {
        SimulationRuns runs = new SimulationRuns(bluejayClient, Clock.systemUTC(), Sleeper.REAL);
        boolean passed = runs.run(simulation, waitForRun, interval, limit, out::println);
        return passed ? 0 : Main.RUNTIME_FAILURE;
      } catch (BluejayException e) {
        return BluejayCommandOutput.failure(spec, e, "simulation " + simulation);
      } catch (UnexpectedAnswerException e) {
        return BluejayCommandOutput.failure(spec, e.getMessage());
      } finally {
        out.flush();
      }
    }

    private static Duration positive(String option, String text, List<String> problems) {
      try {
        Duration duration = Durations.parse(text);
        if (duration.isZero()) {
          problems.add(option + ": must be more than 0");
        }
        return duration;
      } catch (IllegalArgumentException e) {
        problems.add(option + ": " + e.getMessage());
        return Duration.ZERO;
      }
    }
  }
}
