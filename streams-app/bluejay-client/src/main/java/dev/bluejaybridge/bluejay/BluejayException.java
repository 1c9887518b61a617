package dev.bluejaybridge.bluejay;

import java.util.Objects;

/**
 * A Bluejay request that did not succeed, classified once by the client's error decoder: {@link
 * RetryableException} (try again later), {@link AuthException} (the API key is refused; nothing
 * will succeed until it changes) or {@link RejectedException} (this request will never succeed).
 *
 * <p>The message is {@code HTTP <status> <method> <path>: <body>} (or {@code I/O error <method>
 * <path>: <cause>}); it never holds request headers, so never the API key.
 */
public abstract sealed class BluejayException extends RuntimeException
    permits RetryableException, AuthException, RejectedException {

  /** Longest response body kept, in bytes of UTF-8. */
  public static final int MAX_BODY_BYTES = 4096;

  private final int status;
  private final String method;
  private final String path;
  private final String responseBody;

  BluejayException(
      String message,
      int status,
      String method,
      String path,
      String responseBody,
      Throwable cause) {
    super(message, cause);
    this.status = status;
    this.method = Objects.requireNonNull(method, "method");
    this.path = Objects.requireNonNull(path, "path");
    this.responseBody = responseBody == null ? "" : responseBody;
  }

  /** The HTTP status, or -1 when no answer came (I/O error, timeout). */
  public int status() {
    return status;
  }

  /** The HTTP method: {@code PUT}, {@code POST} or {@code GET}. */
  public String method() {
    return method;
  }

  /** The raw (percent-encoded) request path, e.g. {@code /v1/update-log/c-1}. */
  public String path() {
    return path;
  }

  /** The response body, at most {@link #MAX_BODY_BYTES} (then marked truncated); "" if none. */
  public String responseBody() {
    return responseBody;
  }
}
