package dev.bluejaybridge.aggregate;

/**
 * What one task knows of the input it has not read yet: whether silence on the wall clock can be
 * trusted, and how far it has read in record time.
 *
 * <p>A call may close when nothing of it arrived for a while; but "nothing arrived" only means
 * "nothing was sent" once the task has read everything there is. Kafka does not tell a processor
 * its consumer lag, so the task judges from what it sees:
 *
 * <ul>
 *   <li><b>Record time</b> is the newest record time ({@code occurred_at}) read so far, capped at
 *       the wall clock of its reading, so that one record from a clock running ahead cannot jump it
 *       into the future. It is kept in memory only: after a start it is unknown until the first
 *       record.
 *   <li>The task counts as <b>caught up</b> ({@link #caughtUp(long)}) once it has gone {@code
 *       quiet} without reading a single record, on time it observed. While records keep coming (one
 *       at least every {@code quiet}), the task may be reading a backlog: the app was stopped while
 *       producers went on, or the consumer is behind under load.
 *   <li>Time the task did not observe is not silence: when it starts, and when it ran nothing for
 *       longer than {@code blackout} (a stopped JVM, a stuck thread, a wall-clock jump), it starts
 *       observing anew, as if it had just started, since records sent meanwhile may still wait.
 * </ul>
 *
 * The aggregation closes a call by the wall clock alone only while the task is caught up, and
 * otherwise only once its deadline has passed in record time too.
 */
final class Backlog {
  /** The record time before any record was read. */
  static final long UNKNOWN = Long.MIN_VALUE;

  private final long quiet;
  private final long firstQuiet;
  private final long blackout;
  private long recordTime = UNKNOWN;
  private long lastReadAt = UNKNOWN;
  private long observedSince;
  private long lastRanAt;

  /**
   * @param quiet wall-clock millis without a record after which the task counts as caught up
   * @param firstQuiet the same, until the first record read since the task started observing (its
   *     start, or the end of a blackout): its first fetch of a backlog may take seconds
   *     (transactions initialised, a rebalance settling), so a short silence then says nothing
   * @param blackout a stretch longer than this (millis) in which the task ran nothing was not
   *     observed
   * @param now wall-clock millis at which the task starts
   */
  Backlog(long quiet, long firstQuiet, long blackout, long now) {
    this.quiet = quiet;
    this.firstQuiet = Math.max(quiet, firstQuiet);
    this.blackout = blackout;
    this.observedSince = now;
    this.lastRanAt = now;
  }

  /** The task runs (a punctuation, a record) at {@code now}. */
  void ran(long now) {
    if (now - lastRanAt > blackout) {
      observedSince = now;
    }
    lastRanAt = Math.max(lastRanAt, now);
  }

  /** The task reads a record of record time {@code timestamp} at {@code now}. */
  void record(long timestamp, long now) {
    ran(now);
    lastReadAt = now;
    recordTime = Math.max(recordTime, Math.min(timestamp, now));
  }

  /** Wall-clock millis without a record after which the task counts as caught up. */
  long quiet() {
    return quiet;
  }

  /** The newest record time read, at most the wall clock of its reading; or {@link #UNKNOWN}. */
  long recordTime() {
    return recordTime;
  }

  /**
   * Whether the task has read everything there was to read, as far as it can tell at {@code now}.
   */
  boolean caughtUp(long now) {
    return now >= caughtUpAt();
  }

  /** The wall-clock moment the task counts as caught up if no record arrives until then. */
  long caughtUpAt() {
    if (lastReadAt == UNKNOWN || lastReadAt < observedSince) {
      // Nothing read since the task started observing. R8 (the app stopped 12 inactivity gaps
      // while producers went on) split 23 calls: a restarted task counted as caught up one end
      // grace after its start, before its first fetch of the backlog arrived.
      return observedSince + firstQuiet;
    }
    return lastReadAt + quiet;
  }
}
