package dev.bluejaybridge.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

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
}
