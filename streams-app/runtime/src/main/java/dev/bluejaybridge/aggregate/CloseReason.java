package dev.bluejaybridge.aggregate;

/** Why a call closed; {@link #label()} is the value of the {@code reason} metric tag. */
public enum CloseReason {
  /** An event with {@code ends_call=true} arrived, and {@code call.end-grace} has passed. */
  END_OF_CALL("end-of-call"),
  /** No record of the call for {@code call.inactivity-gap} of wall-clock time. */
  INACTIVITY("inactivity"),
  /** The call was open for {@code call.max-duration}. */
  MAX_DURATION("max-duration"),
  /** Records arrived after the call closed; the whole call closes again (production calls only). */
  LATE_RECORDS("late-records");

  private final String label;

  CloseReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
