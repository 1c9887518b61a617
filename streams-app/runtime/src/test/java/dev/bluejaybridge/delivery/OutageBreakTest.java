package dev.bluejaybridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Breaker: issue 13 item 4, "A 30-minute 503 outage dead-letters nothing and drains at the quota
 * afterwards" (docs/failures.md: "An outage of any length (30 minutes of 503, say) dead-letters
 * nothing"). Quiet hours: one closed call waits for delivery when Bluejay starts answering 503 to
 * everything. The outage policy holds delivery only after failures "from at least 2 different
 * calls"; with one call in the outbox there is no second call, so the call spends its {@code
 * delivery.max-attempts} (default 8) within about two minutes of backoff and is dead-lettered.
 */
class OutageBreakTest {
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
  void aThirtyMinute503OutageWithOneCallPendingDeadLettersNothing() {
    StubMapping outage =
        bluejay
            .server()
            .stubFor(
                put(urlPathMatching("/v1/update-log/.*"))
                    .atPriority(1)
                    .willReturn(aResponse().withStatus(503).withBody("busy")));
    try (DeliveryHarness h = new DeliveryHarness(bluejay.baseUrl(), Map.of(), null)) {
      h.driver.toolCalls.pipeInput("lone-1", toolCall("lone-1", "lookup", 1_000).build());
      h.driver.events.pipeInput("lone-1", endOfCall("lone-1", 9_000).build());
      h.driver.advanceWallClock(Duration.ofSeconds(6));

      // 30 minutes of mock time in 1 s steps (as the 30-minute test of OutboxDeliveryTest), or
      // until the call is dead-lettered.
      long end = h.driver.clock.millis() + Duration.ofMinutes(30).toMillis();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(5))
          .until(
              () -> {
                h.driver.advanceWallClock(Duration.ofSeconds(1));
                return !h.deadLetters().isEmpty() || h.driver.clock.millis() >= end;
              });

      List<TestRecord<String, byte[]>> dead = h.deadLetters();
      assertThat(dead)
          .as(
              "dead letters during a 503 outage (%d requests made, held=%s): %s",
              bluejay.requests().size(),
              h.dispatcher.held(),
              dead.stream()
                  .map(
                      r ->
                          r.key()
                              + " reason="
                              + new String(
                                  r.headers().lastHeader("bridge.error.reason").value(),
                                  StandardCharsets.UTF_8)
                              + " attempts="
                              + new String(
                                  r.headers().lastHeader("bridge.error.attempts").value(),
                                  StandardCharsets.UTF_8))
                  .toList())
          .isEmpty();

      bluejay.server().removeStub(outage);
      h.runUntil(() -> h.receipts().size() == 1);
      assertThat(bluejay.requestsTo("/v1/update-log/lone-1")).isNotEmpty();
    }
  }
}
