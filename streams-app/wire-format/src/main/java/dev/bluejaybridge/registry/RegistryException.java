package dev.bluejaybridge.registry;

import java.util.OptionalInt;

/**
 * A schema registry call failed for a reason that retrying will not fix (for example HTTP 401, 409
 * or 422, or a response that is not a registry's). Subclasses say when the schema is unknown or the
 * registry unavailable.
 */
public class RegistryException extends RuntimeException {

  private final OptionalInt httpStatus;
  private final OptionalInt errorCode;

  /** A failure without an HTTP response. */
  public RegistryException(String message) {
    this(message, OptionalInt.empty(), OptionalInt.empty(), null);
  }

  /** A failure without an HTTP response, caused by {@code cause}. */
  public RegistryException(String message, Throwable cause) {
    this(message, OptionalInt.empty(), OptionalInt.empty(), cause);
  }

  /** A failure answered by the registry with an HTTP status and maybe a Confluent error code. */
  public RegistryException(String message, OptionalInt httpStatus, OptionalInt errorCode) {
    this(message, httpStatus, errorCode, null);
  }

  RegistryException(
      String message, OptionalInt httpStatus, OptionalInt errorCode, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  /** The HTTP status the registry answered with, if it answered. */
  public OptionalInt httpStatus() {
    return httpStatus;
  }

  /** The Confluent {@code error_code} of the answer (e.g. 40403), if there was one. */
  public OptionalInt errorCode() {
    return errorCode;
  }
}
