package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.testkit.MutableClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateShareTest {
  private static final long TICK_MS = 25;

  @Test
  void halfThePartitionsGetHalfTheQuotaAndNoMinuteEverHoldsMore() {
    MutableClock clock = new MutableClock();
    RateShare share = new RateShare(100, clock);
    share.setTotalPartitions(6);
    share.partitionAssigned(0);
    share.partitionAssigned(2);
    share.partitionAssigned(4);
    assertThat(share.perMinute()).isEqualTo(50.0);

    // Work is always queued: every tick asks for as many permits as it can get, for 10 minutes.
    List<Long> sent = new ArrayList<>();
    for (long t = 0; t <= Duration.ofMinutes(10).toMillis(); t += TICK_MS) {
      clock.setMillis(t);
      while (share.tryAcquire()) {
        sent.add(t);
      }
    }

    Deque<Long> window = new ArrayDeque<>();
    int max = 0;
    for (long t : sent) {
      window.addLast(t);
      while (window.peekFirst() <= t - 60_000) {
        window.removeFirst();
      }
      max = Math.max(max, window.size());
    }
    assertThat(max).as("most requests in any 60 s window").isLessThanOrEqualTo(50);
    for (long start = 0; start + 60_000 <= Duration.ofMinutes(10).toMillis(); start += 1_000) {
      long from = start;
      long inWindow = sent.stream().filter(t -> t >= from && t < from + 60_000).count();
      assertThat(inWindow)
          .as("requests in [%d, %d) ms", from, from + 60_000)
          .isGreaterThanOrEqualTo(45);
    }
  }

  /** Issue 8 (bench P4): ticks that come late must not cost quota. */
  @Test
  void lateTicksLoseNoQuotaNorExceedTheShare() {
    MutableClock clock = new MutableClock();
    RateShare share = new RateShare(600, clock);
    share.setTotalPartitions(6);
    share.partitionAssigned(0);
    share.partitionAssigned(1);
    share.partitionAssigned(2);

    // The stream thread waits in poll (100 ms) and processes: a tick every 130 ms, not 25 ms.
    List<Long> sent = new ArrayList<>();
    for (long t = 0; t <= Duration.ofMinutes(5).toMillis(); t += 130) {
      clock.setMillis(t);
      while (share.tryAcquire()) {
        sent.add(t);
      }
    }

    for (long start = 0; start + 60_000 <= Duration.ofMinutes(5).toMillis(); start += 1_000) {
      long from = start;
      long inWindow = sent.stream().filter(t -> t >= from && t < from + 60_000).count();
      // at most 299: one a minute held back against arrival jitter at Bluejay
      assertThat(inWindow).as("requests in [%d, %d) ms", from, from + 60_000).isBetween(290L, 299L);
    }
  }

  @Test
  void aHighShareIsNotCappedAtOneRequestPerTickNorExceeded() {
    MutableClock clock = new MutableClock();
    RateShare share = new RateShare(6_000, clock);
    share.setTotalPartitions(1);
    share.partitionAssigned(0);

    List<Long> sent = new ArrayList<>();
    for (long t = 0; t <= Duration.ofMinutes(3).toMillis(); t += TICK_MS) {
      clock.setMillis(t);
      while (share.tryAcquire()) {
        sent.add(t);
      }
    }

    for (long start = 0; start + 60_000 <= Duration.ofMinutes(3).toMillis(); start += 500) {
      long from = start;
      long inWindow = sent.stream().filter(t -> t >= from && t < from + 60_000).count();
      assertThat(inWindow)
          .as("requests in [%d, %d) ms", from, from + 60_000)
          .isBetween(5_700L, 6_000L);
    }
  }

  @Test
  void shareFollowsRebalancesAndSharesAddUpToTheQuota() {
    MutableClock clock = new MutableClock();
    RateShare a = new RateShare(100, clock);
    RateShare b = new RateShare(100, clock);
    a.setTotalPartitions(6);
    b.setTotalPartitions(6);
    for (int p = 0; p < 6; p++) {
      (p < 4 ? a : b).partitionAssigned(p);
    }
    assertThat(a.perMinute() + b.perMinute()).isEqualTo(100.0);

    b.partitionRevoked(4);
    b.partitionRevoked(5);
    a.partitionAssigned(4);
    a.partitionAssigned(5);

    assertThat(a.perMinute()).isEqualTo(100.0);
    assertThat(b.perMinute()).isZero();
    assertThat(b.tryAcquire()).as("no partitions, no quota").isFalse();
  }
}
