package dev.bluejaybridge.serde;

import org.apache.kafka.common.errors.SerializationException;

/** Bytes that are not in the Confluent wire format: too short, or a magic byte other than 0. */
public final class WireFormatException extends SerializationException {

  /** What is wrong with the bytes. */
  public enum Problem {
    /** Shorter than the 5-byte header. */
    TOO_SHORT,
    /** The first byte is not 0x00. */
    BAD_MAGIC_BYTE
  }

  private final Problem problem;

  WireFormatException(Problem problem, String message) {
    super(message);
    this.problem = problem;
  }

  /** What is wrong with the bytes. */
  public Problem problem() {
    return problem;
  }
}
