package dev.bluejaybridge.delivery;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's share of the cluster-wide quota ({@code delivery.rate-limit-per-minute}): the
 * quota times the fraction of input partitions this instance owns. Instances need no coordination,
 * and the shares add up to the quota. Recomputed whenever a task is assigned or revoked.
 *
 * <p>The limiter is a Bucket4j bucket refilled greedily, so requests are spaced evenly; its
 * capacity is twice what one dispatch tick can use (1 for any share up to 1200 a minute), and its
 * refill is lowered by the capacity's slack, so no 60-second window ever holds more than the share,
 * however the windows are placed. Time comes from an injected clock.
 */
public final class RateShare {
  private static final Logger LOGGER = LoggerFactory.getLogger(RateShare.class);

  private final int quotaPerMinute;
  private final TimeMeter time;
  private final Set<Integer> ownedPartitions = new HashSet<>();
  private int totalPartitions;
  private Bucket bucket;
  private double perMinute;

  public RateShare(int quotaPerMinute, Clock clock) {
    this.quotaPerMinute = quotaPerMinute;
    this.time = new ClockTimeMeter(clock);
  }

  /** The partition count of the input topics (the same for all three). */
  public synchronized void setTotalPartitions(int totalPartitions) {
    this.totalPartitions = totalPartitions;
    recompute();
  }

  public synchronized void partitionAssigned(int partition) {
    if (ownedPartitions.add(partition)) {
      recompute();
    }
  }

  public synchronized void partitionRevoked(int partition) {
    if (ownedPartitions.remove(partition)) {
      recompute();
    }
  }

  /** Requests per minute this instance may send now. */
  public synchronized double perMinute() {
    return perMinute;
  }

  /** Takes one request's worth of quota if there is one now; never waits. */
  public synchronized boolean tryAcquire() {
    return bucket != null && bucket.tryConsume(1);
  }

  private void recompute() {
    int owned = ownedPartitions.size();
    double share =
        totalPartitions <= 0
            ? 0
            : quotaPerMinute * (double) Math.min(owned, totalPartitions) / totalPartitions;
    if (share == perMinute) {
      return;
    }
    perMinute = share;
    LOGGER.info(
        "rate share changed per_minute={} owned_partitions={} total_partitions={} quota={}",
        String.format("%.2f", share),
        owned,
        totalPartitions,
        quotaPerMinute);
    if (share <= 0) {
      bucket = null;
      return;
    }
    // Capacity: twice what one dispatch tick can use, so a high share is not capped by the tick
    // (nor lost when a tick comes late). A bucket of capacity k lets k-1 more than its refill
    // through in a window, so the refill is lowered by k-1: no 60-second window ever holds more
    // than the share, as counted where the requests leave.
    //
    // At least 2 from 20 a minute up: the punctuation that takes tokens runs late whenever the
    // stream thread waits in poll (poll.ms, 100 ms by default) or commits, and a bucket of 1 throws
    // away every such delay (measured, bench P4: two instances sharing 600/min sent 424/min). Below
    // 20 a minute a token comes every 3 s or more, so the loss is small and the lowered refill is
    // not worth it.
    double perTick = share * OutboxProcessor.TICK.toMillis() / 60_000.0;
    long capacity = Math.max(share >= 20 ? 2 : 1, (long) Math.ceil(2 * perTick));
    // From 20 a minute up, one more token a minute is held back: two requests that leave 60 s
    // apart can arrive at Bluejay less than 60 s apart (measured, bench P4: 601 in one 60-s window
    // at the receiver for a quota of 600). It costs at most 5 % of a share of 20, 1 % of 100.
    double refillPerMinute = share - (capacity - 1) - (share >= 20 ? 1 : 0);
    long nanosPerRequest = (long) Math.ceil(Duration.ofMinutes(1).toNanos() / refillPerMinute);
    BucketConfiguration configuration =
        BucketConfiguration.builder()
            .addLimit(
                Bandwidth.builder()
                    .capacity(capacity)
                    .refillGreedy(1, Duration.ofNanos(nanosPerRequest))
                    .initialTokens(0)
                    .build())
            .build();
    if (bucket == null) {
      bucket =
          Bucket.builder()
              .addLimit(configuration.getBandwidths()[0])
              .withCustomTimePrecision(time)
              .build();
    } else {
      bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
    }
  }

  private record ClockTimeMeter(Clock clock) implements TimeMeter {
    @Override
    public long currentTimeNanos() {
      return Math.multiplyExact(clock.millis(), 1_000_000L);
    }

    @Override
    public boolean isWallClockBased() {
      return true;
    }
  }
}
