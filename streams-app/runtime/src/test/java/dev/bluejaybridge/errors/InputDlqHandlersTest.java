package dev.bluejaybridge.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.registry.RegistryUnavailableException;
import dev.bluejaybridge.serde.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class InputDlqHandlersTest {
  private static final Map<String, Object> CONFIG =
      Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "calls.input-dlq");
  private static final byte[] KEY = "c-raw".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VALUE = {1, 2, 3, 4, 5, 6};

  private static ErrorHandlerContext context() {
    return context(1_700_000_000_000L);
  }

  /** What Kafka Streams hands the handler for a punctuation: no topic, offset or raw record. */
  private static ErrorHandlerContext punctuationContext() {
    return new ErrorHandlerContext() {
      public String topic() {
        return null;
      }

      public int partition() {
        return -1;
      }

      public long offset() {
        return -1;
      }

      public Headers headers() {
        return new RecordHeaders();
      }

      public String processorNodeId() {
        return "aggregate";
      }

      public TaskId taskId() {
        return new TaskId(0, 2);
      }

      public long timestamp() {
        return 1_700_000_000_000L;
      }

      public byte[] sourceRawKey() {
        return null;
      }

      public byte[] sourceRawValue() {
        return null;
      }
    };
  }

  private static ErrorHandlerContext context(long timestamp) {
    Headers headers = new RecordHeaders().add("producer", "svc-a".getBytes(StandardCharsets.UTF_8));
    return new ErrorHandlerContext() {
      public String topic() {
        return "calls.events";
      }

      public int partition() {
        return 2;
      }

      public long offset() {
        return 41;
      }

      public Headers headers() {
        return headers;
      }

      public String processorNodeId() {
        return "source-calls.events";
      }

      public TaskId taskId() {
        return new TaskId(0, 2);
      }

      public long timestamp() {
        return timestamp;
      }

      public byte[] sourceRawKey() {
        return KEY;
      }

      public byte[] sourceRawValue() {
        return VALUE;
      }
    };
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void undecodableValueBecomesDeadLetterWithRawBytesOriginalHeadersAndReason() {
    InputDlqDeserializationHandler handler = new InputDlqDeserializationHandler();
    handler.configure(CONFIG);
    Exception error = catchDecodeError(VALUE);

    DeserializationExceptionHandler.Response response =
        handler.handleError(
            context(), new ConsumerRecord<>("calls.events", 2, 41, KEY, VALUE), error);

    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    List<ProducerRecord<byte[], byte[]>> dlq = response.deadLetterQueueRecords();
    assertThat(dlq)
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.topic()).isEqualTo("calls.input-dlq");
              assertThat(record.key()).isEqualTo(KEY);
              assertThat(record.value()).isEqualTo(VALUE);
              assertThat(header(record, InputDlq.REASON_HEADER)).isEqualTo("bad-magic-byte");
              assertThat(header(record, "producer")).isEqualTo("svc-a");
              assertThat(header(record, "__streams.errors.topic")).isEqualTo("calls.events");
              assertThat(header(record, "__streams.errors.offset")).isEqualTo("41");
            });
  }

  @Test
  void registryOutageIsNotPoisonTheThreadFailsAndRetries() {
    InputDlqDeserializationHandler handler = new InputDlqDeserializationHandler();
    handler.configure(CONFIG);

    DeserializationExceptionHandler.Response response =
        handler.handleError(
            context(),
            new ConsumerRecord<>("calls.events", 2, 41, KEY, VALUE),
            new RegistryUnavailableException("every registry URL failed", null));

    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void poisonFoundByValidationCarriesItsReason() {
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            context(),
            new Record<>("c-raw", "x", 0L),
            new PoisonRecordException("key-mismatch", "key differs"));

    assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    assertThat(response.deadLetterQueueRecords())
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.value()).isEqualTo(VALUE);
              assertThat(header(record, InputDlq.REASON_HEADER)).isEqualTo("key-mismatch");
            });
  }

  /**
   * Issue 13 item 1: an exception that is not poison may come after state was changed, so the task
   * fails (and is rolled back) rather than commit half-done state; nothing is dead-lettered.
   */
  @Test
  void unexpectedProcessingErrorFailsTheTaskAndIsNotDeadLettered() {
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            context(), new Record<>("c-raw", "x", 0L), new IllegalStateException("bug"));

    assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  /**
   * Issue 13 item 1: a punctuation that failed may have marked a call closed or removed an outbox
   * entry: the task fails, whatever the exception.
   */
  @Test
  void failedPunctuationFailsTheTask() {
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);

    for (Exception error :
        List.of(
            new IllegalStateException("JSON nested too deep to write"),
            new PoisonRecordException("call-too-large", "thrown where no record is at hand"))) {
      ProcessingExceptionHandler.Response response =
          handler.handleError(punctuationContext(), null, error);

      assertThat(response.result())
          .as(error.toString())
          .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
      assertThat(response.deadLetterQueueRecords()).isEmpty();
    }
  }

  /**
   * Issue 13 item 10: a broker timeout inside a processor is retried (the task fails), never
   * dead-lettered as {@code processing-error}.
   */
  @Test
  void brokerTimeoutInAProcessorIsNotDeadLettered() {
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            context(),
            new Record<>("c-raw", "x", 0L),
            new org.apache.kafka.common.errors.TimeoutException("store flush timed out"));

    assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  /**
   * Issue 13 item 10: only a decode failure of the record's own bytes is poison; any other
   * exception from the deserializer (here: a bug, or a registry client failing unexpectedly) fails
   * the thread, which reads the record again.
   */
  @Test
  void deserializationFailureThatIsNotTheRecordsFaultFailsTheThread() {
    InputDlqDeserializationHandler handler = new InputDlqDeserializationHandler();
    handler.configure(CONFIG);

    for (Exception error :
        List.of(
            new IllegalStateException("bug"),
            new org.apache.kafka.common.errors.SerializationException("not ours"),
            new dev.bluejaybridge.registry.RegistryException("HTTP 401"))) {
      DeserializationExceptionHandler.Response response =
          handler.handleError(
              context(), new ConsumerRecord<>("calls.events", 2, 41, KEY, VALUE), error);

      assertThat(response.result())
          .as(error.toString())
          .isEqualTo(DeserializationExceptionHandler.Result.FAIL);
      assertThat(response.deadLetterQueueRecords()).isEmpty();
    }
  }

  /**
   * Issue 13 item 6: the dead letter carries the moment it was written, not the input's timestamp
   * (an occurred_at three days ahead, which the broker's message.timestamp.after.max.ms refuses).
   */
  @Test
  void deadLetterCarriesTheWallClockNotTheInputsTimestamp() {
    long threeDaysAhead = System.currentTimeMillis() + java.time.Duration.ofDays(3).toMillis();
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);
    long before = System.currentTimeMillis();

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            context(threeDaysAhead),
            new Record<>("c-raw", "x", threeDaysAhead),
            new PoisonRecordException("bad-timestamp", "occurred_at three days ahead"));

    assertThat(response.deadLetterQueueRecords())
        .singleElement()
        .satisfies(
            record -> assertThat(record.timestamp()).isBetween(before, System.currentTimeMillis()));
  }

  /**
   * Issue 13 item 6: a message that quotes the record (a call_id of a megabyte, say) is cut, so the
   * dead letter stays about the size of the record.
   */
  @Test
  void longExceptionMessageIsCutInTheDeadLetter() {
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);
    String huge = "k".repeat(1 << 20);

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            context(),
            new Record<>("c-raw", "x", 0L),
            new PoisonRecordException("key-mismatch", huge));

    assertThat(response.deadLetterQueueRecords())
        .singleElement()
        .satisfies(
            record -> {
              String message = header(record, "__streams.errors.message");
              assertThat(message.length()).isLessThan(InputDlq.MAX_MESSAGE_CHARS + 100);
              assertThat(message).endsWith("(cut, " + huge.length() + " chars in all)");
            });
  }

  /**
   * Issue 13 items 6 and 10: an input dead letter the broker refused as too large fails the task
   * (the transaction is lost anyway) instead of being skipped; when the record is read again its
   * dead letter goes without the value, which the header names. Other refused writes fail the task;
   * broker timeouts are retried; no refused write ever sends the record being processed to the
   * input DLQ.
   */
  @Test
  void refusedDeadLetterIsWrittenWithoutItsValueWhenTheRecordIsReadAgain() {
    OversizedDeadLetters oversized = new OversizedDeadLetters();
    Map<String, Object> config = new java.util.HashMap<>(CONFIG);
    config.put(InputDlq.OVERSIZED_CONFIG, oversized);
    InputDlqDeserializationHandler deserialization = new InputDlqDeserializationHandler();
    deserialization.configure(config);
    WriteFailureHandler writes = new WriteFailureHandler();
    writes.configure(config);
    ConsumerRecord<byte[], byte[]> input = new ConsumerRecord<>("calls.events", 2, 41, KEY, VALUE);
    ProducerRecord<byte[], byte[]> first =
        deserialization
            .handleError(context(), input, catchDecodeError(VALUE))
            .deadLetterQueueRecords()
            .get(0);

    ProductionExceptionHandler.Response refused =
        writes.handleError(
            context(),
            first,
            new org.apache.kafka.common.errors.RecordTooLargeException("over max.message.bytes"));

    assertThat(refused.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
    assertThat(refused.deadLetterQueueRecords()).isEmpty();
    ProducerRecord<byte[], byte[]> again =
        deserialization
            .handleError(context(), input, catchDecodeError(VALUE))
            .deadLetterQueueRecords()
            .get(0);
    assertThat(again.value()).isNull();
    assertThat(again.key()).isEqualTo(KEY);
    assertThat(header(again, InputDlq.VALUE_DROPPED_HEADER))
        .isEqualTo(String.valueOf(VALUE.length));
    assertThat(header(again, InputDlq.REASON_HEADER)).isEqualTo("bad-magic-byte");

    ProducerRecord<byte[], byte[]> changelog =
        new ProducerRecord<>("app-call-state-changelog", KEY, VALUE);
    assertThat(
            writes
                .handleError(
                    context(),
                    changelog,
                    new org.apache.kafka.common.errors.InvalidTimestampException("too far ahead"))
                .result())
        .isEqualTo(ProductionExceptionHandler.Result.FAIL);
    assertThat(
            writes
                .handleError(
                    context(),
                    changelog,
                    new org.apache.kafka.common.errors.RecordTooLargeException("too large"))
                .deadLetterQueueRecords())
        .isEmpty();
    assertThat(
            writes
                .handleError(
                    context(),
                    changelog,
                    new org.apache.kafka.common.errors.TimeoutException("expired"))
                .result())
        .isEqualTo(ProductionExceptionHandler.Result.RETRY);
  }

  private static Exception catchDecodeError(byte[] value) {
    try {
      WireFormat.decode(value);
    } catch (RuntimeException e) {
      return new dev.bluejaybridge.serde.TelemetryDecodeException(
          "bad-magic-byte", "calls.events", java.util.OptionalInt.empty(), e.getMessage(), e);
    }
    throw new AssertionError("expected a decode error");
  }
}
