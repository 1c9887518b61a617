package dev.bluejaybridge.aggregate;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the broker says of the input partitions: how far each has been written, and how far this
 * application has committed. A task compares it with the offsets it has processed to know, rather
 * than guess, whether it has read everything there was (a backlog is not silence).
 */
@FunctionalInterface
public interface InputOffsets {
  /** How often the running pipeline asks the broker: a new snapshot is due this long after one. */
  Duration EVERY = Duration.ofMillis(250);

  /** How many snapshots {@link #recent} keeps: half a minute of them. */
  int KEPT = 120;

  /** Nothing is known: tasks judge from the records they see alone (unit tests, the benchmark). */
  InputOffsets UNKNOWN = partition -> null;

  /**
   * The latest snapshot of the input partitions numbered {@code partition} (one per input topic),
   * or null when none is known.
   */
  Snapshot at(int partition);

  /**
   * The snapshots of the last {@link #KEPT} beats of the input partitions numbered {@code
   * partition}, newest first; empty when none is known.
   */
  default List<Snapshot> recent(int partition) {
    Snapshot latest = at(partition);
    return latest == null ? List.of() : List.of(latest);
  }

  /**
   * @param asOf wall-clock millis at which the broker was asked (before the request was sent):
   *     every record written before it lies below its partition's {@link Position#end()}
   * @param positions by input topic name
   */
  record Snapshot(long asOf, Map<String, Position> positions) {
    public Snapshot {
      positions = Map.copyOf(positions);
    }
  }

  /**
   * One input partition.
   *
   * @param start its log start offset: nothing below it can be read
   * @param end its end offset for a read-committed consumer (the last stable offset)
   * @param written its high watermark: beyond {@code end} while a producer's transaction is open,
   *     and the records written after that transaction's first one, by any producer, wait behind it
   * @param committed the offset this application committed, or -1 if none
   * @param endSince wall-clock millis since which {@code end} has not moved, as far as seen
   * @param consumerLag how far behind the end this instance's consumer had fetched at its latest
   *     fetch (0: everything, skipped control records and aborted transactions included), or -1 if
   *     not known (the partition is not assigned here, or not fetched yet)
   */
  record Position(
      long start, long end, long written, long committed, long endSince, long consumerLag) {
    /** A position with no transaction open and whose consumer lag is not known. */
    public Position(long start, long end, long committed, long endSince) {
      this(start, end, end, committed, endSince, -1);
    }
  }
}
