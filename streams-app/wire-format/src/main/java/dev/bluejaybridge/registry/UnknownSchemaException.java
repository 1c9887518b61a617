package dev.bluejaybridge.registry;

import java.util.OptionalInt;

/**
 * The registry says the schema id, subject or schema does not exist (HTTP 404, Confluent error
 * codes 40401, 40402, 40403, 40405). The message names the subject and/or the id.
 */
public final class UnknownSchemaException extends RegistryException {

  /** Not found, said by an in-process registry. */
  public UnknownSchemaException(String message) {
    super(message);
  }

  /** Not found, said by a registry over HTTP. */
  public UnknownSchemaException(String message, OptionalInt httpStatus, OptionalInt errorCode) {
    super(message, httpStatus, errorCode);
  }
}
