package dev.bluejaybridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.aggregate.InputOffsets;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the aggregation learns of its inputs from a real broker (issue 13 item 8): end offsets as a
 * read-committed consumer sees them (an open transaction's records not yet, a commit marker
 * counted), the application's commits, and since when an end stood still.
 */
class InputOffsetWatchIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();

  @Test
  void snapshotsTheInputsEndsCommitsAndSince() throws Exception {
    List<String> topics = List.of("iow.tools", "iow.events", "iow.turns");
    kafka.createTopics(Map.of(topics.get(0), 2, topics.get(1), 2, topics.get(2), 2));
    Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
    MutableClock clock = new MutableClock(1_000_000);
    try (KafkaProducer<String, String> plain = producer(null);
        KafkaProducer<String, String> transactional = producer("iow-tx");
        Admin admin = Admin.create(client);
        InputOffsetWatch watch =
            new InputOffsetWatch(
                Admin.create(client), "iow-app", topics, 2, clock, Duration.ofSeconds(10))) {
      for (int i = 0; i < 3; i++) {
        plain.send(new ProducerRecord<>(topics.get(0), 0, "k", "v" + i)).get();
      }
      transactional.initTransactions();
      transactional.beginTransaction();
      transactional.send(new ProducerRecord<>(topics.get(1), 1, "k", "a"));
      transactional.send(new ProducerRecord<>(topics.get(1), 1, "k", "b"));
      transactional.commitTransaction();
      transactional.beginTransaction();
      transactional.send(new ProducerRecord<>(topics.get(2), 0, "k", "open"));
      transactional.flush();
      admin
          .alterConsumerGroupOffsets(
              "iow-app", Map.of(new TopicPartition(topics.get(0), 0), new OffsetAndMetadata(2)))
          .all()
          .get();

      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                watch.refresh();
                assertThat(watch.at(1).positions().get(topics.get(1)).end()).isEqualTo(3);
              });

      InputOffsets.Snapshot zero = watch.at(0);
      assertThat(zero.asOf()).isEqualTo(1_000_000);
      assertThat(zero.positions().get(topics.get(0)))
          .isEqualTo(new InputOffsets.Position(0, 3, 2, 1_000_000));
      assertThat(zero.positions().get(topics.get(2)))
          .as("an open transaction's record is not there yet for a read-committed consumer")
          .isEqualTo(new InputOffsets.Position(0, 0, 1, -1, 1_000_000, -1));
      assertThat(watch.at(1).positions().get(topics.get(1)))
          .as("two records and the commit marker")
          .isEqualTo(new InputOffsets.Position(0, 3, -1, 1_000_000));

      clock.advanceMillis(1_000);
      plain.send(new ProducerRecord<>(topics.get(0), 0, "k", "v3")).get();
      transactional.commitTransaction();
      // The commit returns before the coordinator wrote its markers: the end moves soon after.
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                watch.refresh();
                assertThat(watch.at(0).positions().get(topics.get(2)).end()).isEqualTo(2);
              });
      assertThat(watch.at(0).asOf()).isEqualTo(1_001_000);
      assertThat(watch.recent(0)).as("newest first").first().isEqualTo(watch.at(0));
      assertThat(watch.recent(0))
          .last()
          .extracting(InputOffsets.Snapshot::asOf)
          .isEqualTo(1_000_000L);
      assertThat(watch.at(0).positions().get(topics.get(0)).endSince()).isEqualTo(1_001_000);
      assertThat(watch.at(0).positions().get(topics.get(2)))
          .isEqualTo(new InputOffsets.Position(0, 2, -1, 1_001_000));
      assertThat(watch.at(1).positions().get(topics.get(1)).endSince())
          .as("its end stood still")
          .isEqualTo(1_000_000);
    }
  }

  /**
   * An aborted transaction at the end of a partition: its end lies beyond every record, and only
   * the consumer's lag of 0 says nothing is left to fetch there.
   */
  @Test
  void takesEachPartitionsLagFromTheConsumersMetrics() throws Exception {
    List<String> topics = List.of("iol.tools", "iol.events", "iol.turns");
    kafka.createTopics(Map.of(topics.get(0), 2, topics.get(1), 2, topics.get(2), 2));
    Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
    try (KafkaProducer<String, String> transactional = producer("iol-tx");
        KafkaConsumer<String, String> consumer = consumer();
        InputOffsetWatch watch =
            new InputOffsetWatch(
                    Admin.create(client),
                    "iol-app",
                    topics,
                    2,
                    new MutableClock(5_000),
                    Duration.ofSeconds(10))
                .consumerMetrics(consumer::metrics)) {
      transactional.initTransactions();
      transactional.beginTransaction();
      for (int i = 0; i < 3; i++) {
        transactional.send(new ProducerRecord<>(topics.get(1), 0, "k", "aborted " + i));
      }
      transactional.flush();
      transactional.abortTransaction();
      List<TopicPartition> zero =
          topics.stream().map(topic -> new TopicPartition(topic, 0)).toList();
      consumer.assign(zero);
      consumer.seekToBeginning(zero);

      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(consumer.poll(Duration.ofMillis(100))).isEmpty();
                watch.refresh();
                assertThat(watch.at(0).positions().get(topics.get(1)))
                    .as("three aborted records and the marker, all skipped")
                    .isEqualTo(new InputOffsets.Position(0, 4, 4, -1, 5_000, 0));
              });
      assertThat(watch.at(1).positions().get(topics.get(1)).consumerLag())
          .as("a partition this instance does not fetch")
          .isEqualTo(-1);
    }
  }

  private static KafkaConsumer<String, String> consumer() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return new KafkaConsumer<>(props);
  }

  private static KafkaProducer<String, String> producer(String transactionalId) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    if (transactionalId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(props);
  }
}
