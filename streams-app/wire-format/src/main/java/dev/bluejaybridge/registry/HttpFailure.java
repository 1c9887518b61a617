package dev.bluejaybridge.registry;

import java.util.OptionalInt;

/**
 * A registry's non-2xx answer, classified once by {@link RegistryErrorDecoder}. {@link
 * RestSchemaRegistry} turns it into the public exception with the operation's context.
 */
final class HttpFailure extends RuntimeException {

  enum Kind {
    /** 404 or a Confluent "not found" error code. */
    NOT_FOUND,
    /** 5xx, 408 or 429: another URL, or a later try, may succeed. */
    TRANSIENT,
    /** Any other status: retrying will not help. */
    PERMANENT
  }

  private final Kind kind;
  private final int status;
  private final OptionalInt errorCode;

  HttpFailure(Kind kind, int status, OptionalInt errorCode, String description) {
    super(description, null, false, false);
    this.kind = kind;
    this.status = status;
    this.errorCode = errorCode;
  }

  Kind kind() {
    return kind;
  }

  int status() {
    return status;
  }

  OptionalInt errorCode() {
    return errorCode;
  }
}
