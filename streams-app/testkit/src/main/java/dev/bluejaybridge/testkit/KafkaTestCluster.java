package dev.bluejaybridge.testkit;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real one-node KRaft broker (combined broker and controller), in process, configured so that
 * exactly-once works on one node. Started directly ({@link #start()}, {@link #start(Path)}) or as a
 * JUnit 5 extension that starts it before the class's first test and stops it after its last:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
 * }</pre>
 */
public final class KafkaTestCluster implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
  private static final Logger LOGGER = LoggerFactory.getLogger(KafkaTestCluster.class);

  private volatile KafkaClusterTestKit cluster;

  private KafkaTestCluster(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Starts a broker with its data in a new temporary directory (removed on close). */
  public static KafkaTestCluster start() throws Exception {
    return new KafkaTestCluster(startCluster(null));
  }

  /**
   * Starts a broker with its data under {@code dir} (removed on close), and waits until it is
   * ready.
   */
  public static KafkaTestCluster start(Path dir) throws Exception {
    return new KafkaTestCluster(startCluster(dir));
  }

  /**
   * A broker not started yet, for {@code @RegisterExtension}: started before all tests of the
   * class, closed after them.
   */
  public static KafkaTestCluster extension() {
    return new KafkaTestCluster(null);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    if (cluster != null) {
      throw new IllegalStateException("the broker is already started");
    }
    cluster = startCluster(null);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close();
  }

  private static KafkaClusterTestKit startCluster(Path dir) throws Exception {
    TestKitNodes.Builder nodes =
        new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1);
    if (dir != null) {
      nodes.setBaseDirectory(dir);
    }
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(nodes.build())
            // One node: every internal topic has one replica, or consumers and transactions stall.
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("offsets.topic.num.partitions", "3")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("transaction.state.log.num.partitions", "3")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    try {
      format(cluster);
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Kafka's storage formatter prints to {@code System.out} (the demo's output): it is captured for
   * the time of formatting and logged at DEBUG.
   */
  private static void format(KafkaClusterTestKit cluster) throws Exception {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      cluster.format();
    } finally {
      System.setOut(stdout);
      LOGGER.debug("storage formatted: {}", captured.toString(StandardCharsets.UTF_8).trim());
    }
  }

  private KafkaClusterTestKit cluster() {
    KafkaClusterTestKit started = cluster;
    if (started == null) {
      throw new IllegalStateException(
          "the broker is not started (an extension() starts before all tests, when registered)");
    }
    return started;
  }

  public String bootstrapServers() {
    return cluster().bootstrapServers();
  }

  /** Creates topics, each {@code name=partitions}. */
  public void createTopics(Map<String, Integer> topics)
      throws ExecutionException, InterruptedException {
    createTopics(topics, Map.of());
  }

  /**
   * Creates topics, each {@code name=partitions}, all with {@code configs} (e.g.
   * max.message.bytes).
   */
  public void createTopics(Map<String, Integer> topics, Map<String, String> configs)
      throws ExecutionException, InterruptedException {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
      List<NewTopic> newTopics =
          topics.entrySet().stream()
              .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1).configs(configs))
              .toList();
      admin.createTopics(newTopics).all().get();
      // The controller has the topics now; the broker's metadata, which answers describeTopics
      // (as the app's start-up check does), may lag behind on a loaded machine.
      await("the broker describing the new topics " + topics.keySet())
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(
              () -> {
                admin.describeTopics(topics.keySet()).allTopicNames().get();
                return true;
              });
    }
  }

  /** A consumer of committed records that joins no group (it is assigned its partitions). */
  private KafkaConsumer<String, String> reader() {
    return new KafkaConsumer<>(
        Map.of(
            "bootstrap.servers",
            bootstrapServers(),
            "group.id",
            "reader-" + UUID.randomUUID(),
            "auto.offset.reset",
            "earliest",
            "isolation.level",
            "read_committed",
            "enable.auto.commit",
            "false"),
        new StringDeserializer(),
        new StringDeserializer());
  }

  /**
   * Assigns every partition of {@code topic}, from the start. Assigned, not subscribed: no group to
   * join (a join waits on the coordinator, slow when the machine is loaded).
   */
  private static List<org.apache.kafka.common.TopicPartition> assignAll(
      KafkaConsumer<String, String> consumer, String topic) {
    List<org.apache.kafka.common.TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return partitions;
  }

  /**
   * Every committed record of {@code topic} now: read from the start up to the end offsets of the
   * moment (for exact counts, after {@link #awaitRecords} saw the expected ones arrive).
   */
  public List<ConsumerRecord<String, String>> readAll(String topic) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = reader()) {
      List<org.apache.kafka.common.TopicPartition> partitions = assignAll(consumer, topic);
      Map<org.apache.kafka.common.TopicPartition, Long> begins =
          consumer.beginningOffsets(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long offsets = partitions.stream().mapToLong(p -> ends.get(p) - begins.get(p)).sum();
      // The work is the offsets to pass (records and transaction markers): bounded by it.
      ProgressWait.forCount(
              offsets, "offsets of " + topic + " read (to its end offsets " + ends + ")")
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream()
                    .mapToLong(p -> Math.min(consumer.position(p), ends.get(p)) - begins.get(p))
                    .sum();
              });
    }
    return records;
  }

  /**
   * Reads {@code topic} from the start (committed records only) until at least {@code count}
   * records arrived: for as long as records keep arriving (see {@link ProgressWait}).
   */
  public List<ConsumerRecord<String, String>> awaitRecords(String topic, int count) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = reader()) {
      List<org.apache.kafka.common.TopicPartition> partitions = assignAll(consumer, topic);
      ProgressWait.forCount(count, "committed records in " + topic)
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size();
              });
    }
    return records;
  }

  /**
   * Reads {@code topics} from the start (committed records only) until at least {@code count}
   * records arrived over all of them together, for as long as records keep arriving: e.g. every
   * call settled, as a receipt or a dead letter, whichever way each went.
   */
  public List<ConsumerRecord<String, String>> awaitRecords(List<String> topics, int count) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = reader()) {
      List<org.apache.kafka.common.TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        for (var info : consumer.partitionsFor(topic)) {
          partitions.add(new org.apache.kafka.common.TopicPartition(topic, info.partition()));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      ProgressWait.forCount(count, "committed records in " + String.join(" and ", topics))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size();
              });
    }
    return records;
  }

  /** The {@code bridge.error.reason} header of a dead letter, or null. */
  public static String reason(ConsumerRecord<?, ?> record) {
    Header header = record.headers().lastHeader("bridge.error.reason");
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Stops the broker and removes its data; a no-op when it is not running. */
  @Override
  public void close() throws Exception {
    KafkaClusterTestKit started = cluster;
    cluster = null;
    if (started != null) {
      started.close();
    }
  }
}
