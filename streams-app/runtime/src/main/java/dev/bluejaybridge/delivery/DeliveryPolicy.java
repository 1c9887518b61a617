package dev.bluejaybridge.delivery;

import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What to do after one delivery attempt: the one policy that the outbox and {@code dlq replay} both
 * drive. Pure: it reads the entry (whose {@code attempts} already counts the attempt that ended)
 * and the outcome and changes nothing; the caller applies the {@link Decision}. The only input
 * besides its arguments is the backoff's random draw.
 *
 * <ul>
 *   <li>2xx, or a simulated call's earlier POST found at Bluejay: {@link Decision.Delivered}.
 *   <li>408, 429, 5xx, a timeout or broken connection, an unexpected error: {@link
 *       Decision.RetryAt} after the backoff ({@code Retry-After} a floor), checking first whether a
 *       simulated call's POST arrived when the outcome is unknown; {@code attempts-exhausted} after
 *       {@code maxAttempts}.
 *   <li>A simulated call's earlier POST not found at Bluejay: post now.
 *   <li>Never reached Bluejay (refused, unknown host, connect timeout): {@link Decision.Hold}.
 *   <li>401, 403, or no usable key: {@link Decision.Pause}.
 *   <li>404: retried until {@link #NOT_FOUND_ATTEMPTS} attempts were made (the call log may not
 *       exist yet), then {@code http-404}; any other refusal {@code http-<status>} at once.
 * </ul>
 */
public final class DeliveryPolicy {

  /**
   * 404 may only mean the call log does not exist yet: retry this many attempts before giving up.
   */
  static final int NOT_FOUND_ATTEMPTS = 3;

  static final Duration FIRST_PROBE_INTERVAL = Duration.ofSeconds(1);
  static final Duration MAX_PROBE_INTERVAL = Duration.ofSeconds(30);

  private final int maxAttempts;
  private final Backoff backoff;

  /**
   * @param maxAttempts {@code delivery.max-attempts}: attempts ending retryable before {@code
   *     attempts-exhausted}
   */
  public DeliveryPolicy(int maxAttempts, Backoff backoff) {
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
  }

  /** What the caller does with the entry after an attempt. */
  public sealed interface Decision {
    /** Bluejay has the call: write the receipt, the entry goes. */
    record Delivered(int status, long latencyMs, int requestBytes) implements Decision {}

    /**
     * Try again at {@code at}; {@code verifyFirst}: the next attempt of a simulated call first asks
     * Bluejay whether an earlier POST arrived (the entry's new {@code verify_first}).
     */
    record RetryAt(Instant at, boolean verifyFirst) implements Decision {}

    /**
     * The request never reached Bluejay: the attempt does not count, the call waits while delivery
     * is held for every call and probed ({@link #probeInterval}); nothing is dead-lettered.
     */
    record Hold(String why) implements Decision {}

    /** Bluejay refused the API key: the attempt does not count, delivery pauses for every call. */
    record Pause(AuthException refusal) implements Decision {}

    /**
     * Give up on the call: it goes to the delivery DLQ with {@link #reason()}; {@code refusal} is
     * Bluejay's answer when it refused the call (null when attempts ran out).
     */
    record DeadLetter(Cause cause, RejectedException refusal) implements Decision {
      /** The {@code bridge.error.reason}: {@code http-<status>} or {@code attempts-exhausted}. */
      public String reason() {
        return cause == Cause.REFUSED ? "http-" + refusal.status() : "attempts-exhausted";
      }
    }
  }

  /** Why a call is dead-lettered. */
  public enum Cause {
    /** Bluejay refused it for good (a 4xx but 401/403/408/429, a 3xx; a 404 after retries). */
    REFUSED,
    /** {@code maxAttempts} attempts ended retryable. */
    ATTEMPTS_EXHAUSTED
  }

  /**
   * Decides what follows {@code outcome}, the end of attempt {@code entry.getAttempts()}.
   *
   * @param now when the outcome is applied; retries are scheduled from it
   */
  public Decision decide(OutboxEntry entry, Outcome outcome, Instant now) {
    if (outcome instanceof Outcome.Delivered delivered) {
      return new Decision.Delivered(
          delivered.status(), delivered.latencyMs(), delivered.requestBytes());
    }
    if (outcome instanceof Outcome.AlreadyThere there) {
      return new Decision.Delivered(200, there.latencyMs(), entry.getRequestBody().remaining());
    }
    if (outcome instanceof Outcome.NotThere) {
      return new Decision.RetryAt(now, false);
    }
    if (outcome instanceof Outcome.Failed failed) {
      return failed(entry, failed.error(), now);
    }
    // Crashed: nothing is known of what happened, so the outcome is unknown.
    return retry(entry, Optional.empty(), true, now);
  }

  private Decision failed(OutboxEntry entry, BluejayException error, Instant now) {
    if (error instanceof AuthException refusal) {
      return new Decision.Pause(refusal);
    }
    if (error instanceof RetryableException retryable) {
      if (retryable.notConnected()) {
        return new Decision.Hold(error.getMessage());
      }
      return retry(entry, retryable.retryAfter(), retryable.outcomeUnknown(), now);
    }
    RejectedException rejected = (RejectedException) error;
    if (rejected.notFound() && entry.getAttempts() < NOT_FOUND_ATTEMPTS) {
      return retry(entry, Optional.empty(), false, now);
    }
    return new Decision.DeadLetter(Cause.REFUSED, rejected);
  }

  private Decision retry(
      OutboxEntry entry, Optional<Duration> retryAfter, boolean outcomeUnknown, Instant now) {
    if (entry.getAttempts() >= maxAttempts) {
      return new Decision.DeadLetter(Cause.ATTEMPTS_EXHAUSTED, null);
    }
    boolean verifyFirst =
        entry.getVerifyFirst()
            || (outcomeUnknown && entry.getEndpoint() == Endpoint.UPDATE_SIMULATION_RESULT);
    return new Decision.RetryAt(
        now.plusMillis(backoff.delayMillis(entry.getAttempts(), retryAfter)), verifyFirst);
  }

  /** The request surely never reached Bluejay: connection refused, unknown host, and the like. */
  static boolean neverArrived(Outcome outcome) {
    return outcome instanceof Outcome.Failed failed
        && failed.error() instanceof RetryableException retryable
        && retryable.notConnected();
  }

  /**
   * How long a hold waits before the next probe after {@code failedProbes} probes failed: 1 s,
   * doubling with each, at most 30 s.
   */
  public static Duration probeInterval(int failedProbes) {
    return Duration.ofMillis(
        Math.min(
            MAX_PROBE_INTERVAL.toMillis(),
            FIRST_PROBE_INTERVAL.toMillis() << Math.min(failedProbes, 20)));
  }
}
