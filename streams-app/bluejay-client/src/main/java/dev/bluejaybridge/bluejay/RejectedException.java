package dev.bluejaybridge.bluejay;

import java.util.List;

/**
 * Bluejay refused this request for good: 400, 404, 409, 413, 422 and every other 4xx except 401,
 * 403, 408 and 429 (also an unexpected 3xx, which retrying cannot fix). For a 422, {@link
 * #details()} holds FastAPI's validation errors.
 */
public final class RejectedException extends BluejayException {

  private final List<ValidationDetail> details;

  public RejectedException(
      String message,
      int status,
      String method,
      String path,
      String responseBody,
      List<ValidationDetail> details) {
    super(message, status, method, path, responseBody, null);
    this.details = List.copyOf(details);
  }

  /** The {@code detail} entries of a FastAPI validation error body; empty when there are none. */
  public List<ValidationDetail> details() {
    return details;
  }

  /** HTTP 404: the call log or simulation result does not exist (yet). */
  public boolean notFound() {
    return status() == 404;
  }
}
