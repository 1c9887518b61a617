package dev.bluejaybridge.cli.bluejay;

/** Bluejay answered 2xx, but not with what its API documents (e.g. no run id). */
public final class UnexpectedAnswerException extends RuntimeException {
  UnexpectedAnswerException(String message) {
    super(message);
  }
}
