package dev.bluejaybridge.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import dev.bluejaybridge.config.Durations;
import dev.bluejaybridge.errors.PoisonRecordException;
import dev.bluejaybridge.serde.TelemetryDecodeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;

/**
 * The checks of docs/topics.md that a decoded record must pass before it joins its call: a key
 * equal to its non-empty {@code call_id}, offsets that are not negative, JSON text that parses (and
 * is an object where one is required) within {@link #MAX_JSON_DEPTH} levels, an {@code occurred_at}
 * within the configured tolerance. A failure is a {@link PoisonRecordException} with a stable
 * reason.
 */
public final class TelemetryValidator {
  /**
   * How deep the JSON fields may nest. Well below what the delivery side can write (Jackson's
   * {@code StreamWriteConstraints} allow 1000 levels, and a request body wraps a field in a few
   * more), so that a record that passes here can always be sent; deeper JSON is {@code
   * decode-limit}.
   */
  public static final int MAX_JSON_DEPTH = 100;

  /**
   * How many characters a JSON number may have (Jackson's default, stated): longer is {@code
   * decode-limit}.
   */
  public static final int MAX_JSON_NUMBER_LENGTH = 1_000;

  /** The longest part of a message that quotes the record (a key, a call_id). */
  private static final int MAX_QUOTED_CHARS = 200;

  /**
   * Validation: nesting and number length bounded; strings are bounded only by {@code
   * call.max-record-bytes}, which the whole value is under.
   */
  private static final ObjectMapper JSON = mapper(MAX_JSON_DEPTH);

  /**
   * Reading text that passed validation (Jackson's default depth, so that state written before the
   * depth limit still reads).
   */
  private static final ObjectMapper VALIDATED_JSON =
      mapper(StreamReadConstraints.DEFAULT_MAX_DEPTH)
          // Numbers reach Bluejay as they were written: read as double, 1e400 became "Infinity",
          // 1e-400 became 0 and a 40-digit amount lost its digits (issue 13, found from outside).
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

  /**
   * The longest {@code call_id}, in UTF-8 bytes. The id is the key of every state record and a
   * segment of the update-log path (Bluejay takes URLs up to 2 083 characters); a longer one is
   * poison ({@code call-id-too-long}) rather than a state record the broker refuses.
   */
  public static final int MAX_CALL_ID_BYTES = 512;

  private static ObjectMapper mapper(int maxDepth) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(maxDepth)
                    .maxNumberLength(MAX_JSON_NUMBER_LENGTH)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .build();
    return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  private TelemetryValidator() {}

  /**
   * Checks one record.
   *
   * @throws PoisonRecordException naming the first problem found
   */
  public static void validate(String key, SpecificRecord value) {
    if (value == null) {
      throw new PoisonRecordException(
          "null-value", "record has no value (key=" + quoted(key) + ")");
    }
    if (key == null) {
      throw new PoisonRecordException("null-key", "record has no key; the key must be the call_id");
    }
    String callId = Telemetry.callId(value);
    if (callId.isEmpty()) {
      throw new PoisonRecordException("empty-call-id", "call_id is empty");
    }
    int callIdBytes = callId.getBytes(StandardCharsets.UTF_8).length;
    if (callIdBytes > MAX_CALL_ID_BYTES) {
      throw new PoisonRecordException(
          "call-id-too-long",
          "call_id '"
              + quoted(callId)
              + "' is "
              + callIdBytes
              + " bytes long; at most "
              + MAX_CALL_ID_BYTES
              + " are taken");
    }
    if (!key.equals(callId)) {
      throw new PoisonRecordException(
          "key-mismatch",
          "key '" + quoted(key) + "' differs from call_id '" + quoted(callId) + "'");
    }
    if (value instanceof ToolCall toolCall) {
      offset("start_offset_ms", toolCall.getStartOffsetMs());
      jsonObject("parameters_json", toolCall.getParametersJson());
      json("output_json", toolCall.getOutputJson());
    } else if (value instanceof CallEvent event) {
      offset("start_offset_ms", event.getStartOffsetMs());
      if (event.getEndOffsetMs() != null) {
        offset("end_offset_ms", event.getEndOffsetMs());
      }
      jsonObject("metadata_json", event.getMetadataJson());
      jsonObject("call_metadata_json", event.getCallMetadataJson());
    } else if (value instanceof TranscriptTurn turn) {
      offset("start_offset_ms", turn.getStartOffsetMs());
      offset("end_offset_ms", turn.getEndOffsetMs());
    }
  }

  /**
   * Checks a record's {@code occurred_at}: at most {@code maxAhead} after {@code now} (this
   * instance's wall clock), at most {@code maxBehind} before {@code newest} (the later of the wall
   * clock and the newest {@code occurred_at} its task has seen; ignored while negative, i.e.
   * unknown).
   *
   * @throws PoisonRecordException {@code bad-timestamp}
   */
  public static void occurredAt(
      SpecificRecord value, long now, long newest, Duration maxAhead, Duration maxBehind) {
    long occurredAt = Telemetry.occurredAt(value);
    if (occurredAt > now + maxAhead.toMillis()) {
      throw new PoisonRecordException(
          "bad-timestamp",
          "occurred_at "
              + Instant.ofEpochMilli(occurredAt)
              + " is more than input.max-ahead="
              + Durations.format(maxAhead)
              + " after now ("
              + Instant.ofEpochMilli(now)
              + ")");
    }
    if (newest >= 0 && occurredAt < newest - maxBehind.toMillis()) {
      throw new PoisonRecordException(
          "bad-timestamp",
          "occurred_at "
              + Instant.ofEpochMilli(occurredAt)
              + " is more than input.max-behind="
              + Durations.format(maxBehind)
              + " before now or the newest occurred_at seen ("
              + Instant.ofEpochMilli(newest)
              + ")");
    }
  }

  /** Parses JSON text that already passed {@link #validate}; {@code null} stays {@code null}. */
  public static JsonNode parse(String text) {
    if (text == null) {
      return null;
    }
    try {
      return VALIDATED_JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("JSON text changed after validation", e);
    }
  }

  private static void offset(String field, long value) {
    if (value < 0) {
      throw new PoisonRecordException("negative-offset", field + " is negative: " + value);
    }
  }

  private static void json(String field, String text) {
    parseOrThrow(field, text);
  }

  private static void jsonObject(String field, String text) {
    JsonNode node = parseOrThrow(field, text);
    if (node != null && !node.isObject()) {
      throw new PoisonRecordException(
          "invalid-json",
          field + " must be a JSON object, not " + node.getNodeType().name().toLowerCase());
    }
  }

  private static JsonNode parseOrThrow(String field, String text) {
    if (text == null) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new PoisonRecordException("invalid-json", field + " is empty, not JSON");
      }
      return node;
    } catch (StreamConstraintsException e) {
      throw new PoisonRecordException(
          TelemetryDecodeException.DECODE_LIMIT,
          field + " is beyond what is decoded: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new PoisonRecordException(
          "invalid-json", field + " is not valid JSON: " + quoted(e.getOriginalMessage()));
    }
  }

  private static String quoted(String text) {
    if (text == null || text.length() <= MAX_QUOTED_CHARS) {
      return text;
    }
    return text.substring(0, MAX_QUOTED_CHARS) + "...(" + text.length() + " chars)";
  }
}
