package dev.bluejaybridge.errors;

/**
 * An input record that can never be processed: thrown by a processor before it changes any state,
 * and turned into an input dead-letter record by {@link InputDlqProcessingHandler}, which writes
 * {@link #reason()} as the {@code bridge.error.reason} header. No stack trace is captured: the
 * reason and message say everything, and poison can arrive in bulk.
 */
public final class PoisonRecordException extends RuntimeException {
  private final String reason;

  public PoisonRecordException(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** A short, stable, kebab-case reason such as {@code key-mismatch} or {@code invalid-json}. */
  public String reason() {
    return reason;
  }
}
