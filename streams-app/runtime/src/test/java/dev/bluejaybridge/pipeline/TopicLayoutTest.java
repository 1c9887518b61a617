package dev.bluejaybridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.MockAdminClient;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

class TopicLayoutTest {
  private static final Node BROKER = new Node(0, "localhost", 9092);
  private static final List<String> INPUTS =
      List.of("calls.tool-calls", "calls.events", "calls.transcripts");

  private static MockAdminClient adminWith(int toolCalls, int events, int transcripts) {
    MockAdminClient admin = new MockAdminClient(List.of(BROKER), BROKER);
    addTopic(admin, "calls.tool-calls", toolCalls);
    addTopic(admin, "calls.events", events);
    addTopic(admin, "calls.transcripts", transcripts);
    return admin;
  }

  private static void addTopic(MockAdminClient admin, String name, int partitions) {
    if (partitions > 0) {
      admin.addTopic(
          false,
          name,
          IntStream.range(0, partitions)
              .mapToObj(p -> new TopicPartitionInfo(p, BROKER, List.of(BROKER), List.of(BROKER)))
              .toList(),
          Map.of());
    }
  }

  @Test
  void acceptsCoPartitionedTopics() {
    try (MockAdminClient admin = adminWith(6, 6, 6)) {
      assertThat(TopicLayout.requireCoPartitioned(admin, INPUTS, Duration.ofSeconds(5)))
          .isEqualTo(6);
    }
  }

  @Test
  void refusesDifferentPartitionCountsNamingEachTopicAndCount() {
    try (MockAdminClient admin = adminWith(6, 3, 6)) {
      assertThatThrownBy(
              () -> TopicLayout.requireCoPartitioned(admin, INPUTS, Duration.ofSeconds(5)))
          .isInstanceOf(TopicLayout.TopicLayoutException.class)
          .hasMessageContaining("same number of partitions")
          .hasMessageContaining("calls.tool-calls=6")
          .hasMessageContaining("calls.events=3")
          .hasMessageContaining("calls.transcripts=6");
    }
  }

  @Test
  void refusesMissingTopicsNamingThem() {
    try (MockAdminClient admin = adminWith(6, 0, 0)) {
      assertThatThrownBy(
              () -> TopicLayout.requireCoPartitioned(admin, INPUTS, Duration.ofSeconds(5)))
          .hasMessageContaining("do not exist")
          .hasMessageContaining("calls.events")
          .hasMessageContaining("calls.transcripts");
    }
  }
}
