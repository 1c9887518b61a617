package dev.bluejaybridge.aggregate;

/**
 * What the aggregation hands to the delivery stage, keyed by {@code call_id}: a closed call, whole,
 * or a record that arrived after its simulated call had closed.
 */
public sealed interface CallUpdate permits ClosedCall, LateRecord {
  String callId();

  /** The Bluejay simulation result this call belongs to, or {@code null} for a production call. */
  String simulationResultId();

  default boolean simulated() {
    return simulationResultId() != null;
  }
}
