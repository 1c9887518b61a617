package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.registry.RegistryUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a failed stream thread does: it is replaced, but not at once. A failure that recurs (the
 * registry down, the same write refused again after the record is read again) would otherwise
 * replace the thread in a tight loop, hammering the broker and the registry and filling the log.
 *
 * <p>Before each replacement the dying thread waits: {@link #FIRST_BACKOFF}, doubling with each
 * failure that follows within {@link #QUIET} of the previous one, up to {@link #MAX_BACKOFF} (below
 * {@code max.poll.interval.ms}, so the dying thread's tasks are not reassigned meanwhile). A
 * failure caused by something transient (the schema registry unavailable, a retriable broker error)
 * is retried so for as long as it lasts. Any other failure is given {@link #MAX_CONSECUTIVE} tries;
 * then the instance shuts down (Kafka Streams state {@code ERROR}, the process exits non-zero)
 * instead of looping on a failure that does not go away: its orchestrator restarts it with its own
 * backoff, and the restarts are what an operator sees and alerts on.
 */
final class StreamThreadFailures implements StreamsUncaughtExceptionHandler {
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
  static final Duration QUIET = Duration.ofMinutes(10);
  static final int MAX_CONSECUTIVE = 10;

  /** Waits between a failure and the replacement; returns early when the pipeline closes. */
  interface Waiter {
    void await(Duration duration) throws InterruptedException;
  }

  private static final Logger LOGGER = LoggerFactory.getLogger(StreamThreadFailures.class);

  private final Clock clock;
  private final Waiter waiter;
  private int consecutive;
  private long lastFailureAt = Long.MIN_VALUE;

  StreamThreadFailures(Clock clock, Waiter waiter) {
    this.clock = clock;
    this.waiter = waiter;
  }

  /** Waits on {@code closed}: returns at once when the pipeline is closing. */
  static Waiter until(CountDownLatch closed) {
    return duration -> closed.await(duration.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public StreamThreadExceptionResponse handle(Throwable exception) {
    int failures;
    synchronized (this) {
      long now = clock.millis();
      if (lastFailureAt != Long.MIN_VALUE && now - lastFailureAt > QUIET.toMillis()) {
        consecutive = 0;
      }
      consecutive++;
      lastFailureAt = now;
      failures = consecutive;
    }
    boolean transientCause = isTransient(exception);
    if (!transientCause && failures > MAX_CONSECUTIVE) {
      LOGGER.error(
          "stream thread failed {} times in a row, each within {} of the last; shutting down"
              + " instead of replacing it again",
          failures,
          QUIET,
          exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Duration backoff = backoff(failures);
    LOGGER.error(
        "stream thread failed; replacing it in {} ms failures_in_a_row={} transient={}",
        backoff.toMillis(),
        failures,
        transientCause,
        exception);
    try {
      waiter.await(backoff);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** The wait before the replacement after {@code failures} failures in a row. */
  static Duration backoff(int failures) {
    int doublings = Math.min(Math.max(failures - 1, 0), 30);
    long millis = FIRST_BACKOFF.toMillis() << doublings;
    return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
  }

  /** True when something in the cause chain is known to pass: the registry, a broker timeout. */
  static boolean isTransient(Throwable exception) {
    for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
      if (cause instanceof RegistryUnavailableException || cause instanceof RetriableException) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }
}
