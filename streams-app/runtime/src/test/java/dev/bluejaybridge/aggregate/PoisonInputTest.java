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
