package dev.bluejaybridge.cli.bluejay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RetryableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Queues a simulation run ({@code POST /v1/queue-simulation-run}; there is no {@code
 * /simulations/{id}/run}) and waits for it by polling {@code GET
 * /v1/get-simulation-runs/{simulation_id}} until the run reaches a terminal status. Time is the
 * injected clock's and waiting the injected sleeper's.
 */
public final class SimulationRuns {

  /** SimulationRunStatus values (and wire values seen in Bluejay's own tools) that are final. */
  static final Set<String> TERMINAL =
      Set.of(
          "COMPLETED",
          "INCOMPLETED",
          "INSUFFICIENT_FUNDS",
          "FAILED",
          "CANCELLED",
          "SYSTEM_ERROR",
          "NO_ANSWER",
          "NO_CONNECTION");

  /** How often an unchanged progress line is repeated, so a CI log shows the wait is alive. */
  static final Duration HEARTBEAT = Duration.ofMinutes(1);

  private final BluejayClient client;
  private final Clock clock;
  private final Sleeper sleeper;

  public SimulationRuns(BluejayClient client, Clock clock, Sleeper sleeper) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  /** What queue-simulation-run answered. */
  public record Queued(String runId, List<String> resultIds, String agentId) {
    public Queued {
      resultIds = List.copyOf(resultIds);
    }
  }

  /**
   * One entry of get-simulation-runs ({@code SimulationRunRes}); counts are null when absent.
   *
   * @param status a SimulationRunStatus, e.g. {@code RUNNING}; null when absent
   */
  public record RunState(
      String id,
      String status,
      Long totalTests,
      Long testsCompleted,
      Long testsPassed,
      Long testsFailed,
      Long testsIncompleted,
      String summary) {

    /** Whether the run has finished (for better or worse). */
    public boolean terminal() {
      return status != null && TERMINAL.contains(status);
    }

    /** Completed with no failed test: the only outcome a CI gate should pass. */
    public boolean succeeded() {
      return "COMPLETED".equals(status) && testsFailed != null && testsFailed == 0;
    }

    /** e.g. {@code RUNNING, 3/10 tests completed (2 passed, 1 failed)}. */
    public String describe() {
      StringBuilder text = new StringBuilder(status == null ? "(no status)" : status);
      if (totalTests != null) {
        text.append(", ")
            .append(testsCompleted == null ? "?" : testsCompleted)
            .append('/')
            .append(totalTests)
            .append(" tests completed");
      }
      text.append(" (")
          .append(count(testsPassed))
          .append(" passed, ")
          .append(count(testsFailed))
          .append(" failed");
      if (testsIncompleted != null && testsIncompleted > 0) {
        text.append(", ").append(testsIncompleted).append(" incomplete");
      }
      return text.append(')').toString();
    }

    private static String count(Long value) {
      return value == null ? "?" : value.toString();
    }
  }

  /**
   * How a wait ended.
   *
   * @param last the run as last seen; empty if it was never listed
   * @param timedOut whether the timeout passed before the run finished
   */
  public record WaitResult(Optional<RunState> last, boolean timedOut, Duration waited) {
    /** Finished, completed, no failed test. */
    public boolean succeeded() {
      return !timedOut && last.isPresent() && last.get().succeeded();
    }
  }

  /**
   * Queues a run of the simulation with {@code {"simulation_id": "<id>"}}.
   *
   * @throws dev.bluejaybridge.bluejay.BluejayException unless Bluejay answers 2xx
   * @throws UnexpectedAnswerException if the answer names no run
   */
  public Queued queue(String simulationId) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("simulation_id", simulationId);
    String answer = client.queueSimulationRun(Json.bytes(body)).body();
    JsonNode json = Json.answer(answer, "queue-simulation-run");
    String runId = Json.text(json.get("simulation_run_id"));
    if (runId == null || runId.isEmpty()) {
      throw new UnexpectedAnswerException(
          "queue-simulation-run: Bluejay's answer has no simulation_run_id: "
              + Json.shorten(answer, 300));
    }
    List<String> resultIds = new ArrayList<>();
    for (JsonNode id : json.path("simulation_result_ids")) {
      resultIds.add(id.asText());
    }
    return new Queued(runId, resultIds, Json.text(json.get("agent_id")));
  }

  /**
   * The run as get-simulation-runs lists it; empty when it is not listed (yet).
   *
   * @throws dev.bluejaybridge.bluejay.BluejayException unless Bluejay answers 2xx
   */
  public Optional<RunState> find(String simulationId, String runId) {
    String answer = client.getSimulationRuns(simulationId).body();
    JsonNode json = Json.answer(answer, "get-simulation-runs");
    for (JsonNode run : json.path("simulation_runs")) {
      if (runId.equals(Json.text(run.get("id")))) {
        return Optional.of(
            new RunState(
                runId,
                Json.text(run.get("status")),
                number(run.get("total_tests")),
                number(run.get("tests_completed")),
                number(run.get("tests_passed")),
                number(run.get("tests_failed")),
                number(run.get("tests_incompleted")),
                Json.text(run.get("summary"))));
      }
    }
    return Optional.empty();
  }

  /**
   * Polls until the run is terminal or {@code timeout} has passed, reporting progress: a line when
   * the run's state changes, and at least every {@link #HEARTBEAT}. A retryable failure (5xx, 429,
   * timeout, I/O) is reported and polled through; any other failure ends the wait by throwing.
   *
   * @throws dev.bluejaybridge.bluejay.BluejayException for a failure polling cannot get past (401,
   *     404, 422 …)
   * @throws InterruptedException if interrupted while sleeping
   */
  public WaitResult await(
      String simulationId,
      String runId,
      Duration pollInterval,
      Duration timeout,
      Consumer<String> progress)
      throws InterruptedException {
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("the poll interval must be positive: " + pollInterval);
    }
    Instant start = clock.instant();
    Instant deadline = start.plus(timeout);
    Optional<RunState> last = Optional.empty();
    String lastLine = null;
    Instant lastPrinted = start;
    while (true) {
      String line;
      try {
        Optional<RunState> seen = find(simulationId, runId);
        if (seen.isPresent()) {
          last = seen;
        }
        line =
            seen.map(run -> "run " + runId + ": " + run.describe())
                .orElse("run " + runId + ": not listed yet");
      } catch (RetryableException e) {
        line = "run " + runId + ": polling failed, will retry: " + e.getMessage();
      }
      Instant now = clock.instant();
      if (!line.equals(lastLine) || !now.isBefore(lastPrinted.plus(HEARTBEAT))) {
        progress.accept("[" + elapsed(Duration.between(start, now)) + "] " + line);
        lastLine = line;
        lastPrinted = now;
      }
      if (last.isPresent() && last.get().terminal()) {
        return new WaitResult(last, false, Duration.between(start, now));
      }
      if (!now.isBefore(deadline)) {
        return new WaitResult(last, true, Duration.between(start, now));
      }
      Duration remaining = Duration.between(now, deadline);
      sleeper.sleep(remaining.compareTo(pollInterval) < 0 ? remaining : pollInterval);
    }
  }

  /**
   * Queues a run and reports its ids; with {@code wait}, waits for it and reports the verdict.
   *
   * @param out receives every line to print
   * @return without {@code wait}: true (queued); with it: whether the run completed with no failed
   *     test before the timeout
   * @throws dev.bluejaybridge.bluejay.BluejayException if queueing fails, or polling fails in a way
   *     it cannot get past
   * @throws UnexpectedAnswerException if Bluejay's answer names no run
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean run(
      String simulationId,
      boolean wait,
      Duration pollInterval,
      Duration timeout,
      Consumer<String> out)
      throws InterruptedException {
    Queued queued = queue(simulationId);
    out.accept("queued simulation run " + queued.runId() + " of simulation " + simulationId);
    out.accept(
        "simulation result ids: "
            + (queued.resultIds().isEmpty() ? "(none)" : String.join(", ", queued.resultIds())));
    if (!wait) {
      return true;
    }
    WaitResult result = await(simulationId, queued.runId(), pollInterval, timeout, out);
    out.accept(verdict(queued.runId(), result, timeout));
    return result.succeeded();
  }

  static String verdict(String runId, WaitResult result, Duration timeout) {
    String run = "run " + runId;
    if (result.timedOut()) {
      return run
          + " did not finish within "
          + elapsed(timeout)
          + result
              .last()
              .map(state -> " (last seen " + state.describe() + ")")
              .orElse(" (never listed)");
    }
    RunState state = result.last().orElseThrow();
    if (state.succeeded()) {
      return run + " passed: " + state.describe();
    }
    if ("COMPLETED".equals(state.status())) {
      return run
          + " failed: "
          + (state.testsFailed() == null
              ? "Bluejay did not report tests_failed"
              : state.testsFailed() + " test(s) failed")
          + " ("
          + state.describe()
          + ")";
    }
    return run + " did not complete: " + state.describe();
  }

  private static Long number(JsonNode node) {
    return node != null && node.canConvertToLong() && node.isNumber() ? node.asLong() : null;
  }

  /** {@code 1h02m05s}, {@code 2m05s}, {@code 5s}. */
  static String elapsed(Duration duration) {
    long seconds = Math.max(0, duration.toSeconds());
    long hours = seconds / 3600;
    long minutes = (seconds % 3600) / 60;
    long rest = seconds % 60;
    if (hours > 0) {
      return String.format("%dh%02dm%02ds", hours, minutes, rest);
    }
    if (minutes > 0) {
      return String.format("%dm%02ds", minutes, rest);
    }
    return rest + "s";
  }
}
