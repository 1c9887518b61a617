package dev.bluejaybridge.aggregate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
 *
 * <p><b>Offsets, where the broker tells them.</b> The running pipeline asks the broker four times a
 * second for the end offsets of the input partitions ({@link InputOffsets}). A task that has
 * processed each of its input partitions up to the end offset a snapshot saw has read everything
 * written before that snapshot was taken: silence is then trusted up to the snapshot's time, and
 * not while a partition is behind (R8: a task that read nothing for the first five seconds after a
 * restart counted as caught up and closed ten calls whose later records still waited in the
 * backlog). Without a fresh snapshot (the broker does not answer, unit tests) the task judges from
 * what it sees, as above.
 */
final class Backlog {
  /** The record time before any record was read. */
  static final long UNKNOWN = Long.MIN_VALUE;

  /** {@link #silentUntil(long)} when silence cannot be trusted at all. */
  static final long NEVER = Long.MIN_VALUE;

  /** A broker snapshot older than this (millis) is not trusted: the task judges alone. */
  static final long STALE = 15_000;

  private final long quiet;
  private final long firstQuiet;
  private final int expectedSources;
  private final Map<String, long[]> sources = new HashMap<>();
  private final long blackout;
  private final InputOffsets offsets;
  private final int partition;

  /** By input topic: the offset after the last record processed here. */
  private final Map<String, Long> processed = new HashMap<>();

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
    this(quiet, firstQuiet, blackout, now, 1);
  }

  /**
   * As above, for a task reading {@code expectedSources} inputs (the three telemetry topics), whose
   * record time is that of the input furthest behind.
   */
  Backlog(long quiet, long firstQuiet, long blackout, long now, int expectedSources) {
    this(quiet, firstQuiet, blackout, now, expectedSources, InputOffsets.UNKNOWN, 0);
  }

  /**
   * As above, for the task of input partition {@code partition}, which learns the inputs' end
   * offsets from {@code offsets}.
   */
  Backlog(
      long quiet,
      long firstQuiet,
      long blackout,
      long now,
      int expectedSources,
      InputOffsets offsets,
      int partition) {
    this.offsets = Objects.requireNonNull(offsets, "offsets");
    this.partition = partition;
    this.expectedSources = expectedSources;
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
    record("", timestamp, now);
  }

  /**
   * The task reads a record of record time {@code timestamp} from {@code source} (its input topic)
   * at {@code now}.
   */
  void record(String source, long timestamp, long now) {
    record(source, -1, timestamp, now);
  }

  /**
   * The task reads the record at {@code offset} (or -1 if unknown) of record time {@code timestamp}
   * from {@code source} (its input topic) at {@code now}.
   */
  void record(String source, long offset, long timestamp, long now) {
    if (offset >= 0) {
      processed.merge(source, offset + 1, Math::max);
    }
    ran(now);
    lastReadAt = now;
    long time = Math.min(timestamp, now);
    recordTime = Math.max(recordTime, time);
    long[] seen = sources.computeIfAbsent(source, s -> new long[] {UNKNOWN, UNKNOWN});
    seen[0] = Math.max(seen[0], time);
    seen[1] = now;
  }

  /** Wall-clock millis without a record after which the task counts as caught up. */
  long quiet() {
    return quiet;
  }

  /**
   * How far the task has read in record time: the newest record time of the input furthest behind,
   * among the inputs still being read (one read within a quiet while), at most the wall clock of
   * its reading; or {@link #UNKNOWN}. While a backlog is read, one topic's records may be fetched
   * ahead of another's (R8 split 10 calls whose transcript turns were still unread while the tool
   * calls had carried the record time past their deadline). Until every input was read since the
   * task started observing, or one first quiet passed, record time is not known.
   */
  long recordTime() {
    if (recordTime == UNKNOWN) {
      return UNKNOWN;
    }
    int readSinceStart = 0;
    int flowing = 0;
    long slowest = Long.MAX_VALUE;
    for (long[] seen : sources.values()) {
      if (seen[1] >= observedSince) {
        readSinceStart++;
        if (lastRanAt - seen[1] <= quiet) {
          flowing++;
          slowest = Math.min(slowest, seen[0]);
        }
      }
    }
    if (readSinceStart < expectedSources && lastRanAt < observedSince + firstQuiet) {
      return UNKNOWN;
    }
    return flowing == 0 ? recordTime : slowest;
  }

  /**
   * Until when silence can be trusted at {@code now}: every record written to the task's inputs
   * before the moment returned (wall-clock millis) has been read; {@link #NEVER} if none is known.
   * With a fresh broker snapshot, its time once every input partition is read to the end it saw;
   * without one, {@code now} once the task counts as {@link #caughtUp(long) caught up}.
   */
  long silentUntil(long now) {
    List<InputOffsets.Snapshot> recent = offsets.recent(partition);
    if (recent.isEmpty() || now - recent.get(0).asOf() > STALE) {
      return caughtUp(now) ? now : NEVER;
    }
    // The newest snapshot read to its ends: a consumer steadily a second behind under load still
    // trusts silence up to a second ago, on its own clock.
    for (InputOffsets.Snapshot snapshot : recent) {
      if (readToEnds(snapshot, now)) {
        return snapshot.asOf();
      }
    }
    return NEVER;
  }

  private boolean readToEnds(InputOffsets.Snapshot snapshot, long now) {
    if (snapshot.positions().size() < expectedSources) {
      return false;
    }
    for (Map.Entry<String, InputOffsets.Position> input : snapshot.positions().entrySet()) {
      if (!readToEnd(input.getKey(), input.getValue(), now)) {
        return false;
      }
    }
    return true;
  }

  /** When a call that is due but not yet silent should be looked at again, at {@code now}. */
  long lookAgainAt(long now) {
    List<InputOffsets.Snapshot> recent = offsets.recent(partition);
    InputOffsets.Snapshot snapshot = recent.isEmpty() ? null : recent.get(0);
    if (snapshot == null || now - snapshot.asOf() > STALE) {
      return Math.min(caughtUpAt(), now + quiet);
    }
    // just after the next snapshot is due
    return Math.min(
        now + quiet, Math.max(now, snapshot.asOf() + InputOffsets.EVERY.toMillis()) + 50);
  }

  private boolean readToEnd(String topic, InputOffsets.Position input, long now) {
    if (input.written() > input.end()) {
      // A transaction is open: records written after its first one, by any producer, cannot be
      // read until it ends, and a call's later records may be among them.
      return false;
    }
    long read =
        Math.max(Math.max(input.start(), input.committed()), processed.getOrDefault(topic, -1L));
    if (read >= input.end()) {
      return true;
    }
    // Records the consumer skips (transaction markers, aborted transactions) after the last record
    // read: Kafka Streams commits past them only in a partition it processed a record of since it
    // started. The consumer's own lag tells: it fetched to the end, and for a first quiet neither
    // the end moved nor did a record of the partition come (records fetched but not processed yet
    // would have been, the other inputs being read to their ends).
    if (input.consumerLag() != 0 || now - observedSince < firstQuiet) {
      return false;
    }
    long[] seen = sources.get(topic);
    long lastRead = seen == null ? UNKNOWN : seen[1];
    return now - input.endSince() >= firstQuiet
        && (lastRead == UNKNOWN || now - lastRead >= firstQuiet);
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
