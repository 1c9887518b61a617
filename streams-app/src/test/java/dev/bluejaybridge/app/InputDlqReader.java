package dev.bluejaybridge.app;

import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads dead-letter records back: key → {@code bridge.error.reason}. */
final class InputDlqReader {
  private InputDlqReader() {}

  static Map<String, String> reasons(String bootstrap, String topic, int atLeast) {
    Map<String, String> reasons = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                bootstrap,
                "group.id",
                "dlq-reader-" + UUID.randomUUID(),
                "auto.offset.reset",
                "earliest",
                "isolation.level",
                "read_committed"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                consumer
                    .poll(Duration.ofMillis(200))
                    .forEach(
                        r -> {
                          Header reason = r.headers().lastHeader("bridge.error.reason");
                          reasons.put(
                              r.key() == null
                                  ? "<null>"
                                  : new String(r.key(), StandardCharsets.UTF_8),
                              reason == null
                                  ? "<none>"
                                  : new String(reason.value(), StandardCharsets.UTF_8));
                        });
                return reasons.size() >= atLeast;
              });
    }
    return reasons;
  }
}
