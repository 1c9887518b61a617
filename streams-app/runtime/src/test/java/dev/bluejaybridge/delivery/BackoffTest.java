package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void fullJitterStaysWithinTheDoublingCeiling() {
    Backoff highest = new Backoff(() -> 0.999_999, Duration.ofMinutes(10));
    Backoff lowest = new Backoff(() -> 0.0, Duration.ofMinutes(10));

    assertThat(highest.delayMillis(1, Optional.empty())).isBetween(990L, 1_000L);
    assertThat(highest.delayMillis(4, Optional.empty())).isBetween(7_990L, 8_000L);
    assertThat(highest.delayMillis(40, Optional.empty())).isBetween(299_000L, 300_000L);
    assertThat(lowest.delayMillis(5, Optional.empty())).isZero();
  }

  @Test
  void retryAfterIsAFloor() {
    Backoff lowest = new Backoff(() -> 0.0, Duration.ofMinutes(10));

    assertThat(lowest.delayMillis(1, Optional.of(Duration.ofSeconds(2)))).isEqualTo(2_000L);
  }

  /** Issue 13 item 5: a Retry-After never parks a call longer than delivery.max-retry-after. */
  @Test
  void retryAfterIsCappedWhateverBluejaySays() {
    Backoff lowest = new Backoff(() -> 0.0, Duration.ofMinutes(10));

    // a year, the largest number of seconds a long holds (its millis overflow), a negative one
    assertThat(lowest.delayMillis(1, Optional.of(Duration.ofDays(365)))).isEqualTo(600_000L);
    assertThat(lowest.delayMillis(1, Optional.of(Duration.ofSeconds(Long.MAX_VALUE))))
        .isEqualTo(600_000L);
    assertThat(lowest.delayMillis(1, Optional.of(Duration.ofSeconds(-30)))).isZero();
    assertThat(
            new Backoff(() -> 0.0, Duration.ofSeconds(3))
                .delayMillis(1, Optional.of(Duration.ofMinutes(1))))
        .isEqualTo(3_000L);
  }
}
