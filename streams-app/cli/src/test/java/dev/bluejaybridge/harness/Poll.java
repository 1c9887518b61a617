package dev.bluejaybridge.harness;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waiting: a condition polled until a deadline, never an open-ended sleep. */
public final class Poll {
  private Poll() {}

  /**
   * Polls {@code condition} every {@code every} until it holds.
   *
   * @return true when it held, false when {@code timeout} passed first
   */
  public static boolean until(Duration timeout, Duration every, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      pause(every);
    }
  }

  /**
   * As {@link #until}, failing with {@code what} when the timeout passes.
   *
   * @throws IllegalStateException naming {@code what} on timeout
   */
  public static void require(
      Duration timeout, Duration every, BooleanSupplier condition, Supplier<String> what) {
    if (!until(timeout, every, condition)) {
      throw new IllegalStateException(
          "timed out after " + timeout.toSeconds() + " s waiting for " + what.get());
    }
  }

  /** Parks for {@code length}: pacing and the gap between two polls, never a wait for a state. */
  public static void pause(Duration length) {
    // parkNanos may return early (a permit left by an earlier unpark, e.g. from a completed
    // future): park again until the whole length has passed.
    long deadline = System.nanoTime() + length.toNanos();
    for (long left = length.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted");
      }
    }
  }
}
