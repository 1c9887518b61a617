package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Issue 13 item 4: what "sustained" means for the outage hold, on its own (no HTTP, no driver). */
class OutageTest {
  private final Outage outage = new Outage();

  @Test
  void failuresInARowFromTwoCallsHoldDelivery() {
    for (int i = 0; i < Outage.UNWELL_FAILURES - 1; i++) {
      outage.unwell(1_000 + i, i % 2 == 0 ? "a" : "b", "HTTP 503");
    }
    assertThat(outage.held()).isFalse();

    outage.unwell(2_000, "a", "HTTP 503");

    assertThat(outage.kind()).isEqualTo(Outage.Kind.UNWELL);
    assertThat(outage.since()).isEqualTo(2_000);
    assertThat(outage.reason()).isEqualTo("HTTP 503");
    assertThat(outage.mayStart(2_000)).as("the next probe waits an interval").isFalse();
    assertThat(outage.mayStart(3_000)).isTrue();
  }

  @Test
  void oneCallFailingAloneNeverHolds() {
    for (int i = 0; i < 50; i++) {
      outage.unwell(1_000 + i, "lonely", "HTTP 503");
    }

    assertThat(outage.held()).isFalse();
  }

  @Test
  void anotherAnswerBetweenFailuresStartsTheCountAgain() {
    for (int i = 0; i < 20; i++) {
      outage.unwell(1_000 + i, i % 2 == 0 ? "a" : "b", "HTTP 503");
      if (i % 4 == 3) {
        outage.answered(1_000 + i); // others are delivered: not Bluejay as a whole
      }
    }

    assertThat(outage.held()).isFalse();
  }

  @Test
  void firstGoodAnswerEndsTheHoldAndProbesDoubleMeanwhile() {
    for (int i = 0; i < Outage.UNWELL_FAILURES; i++) {
      outage.unwell(0, i % 2 == 0 ? "a" : "b", "timeout");
    }
    assertThat(outage.nextProbeAt()).isEqualTo(1_000);
    outage.started(1_000);
    outage.unwell(1_100, "a", "timeout"); // the probe failed: the next waits 2 s from its end
    assertThat(outage.nextProbeAt()).isEqualTo(3_100);

    outage.answered(3_500);

    assertThat(outage.held()).isFalse();
    assertThat(outage.mayStart(3_500)).isTrue();
  }

  @Test
  void anAnswerWhileUnreachableTurnsTheHoldIntoAnUnwellOne() {
    outage.unreachable(500, "connection refused");
    assertThat(outage.kind()).isEqualTo(Outage.Kind.UNREACHABLE);

    outage.unwell(1_000, "a", "HTTP 502");

    assertThat(outage.kind()).isEqualTo(Outage.Kind.UNWELL);
    assertThat(outage.since()).as("since the outage began").isEqualTo(500);
  }

  @Test
  void retryAfterSlowsTheWholeRoute() {
    outage.slowRoute(Outage.Route.UPDATE_LOG, 30_000);

    assertThat(outage.routeOpen(Outage.Route.UPDATE_LOG, 29_999)).isFalse();
    assertThat(outage.routeOpen(Outage.Route.UPDATE_LOG, 30_000)).isTrue();
    assertThat(outage.routeOpen(Outage.Route.UPDATE_SIMULATION_RESULT, 0)).isTrue();
  }
}
