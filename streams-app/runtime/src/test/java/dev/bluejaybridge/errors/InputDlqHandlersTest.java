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
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class InputDlqHandlersTest {
  private static final Map<String, Object> CONFIG =
      Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "calls.input-dlq");
  private static final byte[] KEY = "c-raw".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VALUE = {1, 2, 3, 4, 5, 6};

  private static ErrorHandlerContext context() {
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
        return 1_700_000_000_000L;
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

  @Test
  void unexpectedProcessingErrorIsDeadLetteredNotFatal() {
    InputDlqProcessingHandler handler = new InputDlqProcessingHandler();
    handler.configure(CONFIG);

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            context(), new Record<>("c-raw", "x", 0L), new IllegalStateException("bug"));

    assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    assertThat(response.deadLetterQueueRecords())
        .singleElement()
        .satisfies(
            record ->
                assertThat(header(record, InputDlq.REASON_HEADER)).isEqualTo("processing-error"));
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
