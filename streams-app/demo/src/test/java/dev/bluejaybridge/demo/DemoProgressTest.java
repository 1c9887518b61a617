package dev.bluejaybridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.BridgeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DemoProgressTest {
  private static final BridgeConfig.Topics TOPICS =
      new BridgeConfig.Topics(
          "calls.tool-calls",
          "calls.events",
          "calls.transcripts",
          "calls.input-dlq",
          "calls.delivery-dlq",
          Optional.of("calls.delivery-receipts"),
          "bluejay.webhook-events",
          "bluejay.webhook-deliveries");

  private static ConsumerRecord<byte[], byte[]> record(
      String topic, String key, String value, String reason) {
    RecordHeaders headers = new RecordHeaders();
    if (reason != null) {
      headers.add("bridge.error.reason", reason.getBytes(StandardCharsets.UTF_8));
    }
    return new ConsumerRecord<>(
        topic,
        0,
        0,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8),
        headers,
        Optional.empty());
  }

  private static ConsumerRecord<byte[], byte[]> receipt(String callId, String endpoint) {
    return record(
        "calls.delivery-receipts",
        callId,
        "{\"endpoint\":\"" + endpoint + "\",\"status\":200,\"attempts\":1}",
        null);
  }

  @Test
  void countsDeliveredDeadLetteredAndOpenCallsFromTheOutputTopics() {
    DemoProgress progress = new DemoProgress(TOPICS, List.of("a", "b", "c", "d"));
    List.of("a", "b", "c", "d").forEach(progress::produced);

    progress.accept(receipt("a", "update-log"));
    progress.accept(receipt("b", "update-simulation-result"));
    progress.accept(
        record("calls.delivery-dlq", "c", "{\"reason\":\"http-422\",\"attempts\":1}", "http-422"));

    assertThat(progress.deliveredByEndpoint())
        .isEqualTo(Map.of("update-log", 1, "update-simulation-result", 1));
    assertThat(progress.deadLetteredByReason()).isEqualTo(Map.of("http-422", 1));
    assertThat(progress.openCount()).isEqualTo(1);
    assertThat(progress.unaccounted(List.of("a", "b", "c", "d"))).containsExactly("d");
    assertThat(progress.attemptsReported()).isEqualTo(3);
  }

  @Test
  void aDeliveredCallWithALateRecordDeadLetteredCountsOnceAsDelivered() {
    DemoProgress progress = new DemoProgress(TOPICS, List.of("a"));
    progress.produced("a");

    progress.accept(receipt("a", "update-simulation-result"));
    progress.accept(record("calls.delivery-dlq", "a", "{\"reason\":\"late\"}", "late"));

    assertThat(progress.deliveredCount()).isEqualTo(1);
    assertThat(progress.deadLetteredCount()).isZero();
    assertThat(progress.deliveredWithDeadLetters()).isEqualTo(1);
    assertThat(progress.openCount()).isZero();
  }

  @Test
  void countsInputDeadLettersByReasonWhateverTheirKey() {
    DemoProgress progress = new DemoProgress(TOPICS, List.of("a"));

    progress.accept(record("calls.input-dlq", "agent-7", "x", "key-mismatch"));
    progress.accept(record("calls.input-dlq", null, "{", "bad-magic-byte"));
    progress.accept(record("calls.input-dlq", "a", "y", "bad-magic-byte"));

    assertThat(progress.inputDlqByReason())
        .isEqualTo(Map.of("key-mismatch", 1, "bad-magic-byte", 2));
    assertThat(progress.inputDlqCount()).isEqualTo(3);
  }

  @Test
  void ignoresReceiptsOfCallsItDidNotProduce() {
    DemoProgress progress = new DemoProgress(TOPICS, List.of("a"));

    progress.accept(receipt("someone-else", "update-log"));

    assertThat(progress.deliveredCount()).isZero();
  }

  @Test
  void requestsPerMinuteIsTheRateOverTheLastTenSeconds() {
    DemoProgress progress = new DemoProgress(TOPICS, List.of());

    progress.requestsPerMinute(0, 0);
    progress.requestsPerMinute(5_000, 50);
    double rate = progress.requestsPerMinute(10_000, 100);

    assertThat(rate).isEqualTo(600.0);
  }

  @Test
  void theSummaryAccountsForEveryCallOnlyWhenNothingIsMissing() {
    DemoSummary complete =
        new DemoSummary(
            3,
            1,
            1,
            Map.of("update-log", 2),
            Map.of("http-422", 1),
            0,
            Map.of("invalid-json", 1),
            Map.of("invalid-json", 1),
            "calls.input-dlq",
            3,
            Duration.ofSeconds(5),
            Optional.of(Path.of("bodies")),
            2,
            List.of());
    DemoSummary poisonMissing =
        new DemoSummary(
            3,
            1,
            1,
            Map.of("update-log", 3),
            Map.of(),
            0,
            Map.of("invalid-json", 1),
            Map.of(),
            "calls.input-dlq",
            3,
            Duration.ofSeconds(5),
            Optional.empty(),
            0,
            List.of());

    assertThat(complete.unaccounted()).isZero();
    assertThat(complete.accountedFor()).isTrue();
    assertThat(poisonMissing.accountedFor()).isFalse();
    assertThat(poisonMissing.poisonMissing()).isEqualTo(Map.of("invalid-json", 1));
  }
}
