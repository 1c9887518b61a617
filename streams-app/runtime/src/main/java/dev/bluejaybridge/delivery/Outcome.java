package dev.bluejaybridge.delivery;

import dev.bluejaybridge.bluejay.BluejayException;

/**
 * How one attempt ended, reported by an HTTP thread and applied to the outbox on the stream thread
 * (or, in {@code dlq replay}, on the calling thread); {@link DeliveryPolicy} decides what follows.
 * {@code revision} and {@code attempt} identify the attempt, so a stale report changes nothing.
 */
public sealed interface Outcome {
  String callId();

  int revision();

  int attempt();

  /** Bluejay took the call. */
  record Delivered(
      String callId, int revision, int attempt, int status, long latencyMs, int requestBytes)
      implements Outcome {}

  /** A simulated call's earlier POST had arrived after all: nothing to send. */
  record AlreadyThere(String callId, int revision, int attempt, long latencyMs)
      implements Outcome {}

  /** A simulated call's earlier POST had not arrived: post now. */
  record NotThere(String callId, int revision, int attempt) implements Outcome {}

  /**
   * Bluejay's answer cannot tell whether a simulated call's earlier POST arrived (the call has no
   * tool calls to look for, or only some of them are there): posting again could double it.
   */
  record Unknown(String callId, int revision, int attempt, String why) implements Outcome {}

  /**
   * A cheap authenticated request after a 403 was not refused: the API key is fine, the 403 was
   * about this call only.
   */
  record KeyAccepted(String callId, int revision, int attempt) implements Outcome {}

  /** Bluejay refused or could not be reached; the error's type says what to do. */
  record Failed(String callId, int revision, int attempt, BluejayException error)
      implements Outcome {}

  /**
   * Something unexpected went wrong in the HTTP thread: treated as retryable with unknown outcome.
   */
  record Crashed(String callId, int revision, int attempt, RuntimeException error)
      implements Outcome {}
}
