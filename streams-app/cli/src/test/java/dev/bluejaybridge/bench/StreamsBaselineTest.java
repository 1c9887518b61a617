package dev.bluejaybridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.telemetry.TelemetryTopics;
import dev.bluejaybridge.telemetry.Topic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * P1's baseline (c) does what the bench says it does (issue 14 item 1): it reads the three input
 * topics through the project's Avro serdes and keeps one count per call id in one changelogged
 * store, counting every record it processed.
 */
class StreamsBaselineTest {
  private static final String REGISTRY = "streams-baseline-test";

  @TempDir Path dir;

  @AfterEach
  void dropRegistry() {
    SchemaRegistries.dropMock(REGISTRY);
  }

  @Test
  void countsEveryRecordOfTheThreeTopicsPerCallIdInOneChangeloggedStore() {
    SchemaRegistry registry =
        SchemaRegistries.create(
            SchemaRegistries.MOCK_SCHEME + REGISTRY, Optional.empty(), Duration.ofSeconds(1));
    BridgeConfig.Topics names =
        new BridgeConfig.Topics(
            "b.tool-calls",
            "b.events",
            "b.transcripts",
            "b.input-dlq",
            "b.delivery-dlq",
            Optional.empty(),
            "b.webhook-events",
            "b.webhook-deliveries");
    TelemetryTopics topics = TelemetryTopics.create(names, registry, true);
    AtomicLong processed = new AtomicLong();
    Properties properties = new Properties();
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, "baseline");
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    properties.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    BenchData data = new BenchData(1);

    try (TopologyTestDriver driver =
        new TopologyTestDriver(StreamsBaseline.topology(topics, processed, 2, 5), properties)) {
      pipe(driver, topics.toolCalls(), "c1", data.toolCall("c1", "", 10));
      pipe(driver, topics.events(), "c1", data.event("c1", "", 20, false));
      pipe(driver, topics.transcripts(), "c2", data.turn("c2", "", 30));
      pipe(driver, topics.toolCalls(), "c2", data.toolCall("c2", "", 40));
      pipe(driver, topics.events(), "c1", data.event("c1", "", 50, true));

      KeyValueStore<String, Long> counts = driver.getKeyValueStore(StreamsBaseline.STORE);
      assertThat(counts.get("c1")).isEqualTo(3);
      assertThat(counts.get("c2")).isEqualTo(2);
      assertThat(processed).hasValue(5);
      assertThat(driver.producedTopicNames()).contains("baseline-counts-changelog");
    }
  }

  private static <V> void pipe(TopologyTestDriver driver, Topic<String, V> topic, String key, V v) {
    driver
        .createInputTopic(topic.name(), topic.key().serializer(), topic.value().serializer())
        .pipeInput(key, v);
  }
}
