package dev.bluejaybridge.http;

import java.io.IOException;

/**
 * A 2xx answer whose body is longer than the client reads ({@link BoundedHttpClient}): it was not
 * read, and the connection was closed. The server answered success: the request was taken, only its
 * answer could not be read.
 */
public final class ResponseTooLargeException extends IOException {

  private final int status;
  private final long limit;

  public ResponseTooLargeException(int status, long limit) {
    super("HTTP " + status + " answer over the limit of " + limit + " bytes; not read");
    this.status = status;
    this.limit = limit;
  }

  /** The status of the answer (2xx). */
  public int status() {
    return status;
  }

  /** The most bytes of a body the client reads. */
  public long limit() {
    return limit;
  }
}
