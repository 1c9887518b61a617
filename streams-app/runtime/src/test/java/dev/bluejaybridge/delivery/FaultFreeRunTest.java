package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Issue 3: a fault-free run makes exactly one successful request per completed call. */
class FaultFreeRunTest {
  private static final int CALLS = 1_000;

  @Test
  void exactlyOneRequestPerCompletedCall() {
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      try (DeliveryHarness h = new DeliveryHarness(bluejay.baseUrl(), Map.of(), null)) {
        for (int i = 0; i < CALLS; i++) {
          String callId = "call-" + i;
          String simulation = i % 4 == 0 ? String.valueOf(50_000 + i) : null;
          h.driver.transcripts.pipeInput(
              callId,
              turn(callId, Speaker.USER, "Where is my order?", 0)
                  .setSimulationResultId(simulation)
                  .build());
          h.driver.toolCalls.pipeInput(
              callId,
              toolCall(callId, "lookup_order", 1_000).setSimulationResultId(simulation).build());
          h.driver.events.pipeInput(
              callId, endOfCall(callId, 9_000).setSimulationResultId(simulation).build());
        }
        h.driver.advanceWallClock(Duration.ofSeconds(6));

        h.runUntil(() -> h.receipts().size() == CALLS);
        for (int i = 0; i < 40; i++) {
          h.driver.advanceWallClock(OutboxProcessor.TICK);
        }

        int requests = bluejay.requests().size();
        Set<String> calls =
            bluejay.requests().stream()
                .map(
                    r ->
                        r.path().startsWith("/v1/update-log/")
                            ? r.path()
                            : r.json().get("simulation_result_id").asText())
                .collect(Collectors.toSet());
        System.out.printf(
            "fault-free run: calls=%d requests=%d requests_per_call=%.3f%n",
            CALLS, requests, requests / (double) CALLS);
        assertThat(requests).isEqualTo(CALLS);
        assertThat(calls).as("distinct calls requested").hasSize(CALLS);
        assertThat(h.deadLetters()).isEmpty();
        bluejay.assertAllRequestsValid();
      }
    }
  }
}
