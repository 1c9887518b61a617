package dev.bluejaybridge.serde;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record value that cannot be decoded, with a short {@link #reason()} for the dead-letter topic.
 * The message names the topic and, when known, the schema id. Not thrown when the registry is
 * unreachable: that is transient and surfaces as the registry's own exception.
 */
public class TelemetryDecodeException extends SerializationException {

  /** The first byte is not the magic byte 0x00. */
  public static final String BAD_MAGIC_BYTE = "bad-magic-byte";

  /** Shorter than the 5-byte header, or the Avro payload ends early. */
  public static final String TRUNCATED = "truncated";

  /** The registry does not know the schema id. */
  public static final String UNKNOWN_SCHEMA_ID = "unknown-schema-id";

  /**
   * The writer schema does not resolve against the reader schema (or an enum symbol is unknown).
   */
  public static final String SCHEMA_MISMATCH = "schema-mismatch";

  /** Any other malformed payload, including bytes left over after the record. */
  public static final String UNDECODABLE = "undecodable";

  /**
   * The value holds an enum symbol the reader schema does not have (e.g. a writer whose {@code
   * Speaker} has {@code SYSTEM}): the writer schema resolves, this one record does not.
   */
  public static final String UNKNOWN_ENUM_SYMBOL = "unknown-enum-symbol";

  /** The value is larger than {@code call.max-record-bytes}; it is not decoded at all. */
  public static final String RECORD_TOO_LARGE = "record-too-large";

  /**
   * Decoding the value would cost far more than its size: more array items and map entries than
   * bytes (items of no width, such as {@code null}), more schema nodes than its size allows (a
   * zero-byte tree of empty records), or nesting deeper than the decoder allows.
   */
  public static final String DECODE_LIMIT = "decode-limit";

  private static final Set<String> REASONS =
      Set.of(
          BAD_MAGIC_BYTE,
          TRUNCATED,
          UNKNOWN_SCHEMA_ID,
          SCHEMA_MISMATCH,
          UNDECODABLE,
          UNKNOWN_ENUM_SYMBOL,
          RECORD_TOO_LARGE,
          DECODE_LIMIT);

  private final String reason;
  private final String topic;
  private final OptionalInt schemaId;

  /**
   * A decode failure.
   *
   * @param reason one of the constants of this class
   * @param topic the record's topic
   * @param schemaId the schema id of the record, if it could be read
   * @param detail what went wrong
   */
  public TelemetryDecodeException(
      String reason, String topic, OptionalInt schemaId, String detail, Throwable cause) {
    super(message(reason, topic, schemaId, detail), cause);
    if (!REASONS.contains(reason)) {
      throw new IllegalArgumentException("unknown decode failure reason: " + reason);
    }
    this.reason = reason;
    this.topic = topic;
    this.schemaId = Objects.requireNonNull(schemaId, "schemaId");
  }

  private static String message(String reason, String topic, OptionalInt schemaId, String detail) {
    StringBuilder message =
        new StringBuilder("Cannot decode record value: reason=")
            .append(reason)
            .append(" topic=")
            .append(topic);
    if (schemaId != null && schemaId.isPresent()) {
      message.append(" schema_id=").append(schemaId.getAsInt());
    }
    return message.append(": ").append(detail).toString();
  }

  /**
   * One of {@code bad-magic-byte}, {@code truncated}, {@code unknown-schema-id}, {@code
   * schema-mismatch}, {@code undecodable}, {@code unknown-enum-symbol}, {@code record-too-large},
   * {@code decode-limit}.
   */
  public String reason() {
    return reason;
  }

  /** The record's topic. */
  public String topic() {
    return topic;
  }

  /** The record's schema id, if its header could be read. */
  public OptionalInt schemaId() {
    return schemaId;
  }
}
