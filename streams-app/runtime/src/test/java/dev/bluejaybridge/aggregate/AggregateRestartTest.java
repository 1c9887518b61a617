package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.Speaker;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * A task that starts on existing state (a restart, a crash, a rebalance) finds calls whose end
 * grace or inactivity gap ran out while nothing ran; their last records may still wait in the
 * backlog. Found by the chaos run R1 (issue 7), where such calls closed at the first punctuation
 * and were split. They close once the task has read no record for an end grace (issue 13 item 8:
 * {@link BacklogClosingTest} for backlogs longer than that). The driver's task starts at {@link
 * PipelineDriver#START}; the state it finds is written into its stores as a previous run would have
 * left it.
 */
class AggregateRestartTest {
  private static final long START = PipelineDriver.START.toEpochMilli();

  @Test
  void aCallWhoseGraceRanOutWhileTheTaskWasDownWaitsOneMoreGraceForItsBacklog() {
    try (PipelineDriver driver =
        PipelineDriver.create(Map.of("call.end-grace", "5s", "call.inactivity-gap", "30s"))) {
      // Given call-1 ended a minute before this task started: its grace ran out long ago
      leftByAnEarlierRun(driver, "call-1", START - 60_000);

      driver.advanceWallClock(Duration.ofMillis(250));
      assertThat(driver.closedCalls()).as("nothing closes before the backlog is read").isEmpty();

      // When its last record comes out of the backlog
      driver.advanceWallClock(Duration.ofSeconds(1));
      driver.transcripts.pipeInput(
          "call-1", turn("call-1", Speaker.USER, "Thanks!", 2_000).build());
      driver.advanceWallClock(Duration.ofMillis(4_900));
      assertThat(driver.closedCalls()).as("a record was read less than an end grace ago").isEmpty();
      driver.advanceWallClock(Duration.ofMillis(200)); // an end grace with no record: caught up

      // Then the call closes whole
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.callId()).isEqualTo("call-1");
                assertThat(call.size()).as("the backlog's record included").isEqualTo(3);
              });
    }
  }

  @Test
  void callsOfTheRunningTaskCloseAtTheirOwnGrace() {
    try (PipelineDriver driver = PipelineDriver.create(Map.of("call.end-grace", "5s"))) {
      driver.advanceWallClock(Duration.ofSeconds(60));
      driver.toolCalls.pipeInput("call-2", toolCall("call-2", "lookup_order", 1_000).build());
      driver.events.pipeInput("call-2", endOfCall("call-2", 9_000).build());

      driver.advanceWallClock(Duration.ofMillis(4_750));
      assertThat(driver.closedCalls()).isEmpty();
      driver.advanceWallClock(Duration.ofMillis(500));
      assertThat(driver.closedCalls()).extracting(ClosedCall::callId).containsExactly("call-2");
    }
  }

  /** A tool call and the end-of-call event, taken at {@code at}, as an earlier run stored them. */
  private static void leftByAnEarlierRun(PipelineDriver driver, String callId, long at) {
    KeyValueStore<String, CallState> calls = driver.driver().getKeyValueStore(CallStores.CALLS);
    KeyValueStore<Bytes, CallPart> parts = driver.driver().getKeyValueStore(CallStores.PARTS);
    KeyValueStore<Bytes, byte[]> timers = driver.driver().getKeyValueStore(CallStores.TIMERS);
    parts.put(
        Keys.part(callId, 0), new CallPart(0L, toolCall(callId, "lookup_order", 1_000).build()));
    parts.put(Keys.part(callId, 1), new CallPart(1L, endOfCall(callId, 9_000).build()));
    long due = at + 5_000;
    timers.put(Keys.timer(due, callId), new byte[0]);
    calls.put(
        callId,
        CallState.newBuilder()
            .setCallId(callId)
            .setStatus(CallStatus.OPEN)
            .setFirstSeenAt(at)
            .setLastSeenAt(at)
            .setEndSeenAt(at)
            .setNextSeq(2)
            .setRecordCount(2)
            .setTimerAt(due)
            .build());
  }
}
