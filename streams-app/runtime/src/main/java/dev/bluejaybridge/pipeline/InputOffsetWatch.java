package dev.bluejaybridge.pipeline;

import dev.bluejaybridge.aggregate.InputOffsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the broker, every {@link InputOffsets#EVERY}, how far each input partition has been written
 * (its last stable offset, as a read-committed consumer sees it, and its high watermark), where its
 * log starts, and how far this application has committed; the aggregation's tasks compare it with
 * what they processed ({@link InputOffsets}). One small request of each kind per interval for the
 * whole instance, on its own thread: a stream thread never waits for it.
 */
final class InputOffsetWatch implements InputOffsets, AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(InputOffsetWatch.class);

  private final Admin admin;
  private final String groupId;
  private final List<String> topics;
  private final int partitions;
  private final Clock clock;
  private final Duration timeout;
  private final ScheduledExecutorService thread;
  private volatile Map<Integer, List<Snapshot>> snapshots = Map.of();
  private volatile Supplier<Map<MetricName, ? extends Metric>> consumerMetrics = Map::of;
  private boolean failing;

  /**
   * @param admin closed with the watch
   * @param groupId the application id (the consumer group whose commits count)
   * @param topics the input topics, co-partitioned
   * @param partitions their partition count
   */
  InputOffsetWatch(
      Admin admin,
      String groupId,
      List<String> topics,
      int partitions,
      Clock clock,
      Duration timeout) {
    this.admin = admin;
    this.groupId = groupId;
    this.topics = List.copyOf(topics);
    this.partitions = partitions;
    this.clock = clock;
    this.timeout = timeout;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread t = new Thread(runnable, "input-offsets");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts asking every {@link InputOffsets#EVERY}, on the beat (a slow answer delays one). */
  InputOffsetWatch start() {
    thread.scheduleAtFixedRate(this::refreshQuietly, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Where the consumers' metrics come from (Kafka Streams' own, once it exists): each snapshot
   * takes from them how far behind its end each input partition was at its latest fetch ({@code
   * records-lag}), which tells records the consumer skipped at the end (transaction markers,
   * aborted transactions) from records still to fetch.
   */
  InputOffsetWatch consumerMetrics(Supplier<Map<MetricName, ? extends Metric>> metrics) {
    this.consumerMetrics = metrics;
    return this;
  }

  @Override
  public Snapshot at(int partition) {
    List<Snapshot> recent = recent(partition);
    return recent.isEmpty() ? null : recent.get(0);
  }

  @Override
  public List<Snapshot> recent(int partition) {
    return snapshots.getOrDefault(partition, List.of());
  }

  private void refreshQuietly() {
    try {
      refresh();
      if (failing) {
        LOGGER.info("input offsets known again");
        failing = false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      if (!failing) {
        // Tasks fall back on judging a backlog from the records they see (Backlog) once the last
        // snapshot grows stale.
        LOGGER.warn(
            "input offsets unknown: the broker did not answer; retrying every {} error=\"{}\"",
            EVERY,
            e instanceof ExecutionException ? e.getCause() : e);
        failing = true;
      }
    }
  }

  /** Takes one snapshot of every input partition. */
  void refresh() throws InterruptedException, ExecutionException, TimeoutException {
    long asOf = clock.millis();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    for (String topic : topics) {
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
      }
    }
    ListOffsetsOptions committedOnly = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
    ListOffsetsResult ends = admin.listOffsets(latest, committedOnly);
    ListOffsetsResult starts = admin.listOffsets(earliest, committedOnly);
    ListOffsetsResult highWatermarks =
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED));
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(groupId)
            .partitionsToOffsetAndMetadata()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end =
        ends.all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start =
        starts.all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> written =
        highWatermarks.all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, Long> lags = consumerLags();
    Map<Integer, List<Snapshot>> previous = snapshots;
    Map<Integer, List<Snapshot>> next = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      Map<String, Position> positions = new HashMap<>();
      for (String topic : topics) {
        TopicPartition tp = new TopicPartition(topic, p);
        long endOffset = end.get(tp).offset();
        OffsetAndMetadata commit = committed.get(tp);
        List<Snapshot> kept = previous.getOrDefault(p, List.of());
        Snapshot before = kept.isEmpty() ? null : kept.get(0);
        Position was = before == null ? null : before.positions().get(topic);
        long endSince = was != null && was.end() == endOffset ? was.endSince() : asOf;
        positions.put(
            topic,
            new Position(
                start.get(tp).offset(),
                endOffset,
                Math.max(endOffset, written.get(tp).offset()),
                commit == null ? -1 : commit.offset(),
                endSince,
                lags.getOrDefault(tp, -1L)));
      }
      List<Snapshot> kept = previous.getOrDefault(p, List.of());
      List<Snapshot> recent = new ArrayList<>(Math.min(kept.size() + 1, KEPT));
      recent.add(new Snapshot(asOf, positions));
      recent.addAll(kept.subList(0, Math.min(kept.size(), KEPT - 1)));
      next.put(p, List.copyOf(recent));
    }
    snapshots = Map.copyOf(next);
  }

  /**
   * The latest {@code records-lag} of each input partition a consumer of this instance fetches
   * (consumer-fetch-manager-metrics, tagged with topic and partition; some client versions write
   * the topic with '.' as '_').
   */
  private Map<TopicPartition, Long> consumerLags() {
    Map<String, String> byTag = new HashMap<>();
    for (String topic : topics) {
      byTag.put(topic, topic);
      byTag.putIfAbsent(topic.replace('.', '_'), topic);
    }
    Map<TopicPartition, Long> lags = new HashMap<>();
    for (Map.Entry<MetricName, ? extends Metric> entry : consumerMetrics.get().entrySet()) {
      MetricName name = entry.getKey();
      if (!"records-lag".equals(name.name())
          || !"consumer-fetch-manager-metrics".equals(name.group())) {
        continue;
      }
      String topic = byTag.get(name.tags().get("topic"));
      String partition = name.tags().get("partition");
      if (topic == null || partition == null) {
        continue;
      }
      Object value = entry.getValue().metricValue();
      if (value instanceof Number lag && Double.isFinite(lag.doubleValue())) {
        lags.merge(
            new TopicPartition(topic, Integer.parseInt(partition)),
            (long) lag.doubleValue(),
            Math::max);
      }
    }
    return lags;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    admin.close(timeout);
  }
}
