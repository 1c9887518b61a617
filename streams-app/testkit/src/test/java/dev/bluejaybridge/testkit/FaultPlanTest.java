package dev.bluejaybridge.testkit;

import static dev.bluejaybridge.testkit.FaultPlan.Answer.APPLIED_THEN_5XX;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.APPLIED_THEN_RESET;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.APPLIED_THEN_TIMEOUT;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.INVALID;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.OK;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.RATE_LIMITED;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.SERVER_ERROR;
import static dev.bluejaybridge.testkit.FaultPlan.Answer.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The scripts of {@link FaultPlan}, with the faults that come after Bluejay applied (issue 13). */
class FaultPlanTest {
  private static final List<String> KEYS = IntStream.range(0, 50).mapToObj(i -> "k-" + i).toList();
  private static final Map<FaultPlan.Answer, Integer> COUNTS =
      Map.of(
          SERVER_ERROR, 20,
          RATE_LIMITED, 10,
          TIMEOUT, 5,
          INVALID, 4,
          APPLIED_THEN_5XX, 6,
          APPLIED_THEN_TIMEOUT, 4,
          APPLIED_THEN_RESET, 4);

  private static FaultPlan plan(long seed) {
    return FaultPlan.of(KEYS, COUNTS, 2, Duration.ofSeconds(1), Duration.ofSeconds(2), seed);
  }

  @Test
  void givesExactlyThePlannedAnswers() {
    FaultPlan plan = plan(1);

    Map<FaultPlan.Answer, Integer> totals = plan.totals();
    assertThat(totals)
        .containsEntry(OK, 46)
        .containsEntry(INVALID, 4)
        .containsEntry(SERVER_ERROR, 20)
        .containsEntry(RATE_LIMITED, 10)
        .containsEntry(TIMEOUT, 5)
        .containsEntry(APPLIED_THEN_5XX, 6)
        .containsEntry(APPLIED_THEN_TIMEOUT, 4)
        .containsEntry(APPLIED_THEN_RESET, 4);
  }

  @Test
  void putsAtMostOneAppliedFaultLastInAScriptAndNoneOnARefusedCall() {
    for (long seed = 0; seed < 20; seed++) {
      FaultPlan plan = plan(seed);
      assertThat(plan.appliedFaultKeys()).hasSize(14);
      for (String key : KEYS) {
        List<FaultPlan.Answer> script = plan.script(key);
        assertThat(script.size()).isBetween(1, 3);
        FaultPlan.Answer last = script.get(script.size() - 1);
        assertThat(last).isIn(OK, INVALID);
        List<FaultPlan.Answer> faults = script.subList(0, script.size() - 1);
        assertThat(faults.stream().filter(FaultPlan.Answer::applied).count())
            .isLessThanOrEqualTo(1);
        if (faults.stream().anyMatch(FaultPlan.Answer::applied)) {
          assertThat(faults.get(faults.size() - 1).applied()).as("%s: %s", key, script).isTrue();
          assertThat(last).as("a refused call has no applied fault").isEqualTo(OK);
        }
      }
    }
  }

  @Test
  void aKeyBluejayAppendsToStopsAtItsAppliedFault() {
    FaultPlan plan = plan(3);
    String appended = plan.appliedFaultKeys().get(0);

    Map<FaultPlan.Answer, Integer> all = plan.totals();
    Map<FaultPlan.Answer, Integer> stopped = plan.totals(appended::equals);

    assertThat(stopped.get(OK)).isEqualTo(all.get(OK) - 1);
    stopped.forEach(
        (kind, n) -> {
          if (kind != OK) {
            assertThat(n).as("%s", kind).isEqualTo(all.get(kind));
          }
        });
  }

  @Test
  void refusesMoreAppliedFaultsThanCallsThatCanTakeThem() {
    assertThatThrownBy(
            () ->
                FaultPlan.of(
                    List.of("a", "b"),
                    Map.of(INVALID, 1, APPLIED_THEN_5XX, 2),
                    2,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1),
                    1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
