package dev.bluejaybridge.bluejay;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Worth trying again: HTTP 408, 429 or 5xx, an I/O error or a timeout, or a 2xx whose answer was
 * too long to read ({@link #answerTooLarge()}). {@link #retryAfter()} is the server's {@code
 * Retry-After}, if it sent one.
 */
public final class RetryableException extends BluejayException {

  /**
   * The longest {@link #retryAfter()}: a longer, overflowing or far-future {@code Retry-After}
   * reads as this. Longer than any sensible {@code delivery.max-retry-after} (which caps the wait),
   * short enough that no arithmetic on it overflows (it fits an {@code int} of milliseconds).
   */
  public static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

  private final Optional<Duration> retryAfter;
  private final boolean outcomeUnknown;
  private final boolean answerTooLarge;

  /**
   * @param status the HTTP status, or -1 when no answer came
   * @param retryAfter what the server asked to wait: a negative wait is read as none, a longer one
   *     than {@link #MAX_RETRY_AFTER} as that
   * @param outcomeUnknown whether Bluejay may have received and acted on the request
   */
  public RetryableException(
      String message,
      int status,
      String method,
      String path,
      String responseBody,
      Optional<Duration> retryAfter,
      boolean outcomeUnknown,
      Throwable cause) {
    this(message, status, method, path, responseBody, retryAfter, outcomeUnknown, false, cause);
  }

  /**
   * As above; {@code answerTooLarge} when Bluejay answered 2xx with a body over the client's limit
   * (then {@code status} is that 2xx and {@code outcomeUnknown} is true).
   */
  public RetryableException(
      String message,
      int status,
      String method,
      String path,
      String responseBody,
      Optional<Duration> retryAfter,
      boolean outcomeUnknown,
      boolean answerTooLarge,
      Throwable cause) {
    super(message, status, method, path, responseBody, cause);
    this.retryAfter =
        Objects.requireNonNull(retryAfter, "retryAfter").map(RetryableException::bounded);
    this.outcomeUnknown = outcomeUnknown;
    this.answerTooLarge = answerTooLarge;
  }

  private static Duration bounded(Duration wait) {
    if (wait.isNegative()) {
      return Duration.ZERO;
    }
    return wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
  }

  /** How long the server asked us to wait: never negative, at most {@link #MAX_RETRY_AFTER}. */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  /**
   * True when the request may have reached Bluejay and been acted on: a read timeout, the
   * connection lost after sending, a 5xx (a gateway or server may fail after applying it), a 2xx
   * whose answer was too long to read. False when it surely was not: connection refused, connect
   * timeout, a 408 or 429. A non-idempotent request whose outcome is unknown must be checked before
   * it is sent again.
   */
  public boolean outcomeUnknown() {
    return outcomeUnknown;
  }

  /**
   * True when no connection to Bluejay was made (refused, unknown host, connect timeout, TLS
   * handshake refused): the request surely never arrived, and Bluejay may be unreachable.
   */
  public boolean notConnected() {
    return status() < 0 && !outcomeUnknown;
  }

  /**
   * True when Bluejay answered 2xx (so it took the request) with a body longer than the client
   * reads ({@code delivery.max-response-bytes}): the answer was not read. {@link #status()} is that
   * 2xx. For an update this means it was applied; for a look-up, that its answer cannot be used,
   * and asking again will most likely get the same.
   */
  public boolean answerTooLarge() {
    return answerTooLarge;
  }
}
