package dev.bluejaybridge.registry;

/**
 * No registry URL answered usefully: each failed with an I/O error, a timeout, HTTP 5xx or HTTP
 * 429. Transient: callers retry rather than give up on the record. The message lists each URL tried
 * and what happened there.
 */
public final class RegistryUnavailableException extends RegistryException {

  /** Every URL failed; {@code cause} is the last failure, if it helps. */
  public RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
