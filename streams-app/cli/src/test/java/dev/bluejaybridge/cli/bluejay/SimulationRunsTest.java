package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.jsonAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.testkit.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code simulation run --wait}: polling get-simulation-runs through a sequence of statuses. The
 * sleeper advances a clock instead of sleeping, so the test takes no real time.
 */
class SimulationRunsTest {

  static BluejayCommandHarness bluejay;
  static BluejayClient client;

  final MutableClock clock = new MutableClock(1_000_000);
  final List<Duration> sleeps = new ArrayList<>();
  final List<String> printed = new ArrayList<>();
  SimulationRuns runs;

  @BeforeAll
  static void start() {
    bluejay = new BluejayCommandHarness();
    client =
        BluejayClient.create(
            URI.create(bluejay.baseUrl()),
            () -> Secret.of(BluejayCommandHarness.KEY),
            Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() {
    client.close();
    bluejay.close();
  }

  @BeforeEach
  void setUp() {
    bluejay.reset();
    bluejay.server.stubFor(
        post(urlPathEqualTo("/v1/queue-simulation-run"))
            .willReturn(jsonAnswer(200, SimulationRunCommandTest.QUEUED)));
    runs =
        new SimulationRuns(
            client,
            clock,
            duration -> {
              sleeps.add(duration);
              clock.advanceMillis(duration.toMillis());
            });
  }

  @AfterEach
  void noRealTimePassed() {
    assertThat(sleeps).allSatisfy(d -> assertThat(d).isPositive());
  }

  /** get-simulation-runs answers each in turn; the last repeats. */
  private static void runsAnswer(ResponseDefinitionBuilder... answers) {
    for (int i = 0; i < answers.length; i++) {
      var mapping =
          get(urlPathEqualTo("/v1/get-simulation-runs/42"))
              .inScenario("runs")
              .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "poll-" + i);
      if (i + 1 < answers.length) {
        mapping = mapping.willSetStateTo("poll-" + (i + 1));
      }
      bluejay.server.stubFor(mapping.willReturn(answers[i]));
    }
  }

  private static ResponseDefinitionBuilder state(
      String status, int completed, int passed, int failed) {
    return jsonAnswer(
        200,
        "{\"simulation_runs\":[{\"id\":901,\"experiment_id\":42,\"created_at\":\"2026-05-02T10:00:00Z\","
            + "\"status\":\""
            + status
            + "\",\"total_tests\":4,\"tests_completed\":"
            + completed
            + ",\"tests_passed\":"
            + passed
            + ",\"tests_failed\":"
            + failed
            + ",\"tests_incompleted\":0,\"summary\":null}]}");
  }

  private static ResponseDefinitionBuilder notListedYet() {
    return jsonAnswer(200, "{\"simulation_runs\":[]}");
  }

  private boolean runAndWait() throws InterruptedException {
    return runs.run("42", true, Duration.ofSeconds(5), Duration.ofMinutes(10), printed::add);
  }

  @Test
  void runningThenCompletedWithNoFailedTestPasses() throws Exception {
    runsAnswer(
        notListedYet(),
        state("INITIALIZING", 0, 0, 0),
        state("RUNNING", 1, 1, 0),
        state("RUNNING", 1, 1, 0),
        state("RUNNING", 3, 3, 0),
        state("COMPLETED", 4, 4, 0));

    boolean passed = runAndWait();

    assertThat(passed).isTrue();
    assertThat(sleeps).containsOnly(Duration.ofSeconds(5)).hasSize(5);
    bluejay.server.verify(6, getRequestedFor(urlPathEqualTo("/v1/get-simulation-runs/42")));
    assertThat(printed)
        .containsExactly(
            "queued simulation run 901 of simulation 42",
            "simulation result ids: 5001, 5002",
            "[0s] run 901: not listed yet",
            "[5s] run 901: INITIALIZING, 0/4 tests completed (0 passed, 0 failed)",
            "[10s] run 901: RUNNING, 1/4 tests completed (1 passed, 0 failed)",
            // an unchanged poll prints nothing
            "[20s] run 901: RUNNING, 3/4 tests completed (3 passed, 0 failed)",
            "[25s] run 901: COMPLETED, 4/4 tests completed (4 passed, 0 failed)",
            "run 901 passed: COMPLETED, 4/4 tests completed (4 passed, 0 failed)");
  }

  @Test
  void runningThenCompletedWithFailedTestsFails() throws Exception {
    runsAnswer(state("RUNNING", 2, 1, 1), state("COMPLETED", 4, 3, 1));

    boolean passed = runAndWait();

    assertThat(passed).isFalse();
    assertThat(printed.get(printed.size() - 1))
        .isEqualTo(
            "run 901 failed: 1 test(s) failed (COMPLETED, 4/4 tests completed (3 passed, 1 failed))");
  }

  @Test
  void incompletedIsTerminalAndFails() throws Exception {
    runsAnswer(state("RUNNING", 1, 1, 0), state("INCOMPLETED", 2, 2, 0));

    assertThat(runAndWait()).isFalse();
    assertThat(printed.get(printed.size() - 1)).startsWith("run 901 did not complete: INCOMPLETED");
  }

  @Test
  void aServerErrorWhilePollingIsReportedAndPolledThrough() throws Exception {
    runsAnswer(
        state("RUNNING", 1, 1, 0),
        jsonAnswer(502, "{\"detail\":\"Bad Gateway\"}"),
        state("COMPLETED", 4, 4, 0));

    assertThat(runAndWait()).isTrue();
    assertThat(printed).anyMatch(line -> line.contains("polling failed, will retry: HTTP 502"));
  }

  @Test
  void aRefusedKeyWhilePollingEndsTheWait() {
    runsAnswer(state("RUNNING", 1, 1, 0), jsonAnswer(401, "{\"detail\":\"Invalid API key\"}"));

    assertThatThrownBy(this::runAndWait).isInstanceOf(AuthException.class);
  }

  @Test
  void givesUpAtTheTimeoutAndFails() throws Exception {
    runsAnswer(state("RUNNING", 1, 1, 0));

    boolean passed =
        runs.run("42", true, Duration.ofSeconds(30), Duration.ofMinutes(2), printed::add);

    assertThat(passed).isFalse();
    assertThat(Duration.ofMillis(clock.millis() - 1_000_000)).isEqualTo(Duration.ofMinutes(2));
    assertThat(sleeps).hasSize(4);
    assertThat(printed)
        // unchanged, but repeated every minute so a CI log shows the wait is alive
        .contains("[1m00s] run 901: RUNNING, 1/4 tests completed (1 passed, 0 failed)")
        .last()
        .isEqualTo(
            "run 901 did not finish within 2m00s (last seen RUNNING, 1/4 tests completed (1 passed,"
                + " 0 failed))");
  }

  @Test
  void completedWithoutATestsFailedCountIsNotAPass() throws Exception {
    runsAnswer(
        jsonAnswer(
            200,
            "{\"simulation_runs\":[{\"id\":901,\"experiment_id\":42,"
                + "\"created_at\":\"2026-05-02T10:00:00Z\",\"status\":\"COMPLETED\"}]}"));

    assertThat(runAndWait()).isFalse();
    assertThat(printed.get(printed.size() - 1)).contains("Bluejay did not report tests_failed");
  }

  @Test
  void withoutWaitOnlyQueues() throws Exception {
    boolean queued =
        runs.run("42", false, Duration.ofSeconds(5), Duration.ofMinutes(1), printed::add);

    assertThat(queued).isTrue();
    assertThat(sleeps).isEmpty();
    bluejay.server.verify(0, getRequestedFor(urlPathEqualTo("/v1/get-simulation-runs/42")));
  }
}
