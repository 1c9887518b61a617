package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.ToolCall;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 2: a delivered call is never replaced by a fragment. A record of a closed call
 * reopens it within {@code call.late-retention} (production or simulated), and the next revision is
 * the whole call naming its stragglers; after that, until {@code call.delivered-retention}, the
 * record is handed on as a {@link LateRecord} and no new call starts.
 */
class LateRecordsTest {
  private static final Instant START = PipelineDriver.START;
  private static final Map<String, String> RETENTIONS =
      Map.of("call.late-retention", "10m", "call.delivered-retention", "1h");

  @Test
  void aProductionCallsStragglerAfterLateRetentionIsHandedOnAsLateAndStartsNoCall() {
    try (PipelineDriver driver = PipelineDriver.create(RETENTIONS)) {
      // Given a production call, closed and forgotten (its records) after call.late-retention
      closeCall(driver, "c1", null);
      driver.advanceWallClock(Duration.ofMinutes(11));

      // When a record of it arrives
      driver.toolCalls.pipeInput("c1", straggler(driver, "c1", null));
      driver.advanceWallClock(Duration.ofMinutes(1));

      // Then it is handed on as late, with its content, and no fragment of the call is closed
      assertThat(driver.closedCalls()).hasSize(1);
      assertThat(driver.lateRecords())
          .singleElement()
          .satisfies(
              late -> {
                assertThat(late.callId()).isEqualTo("c1");
                assertThat(late.simulated()).isFalse();
                assertThat(((ToolCall) late.record()).getName()).isEqualTo("straggler");
              });
      assertThat(entries(driver, CallStores.CALLS)).isEmpty();
      assertThat(entries(driver, CallStores.PARTS)).isEmpty();
    }
  }

  @Test
  void aSimulatedCallsStragglerAfterLateRetentionIsHandedOnAsLate() {
    try (PipelineDriver driver = PipelineDriver.create(RETENTIONS)) {
      closeCall(driver, "s1", "13062");
      driver.advanceWallClock(Duration.ofMinutes(11));

      driver.toolCalls.pipeInput("s1", straggler(driver, "s1", "13062"));
      driver.advanceWallClock(Duration.ofMinutes(1));

      assertThat(driver.closedCalls()).hasSize(1);
      assertThat(driver.lateRecords())
          .singleElement()
          .satisfies(late -> assertThat(late.simulationResultId()).isEqualTo("13062"));
    }
  }

  @Test
  void aProductionCallsStragglersWithinLateRetentionCloseTheWholeCallAgainNamingThem() {
    try (PipelineDriver driver = PipelineDriver.create(RETENTIONS)) {
      closeCall(driver, "c1", null);
      driver.advanceWallClock(Duration.ofMinutes(5));

      // Two stragglers within the end grace of the first: one revision
      driver.toolCalls.pipeInput("c1", straggler(driver, "c1", null));
      driver.advanceWallClock(Duration.ofSeconds(1));
      driver.toolCalls.pipeInput(
          "c1",
          toolCall("c1", "straggler-2", 9_500)
              .setOccurredAt(Instant.ofEpochMilli(driver.clock.millis()))
              .build());
      driver.advanceWallClock(Duration.ofSeconds(6));

      assertThat(driver.closedCalls()).hasSize(2);
      ClosedCall again = driver.closedCalls().get(1);
      assertThat(again.revision()).isEqualTo(1);
      assertThat(again.reason()).isEqualTo(CloseReason.LATE_RECORDS);
      assertThat(again.toolCalls())
          .extracting(ToolCall::getName)
          .containsExactly("lookup_order", "straggler", "straggler-2");
      assertThat(again.events()).hasSize(1);
      assertThat(again.stragglers())
          .extracting(r -> ((ToolCall) r).getName())
          .containsExactly("straggler", "straggler-2");
      assertThat(driver.lateRecords()).isEmpty();

      // A later straggler: the next revision names only the records since the previous close
      driver.toolCalls.pipeInput(
          "c1",
          toolCall("c1", "straggler-3", 9_700)
              .setOccurredAt(Instant.ofEpochMilli(driver.clock.millis()))
              .build());
      driver.advanceWallClock(Duration.ofSeconds(6));
      ClosedCall third = driver.closedCalls().get(2);
      assertThat(third.revision()).isEqualTo(2);
      assertThat(third.size()).isEqualTo(5);
      assertThat(third.stragglers())
          .extracting(r -> ((ToolCall) r).getName())
          .containsExactly("straggler-3");
    }
  }

  @Test
  void aSimulatedCallsStragglerWithinLateRetentionReopensItAndClosesItWholeNamingIt() {
    try (PipelineDriver driver = PipelineDriver.create(RETENTIONS)) {
      closeCall(driver, "s1", "13062");
      driver.advanceWallClock(Duration.ofMinutes(1));

      driver.toolCalls.pipeInput("s1", straggler(driver, "s1", "13062"));
      driver.advanceWallClock(Duration.ofSeconds(6));

      assertThat(driver.lateRecords()).isEmpty();
      assertThat(driver.closedCalls()).hasSize(2);
      ClosedCall again = driver.closedCalls().get(1);
      assertThat(again.simulationResultId()).isEqualTo("13062");
      assertThat(again.revision()).isEqualTo(1);
      assertThat(again.toolCalls()).hasSize(2);
      assertThat(again.stragglers())
          .singleElement()
          .satisfies(r -> assertThat(((ToolCall) r).getName()).isEqualTo("straggler"));
      assertThat(driver.closedCalls().get(0).stragglers()).isEmpty();
    }
  }

  @Test
  void theIndexOfDeliveredCallsIsPurgedAfterDeliveredRetentionAndStateStaysBounded() {
    try (PipelineDriver driver = PipelineDriver.create(RETENTIONS)) {
      // Given many calls closed over a while
      for (int i = 0; i < 40; i++) {
        closeCall(driver, "call-" + i, i % 3 == 0 ? String.valueOf(1000 + i) : null);
      }
      driver.advanceWallClock(Duration.ofMinutes(11));
      for (int tick = 0; tick < 5; tick++) {
        driver.advanceWallClock(AggregateProcessor.TICK); // should a tick run out of time
      }
      assertThat(entries(driver, CallStores.CALLS)).isEmpty();
      assertThat(entries(driver, CallStores.PARTS)).isEmpty();
      assertThat(entries(driver, CallStores.DELIVERED)).hasSize(40);

      // When call.delivered-retention has passed since they closed
      for (int i = 0; i < 6; i++) {
        driver.advanceWallClock(Duration.ofMinutes(10));
      }
      for (int tick = 0; tick < 5; tick++) {
        driver.advanceWallClock(AggregateProcessor.TICK);
      }

      // Then nothing of them is left but the count of open calls, 0
      assertThat(entries(driver, CallStores.DELIVERED)).isEmpty();
      assertThat(entries(driver, CallStores.TIMERS)).containsOnlyKeys(Keys.OPEN_CALLS);
      assertThat(CallStores.openCalls(driver.driver().getKeyValueStore(CallStores.TIMERS)))
          .isZero();
      // and a record with one of their ids, now unknown, starts a call of its own
      driver.toolCalls.pipeInput("call-1", straggler(driver, "call-1", null));
      driver.advanceWallClock(Duration.ofSeconds(31));
      assertThat(driver.closedCalls().get(driver.closedCalls().size() - 1))
          .satisfies(
              call -> {
                assertThat(call.callId()).isEqualTo("call-1");
                assertThat(call.revision()).isZero();
              });
    }
  }

  @Test
  void replayingAnInputDeadLetterOfAForgottenCallHandsItOnAsLate() {
    Map<String, String> settings = new java.util.HashMap<>(RETENTIONS);
    settings.put("call.max-records", "2");
    try (PipelineDriver driver = PipelineDriver.create(settings)) {
      // Given a call whose third record went to the input DLQ (call-too-large)
      driver.toolCalls.pipeInput("c1", straggler(driver, "c1", null));
      driver.events.pipeInput(
          "c1",
          endOfCall("c1", 9_000).setOccurredAt(Instant.ofEpochMilli(START.toEpochMilli())).build());
      driver.toolCalls.pipeInput("c1", straggler(driver, "c1", null));
      List<TestRecord<byte[], byte[]>> dead = driver.inputDlq.readRecordsToList();
      assertThat(dead).hasSize(1);
      driver.advanceWallClock(Duration.ofSeconds(6));
      assertThat(driver.closedCalls()).hasSize(1);

      // When, the call forgotten, the dead letter is replayed to its topic (dlq replay)
      driver.advanceWallClock(Duration.ofMinutes(11));
      driver.raw("calls.tool-calls").pipeInput("c1", dead.get(0).value());
      driver.advanceWallClock(Duration.ofMinutes(1));

      // Then it is handed on as late: no fragment of the call
      assertThat(driver.closedCalls()).hasSize(1);
      assertThat(driver.lateRecords())
          .singleElement()
          .satisfies(late -> assertThat(late.callId()).isEqualTo("c1"));
    }
  }

  @Test
  void deliveredRetentionShorterThanLateRetentionIsAConfigurationError() {
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    Map.of(
                        "kafka.bootstrap.servers", "k:9092",
                        "schema.registry.url", "mock://x",
                        "call.late-retention", "2h",
                        "call.delivered-retention", "1h")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "call.delivered-retention: 1h must be at least call.late-retention (2h)");
  }

  /** A call with a tool call and its end, closed after the end grace. */
  private static void closeCall(PipelineDriver driver, String callId, String simulationResultId) {
    Instant now = Instant.ofEpochMilli(driver.clock.millis());
    driver.toolCalls.pipeInput(
        callId,
        toolCall(callId, "lookup_order", 1_000)
            .setSimulationResultId(simulationResultId)
            .setOccurredAt(now)
            .build());
    driver.events.pipeInput(
        callId,
        endOfCall(callId, 9_000)
            .setSimulationResultId(simulationResultId)
            .setOccurredAt(now)
            .build());
    driver.advanceWallClock(Duration.ofSeconds(6));
  }

  private static ToolCall straggler(
      PipelineDriver driver, String callId, String simulationResultId) {
    return toolCall(callId, "straggler", 8_000)
        .setSimulationResultId(simulationResultId)
        .setOccurredAt(Instant.ofEpochMilli(driver.clock.millis()))
        .build();
  }

  /** Every entry of a store, by key. */
  static <K, V> Map<K, V> entries(PipelineDriver driver, String store) {
    KeyValueStore<K, V> kv = driver.driver().getKeyValueStore(store);
    Map<K, V> all = new java.util.LinkedHashMap<>();
    try (KeyValueIterator<K, V> it = kv.all()) {
      it.forEachRemaining((KeyValue<K, V> entry) -> all.put(entry.key, entry.value));
    }
    return all;
  }
}
