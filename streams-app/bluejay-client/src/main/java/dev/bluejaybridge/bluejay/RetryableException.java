package dev.bluejaybridge.bluejay;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Worth trying again: HTTP 408, 429 or 5xx, an I/O error or a timeout. {@link #retryAfter()} is the
 * server's {@code Retry-After}, if it sent one.
 */
public final class RetryableException extends BluejayException {

  private final Optional<Duration> retryAfter;
  private final boolean outcomeUnknown;

  /**
   * @param status the HTTP status, or -1 when no answer came
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
    super(message, status, method, path, responseBody, cause);
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    this.outcomeUnknown = outcomeUnknown;
  }

  /** How long the server asked us to wait (never negative), if it said. */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  /**
   * True when the request may have reached Bluejay and been acted on (read timeout, connection lost
   * after sending); false when it surely was not (connection refused, connect timeout) or Bluejay
   * answered with a status. A non-idempotent request whose outcome is unknown must be checked
   * before it is sent again.
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
}
