package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Breaker: issue 13 item 2, "A record for an already delivered call, at any age (also after
 * call.late-retention), must end with Bluejay holding the whole call plus the straggler, or the
 * straggler dead-lettered as late with its content; never with Bluejay holding a fragment."
 *
 * <p>The bridge bounds "any age" with {@code input.max-behind} (7 d) measured against stream time,
 * and the index of delivered calls with {@code call.delivered-retention} (7 d) measured on the wall
 * clock. Stream time only moves with records: on a partition that got no record for 8 days (quiet
 * tenant, few calls), a straggler of the last call, its {@code occurred_at} seconds after the
 * call's, is not "behind" at all, and the index entry is purged by then. The straggler starts a new
 * call, which is PUT alone: {@code PUT /v1/update-log} replaces the delivered call with a fragment.
 */
class LateRecordBreakTest {
  private BluejayStandIn bluejay;

  @BeforeEach
  void startBluejay() {
    bluejay = new BluejayStandIn();
  }

  @AfterEach
  void stopBluejay() {
    bluejay.close();
  }

  @Test
  void aStragglerEightDaysLaterOnAQuietPartitionNeverReplacesTheDeliveredCallWithAFragment() {
    try (DeliveryHarness h = new DeliveryHarness(bluejay.baseUrl(), Map.of(), null)) {
      h.driver.toolCalls.pipeInput("call-1", toolCall("call-1", "lookup_order", 1_000).build());
      h.driver.events.pipeInput("call-1", endOfCall("call-1", 9_000).build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));
      h.runUntil(() -> h.receipts().size() == 1);

      // call.late-retention (1 h) passes: the call's records are forgotten, its id indexed.
      h.driver.advanceWallClock(Duration.ofHours(2));
      h.driver.advanceWallClock(Duration.ofSeconds(1));
      // Control: a straggler now is matched by the index and dead-lettered as late.
      h.driver.transcripts.pipeInput(
          "call-1", turn("call-1", Speaker.USER, "one more thing", 15_000).build());
      h.runUntil(() -> h.deadLetters().size() == 1);
      // call.delivered-retention (7 d) passes with no record on the partition.
      h.driver.advanceWallClock(Duration.ofDays(6));
      h.driver.advanceWallClock(Duration.ofDays(2));
      h.driver.advanceWallClock(Duration.ofSeconds(1));

      // The straggler: said 20 s into the call, arriving 8 days after it. Its occurred_at is more
      // than input.max-behind (7 d) behind the wall clock, so it is refused before it can open a
      // new call (the stream time alone, which a quiet partition does not move, let it through).
      h.driver.transcripts.pipeInput(
          "call-1", turn("call-1", Speaker.USER, "thanks, bye", 20_000).build());
      h.driver.advanceWallClock(Duration.ofSeconds(31)); // call.inactivity-gap (30 s)
      h.runUntil(() -> !h.driver.inputDlq.isEmpty());

      assertThat(
              new String(
                  h.driver
                      .inputDlq
                      .readRecord()
                      .headers()
                      .lastHeader("bridge.error.reason")
                      .value(),
                  java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("bad-timestamp");
      h.driver.advanceWallClock(Duration.ofMinutes(2));
      List<BluejayStandIn.RecordedRequest> puts = bluejay.requestsTo("/v1/update-log/call-1");
      assertThat(puts)
          .as("Bluejay holds the whole call, sent once; the straggler was never sent alone")
          .hasSize(1);
      assertThat(puts.get(0).json().get("tool_calls")).hasSize(1);
    }
  }
}
