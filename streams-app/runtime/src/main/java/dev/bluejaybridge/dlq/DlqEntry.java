package dev.bluejaybridge.dlq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One dead-letter record as the DLQ tools see it: where it sits, why it is there, and where it came
 * from. Input DLQ records carry Kafka Streams' {@code __streams.errors.*} headers; delivery DLQ
 * records carry a JSON value with the request that Bluejay would not take.
 */
public record DlqEntry(
    Kind kind,
    int partition,
    long offset,
    long timestamp,
    String callId,
    String reason,
    String status,
    String attempts,
    String source,
    ConsumerRecord<byte[], byte[]> record) {

  public enum Kind {
    INPUT,
    DELIVERY
  }

  static final String REPLAY_OF_HEADER = "bridge.replay.of";
  private static final ObjectMapper JSON = new ObjectMapper();

  static DlqEntry of(Kind kind, ConsumerRecord<byte[], byte[]> record) {
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    String source;
    if (kind == Kind.INPUT) {
      source =
          header(record, "__streams.errors.topic")
              + "/"
              + header(record, "__streams.errors.partition")
              + "@"
              + header(record, "__streams.errors.offset");
    } else {
      JsonNode value = json(record);
      source = value.path("method").asText("?") + " " + value.path("path").asText("?");
    }
    return new DlqEntry(
        kind,
        record.partition(),
        record.offset(),
        record.timestamp(),
        key,
        header(record, "bridge.error.reason"),
        header(record, "bridge.error.status"),
        header(record, "bridge.error.attempts"),
        source,
        record);
  }

  /** A marker a replay wrote, not a dead letter. */
  static boolean isReplayMarker(ConsumerRecord<byte[], byte[]> record) {
    return record.value() == null && record.headers().lastHeader(REPLAY_OF_HEADER) != null;
  }

  /** {@code partition:offset}, how replay markers name the record they replayed. */
  public String position() {
    return partition + ":" + offset;
  }

  JsonNode value() {
    return json(record);
  }

  static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static JsonNode json(ConsumerRecord<byte[], byte[]> record) {
    try {
      return record.value() == null ? JSON.createObjectNode() : JSON.readTree(record.value());
    } catch (IOException e) {
      return JSON.createObjectNode();
    }
  }
}
