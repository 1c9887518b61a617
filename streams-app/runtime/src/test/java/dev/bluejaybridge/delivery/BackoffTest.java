package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void fullJitterStaysWithinTheDoublingCeiling() {
    Backoff highest = new Backoff(() -> 0.999_999);
    Backoff lowest = new Backoff(() -> 0.0);

    assertThat(highest.delayMillis(1, Optional.empty())).isBetween(990L, 1_000L);
    assertThat(highest.delayMillis(4, Optional.empty())).isBetween(7_990L, 8_000L);
    assertThat(highest.delayMillis(40, Optional.empty())).isBetween(299_000L, 300_000L);
    assertThat(lowest.delayMillis(5, Optional.empty())).isZero();
  }

  @Test
  void retryAfterIsAFloor() {
    Backoff lowest = new Backoff(() -> 0.0);

    assertThat(lowest.delayMillis(1, Optional.of(Duration.ofSeconds(2)))).isEqualTo(2_000L);
  }
}
