package dev.bluejaybridge.breaks;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.aggregate.InputOffsets;
import dev.bluejaybridge.support.PipelineDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 8 (a backlog is not silence), tried from outside with producers whose clocks are
 * off by a minute (well within {@code input.max-ahead} = 1 h and {@code input.max-behind} = 7 d).
 * While the task is behind (the broker says so), a call closes by "record time": the newest {@code
 * occurred_at} read, compared with the call's own {@code occurred_at}s. Those come from different
 * producers' clocks.
 *
 * <p>Scenario as in BacklogClosingTest#aConsumerReadingSlowerThanTheRecordsAreMadeDoesNotSplitACall
 * (which holds with clocks on time): a task behind under load reads its input at a third of the
 * speed it was written; a call's two records are 20 s apart (gap 30 s), so a minute apart on the
 * wall clock. Only the clocks differ.
 */
class SkewedClockBacklogBreakTest {
  private static final Instant START = PipelineDriver.START;

  /** Control: with every clock on time the same backlog splits nothing (holds). */
  @Test
  void withClocksOnTimeTheSameBacklogSplitsNothing() {
    assertNotSplit(Duration.ZERO, Duration.ZERO);
  }

  /** Another producer (other calls) whose clock runs one minute ahead. */
  @Disabled(
      "BREAK: while behind, record time mixes producers' clocks: another producer a minute ahead"
          + " makes a call close mid-backlog (split into 3 closes)")
  @Test
  void anotherProducersClockAMinuteAheadDoesNotSplitACallReadFromABacklog() {
    assertNotSplit(Duration.ZERO, Duration.ofMinutes(1));
  }

  /** The call's own producer's clock runs one minute behind. */
  @Disabled(
      "BREAK: while behind, a call whose producer's clock is a minute behind is due in record"
          + " time at once (split into 3 closes)")
  @Test
  void aCallWhoseProducersClockIsAMinuteBehindIsNotSplitWhileABacklogIsRead() {
    assertNotSplit(Duration.ofMinutes(-1), Duration.ZERO);
  }

  private static void assertNotSplit(Duration callSkew, Duration busySkew) {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // Given a call whose records are 20 s apart, read by a task the broker says is behind
      long processed = 0;
      driver.toolCalls.pipeInput("slow", tool("slow", 0, callSkew));
      processed++;
      processed = busyMinute(driver, 0, busySkew, processed);
      driver.toolCalls.pipeInput("slow", tool("slow", 20_000, callSkew));
      processed++;
      processed = busyMinute(driver, 1, busySkew, processed);

      // When its end comes, and a while after it
      driver.events.pipeInput(
          "slow",
          endOfCall("slow", 40_000).setOccurredAt(START.plusSeconds(40).plus(callSkew)).build());
      processed = busyMinute(driver, 2, busySkew, processed);
      brokerSays(driver, processed, 1, 0);
      driver.advanceWallClock(Duration.ofSeconds(6));
      for (int i = 0; i < 40; i++) {
        brokerSays(driver, processed, 1, 0);
        driver.advanceWallClock(Duration.ofSeconds(1));
      }

      // Then it is one call with all its records, delivered once
      List<ClosedCall> slow =
          driver.closedCalls().stream().filter(call -> call.callId().equals("slow")).toList();
      assertThat(slow)
          .as("closes of 'slow' (tool calls, events per close)")
          .extracting(call -> call.toolCalls().size() + "+" + call.events().size())
          .containsExactly("2+1");
    }
  }

  /**
   * One minute of wall clock in one-second steps, each reading one record of another call; those
   * records' times advance 20 s in all (reading at a third of real time), stamped by a clock off by
   * {@code skew}. The broker says, all along, that 1000 more records wait on each input.
   */
  private static long busyMinute(PipelineDriver driver, int minute, Duration skew, long processed) {
    for (int step = 0; step < 60; step++) {
      long recordMillis = minute * 20_000L + step * 1_000L / 3;
      String id = "busy-" + minute;
      driver.toolCalls.pipeInput(
          id,
          toolCall(id, "step", recordMillis)
              .setOccurredAt(START.plusMillis(recordMillis + 1).plus(skew))
              .build());
      processed++;
      brokerSays(driver, processed + 1_000, 1_000, 1_000);
      driver.advanceWallClock(Duration.ofSeconds(1));
    }
    return processed;
  }

  private static void brokerSays(PipelineDriver driver, long tools, long events, long turns) {
    long now = driver.clock.millis();
    driver.inputOffsets.set(
        new InputOffsets.Snapshot(
            now,
            Map.of(
                driver.topics.toolCalls().name(), new InputOffsets.Position(0, tools, -1, now),
                driver.topics.events().name(), new InputOffsets.Position(0, events, -1, now),
                driver.topics.transcripts().name(), new InputOffsets.Position(0, turns, -1, now))));
  }

  private static dev.bluejaybridge.telemetry.ToolCall tool(
      String callId, long millis, Duration skew) {
    return toolCall(callId, "t" + millis, millis)
        .setOccurredAt(START.plusMillis(millis).plus(skew))
        .build();
  }
}
