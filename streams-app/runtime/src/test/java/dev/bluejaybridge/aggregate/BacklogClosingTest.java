package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.event;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 8: a backlog is not silence. Wall-clock time in which the task ran nothing, or read
 * slower than the records were made, must not close a call whose later records still wait in the
 * input; and closing the calls a restart finds is spread over ticks. Record times here follow the
 * driver's wall clock ({@link PipelineDriver#START}), as they would with producers on time.
 */
class BacklogClosingTest {
  private static final Instant START = PipelineDriver.START;

  @Test
  void callsWhoseRecordsWaitInTheBacklogAfterTenMinutesTheTaskDidNotRunCloseOnceAndWhole() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      List<String> ids = List.of("a", "b", "c");
      // Given three calls under way
      ids.forEach(id -> driver.toolCalls.pipeInput(id, tool(id, 0)));
      driver.advanceWallClock(Duration.ofSeconds(1));

      // When the task runs nothing for ten minutes (stopped, stuck) while the producers go on
      driver.advanceWallClock(Duration.ofMinutes(10));
      assertThat(driver.closedCalls()).as("ten minutes the task did not see").isEmpty();

      // and then reads the calls' later records from the backlog, in order
      for (int second = 5; second <= 60; second += 5) {
        for (String id : ids) {
          driver.toolCalls.pipeInput(id, tool(id, second));
        }
        driver.advanceWallClock(Duration.ofMillis(100));
      }
      for (String id : ids) {
        driver.events.pipeInput(
            id, endOfCall(id, 61_000).setOccurredAt(START.plusSeconds(61)).build());
      }
      driver.advanceWallClock(Duration.ofMillis(100));
      assertThat(driver.closedCalls()).isEmpty();

      // Then, the backlog read, each call closes once, whole
      driver.advanceWallClock(Duration.ofSeconds(6));
      assertThat(driver.closedCalls())
          .extracting(ClosedCall::callId)
          .containsExactlyInAnyOrderElementsOf(ids);
      assertThat(driver.closedCalls())
          .allSatisfy(
              call -> {
                assertThat(call.revision()).isZero();
                assertThat(call.reason()).isEqualTo(CloseReason.END_OF_CALL);
                assertThat(call.toolCalls()).hasSize(13);
                assertThat(call.events()).hasSize(1);
              });
      assertThat(driver.lateRecords()).isEmpty();
    }
  }

  @Test
  void aConsumerReadingSlowerThanTheRecordsAreMadeDoesNotSplitACall() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // Given a call whose records are 20 s apart, read by a task that is behind under load and
      // reads the input at a third of the speed it was written: a minute between them on the
      // wall clock, filled with other calls' records
      driver.toolCalls.pipeInput("slow", tool("slow", 0));
      busyMinute(driver, 0);
      driver.toolCalls.pipeInput("slow", tool("slow", 20));
      busyMinute(driver, 1);
      assertThat(driver.closedCalls())
          .as("never 30 s without a record of it in what was read")
          .noneMatch(call -> call.callId().equals("slow"));

      // When its end comes, and a while after it
      driver.events.pipeInput(
          "slow", endOfCall("slow", 40_000).setOccurredAt(START.plusSeconds(40)).build());
      busyMinute(driver, 2);
      driver.advanceWallClock(Duration.ofSeconds(6));

      // Then it is one call with all its records
      List<ClosedCall> slow =
          driver.closedCalls().stream().filter(call -> call.callId().equals("slow")).toList();
      assertThat(slow)
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.toolCalls()).hasSize(2);
                assertThat(call.events()).hasSize(1);
              });
    }
  }

  /**
   * One minute of wall clock in one-second steps, each reading one record of another call; those
   * records' times advance 20 s in all (reading at a third of real time).
   */
  private static void busyMinute(PipelineDriver driver, int minute) {
    for (int step = 0; step < 60; step++) {
      long recordMillis = minute * 20_000L + step * 1_000L / 3;
      String id = "busy-" + minute;
      driver.toolCalls.pipeInput(
          id,
          toolCall(id, "step", recordMillis)
              .setOccurredAt(START.plusMillis(recordMillis + 1))
              .build());
      driver.advanceWallClock(Duration.ofSeconds(1));
    }
  }

  @Test
  void whileTheBacklogIsReadACallSilentInRecordTimeCloses() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // Given a call whose last record came just before the task stopped for ten minutes
      driver.toolCalls.pipeInput("quiet", tool("quiet", 0));
      driver.advanceWallClock(Duration.ofMinutes(10));

      // When the backlog is read, fast: two minutes of other calls' records in twelve seconds, on
      // all three inputs (record time is that of the input furthest behind)
      for (int i = 1; i <= 120; i++) {
        driver.toolCalls.pipeInput("busy", tool("busy", i));
        driver.events.pipeInput(
            "busy", event("busy", "e" + i, i * 1_000L).setOccurredAt(START.plusSeconds(i)).build());
        driver.transcripts.pipeInput(
            "busy",
            turn("busy", Speaker.USER, "u" + i, i * 1_000L)
                .setOccurredAt(START.plusSeconds(i))
                .build());
        driver.advanceWallClock(Duration.ofMillis(100));
      }

      // Then the quiet call closed while records were still coming, not split and not held back
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.callId()).isEqualTo("quiet");
                assertThat(call.reason()).isEqualTo(CloseReason.INACTIVITY);
                assertThat(call.toolCalls()).hasSize(1);
              });
    }
  }

  @Test
  void theCallsARestartFindsDueCloseOverManyTicksAtMostAFewAtATime() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // Given 250 calls an earlier run left open, all long due
      int count = 250;
      for (int i = 0; i < count; i++) {
        leftOpenByAnEarlierRun(driver, "call-" + i, START.toEpochMilli() - 600_000);
      }

      // When the task finds no backlog (no record for one inactivity gap after its start) and
      // starts closing them
      List<Integer> perTick = new ArrayList<>();
      int seen = 0;
      for (int tick = 0; tick < 600 && seen < count; tick++) {
        driver.advanceWallClock(AggregateProcessor.TICK);
        int now = driver.closedCalls().size();
        perTick.add(now - seen);
        seen = now;
      }

      // Then no tick closes more than its share, and each call closes once
      assertThat(perTick).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(100));
      assertThat(perTick.stream().filter(n -> n > 0).count()).isGreaterThanOrEqualTo(3);
      Map<String, Long> closes =
          driver.closedCalls().stream()
              .collect(Collectors.groupingBy(ClosedCall::callId, Collectors.counting()));
      assertThat(closes).hasSize(count).allSatisfy((id, n) -> assertThat(n).isOne());
    }
  }

  @Test
  void aCallARestartFindsWaitsWhileTheBacklogBeforeItsNextRecordIsRead() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // Given a call an earlier run left open, its last record ten minutes before this start
      long stopped = START.toEpochMilli() - 600_000;
      leftOpenByAnEarlierRun(driver, "old", stopped);

      // When the backlog takes longer to read than an end grace before its next record comes
      for (int second = 1; second <= 20; second++) {
        driver.toolCalls.pipeInput(
            "other", toolCall("other", "t", second).setOccurredAt(at(stopped, second)).build());
        driver.advanceWallClock(Duration.ofSeconds(1));
      }
      driver.toolCalls.pipeInput(
          "old", toolCall("old", "from-the-backlog", 21).setOccurredAt(at(stopped, 21)).build());
      driver.advanceWallClock(Duration.ofSeconds(1));
      assertThat(driver.closedCalls()).isEmpty();

      // Then it closes once the backlog is read, whole
      driver.advanceWallClock(Duration.ofSeconds(31));
      assertThat(driver.closedCalls())
          .filteredOn(call -> call.callId().equals("old"))
          .singleElement()
          .satisfies(call -> assertThat(call.toolCalls()).hasSize(2));
    }
  }

  private static Instant at(long millis, int plusSeconds) {
    return Instant.ofEpochMilli(millis + plusSeconds * 1_000L);
  }

  /** A call with one tool call, as an earlier run stored it with its arrival at {@code at}. */
  static void leftOpenByAnEarlierRun(PipelineDriver driver, String callId, long at) {
    KeyValueStore<String, CallState> calls = driver.driver().getKeyValueStore(CallStores.CALLS);
    KeyValueStore<Bytes, CallPart> parts = driver.driver().getKeyValueStore(CallStores.PARTS);
    KeyValueStore<Bytes, byte[]> timers = driver.driver().getKeyValueStore(CallStores.TIMERS);
    parts.put(Keys.part(callId, 0), new CallPart(0L, toolCall(callId, "lookup", 0).build()));
    long due = at + 30_000;
    timers.put(Keys.timer(due, callId), new byte[0]);
    calls.put(
        callId,
        CallState.newBuilder()
            .setCallId(callId)
            .setStatus(CallStatus.OPEN)
            .setFirstSeenAt(at)
            .setLastSeenAt(at)
            .setNextSeq(1)
            .setRecordCount(1)
            .setTimerAt(due)
            .build());
  }

  /** A tool call of {@code callId} made {@code second} seconds after {@link #START}. */
  /** The broker's word at the driver's now: the inputs end at these offsets, none committed. */
  /**
   * R8 on the code of the first backlog fixes: after a restart a task read nothing for five seconds
   * while its fetch of a 16 721-record backlog was still coming, counted as caught up, and sent ten
   * calls without their later records. With the broker's end offsets the task knows it is behind,
   * and no wall-clock silence closes the call until the backlog is read.
   */
  @Test
  void aTaskThatReadsNothingWhileTheBrokerHoldsItsBacklogClosesNothing() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // Given a call under way, read to the end
      driver.toolCalls.pipeInput("a", tool("a", 0));
      driver.brokerSays(1, 0, 0);
      driver.advanceWallClock(Duration.ofSeconds(1));

      // When its later records (and others) wait on the broker, unread, for two minutes
      for (int second = 1; second <= 120; second++) {
        driver.brokerSays(4, 1, 3);
        driver.advanceWallClock(Duration.ofSeconds(1));
      }
      assertThat(driver.closedCalls()).as("two minutes behind").isEmpty();

      // Then once they are read, the call closes whole
      driver.toolCalls.pipeInput("a", tool("a", 3));
      driver.toolCalls.pipeInput("b", tool("b", 4));
      driver.toolCalls.pipeInput("a", tool("a", 5));
      driver.events.pipeInput(
          "a", endOfCall("a", 6_000).setOccurredAt(START.plusSeconds(6)).build());
      driver.transcripts.pipeInput("a", said("a", Speaker.AGENT, 1));
      driver.transcripts.pipeInput("a", said("a", Speaker.USER, 2));
      driver.transcripts.pipeInput("b", said("b", Speaker.USER, 3));
      for (int second = 1; second <= 10; second++) {
        driver.brokerSays(4, 1, 3);
        driver.advanceWallClock(Duration.ofSeconds(1));
      }
      assertThat(driver.closedCalls()).extracting(ClosedCall::callId).contains("a");
      ClosedCall a =
          driver.closedCalls().stream()
              .filter(c -> c.callId().equals("a"))
              .findFirst()
              .orElseThrow();
      assertThat(a.toolCalls()).hasSize(3);
      assertThat(a.events()).hasSize(1);
      assertThat(a.transcript()).hasSize(2);
      assertThat(a.revision()).isZero();
    }
  }

  private static dev.bluejaybridge.telemetry.TranscriptTurn said(
      String callId, Speaker speaker, int second) {
    return turn(callId, speaker, "turn " + second, second * 1_000L)
        .setOccurredAt(START.plusSeconds(second))
        .build();
  }

  private static ToolCall tool(String callId, int second) {
    return toolCall(callId, "t" + second, second * 1_000L)
        .setOccurredAt(START.plusSeconds(second))
        .build();
  }
}
