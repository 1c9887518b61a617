package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.nio.ByteBuffer;
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
        outage.answered(1_000 + i, "c"); // others are delivered: not Bluejay as a whole
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

    outage.answered(3_500, "b");

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

  /**
   * Issue 13 item 4: a call's failures are its own only when another call got an answer since the
   * call's first attempt; its own answers (a check that found nothing) say nothing of the others.
   */
  @Test
  void onlyAnotherCallsAnswerSinceTheFirstAttemptShowsBluejayWellForOthers() {
    assertThat(outage.answeredOtherSince("lone", 0)).as("nothing answered yet").isFalse();

    outage.answered(1_000, "lone");
    assertThat(outage.answeredOtherSince("lone", 0)).as("its own answer").isFalse();
    assertThat(outage.answeredOtherSince("other", 0)).isTrue();

    outage.answered(2_000, "b");
    outage.answered(3_000, "lone");
    assertThat(outage.answeredOtherSince("lone", 1_999)).as("b's, before lone's last").isTrue();
    assertThat(outage.answeredOtherSince("lone", 2_000)).as("strictly after").isFalse();
    assertThat(outage.answeredOtherSince("b", 2_999)).isTrue();
    outage.answered(4_000, "lone");
    assertThat(outage.answeredOtherSince("lone", 1_999)).isTrue();
  }

  @Test
  void standingReadsTheEntrysFirstAttempt() {
    OutboxEntry entry =
        OutboxEntry.newBuilder()
            .setCallId("lone")
            .setRevision(0)
            .setEndpoint(Endpoint.UPDATE_LOG)
            .setRequestBody(ByteBuffer.wrap(new byte[0]))
            .setEnqueuedAt(0)
            .setAttempts(8)
            .setNextAttemptAt(0)
            .setFirstAttemptAt(5_000L)
            .build();
    outage.answered(4_000, "other");
    assertThat(outage.standing(entry)).isEqualTo(new Outage.Standing(false, false));

    outage.answered(6_000, "other");
    assertThat(outage.standing(entry)).isEqualTo(new Outage.Standing(false, true));
  }

  /**
   * Issue 13 item 4: the policy's hold of a lone call holds delivery for every call, probed as any
   * outage, and the first answer of any call ends it; a hold already under way is left as it is.
   */
  @Test
  void holdingForOneCallHoldsEveryCallUntilAnAnswer() {
    outage.holdForCall(10_000, "lone", "HTTP 503");

    assertThat(outage.kind()).isEqualTo(Outage.Kind.UNWELL);
    assertThat(outage.since()).isEqualTo(10_000);
    assertThat(outage.mayStart(10_500)).isFalse();
    assertThat(outage.nextProbeAt()).isEqualTo(11_000);

    outage.holdForCall(10_200, "lone", "HTTP 503");
    assertThat(outage.nextProbeAt()).as("held already: no second probe counted").isEqualTo(11_000);

    outage.answered(12_000, "other");
    assertThat(outage.held()).isFalse();
  }

  @Test
  void retryAfterSlowsTheWholeRoute() {
    outage.slowRoute(Outage.Route.UPDATE_LOG, 30_000);

    assertThat(outage.routeOpen(Outage.Route.UPDATE_LOG, 29_999)).isFalse();
    assertThat(outage.routeOpen(Outage.Route.UPDATE_LOG, 30_000)).isTrue();
    assertThat(outage.routeOpen(Outage.Route.UPDATE_SIMULATION_RESULT, 0)).isTrue();
  }
}
