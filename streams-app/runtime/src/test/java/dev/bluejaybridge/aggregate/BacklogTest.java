package dev.bluejaybridge.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Issue 13 item 8: when the task may trust wall-clock silence, and how far it read. */
class BacklogTest {
  private static final long QUIET = 5_000;
  private static final long FIRST_QUIET = 30_000;
  private static final long BLACKOUT = 35_000;
  private static final long T = 1_000_000;

  /**
   * R8 (issue 13 item 8): a restarted task read nothing in its first seconds (its first fetch of a
   * 16 723-record backlog still coming) and counted as caught up one end grace after its start;
   * calls open before the stop closed without their backlog records. Until its first record, the
   * task waits the longer first quiet (one inactivity gap).
   */
  @Test
  void aTaskThatJustStartedIsCaughtUpOnlyAfterTheFirstQuietWithoutRecords() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T);
    assertThat(backlog.recordTime()).isEqualTo(Backlog.UNKNOWN);
    backlog.ran(T + 5_000);
    assertThat(backlog.caughtUp(T + 5_000))
        .as("one quiet: not enough before a first record")
        .isFalse();
    backlog.ran(T + 29_900);
    assertThat(backlog.caughtUp(T + 29_900)).isFalse();
    backlog.ran(T + 30_000);
    assertThat(backlog.caughtUp(T + 30_000)).isTrue();
  }

  @Test
  void afterItsFirstRecordTheTaskIsCaughtUpAfterTheShortQuiet() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T);
    backlog.record(T + 1_000, T + 1_000);
    backlog.ran(T + 5_900);
    assertThat(backlog.caughtUp(T + 5_900)).isFalse();
    backlog.ran(T + 6_000);
    assertThat(backlog.caughtUp(T + 6_000)).isTrue();
  }

  @Test
  void recordsKeepingComingMeanTheTaskMayBeBehind() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T);
    for (long at = T; at <= T + 60_000; at += 1_000) {
      backlog.record(at - 600_000, at);
      assertThat(backlog.caughtUp(at)).isFalse();
    }
    assertThat(backlog.recordTime()).isEqualTo(T + 60_000 - 600_000);
    assertThat(backlog.caughtUpAt()).isEqualTo(T + 65_000);
    assertThat(backlog.caughtUp(T + 65_000)).isTrue();
  }

  @Test
  void recordTimeIsTheNewestReadAndNeverAheadOfTheWallClock() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T);
    backlog.record(T - 10, T);
    backlog.record(T - 500, T + 1);
    assertThat(backlog.recordTime()).isEqualTo(T - 10);
    backlog.record(T + 3_600_000, T + 2);
    assertThat(backlog.recordTime()).isEqualTo(T + 2);
  }

  @Test
  void timeTheTaskDidNotRunIsNotSilence() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T);
    backlog.record(T, T);
    backlog.ran(T + 30_000);
    assertThat(backlog.caughtUp(T + 30_000)).as("ticks 30 s apart: observed").isTrue();

    long resumed = T + 30_000 + 600_000;
    backlog.ran(resumed);
    assertThat(backlog.caughtUp(resumed)).as("ten minutes not observed").isFalse();
    assertThat(backlog.caughtUpAt()).isEqualTo(resumed + FIRST_QUIET);
    backlog.ran(resumed + FIRST_QUIET);
    assertThat(backlog.caughtUp(resumed + FIRST_QUIET)).isTrue();
  }

  /**
   * R8 (issue 13 item 8): while a backlog is read, one input's records can be fetched ahead of
   * another's. Record time is that of the input furthest behind, so a call whose transcript turns
   * are still unread is not closed because the tool calls ran ahead.
   */
  @Test
  void recordTimeIsThatOfTheInputFurthestBehindWhileAllAreRead() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T, 3);
    backlog.record("tools", T - 600_000, T);
    backlog.record("events", T - 590_000, T + 10);
    assertThat(backlog.recordTime())
        .as("an input not read yet: unknown")
        .isEqualTo(Backlog.UNKNOWN);
    backlog.record("turns", T - 595_000, T + 20);
    backlog.record("tools", T - 500_000, T + 30);
    assertThat(backlog.recordTime()).isEqualTo(T - 595_000);

    // an input not read for a quiet while has nothing more: the others' time counts
    backlog.record("tools", T - 400_000, T + 6_000);
    backlog.record("events", T - 410_000, T + 6_000);
    assertThat(backlog.recordTime()).isEqualTo(T - 410_000);
  }

  @Test
  void anInputThatNeverShowsUpIsLeftOutAfterTheFirstQuiet() {
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T, 3);
    backlog.record("tools", T - 600_000, T);
    assertThat(backlog.recordTime()).isEqualTo(Backlog.UNKNOWN);
    backlog.record("tools", T - 500_000, T + FIRST_QUIET);
    assertThat(backlog.recordTime()).isEqualTo(T - 500_000);
  }

  // ------------------------------------------------- broker offsets (InputOffsets)

  private static final String TOOLS = "tools";
  private static final String EVENTS = "events";
  private static final String TURNS = "turns";

  /** A snapshot taken at {@code asOf} whose inputs end at the given offsets, none committed. */
  private static InputOffsets.Snapshot ends(long asOf, long tools, long events, long turns) {
    return new InputOffsets.Snapshot(
        asOf,
        Map.of(
            TOOLS, new InputOffsets.Position(0, tools, -1, asOf),
            EVENTS, new InputOffsets.Position(0, events, -1, asOf),
            TURNS, new InputOffsets.Position(0, turns, -1, asOf)));
  }

  private static Backlog knowing(AtomicReference<InputOffsets.Snapshot> broker) {
    return new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T, 3, partition -> broker.get(), 0);
  }

  /**
   * R8 on the final code of its first fixes: a restarted task read nothing for its first five
   * seconds, counted as caught up, and closed ten calls whose later records waited in the backlog.
   * With the broker's offsets, silence is never trusted while an input is behind, however long the
   * task reads nothing.
   */
  @Test
  void aTaskBehindTheBrokersEndOffsetsNeverTrustsSilence() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    backlog.record(TOOLS, 0, T, T);
    for (long at = T; at <= T + 10 * FIRST_QUIET; at += 1_000) {
      broker.set(ends(at, 500, 0, 0));
      backlog.ran(at);
      assertThat(backlog.silentUntil(at)).as("behind at %d", at - T).isEqualTo(Backlog.NEVER);
      assertThat(backlog.caughtUp(at) || at < T + QUIET)
          .as("what the task alone would have judged")
          .isTrue();
    }
  }

  @Test
  void aTaskThatProcessedEveryInputToItsEndTrustsSilenceUpToTheSnapshot() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    backlog.record(TOOLS, 41, T, T);
    backlog.record(EVENTS, 6, T, T);
    broker.set(ends(T + 500, 42, 7, 0));
    assertThat(backlog.silentUntil(T + 900)).isEqualTo(T + 500);
    broker.set(ends(T + 1_500, 43, 7, 0));
    assertThat(backlog.silentUntil(T + 1_900))
        .as("one record more written")
        .isEqualTo(Backlog.NEVER);
    backlog.record(TOOLS, 42, T + 1_950, T + 1_950);
    assertThat(backlog.silentUntil(T + 2_000)).isEqualTo(T + 1_500);
  }

  @Test
  void committedOffsetsAndTheLogStartCountAsRead() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    broker.set(
        new InputOffsets.Snapshot(
            T,
            Map.of(
                TOOLS, new InputOffsets.Position(0, 90, 90, T),
                EVENTS, new InputOffsets.Position(30, 30, -1, T),
                TURNS, new InputOffsets.Position(0, 12, 11, T))));
    assertThat(backlog.silentUntil(T))
        .as("one turn neither committed nor processed")
        .isEqualTo(Backlog.NEVER);
    backlog.record(TURNS, 11, T, T + 10);
    assertThat(backlog.silentUntil(T + 10)).isEqualTo(T);
  }

  /** The broker's word at {@code at}: tools end at 8 (committed 7), with this consumer lag. */
  private static InputOffsets.Snapshot skipped(long at, long since, long toolsEnd, long lag) {
    return new InputOffsets.Snapshot(
        at,
        Map.of(
            TOOLS, new InputOffsets.Position(0, toolsEnd, toolsEnd, 7, since, lag),
            EVENTS, new InputOffsets.Position(0, 0, 0, -1, since, 0),
            TURNS, new InputOffsets.Position(0, 0, 0, -1, since, 0)));
  }

  /**
   * An aborted transaction (or a commit marker) after the last record of a partition no record of
   * which was processed since the task started: the consumer skips it, but Kafka Streams commits
   * past it only for partitions it processed a record of, so the committed offset stays short of
   * the end for as long as the partition is idle. The consumer's lag of 0, with nothing moving for
   * a first quiet, says nothing more is to come.
   */
  @Test
  void recordsTheConsumerSkippedAtTheEndCountAsReadOnceItFetchedToTheEndAndNothingMoved() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    for (long at = T; at < T + FIRST_QUIET; at += 1_000) {
      broker.set(skipped(at, T, 20, 0));
      backlog.ran(at);
      assertThat(backlog.silentUntil(at)).isEqualTo(Backlog.NEVER);
    }
    long at = T + FIRST_QUIET;
    broker.set(skipped(at, T, 20, 0));
    backlog.ran(at);
    assertThat(backlog.silentUntil(at)).isEqualTo(at);

    broker.set(skipped(at, T, 20, -1));
    assertThat(backlog.silentUntil(at))
        .as("the consumer's lag not known (not fetched yet): records may wait")
        .isEqualTo(Backlog.NEVER);
    broker.set(skipped(at, T, 20, 3));
    assertThat(backlog.silentUntil(at)).as("the consumer is behind").isEqualTo(Backlog.NEVER);
    broker.set(skipped(at, at - 1_000, 20, 0));
    assertThat(backlog.silentUntil(at)).as("the end moved a second ago").isEqualTo(Backlog.NEVER);
  }

  @Test
  void aPartitionTheTaskJustReadFromIsNotTakenAsSkippedRecords() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    long at = T + 2 * FIRST_QUIET;
    backlog.ran(at - 1_000);
    backlog.record(TOOLS, 3, at - 1_000, at - 1_000);
    broker.set(skipped(at, T, 20, 0));
    backlog.ran(at);
    assertThat(backlog.silentUntil(at))
        .as("a record of it read a second ago: fetched records may still wait to be processed")
        .isEqualTo(Backlog.NEVER);
    long later = at - 1_000 + FIRST_QUIET;
    broker.set(skipped(later, T, 20, 0));
    backlog.ran(later);
    assertThat(backlog.silentUntil(later)).isEqualTo(later);
  }

  /**
   * Broken from outside (OpenTransactionBreakIT): a producer's open transaction holds the last
   * stable offset back, and records written after its first one, by any producer, wait behind it. A
   * task read to the last stable offset is not caught up while the high watermark lies beyond.
   */
  @Test
  void anOpenTransactionOnAnInputMeansRecordsWaitBehindIt() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    backlog.record(TOOLS, 4, T, T);
    for (long at = T; at <= T + 10 * FIRST_QUIET; at += 1_000) {
      broker.set(
          new InputOffsets.Snapshot(
              at,
              Map.of(
                  TOOLS, new InputOffsets.Position(0, 5, 12, -1, T, 0),
                  EVENTS, new InputOffsets.Position(0, 0, -1, T),
                  TURNS, new InputOffsets.Position(0, 0, -1, T))));
      backlog.ran(at);
      assertThat(backlog.silentUntil(at)).as("at %d", at - T).isEqualTo(Backlog.NEVER);
    }
    long at = T + 10 * FIRST_QUIET + 1_000;
    broker.set(
        new InputOffsets.Snapshot(
            at,
            Map.of(
                TOOLS, new InputOffsets.Position(0, 5, 5, -1, T, 0),
                EVENTS, new InputOffsets.Position(0, 0, -1, T),
                TURNS, new InputOffsets.Position(0, 0, -1, T))));
    assertThat(backlog.silentUntil(at)).as("the transaction ended").isEqualTo(at);
  }

  /**
   * Under steady load a consumer is always a little behind the newest snapshot: it trusts silence
   * up to the newest snapshot whose ends it has processed, not only the latest (which would leave
   * every close to record time, and to the producers' clocks).
   */
  @Test
  void aConsumerSteadilyBehindTrustsSilenceUpToTheNewestSnapshotItHasRead() {
    java.util.List<InputOffsets.Snapshot> beats = new java.util.ArrayList<>();
    for (int beat = 4; beat >= 0; beat--) { // newest first: ends 140, 130, ..., 100
      long at = T - beat * 250L;
      beats.add(0, ends(at, 100 + 10 * (4 - beat), 0, 0));
    }
    InputOffsets broker =
        new InputOffsets() {
          @Override
          public InputOffsets.Snapshot at(int partition) {
            return beats.get(0);
          }

          @Override
          public java.util.List<InputOffsets.Snapshot> recent(int partition) {
            return beats;
          }
        };
    Backlog backlog = new Backlog(QUIET, FIRST_QUIET, BLACKOUT, T - 5_000, 3, broker, 0);
    backlog.record(TOOLS, 119, T, T);
    assertThat(backlog.silentUntil(T))
        .as("read to 120: the snapshot of T - 500")
        .isEqualTo(T - 500);
    backlog.record(TOOLS, 139, T + 10, T + 10);
    assertThat(backlog.silentUntil(T + 10)).isEqualTo(T);
  }

  /** A restarted task whose first fetch has not come: no lag known, so nothing is trusted. */
  @Test
  void aTaskWhoseFirstFetchHasNotComeTrustsNothingEvenWhenTheEndsStandStill() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    for (long at = T; at <= T + 10 * FIRST_QUIET; at += 1_000) {
      broker.set(skipped(at, T - 3_600_000, 9_000, -1));
      backlog.ran(at);
      assertThat(backlog.silentUntil(at)).isEqualTo(Backlog.NEVER);
    }
  }

  @Test
  void aStaleOrMissingSnapshotLeavesTheTaskToJudgeAlone() {
    AtomicReference<InputOffsets.Snapshot> broker = new AtomicReference<>();
    Backlog backlog = knowing(broker);
    backlog.record(TOOLS, 0, T, T);
    backlog.ran(T + QUIET);
    assertThat(backlog.silentUntil(T + QUIET)).as("no snapshot yet").isEqualTo(T + QUIET);
    broker.set(ends(T, 900, 0, 0));
    assertThat(backlog.silentUntil(T + QUIET)).isEqualTo(Backlog.NEVER);
    long later = T + Backlog.STALE + 1;
    backlog.ran(later);
    assertThat(backlog.silentUntil(later)).as("stale").isEqualTo(later);
    broker.set(
        new InputOffsets.Snapshot(
            later, Map.of(TOOLS, new InputOffsets.Position(0, 1, -1, later))));
    assertThat(backlog.silentUntil(later)).as("an input missing").isEqualTo(Backlog.NEVER);
  }
}
