package dev.bluejaybridge.telemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.errors.PoisonRecordException;
import org.apache.avro.specific.SpecificRecord;

/**
 * The checks of docs/topics.md that a decoded record must pass before it joins its call: a key
 * equal to its non-empty {@code call_id}, offsets that are not negative, JSON text that parses (and
 * is an object where one is required). A failure is a {@link PoisonRecordException} with a stable
 * reason.
 */
public final class TelemetryValidator {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private TelemetryValidator() {}

  /**
   * Checks one record.
   *
   * @throws PoisonRecordException naming the first problem found
   */
  public static void validate(String key, SpecificRecord value) {
    if (value == null) {
      throw new PoisonRecordException("null-value", "record has no value (key=" + key + ")");
    }
    if (key == null) {
      throw new PoisonRecordException("null-key", "record has no key; the key must be the call_id");
    }
    String callId = Telemetry.callId(value);
    if (callId.isEmpty()) {
      throw new PoisonRecordException("empty-call-id", "call_id is empty");
    }
    if (!key.equals(callId)) {
      throw new PoisonRecordException(
          "key-mismatch", "key '" + key + "' differs from call_id '" + callId + "'");
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

  /** Parses JSON text that already passed {@link #validate}; {@code null} stays {@code null}. */
  public static JsonNode parse(String text) {
    if (text == null) {
      return null;
    }
    try {
      return JSON.readTree(text);
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
    } catch (JsonProcessingException e) {
      throw new PoisonRecordException(
          "invalid-json", field + " is not valid JSON: " + e.getOriginalMessage());
    }
  }
}
