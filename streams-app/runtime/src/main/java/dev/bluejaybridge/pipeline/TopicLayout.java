package dev.bluejaybridge.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Checks, before Kafka Streams starts, that the input topics exist and have the same number of
 * partitions: one call's records must meet in one task. The failure names each topic and its count.
 */
public final class TopicLayout {
  private TopicLayout() {}

  /** Thrown when the input topics cannot be joined per call. */
  public static final class TopicLayoutException extends RuntimeException {
    TopicLayoutException(String message) {
      super(message);
    }
  }

  /**
   * Checks that the topics the pipeline writes to exist (Kafka Streams does not create them).
   *
   * @throws TopicLayoutException naming the missing ones
   */
  public static void requireExist(Admin admin, Collection<String> topics, Duration timeout) {
    List<String> missing = new ArrayList<>();
    Map<String, KafkaFuture<TopicDescription>> futures =
        admin.describeTopics(topics).topicNameValues();
    for (String topic : topics) {
      describe(futures, topic, timeout).ifPresentOrElse(d -> {}, () -> missing.add(topic));
    }
    if (!missing.isEmpty()) {
      throw new TopicLayoutException("output topics do not exist: " + String.join(", ", missing));
    }
  }

  private static Optional<TopicDescription> describe(
      Map<String, KafkaFuture<TopicDescription>> futures, String topic, Duration timeout) {
    try {
      return Optional.of(futures.get(topic).get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw new TopicLayoutException(
          "cannot describe topic " + topic + ": " + e.getCause().getMessage());
    } catch (TimeoutException e) {
      throw new TopicLayoutException(
          "cannot describe topic "
              + topic
              + " within "
              + timeout.toMillis()
              + " ms: is Kafka reachable?");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TopicLayoutException("interrupted while describing topic " + topic);
    }
  }

  /**
   * Returns the common partition count.
   *
   * @throws TopicLayoutException naming missing topics, or every topic with its count
   */
  public static int requireCoPartitioned(Admin admin, Collection<String> topics, Duration timeout) {
    Map<String, KafkaFuture<TopicDescription>> futures =
        admin.describeTopics(topics).topicNameValues();
    Map<String, Integer> counts = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String topic : topics) {
      describe(futures, topic, timeout)
          .ifPresentOrElse(d -> counts.put(topic, d.partitions().size()), () -> missing.add(topic));
    }
    if (!missing.isEmpty()) {
      throw new TopicLayoutException("input topics do not exist: " + String.join(", ", missing));
    }
    if (counts.values().stream().distinct().count() > 1) {
      StringBuilder listing = new StringBuilder();
      counts.forEach(
          (topic, count) ->
              listing
                  .append(listing.isEmpty() ? "" : ", ")
                  .append(topic)
                  .append('=')
                  .append(count));
      throw new TopicLayoutException(
          "input topics must have the same number of partitions (records of one call must meet in one"
              + " task), but they have: "
              + listing);
    }
    return counts.values().iterator().next();
  }
}
