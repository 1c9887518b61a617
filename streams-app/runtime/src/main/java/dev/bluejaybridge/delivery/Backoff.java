package dev.bluejaybridge.delivery;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Full-jitter exponential backoff: the wait before attempt {@code n+1} is uniform in {@code [0,
 * min(cap, base * 2^(n-1))]}, and never shorter than the server's {@code Retry-After} up to {@code
 * delivery.max-retry-after}: a longer, absurd or overflowing {@code Retry-After} waits that long.
 */
public final class Backoff {
  static final Duration BASE = Duration.ofSeconds(1);
  static final Duration CAP = Duration.ofMinutes(5);

  private final DoubleSupplier random;
  private final Duration maxRetryAfter;

  public Backoff(DoubleSupplier random, Duration maxRetryAfter) {
    if (maxRetryAfter.isNegative()) {
      throw new IllegalArgumentException("maxRetryAfter must not be negative: " + maxRetryAfter);
    }
    this.random = random;
    this.maxRetryAfter = maxRetryAfter;
  }

  /**
   * The server's {@code Retry-After} in millis, at most {@code delivery.max-retry-after}; 0 when
   * there is none (a negative one is none).
   */
  public long retryAfterMillis(Optional<Duration> retryAfter) {
    Duration asked = retryAfter.filter(d -> !d.isNegative()).orElse(Duration.ZERO);
    return (asked.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : asked).toMillis();
  }

  /** The wait after {@code attempts} failed attempts (≥ 1). */
  public long delayMillis(int attempts, Optional<Duration> retryAfter) {
    int exponent = Math.min(Math.max(attempts - 1, 0), 30);
    long ceiling = Math.min(CAP.toMillis(), BASE.toMillis() << exponent);
    long jittered = (long) (random.getAsDouble() * ceiling);
    return Math.max(jittered, retryAfterMillis(retryAfter));
  }
}
