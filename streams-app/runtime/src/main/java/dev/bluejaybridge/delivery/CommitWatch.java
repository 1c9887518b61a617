package dev.bluejaybridge.delivery;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * Tells whether the stream thread committed since a moment: Kafka Streams' own thread metric {@code
 * stream-thread-metrics commit-total}, which counts only commits that went through. A commit that
 * {@code context.commit()} asks for does not happen while a rebalance is in progress (Kafka Streams
 * skips it), so "asked" is not "done": a simulated call's POST waits until its in-flight mark is
 * surely committed.
 */
interface CommitWatch {
  /** What {@link #commits()} answers when the thread's commits cannot be counted. */
  long UNKNOWN = -1;

  /** Commits of the current stream thread so far, or {@link #UNKNOWN}. */
  long commits();

  /**
   * True when a commit went through after {@code before} (a value of {@link #commits()}); true when
   * commits cannot be counted (a TopologyTestDriver commits after each step).
   */
  default boolean committedSince(long before) {
    long now = commits();
    return before == UNKNOWN || now == UNKNOWN || now > before;
  }

  /** Reads the thread metric of the thread that asks, from the task's {@code metrics}. */
  static CommitWatch threadMetric(StreamsMetrics metrics) {
    return new CommitWatch() {
      private String thread;
      private Metric metric;

      @Override
      public long commits() {
        String name = Thread.currentThread().getName();
        if (!name.equals(thread)) {
          thread = name;
          metric = find(metrics.metrics(), name);
        }
        if (metric == null) {
          return UNKNOWN;
        }
        Object value = metric.metricValue();
        return value instanceof Number number ? (long) number.doubleValue() : UNKNOWN;
      }
    };
  }

  private static Metric find(Map<MetricName, ? extends Metric> all, String thread) {
    for (Map.Entry<MetricName, ? extends Metric> entry : all.entrySet()) {
      MetricName name = entry.getKey();
      if ("commit-total".equals(name.name())
          && "stream-thread-metrics".equals(name.group())
          && thread.equals(name.tags().get("thread-id"))) {
        return entry.getValue();
      }
    }
    return null;
  }
}
