package dev.bluejaybridge.bench;

import dev.bluejaybridge.harness.TopicNames;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroDeserializer;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A plain consumer over the three input topics from the beginning (no group, every partition
 * assigned), decoding each value with the project's {@link AvroDeserializer}: the baseline of P1
 * and the reading half of P6's per-record forwarder.
 */
final class TopicReader implements AutoCloseable {
  /** What to do with each decoded record. */
  interface Sink {
    void accept(String topic, String key, SpecificRecord value);
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, AvroDeserializer<? extends SpecificRecord>> deserializers =
      new HashMap<>();

  TopicReader(String bootstrapServers, TopicNames topics, SchemaRegistry registry) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // As Kafka Streams reads under exactly_once_v2, and with its max.poll.records.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
    this.consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    deserializers.put(topics.toolCalls(), new AvroDeserializer<>(registry, ToolCall.class));
    deserializers.put(topics.events(), new AvroDeserializer<>(registry, CallEvent.class));
    deserializers.put(topics.transcripts(), new AvroDeserializer<>(registry, TranscriptTurn.class));
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics.inputs()) {
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /**
   * Reads until {@code expected} records were handed to {@code sink}.
   *
   * @return the nanoTime of the first poll
   * @throws IllegalStateException if {@code timeout} passes first
   */
  long read(long expected, Duration timeout, Sink sink) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long seen = 0;
    while (seen < expected) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("read " + seen + " of " + expected + " records");
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        SpecificRecord value = deserializers.get(r.topic()).deserialize(r.topic(), r.value());
        sink.accept(r.topic(), r.key(), value);
        seen++;
      }
    }
    return start;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
