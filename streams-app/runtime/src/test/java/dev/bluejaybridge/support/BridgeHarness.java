package dev.bluejaybridge.support;

import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.app.BridgeApp;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * One scenario's worth of the whole application on a real broker: its own topics (prefixed), its
 * own in-process registry, and {@link BridgeApp} started as {@code run} starts it.
 */
public final class BridgeHarness implements AutoCloseable {
  private final KafkaTestCluster kafka;
  private final Path dir;
  private final String prefix;
  private final String registryName;
  private final SchemaRegistry registry;

  private BridgeHarness(KafkaTestCluster kafka, Path dir, String prefix) {
    this.kafka = kafka;
    this.dir = dir;
    this.prefix = prefix;
    this.registryName = prefix + "-" + UUID.randomUUID();
    this.registry =
        SchemaRegistries.create(
            "mock://" + registryName, java.util.Optional.empty(), Duration.ofSeconds(5));
  }

  /**
   * Creates the topics ({@code partitions} per input topic, one per output topic), each with {@code
   * topicConfigs}.
   */
  public static BridgeHarness create(
      KafkaTestCluster kafka,
      Path dir,
      String prefix,
      int partitions,
      Map<String, String> topicConfigs)
      throws Exception {
    BridgeHarness harness = new BridgeHarness(kafka, dir, prefix);
    Map<String, Integer> topics = new HashMap<>();
    for (String input : List.of("tool-calls", "events", "transcripts")) {
      topics.put(harness.topic(input), partitions);
    }
    for (String output : List.of("input-dlq", "delivery-dlq", "receipts")) {
      topics.put(harness.topic(output), 1);
    }
    kafka.createTopics(topics, topicConfigs);
    return harness;
  }

  /** {@code <prefix>.<name>}, e.g. {@code topic("input-dlq")}. */
  public String topic(String name) {
    return prefix + "." + name;
  }

  public String prefix() {
    return prefix;
  }

  public SchemaRegistry registry() {
    return registry;
  }

  /**
   * The settings of a test run against {@code bluejay}: short gaps, no rate limit to speak of, an
   * admin port picked by the OS. Change what the scenario needs.
   */
  public Map<String, String> settings(BluejayStandIn bluejay, String apiKey, String stateDir) {
    Map<String, String> settings = new HashMap<>();
    settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    settings.put("kafka.application.id", prefix + "-app");
    settings.put("kafka.state.dir", dir.resolve(stateDir).toString());
    settings.put("schema.registry.url", "mock://" + registryName);
    settings.put("topics.tool-calls", topic("tool-calls"));
    settings.put("topics.events", topic("events"));
    settings.put("topics.transcripts", topic("transcripts"));
    settings.put("topics.input-dlq", topic("input-dlq"));
    settings.put("topics.delivery-dlq", topic("delivery-dlq"));
    settings.put("topics.delivery-receipts", topic("receipts"));
    // The three topics of a partition are read in step within this grace (see ReconciliationIT).
    settings.put("call.end-grace", "3s");
    settings.put("call.inactivity-gap", "60s");
    settings.put("delivery.rate-limit-per-minute", "100000");
    settings.put("bluejay.base-url", bluejay.baseUrl().toString());
    settings.put("bluejay.api-key", apiKey);
    settings.put("admin.port", "0");
    return settings;
  }

  /** Starts the application and waits until Kafka Streams runs. */
  public BridgeApp start(Map<String, String> settings, MeterRegistry meters) {
    BridgeApp app = BridgeApp.start(ConfigLoader.parse(settings), meters, Clock.systemUTC());
    try {
      await("Kafka Streams RUNNING")
          .atMost(Duration.ofSeconds(120))
          .until(() -> app.state() == KafkaStreams.State.RUNNING);
    } catch (RuntimeException e) {
      app.close();
      throw e;
    }
    return app;
  }

  /** A producer of telemetry through the registry (schemas registered on first use). */
  public KafkaProducer<String, SpecificRecord> producer() {
    return new KafkaProducer<>(
        Map.of(
            "bootstrap.servers", kafka.bootstrapServers(),
            "linger.ms", "5",
            "max.request.size", String.valueOf(8 * 1024 * 1024)),
        new StringSerializer(),
        new AvroSerializer<>(registry, true));
  }

  /** A producer of raw bytes, for values that are not what they should be. */
  public KafkaProducer<String, byte[]> rawProducer() {
    return new KafkaProducer<>(
        Map.of(
            "bootstrap.servers", kafka.bootstrapServers(),
            "max.request.size", String.valueOf(8 * 1024 * 1024)),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  /**
   * Reads {@code count} records of {@code <prefix>.<name>} (while they keep arriving: {@link
   * KafkaTestCluster#awaitRecords}).
   */
  public List<ConsumerRecord<String, String>> awaitRecords(String name, int count) {
    return kafka.awaitRecords(topic(name), count);
  }

  @Override
  public void close() {
    registry.close();
    SchemaRegistries.dropMock(registryName);
  }
}
