package dev.bluejaybridge.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ProgressWaitTest {
  /** Time that moves only when the wait pauses. */
  private static final class FakeTime {
    long nanos = 1_000_000_000_000L;

    long now() {
      return nanos;
    }

    void pause(Duration d) {
      nanos += d.toNanos();
    }

    long elapsedSeconds(long since) {
      return Duration.ofNanos(nanos - since).toSeconds();
    }
  }

  private final FakeTime time = new FakeTime();
  private final long start = time.nanos;

  private ProgressWait waitFor(long expected) {
    return ProgressWait.forCount(expected, "records", time::now, time::pause)
        .stallWindow(Duration.ofSeconds(30))
        .perItem(Duration.ofSeconds(10))
        .pollEvery(Duration.ofMillis(100));
  }

  /** A source that has {@code count} after every {@code every} since the start, up to a cap. */
  private long countAt(Duration every, long cap) {
    return Math.min(cap, (time.nanos - start) / every.toNanos());
  }

  @Test
  void aCountAlreadyReachedReturnsAtOnceWithoutPausing() {
    assertThat(waitFor(5).until(() -> 7)).isEqualTo(7);
    assertThat(time.nanos).isEqualTo(start);
  }

  @Test
  void nothingExpectedReturnsAtOnce() {
    assertThat(waitFor(0).until(() -> 0)).isZero();
  }

  @Test
  void aStalledSourceFailsAfterTheStallWindowSayingWhatItSaw() {
    AtomicInteger looks = new AtomicInteger();
    // 3 at once, then never more.
    assertThatThrownBy(() -> waitFor(500).until(() -> looks.incrementAndGet() > 0 ? 3 : 0))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("waited for 500 records")
        .hasMessageContaining("saw 3")
        .hasMessageContaining("no progress for 30.0 s");
    // Not before the window, and not long after (one poll interval at most).
    assertThat(time.nanos - start)
        .isGreaterThanOrEqualTo(Duration.ofSeconds(30).toNanos())
        .isLessThanOrEqualTo(Duration.ofMillis(30_100).toNanos());
  }

  @Test
  void theStallWindowCountsFromTheLastAdvanceNotFromTheStart() {
    // 10 records after 100 s at one per 10 s, then nothing.
    assertThatThrownBy(() -> waitFor(500).until(() -> countAt(Duration.ofSeconds(10), 10)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("saw 10")
        .hasMessageContaining("no progress for 30.0 s")
        .hasMessageContaining("130.0 s in all");
    assertThat(time.elapsedSeconds(start)).isEqualTo(130);
  }

  @Test
  void aSlowButProgressingSourcePassesLongAfterAnyFixedWindow() {
    // One record every 25 s: each gap within the 30 s window; 20 take 500 s, within the ceiling of
    // 30 s + 20 × 30 s.
    long seen =
        waitFor(20)
            .perItem(Duration.ofSeconds(30))
            .until(() -> countAt(Duration.ofSeconds(25), Long.MAX_VALUE));

    assertThat(seen).isEqualTo(20);
    assertThat(time.elapsedSeconds(start)).isEqualTo(500);
  }

  @Test
  void aSourceThatStallsLongerThanTheWindowOnceFailsEvenIfItWouldGoOn() {
    // One record every 31 s: each gap is longer than the 30 s window.
    assertThatThrownBy(
            () -> waitFor(20).until(() -> countAt(Duration.ofSeconds(31), Long.MAX_VALUE)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("saw 0")
        .hasMessageContaining("no progress for 30.0 s");
  }

  @Test
  void theCeilingIsTheStallWindowPlusThePerItemBudgetForEachThing() {
    assertThat(waitFor(100).ceiling()).isEqualTo(Duration.ofSeconds(30 + 100 * 10));
    assertThat(ProgressWait.forCount(500, "calls").ceiling())
        .isEqualTo(ProgressWait.DEFAULT_STALL_WINDOW.plus(Duration.ofSeconds(500)));
  }

  @Test
  void theCeilingAppliesToASourceThatProgressesTooSlowly() {
    // One record every 20 s never stalls a 30 s window, but 100 would take 2000 s; the ceiling is
    // 30 s + 100 × 10 s.
    assertThatThrownBy(
            () -> waitFor(100).until(() -> countAt(Duration.ofSeconds(20), Long.MAX_VALUE)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("waited for 100 records")
        .hasMessageContaining("saw 51 after 1030.0 s, the ceiling")
        .hasMessageContaining("still progressing");
    assertThat(time.elapsedSeconds(start)).isEqualTo(1030);
  }

  @Test
  void aCountThatGoesBackDoesNotCountAsProgress() {
    AtomicInteger looks = new AtomicInteger();
    // 5, 4, 5, 4, ...: moves, but never beyond 5.
    assertThatThrownBy(() -> waitFor(10).until(() -> looks.incrementAndGet() % 2 == 0 ? 4 : 5))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("saw 5")
        .hasMessageContaining("no progress for 30.0 s");
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> ProgressWait.forCount(-1, "records"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> waitFor(1).stallWindow(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> waitFor(1).perItem(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
