package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.event;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregationTopologyTest {

  @Test
  void closesCallOnEndOfCallEventAfterGrace() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "lookup_order", 1_000).build());
      driver.events.pipeInput("c1", endOfCall("c1", 9_000).build());

      driver.advanceWallClock(Duration.ofMillis(4_500));
      assertThat(driver.closedCalls()).as("still inside call.end-grace=5s").isEmpty();

      driver.advanceWallClock(Duration.ofMillis(1_000));
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.callId()).isEqualTo("c1");
                assertThat(call.reason()).isEqualTo(CloseReason.END_OF_CALL);
                assertThat(call.toolCalls())
                    .extracting(ToolCall::getName)
                    .containsExactly("lookup_order");
                assertThat(call.events()).extracting(CallEvent::getEndsCall).containsExactly(true);
              });
    }
  }

  @Test
  void closesCallAfterInactivityWithNoFurtherRecordsOnAnyPartition() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.transcripts.pipeInput(
          "c1", turn("c1", Speaker.AGENT, "Hello, how can I help?", 0).build());
      driver.toolCalls.pipeInput("c1", toolCall("c1", "lookup_order", 2_000).build());

      // Only wall-clock time moves: no record on any topic, so stream time stands still.
      driver.advanceWallClock(Duration.ofSeconds(29));
      assertThat(driver.closedCalls()).isEmpty();

      driver.advanceWallClock(Duration.ofMillis(1_300));
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.reason()).isEqualTo(CloseReason.INACTIVITY);
                assertThat(call.size()).isEqualTo(2);
              });
    }
  }

  @Test
  void inactivityIsMeasuredFromTheCallsLastRecord() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "a", 0).build());
      driver.advanceWallClock(Duration.ofSeconds(20));
      driver.toolCalls.pipeInput("c1", toolCall("c1", "b", 20_000).build());

      driver.advanceWallClock(Duration.ofSeconds(20)); // 40 s after the first, 20 s after the last
      assertThat(driver.closedCalls()).isEmpty();

      driver.advanceWallClock(Duration.ofSeconds(11));
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(call -> assertThat(call.toolCalls()).hasSize(2));
    }
  }

  @Test
  void closesCallAtMaxDurationEvenWhileRecordsKeepComing() {
    try (PipelineDriver driver = PipelineDriver.create(Map.of("call.max-duration", "2m"))) {
      for (int second = 0; second < 110; second += 10) {
        driver.toolCalls.pipeInput("c1", toolCall("c1", "tick", second * 1_000L).build());
        driver.advanceWallClock(Duration.ofSeconds(10));
      }
      assertThat(driver.closedCalls()).isEmpty();

      driver.toolCalls.pipeInput("c1", toolCall("c1", "tick", 110_000).build());
      driver.advanceWallClock(Duration.ofSeconds(10));

      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.reason()).isEqualTo(CloseReason.MAX_DURATION);
                assertThat(call.toolCalls()).hasSize(12);
              });
    }
  }

  @Test
  void sortsOutOfOrderRecordsByStartOffsetWithTiesInArrivalOrder() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "third", 3_000).build());
      driver.toolCalls.pipeInput("c1", toolCall("c1", "first", 1_000).build());
      driver.toolCalls.pipeInput("c1", toolCall("c1", "tie-a", 2_000).build());
      driver.toolCalls.pipeInput("c1", toolCall("c1", "tie-b", 2_000).build());
      driver.events.pipeInput("c1", event("c1", "later", 5_000).build());
      driver.events.pipeInput("c1", event("c1", "earlier", 500).build());
      driver.transcripts.pipeInput("c1", turn("c1", Speaker.USER, "thanks", 8_000).build());
      driver.transcripts.pipeInput("c1", turn("c1", Speaker.AGENT, "hi", 0).build());
      driver.events.pipeInput("c1", endOfCall("c1", 9_000).build());

      driver.advanceWallClock(Duration.ofSeconds(6));

      ClosedCall call = driver.closedCalls().get(0);
      assertThat(call.toolCalls())
          .extracting(ToolCall::getName)
          .containsExactly("first", "tie-a", "tie-b", "third");
      assertThat(call.events())
          .extracting(CallEvent::getTitle)
          .containsExactly("earlier", "later", "call ended");
      assertThat(call.transcript())
          .extracting(TranscriptTurn::getUtterance)
          .containsExactly("hi", "thanks");
    }
  }

  @Test
  void lateRecordOfProductionCallClosesTheWholeCallAgain() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "lookup_order", 1_000).build());
      driver.events.pipeInput("c1", endOfCall("c1", 9_000).build());
      driver.advanceWallClock(Duration.ofSeconds(6));
      assertThat(driver.closedCalls()).hasSize(1);

      driver.advanceWallClock(Duration.ofMinutes(10));
      driver.toolCalls.pipeInput("c1", toolCall("c1", "send_receipt", 8_000).build());
      driver.advanceWallClock(Duration.ofSeconds(6));

      assertThat(driver.closedCalls()).hasSize(2);
      ClosedCall again = driver.closedCalls().get(1);
      assertThat(again.reason()).isEqualTo(CloseReason.LATE_RECORDS);
      assertThat(again.revision()).isEqualTo(1);
      assertThat(again.toolCalls())
          .extracting(ToolCall::getName)
          .containsExactly("lookup_order", "send_receipt");
      assertThat(again.events()).hasSize(1);
      assertThat(again.stragglers())
          .extracting(r -> ((ToolCall) r).getName())
          .containsExactly("send_receipt");
    }
  }

  /** Issue 13 item 2: the delivery stage decides what of a simulated call can still be sent. */
  @Test
  void lateRecordOfSimulatedCallReopensItAndTheNextRevisionNamesTheStraggler() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput(
          "s1", toolCall("s1", "book", 1_000).setSimulationResultId("13062").build());
      driver.events.pipeInput("s1", endOfCall("s1", 9_000).setSimulationResultId("13062").build());
      driver.advanceWallClock(Duration.ofSeconds(6));

      driver.toolCalls.pipeInput(
          "s1", toolCall("s1", "straggler", 8_500).setSimulationResultId("13062").build());
      driver.advanceWallClock(Duration.ofSeconds(6));

      assertThat(driver.lateRecords()).isEmpty();
      assertThat(driver.closedCalls())
          .hasSize(2)
          .allSatisfy(
              call -> {
                assertThat(call.simulated()).isTrue();
                assertThat(call.simulationResultId()).isEqualTo("13062");
              });
      ClosedCall again = driver.closedCalls().get(1);
      assertThat(again.revision()).isEqualTo(1);
      assertThat(again.toolCalls())
          .extracting(ToolCall::getName)
          .containsExactly("book", "straggler");
      assertThat(again.stragglers())
          .singleElement()
          .satisfies(r -> assertThat(((ToolCall) r).getName()).isEqualTo("straggler"));
    }
  }

  @Test
  void anotherCallsNewerRecordsNeverMakeARecordLate() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      // c2's records are an hour ahead in event time; c1's are still on time.
      driver.toolCalls.pipeInput(
          "c2",
          toolCall("c2", "x", 0).setOccurredAt(PipelineDriver.START.plusSeconds(3_600)).build());
      driver.toolCalls.pipeInput(
          "c1", toolCall("c1", "y", 0).setOccurredAt(PipelineDriver.START).build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.lateRecords()).isEmpty();
      assertThat(driver.closedCalls())
          .extracting(ClosedCall::callId)
          .containsExactlyInAnyOrder("c1", "c2");
      assertThat(driver.closedCalls()).allSatisfy(call -> assertThat(call.revision()).isZero());
    }
  }

  /** Issue 13 item 2: after call.late-retention, no fragment of a delivered call is sent. */
  @Test
  void recordOfACallClosedLongerThanLateRetentionAgoIsHandedOnAsLate() {
    try (PipelineDriver driver = PipelineDriver.create(Map.of("call.late-retention", "10m"))) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "first", 0).build());
      driver.advanceWallClock(Duration.ofSeconds(31));
      driver.advanceWallClock(Duration.ofMinutes(11));

      driver.toolCalls.pipeInput("c1", toolCall("c1", "much-later", 0).build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.closedCalls()).as("no new call, not a late re-close").hasSize(1);
      assertThat(driver.lateRecords())
          .singleElement()
          .satisfies(
              late -> {
                assertThat(late.simulated()).isFalse();
                assertThat(((ToolCall) late.record()).getName()).isEqualTo("much-later");
              });
    }
  }

  @Test
  void keepsSimulationResultAndAgentIdsOfTheCall() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.transcripts.pipeInput(
          "s9", turn("s9", Speaker.USER, "hi", 0).setAgentId("agent-7").build());
      driver.toolCalls.pipeInput(
          "s9", toolCall("s9", "book", 100).setSimulationResultId("42").build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.agentId()).isEqualTo("agent-7");
                assertThat(call.simulationResultId()).isEqualTo("42");
              });
    }
  }
}
