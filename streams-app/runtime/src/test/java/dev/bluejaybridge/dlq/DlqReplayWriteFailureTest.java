package dev.bluejaybridge.dlq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.testkit.MutableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 10: a write that {@code dlq replay} cannot make is not retried in a loop. The
 * producer already retries what is retriable (with its own backoff, within {@code
 * delivery.timeout.ms}); a write that still fails stops the replay at once, after one attempt, and
 * leaves that record and the rest unmarked, for a later replay.
 */
class DlqReplayWriteFailureTest {

  @Test
  void refusedWriteStopsTheReplayAfterOneAttempt() {
    AtomicInteger sends = new AtomicInteger();
    MockProducer<byte[], byte[]> refusing =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
          @Override
          public synchronized Future<RecordMetadata> send(
              ProducerRecord<byte[], byte[]> record, Callback callback) {
            sends.incrementAndGet();
            return CompletableFuture.failedFuture(
                new RecordTooLargeException("over max.message.bytes"));
          }
        };
    MutableClock clock = new MutableClock(1_700_000_000_000L);
    StringWriter out = new StringWriter();
    DlqReplayer replayer =
        new DlqReplayer(
            refusing,
            null,
            null,
            null,
            millis -> clock.advanceMillis(millis),
            clock,
            Duration.ofMinutes(2),
            new PrintWriter(out, true));

    assertThatThrownBy(
            () ->
                replayer.replayInput(
                    List.of(inputDeadLetter(0), inputDeadLetter(1)), "calls.input-dlq", false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot write to calls.tool-calls");
    assertThat(sends).hasValue(1);
  }

  private static DlqEntry inputDeadLetter(long offset) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("__streams.errors.topic", "calls.tool-calls".getBytes(StandardCharsets.UTF_8));
    headers.add("__streams.errors.partition", "0".getBytes(StandardCharsets.UTF_8));
    headers.add("__streams.errors.offset", String.valueOf(offset).getBytes(StandardCharsets.UTF_8));
    headers.add("bridge.error.reason", "unknown-schema-id".getBytes(StandardCharsets.UTF_8));
    return DlqEntry.of(
        DlqEntry.Kind.INPUT,
        new ConsumerRecord<>(
            "calls.input-dlq",
            0,
            offset,
            0L,
            TimestampType.CREATE_TIME,
            0,
            0,
            "c1".getBytes(StandardCharsets.UTF_8),
            new byte[] {0, 0, 0, 0, 1, 2},
            headers,
            Optional.empty()));
  }
}
