package dev.bluejaybridge.delivery;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Full-jitter exponential backoff: the wait before attempt {@code n+1} is uniform in {@code [0,
 * min(cap, base * 2^(n-1))]}, and never shorter than the server's {@code Retry-After}.
 */
public final class Backoff {
  static final Duration BASE = Duration.ofSeconds(1);
  static final Duration CAP = Duration.ofMinutes(5);

  private final DoubleSupplier random;

  public Backoff(DoubleSupplier random) {
    this.random = random;
  }

  /** The wait after {@code attempts} failed attempts (≥ 1). */
  public long delayMillis(int attempts, Optional<Duration> retryAfter) {
    int exponent = Math.min(Math.max(attempts - 1, 0), 30);
    long ceiling = Math.min(CAP.toMillis(), BASE.toMillis() << exponent);
    long jittered = (long) (random.getAsDouble() * ceiling);
    return Math.max(jittered, retryAfter.map(Duration::toMillis).orElse(0L));
  }
}
