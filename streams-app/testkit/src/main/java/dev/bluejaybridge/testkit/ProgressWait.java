package dev.bluejaybridge.testkit;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A wait for {@code expected} things (records read, requests received, calls delivered), bounded by
 * the work rather than by a fixed time: it goes on while the observed count advances, and fails
 * only when the count has not advanced for a stall window, or when an absolute ceiling proportional
 * to the work ({@code stall window + expected × per-item budget}) has passed. A loaded machine that
 * is slow but getting there passes; a pipeline that stopped fails a stall window after it stopped,
 * whatever the count.
 *
 * <pre>{@code
 * ProgressWait.forCount(500, "deliveries to Bluejay").until(() -> bluejay.requests().size());
 * }</pre>
 *
 * <p>The failure is an {@link AssertionError} saying what was expected, what was seen, and for how
 * long the count had stood still.
 */
public final class ProgressWait {
  /** How long the count may stand still, unless told otherwise. */
  public static final Duration DEFAULT_STALL_WINDOW = Duration.ofSeconds(60);

  /** The time one thing may take on average, for the ceiling, unless told otherwise. */
  public static final Duration DEFAULT_PER_ITEM = Duration.ofSeconds(1);

  private static final Duration DEFAULT_POLL_EVERY = Duration.ofMillis(100);

  private final long expected;
  private final String what;
  private final LongSupplier nanoTime;
  private final Consumer<Duration> pause;
  private Duration stallWindow = DEFAULT_STALL_WINDOW;
  private Duration perItem = DEFAULT_PER_ITEM;
  private Duration pollEvery = DEFAULT_POLL_EVERY;

  private ProgressWait(
      long expected, String what, LongSupplier nanoTime, Consumer<Duration> pause) {
    if (expected < 0) {
      throw new IllegalArgumentException("expected must be >= 0, was " + expected);
    }
    this.expected = expected;
    this.what = what;
    this.nanoTime = nanoTime;
    this.pause = pause;
  }

  /** A wait for {@code expected} of {@code what} (a plural noun phrase, for the message). */
  public static ProgressWait forCount(long expected, String what) {
    return new ProgressWait(expected, what, System::nanoTime, ProgressWait::park);
  }

  /** As {@link #forCount}, on a given time source and a given pause between two looks. */
  static ProgressWait forCount(
      long expected, String what, LongSupplier nanoTime, Consumer<Duration> pause) {
    return new ProgressWait(expected, what, nanoTime, pause);
  }

  /** How long the count may stand still before the wait fails. */
  public ProgressWait stallWindow(Duration window) {
    this.stallWindow = requirePositive(window, "stall window");
    return this;
  }

  /** The average time one thing may take, for the ceiling. */
  public ProgressWait perItem(Duration budget) {
    this.perItem = requirePositive(budget, "per-item budget");
    return this;
  }

  /** The pause between two looks at the count. */
  public ProgressWait pollEvery(Duration interval) {
    this.pollEvery = requirePositive(interval, "poll interval");
    return this;
  }

  /** The absolute bound: the stall window plus the per-item budget for each thing expected. */
  public Duration ceiling() {
    return stallWindow.plus(perItem.multipliedBy(expected));
  }

  /**
   * Looks at {@code observed} until it reaches the expected count.
   *
   * @return the last count seen (at least the expected one)
   * @throws AssertionError when the count stood still for the stall window, or the ceiling passed
   */
  public long until(LongSupplier observed) {
    long start = nanoTime.getAsLong();
    long ceilingNanos = ceiling().toNanos();
    long stallNanos = stallWindow.toNanos();
    long best = Long.MIN_VALUE;
    long lastAdvance = start;
    while (true) {
      long seen = observed.getAsLong();
      long now = nanoTime.getAsLong();
      if (seen > best) {
        if (best != Long.MIN_VALUE) {
          lastAdvance = now;
        }
        best = seen;
      }
      if (best >= expected) {
        return best;
      }
      long stalled = now - lastAdvance;
      long elapsed = now - start;
      if (stalled >= stallNanos) {
        throw new AssertionError(
            String.format(
                Locale.ROOT,
                "waited for %d %s: saw %d; no progress for %s (the stall window), %s in all",
                expected,
                what,
                best,
                seconds(stalled),
                seconds(elapsed)));
      }
      if (elapsed >= ceilingNanos) {
        throw new AssertionError(
            String.format(
                Locale.ROOT,
                "waited for %d %s: saw %d after %s, the ceiling (%s + %d × %s); still"
                    + " progressing, the last advance %s ago",
                expected,
                what,
                best,
                seconds(elapsed),
                seconds(stallNanos),
                expected,
                seconds(perItem.toNanos()),
                seconds(stalled)));
      }
      pause.accept(pollEvery);
    }
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private static Duration requirePositive(Duration d, String name) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return d;
  }

  private static void park(Duration length) {
    long deadline = System.nanoTime() + length.toNanos();
    for (long left = length.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting");
      }
    }
  }
}
