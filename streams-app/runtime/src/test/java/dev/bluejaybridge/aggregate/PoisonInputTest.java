package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.event;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.errors.InputDlq;
import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Each kind of poison reaches the input DLQ with its reason, and the next good record still counts.
 */
class PoisonInputTest {

  private static void assertPoison(String expectedReason, Consumer<PipelineDriver> pipePoison) {
    try (PipelineDriver driver = PipelineDriver.create()) {
      pipePoison.accept(driver);
      driver.toolCalls.pipeInput("good", toolCall("good", "after-poison", 0).build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      List<TestRecord<byte[], byte[]>> dlq = driver.inputDlq.readRecordsToList();
      assertThat(dlq).as("input DLQ").hasSize(1);
      assertThat(header(dlq.get(0), InputDlq.REASON_HEADER)).isEqualTo(expectedReason);
      assertThat(header(dlq.get(0), "__streams.errors.topic")).isNotBlank();
      assertThat(header(dlq.get(0), "__streams.errors.exception")).isNotBlank();
      assertThat(driver.closedCalls())
          .as("the good record after the poison is still processed")
          .anySatisfy(call -> assertThat(call.callId()).isEqualTo("good"));
    }
  }

  /**
   * Values that cannot be decoded. TopologyTestDriver does not surface the dead-letter records
   * Kafka Streams writes for deserialization errors (they do reach the topic on a real broker: see
   * PipelineIT), so here: the record is skipped, the pipeline goes on, and the reason it would
   * carry is the one the handler gives the deserializer's exception (InputDlqHandlersTest checks
   * the record).
   */
  private static void assertUndecodable(
      String expectedReason,
      String topic,
      java.util.function.Function<PipelineDriver, byte[]> bytes) {
    try (PipelineDriver driver = PipelineDriver.create()) {
      byte[] value = bytes.apply(driver);
      Throwable error =
          org.assertj.core.api.Assertions.catchThrowable(
              () -> deserializerOf(driver, topic).deserialize(topic, value));
      assertThat(dev.bluejaybridge.errors.InputDlqDeserializationHandler.reason((Exception) error))
          .isEqualTo(expectedReason);

      driver.raw(topic).pipeInput("c1", value);
      driver.toolCalls.pipeInput("good", toolCall("good", "after-poison", 0).build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.closedCalls()).extracting(ClosedCall::callId).containsExactly("good");
    }
  }

  private static org.apache.kafka.common.serialization.Deserializer<?> deserializerOf(
      PipelineDriver driver, String topic) {
    return switch (topic) {
      case "calls.tool-calls" -> driver.topics.toolCalls().value().deserializer();
      case "calls.events" -> driver.topics.events().value().deserializer();
      default -> driver.topics.transcripts().value().deserializer();
    };
  }

  static String header(TestRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  @Test
  void bytesWithoutTheMagicByte() {
    assertUndecodable(
        "bad-magic-byte",
        "calls.tool-calls",
        d -> "{\"json\":true}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void truncatedHeader() {
    assertUndecodable("truncated", "calls.events", d -> new byte[] {0, 0, 1});
  }

  @Test
  void unknownSchemaId() {
    byte[] bytes = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654).putInt(42).array();
    assertUndecodable("unknown-schema-id", "calls.transcripts", d -> bytes);
  }

  @Test
  void truncatedAvroPayload() {
    assertUndecodable(
        "truncated",
        "calls.tool-calls",
        d -> {
          byte[] good =
              d.topics
                  .toolCalls()
                  .value()
                  .serializer()
                  .serialize("calls.tool-calls", toolCall("c1", "x", 0).build());
          return Arrays.copyOf(good, good.length - 6);
        });
  }

  @Test
  void schemaOfAnotherTopic() {
    assertUndecodable(
        "schema-mismatch",
        "calls.tool-calls",
        d ->
            d.topics
                .events()
                .value()
                .serializer()
                .serialize("calls.tool-calls", event("c1", "oops", 0).build()));
  }

  @Test
  void valueOverCallMaxRecordBytes() {
    try (PipelineDriver driver = PipelineDriver.create(Map.of("call.max-record-bytes", "4096"))) {
      ToolCall big = toolCall("c1", "x", 0).setOutputJson("\"" + "a".repeat(5_000) + "\"").build();
      byte[] value =
          driver.topics.toolCalls().value().serializer().serialize("calls.tool-calls", big);
      Throwable error =
          org.assertj.core.api.Assertions.catchThrowable(
              () ->
                  deserializerOf(driver, "calls.tool-calls")
                      .deserialize("calls.tool-calls", value));
      assertThat(dev.bluejaybridge.errors.InputDlqDeserializationHandler.reason((Exception) error))
          .isEqualTo("record-too-large");

      driver.raw("calls.tool-calls").pipeInput("c1", value);
      driver.toolCalls.pipeInput("c1", toolCall("c1", "small", 1).build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call ->
                  assertThat(call.toolCalls())
                      .extracting(ToolCall::getName)
                      .containsExactly("small"));
    }
  }

  @Test
  void nullKey() {
    assertPoison("null-key", d -> d.toolCalls.pipeInput(null, toolCall("c1", "x", 0).build()));
  }

  @Test
  void nullValue() {
    assertPoison("null-value", d -> d.toolCalls.pipeInput("c1", (ToolCall) null));
  }

  @Test
  void keyDiffersFromCallId() {
    assertPoison("key-mismatch", d -> d.toolCalls.pipeInput("c1", toolCall("c2", "x", 0).build()));
  }

  @Test
  void emptyCallId() {
    assertPoison("empty-call-id", d -> d.events.pipeInput("", event("", "x", 0).build()));
  }

  @Test
  void invalidJsonInParameters() {
    assertPoison(
        "invalid-json",
        d ->
            d.toolCalls.pipeInput(
                "c1", toolCall("c1", "x", 0).setParametersJson("{\"a\":").build()));
  }

  @Test
  void parametersThatAreNotAnObject() {
    assertPoison(
        "invalid-json",
        d ->
            d.toolCalls.pipeInput("c1", toolCall("c1", "x", 0).setParametersJson("[1,2]").build()));
  }

  @Test
  void invalidJsonInCallMetadata() {
    assertPoison(
        "invalid-json",
        d -> d.events.pipeInput("c1", event("c1", "x", 0).setCallMetadataJson("not json").build()));
  }

  @Test
  void negativeStartOffset() {
    assertPoison(
        "negative-offset", d -> d.toolCalls.pipeInput("c1", toolCall("c1", "x", -5).build()));
  }

  @Test
  void negativeEndOffsetOfATurn() {
    assertPoison(
        "negative-offset",
        d ->
            d.transcripts.pipeInput(
                "c1", turn("c1", Speaker.AGENT, "hi", 0).setEndOffsetMs(-1).build()));
  }

  /**
   * Issue 13 item 6: an occurred_at further ahead of the wall clock than input.max-ahead (1h) is
   * bad-timestamp, and its dead letter carries the wall clock, not the occurred_at.
   */
  @Test
  void occurredAtThreeDaysAheadIsBadTimestamp() {
    Instant threeDaysAhead = PipelineDriver.START.plus(Duration.ofDays(3));
    assertPoison(
        "bad-timestamp",
        d ->
            d.toolCalls.pipeInput(
                "c1", toolCall("c1", "x", 0).setOccurredAt(threeDaysAhead).build()));
    try (PipelineDriver driver = PipelineDriver.create()) {
      long before = System.currentTimeMillis();
      driver.toolCalls.pipeInput(
          "c1", toolCall("c1", "x", 0).setOccurredAt(threeDaysAhead).build());
      // the moment it was dead-lettered (by the JVM's clock, which the handler reads)
      assertThat(driver.inputDlq.readRecord().getRecordTime().toEpochMilli())
          .isBetween(before, System.currentTimeMillis());
    }
  }

  /** Issue 13 item 6: just inside input.max-ahead is fine. */
  @Test
  void occurredAtWithinTheToleranceAheadIsAccepted() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput(
          "c1",
          toolCall("c1", "x", 0)
              .setOccurredAt(PipelineDriver.START.plus(Duration.ofMinutes(59)))
              .build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.inputDlq.isEmpty()).isTrue();
      assertThat(driver.closedCalls()).extracting(ClosedCall::callId).containsExactly("c1");
    }
  }

  /**
   * Issue 13 item 6: an occurred_at further behind the newest one seen than input.max-behind (7d)
   * is bad-timestamp: a straggler that old could no longer be matched to its delivered call.
   */
  @Test
  void occurredAtFarBehindTheNewestSeenIsBadTimestamp() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "now", 0).build());
      driver.toolCalls.pipeInput(
          "c2",
          toolCall("c2", "old", 0)
              .setOccurredAt(dev.bluejaybridge.testkit.Telemetry.T0.minus(Duration.ofDays(8)))
              .build());
      driver.toolCalls.pipeInput(
          "c3",
          toolCall("c3", "six days old", 0)
              .setOccurredAt(dev.bluejaybridge.testkit.Telemetry.T0.minus(Duration.ofDays(6)))
              .build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      List<TestRecord<byte[], byte[]>> dlq = driver.inputDlq.readRecordsToList();
      assertThat(dlq).hasSize(1);
      assertThat(header(dlq.get(0), InputDlq.REASON_HEADER)).isEqualTo("bad-timestamp");
      assertThat(new String(dlq.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("c2");
      assertThat(driver.closedCalls()).extracting(ClosedCall::callId).containsOnly("c1", "c3");
    }
  }

  /**
   * Issue 13 item 6: whatever occurred_at says, the state the call writes (its changelogs) carries
   * the wall-clock time: Kafka Streams gives a store's changelog record the timestamp of the record
   * being processed, which validation sets.
   */
  @Test
  void changelogRecordsCarryTheWallClockNotOccurredAt() {
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput(
          "c1",
          toolCall("c1", "x", 0)
              .setOccurredAt(PipelineDriver.START.plus(Duration.ofMinutes(50)))
              .build());
      driver.events.pipeInput(
          "c1",
          event("c1", "y", 5)
              .setOccurredAt(PipelineDriver.START.minus(Duration.ofDays(2)))
              .build());

      List<String> changelogs =
          driver.driver().producedTopicNames().stream()
              .filter(topic -> topic.endsWith("-changelog"))
              .toList();
      assertThat(changelogs).isNotEmpty();
      for (String changelog : changelogs) {
        assertThat(
                driver
                    .driver()
                    .createOutputTopic(
                        changelog,
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())
                    .readRecordsToList())
            .as(changelog)
            .isNotEmpty()
            .allSatisfy(r -> assertThat(r.getRecordTime()).isEqualTo(PipelineDriver.START));
      }
    }
  }

  /**
   * Issue 13 item 7 (and the example of item 1): JSON nested deeper than the delivery side could
   * write is refused at validation as decode-limit, instead of being taken and failing later.
   */
  @Test
  void jsonNestedAThousandLevelsDeepIsDecodeLimit() {
    String deepObject = "{\"a\":".repeat(1000) + "1" + "}".repeat(1000);
    String deepArray = "[".repeat(1000) + "]".repeat(1000);
    assertPoison(
        "decode-limit",
        d ->
            d.toolCalls.pipeInput(
                "c1", toolCall("c1", "x", 0).setParametersJson(deepObject).build()));
    assertPoison(
        "decode-limit",
        d -> d.toolCalls.pipeInput("c1", toolCall("c1", "x", 0).setOutputJson(deepArray).build()));
    assertPoison(
        "decode-limit",
        d ->
            d.events.pipeInput(
                "c1", event("c1", "x", 0).setMetadataJson("{\"m\":" + deepArray + "}").build()));
  }

  /** Issue 13 item 7: a number of more than 1000 digits is decode-limit. */
  @Test
  void jsonNumberOfTwoThousandDigitsIsDecodeLimit() {
    assertPoison(
        "decode-limit",
        d ->
            d.toolCalls.pipeInput(
                "c1",
                toolCall("c1", "x", 0)
                    .setParametersJson("{\"n\":" + "9".repeat(2000) + "}")
                    .build()));
  }

  /**
   * Issue 13 item 7: JSON at the depth limit, and strings as long as call.max-record-bytes allows,
   * pass.
   */
  @Test
  void jsonAtTheDepthLimitAndLongStringsPass() {
    int depth = dev.bluejaybridge.telemetry.TelemetryValidator.MAX_JSON_DEPTH;
    String atLimit = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    String longString = "{\"s\":\"" + "x".repeat(1_000_000) + "\"}";
    try (PipelineDriver driver = PipelineDriver.create()) {
      driver.toolCalls.pipeInput(
          "c1", toolCall("c1", "deep", 0).setParametersJson(atLimit).build());
      driver.toolCalls.pipeInput("c1", toolCall("c1", "long", 1).setOutputJson(longString).build());
      driver.advanceWallClock(Duration.ofSeconds(31));

      assertThat(driver.inputDlq.isEmpty()).isTrue();
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call ->
                  assertThat(call.toolCalls())
                      .extracting(ToolCall::getName)
                      .containsExactly("deep", "long"));
    }
  }

  @Test
  void callOverMaxRecordsIsCutAndMarkedTruncated() {
    try (PipelineDriver driver = PipelineDriver.create(Map.of("call.max-records", "3"))) {
      for (int i = 0; i < 5; i++) {
        driver.toolCalls.pipeInput("big", toolCall("big", "t" + i, i).build());
      }
      driver.advanceWallClock(Duration.ofSeconds(31));

      List<TestRecord<byte[], byte[]>> dlq = driver.inputDlq.readRecordsToList();
      assertThat(dlq)
          .hasSize(2)
          .allSatisfy(
              r -> assertThat(header(r, InputDlq.REASON_HEADER)).isEqualTo("call-too-large"));
      assertThat(driver.closedCalls())
          .singleElement()
          .satisfies(
              call -> {
                assertThat(call.truncated()).isTrue();
                assertThat(call.toolCalls())
                    .extracting(ToolCall::getName)
                    .containsExactly("t0", "t1", "t2");
              });
    }
  }
}
