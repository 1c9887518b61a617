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
 * drive. Pure: it reads the entry (whose {@code attempts} already counts the attempt that ended),
 * the outcome and the {@link Outage.Standing} (whether delivery is held for an outage, whether
 * another call got an answer since the entry's first attempt), and changes nothing; the caller
 * applies the {@link Decision}. The only input besides its arguments is the backoff's random draw.
 *
 * <ul>
 *   <li>2xx, or a simulated call's earlier POST found at Bluejay: {@link Decision.Delivered}.
 *   <li>408, 429, 5xx, a timeout or broken connection, an unexpected error: {@link
 *       Decision.RetryAt} after the backoff ({@code Retry-After} a floor); {@code
 *       attempts-exhausted} after {@code maxAttempts}, but for 408, 429, 5xx, timeouts and broken
 *       connections only when another call got an answer since the call's first attempt (Bluejay is
 *       well for others, so the failures are the call's own); without one the last attempt is
 *       {@link Decision.Hold} instead, and held it waits until another call gets an answer. A
 *       simulated call's POST whose outcome is ambiguous (a timeout, a broken connection, a 5xx:
 *       Bluejay may have applied it) is checked at Bluejay before it is posted again.
 *   <li>The same failures while delivery is held for an outage, and a request that never reached
 *       Bluejay (refused, unknown host, connect timeout): {@link Decision.Hold}, no attempt spent.
 *   <li>A simulated call's earlier POST not found at Bluejay: post now. Bluejay's copy cannot tell
 *       (the call has no tool calls, or only some are there): {@code outcome-unknown}, never a
 *       second POST.
 *   <li>401 or no usable key: {@link Decision.Pause}. 403: {@link Decision.CheckKey}, a cheap
 *       authenticated request decides: refused too → {@link Decision.Pause}; accepted → {@code
 *       http-403} for this call alone.
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

  /** The backoff, whose cap also bounds a route-wide {@code Retry-After}. */
  public Backoff backoff() {
    return backoff;
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
     * An outage, not the call's fault (or, on a call's last attempt with no other call answered
     * since its first, maybe one): the attempt does not count, the call waits while delivery is
     * held for every call ({@link Outage#holdForCall}: the caller holds it if it is not yet) and
     * probed ({@link #probeInterval}); nothing is dead-lettered. {@code verifyFirst} as for {@link
     * RetryAt}.
     */
    record Hold(String why, boolean verifyFirst) implements Decision {}

    /** Bluejay refused the API key: the attempt does not count, delivery pauses for every call. */
    record Pause(AuthException refusal) implements Decision {}

    /**
     * Bluejay answered 403 to this call: the attempt does not count yet; the call's next attempt is
     * a key check (the entry's new {@code key_check}).
     */
    record CheckKey(AuthException refusal) implements Decision {}

    /**
     * Give up on the call: it goes to the delivery DLQ with {@link #reason()}; {@code refusal} is
     * Bluejay's answer when it refused the call (null otherwise).
     */
    record DeadLetter(Cause cause, RejectedException refusal) implements Decision {
      /**
       * The {@code bridge.error.reason}: {@code http-<status>}, {@code http-403}, {@code
       * attempts-exhausted} or {@code outcome-unknown}.
       */
      public String reason() {
        return switch (cause) {
          case REFUSED -> "http-" + refusal.status();
          case FORBIDDEN -> "http-403";
          case ATTEMPTS_EXHAUSTED -> "attempts-exhausted";
          case OUTCOME_UNKNOWN -> "outcome-unknown";
        };
      }
    }
  }

  /** Why a call is dead-lettered. */
  public enum Cause {
    /** Bluejay refused it for good (a 4xx but 401/403/408/429, a 3xx; a 404 after retries). */
    REFUSED,
    /** Bluejay answered 403 to this call while accepting the key. */
    FORBIDDEN,
    /** {@code maxAttempts} attempts ended retryable. */
    ATTEMPTS_EXHAUSTED,
    /**
     * A simulated call's POST may have arrived and Bluejay's copy cannot tell: a second POST could
     * double it.
     */
    OUTCOME_UNKNOWN
  }

  /**
   * Decides what follows {@code outcome}, the end of attempt {@code entry.getAttempts()}.
   *
   * @param now when the outcome is applied; retries are scheduled from it
   * @param standing whether delivery is held for an outage ({@link Outage}) once this outcome
   *     counted, and whether another call got an answer since the entry's first attempt ({@link
   *     Outage#standing})
   */
  public Decision decide(
      OutboxEntry entry, Outcome outcome, Instant now, Outage.Standing standing) {
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
    if (outcome instanceof Outcome.Unknown) {
      return new Decision.DeadLetter(Cause.OUTCOME_UNKNOWN, null);
    }
    if (outcome instanceof Outcome.KeyAccepted) {
      return new Decision.DeadLetter(Cause.FORBIDDEN, null);
    }
    if (outcome instanceof Outcome.Failed failed) {
      return failed(entry, failed.error(), now, standing);
    }
    // Crashed: nothing is known of what happened, so the outcome is unknown.
    return retry(entry, Optional.empty(), true, now);
  }

  private Decision failed(
      OutboxEntry entry, BluejayException error, Instant now, Outage.Standing standing) {
    if (error instanceof AuthException refusal) {
      if (refusal.status() == 403 && !entry.getKeyCheck()) {
        return new Decision.CheckKey(refusal);
      }
      return new Decision.Pause(refusal);
    }
    if (error instanceof RetryableException retryable) {
      // Bluejay may have applied a POST that timed out, broke off or got a 5xx.
      // (408 and 429 say the request was not taken.)
      boolean ambiguous = retryable.outcomeUnknown() || retryable.status() >= 500;
      boolean verifyFirst =
          entry.getVerifyFirst()
              || (ambiguous && Dispatcher.mode(entry) == Dispatcher.Mode.SEND && simulated(entry));
      if (retryable.notConnected() || standing.held()) {
        return new Decision.Hold(error.getMessage(), verifyFirst);
      }
      if (entry.getAttempts() >= maxAttempts && !standing.othersAnswered()) {
        // The last attempt, and nothing says Bluejay is well for anyone: no other call got an
        // answer since this one's first attempt (it is alone, or every call fails). An outage and
        // the call's own fault look the same, so hold rather than dead-letter on a guess.
        return new Decision.Hold(error.getMessage(), verifyFirst);
      }
      return retry(entry, retryable.retryAfter(), ambiguous, now);
    }
    RejectedException rejected = (RejectedException) error;
    if (rejected.notFound() && entry.getAttempts() < NOT_FOUND_ATTEMPTS) {
      return retry(entry, Optional.empty(), false, now);
    }
    return new Decision.DeadLetter(Cause.REFUSED, rejected);
  }

  private static boolean simulated(OutboxEntry entry) {
    return entry.getEndpoint() == Endpoint.UPDATE_SIMULATION_RESULT;
  }

  private Decision retry(
      OutboxEntry entry, Optional<Duration> retryAfter, boolean ambiguous, Instant now) {
    if (entry.getAttempts() >= maxAttempts) {
      return new Decision.DeadLetter(Cause.ATTEMPTS_EXHAUSTED, null);
    }
    boolean verifyFirst =
        entry.getVerifyFirst()
            || (ambiguous && Dispatcher.mode(entry) == Dispatcher.Mode.SEND && simulated(entry));
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
