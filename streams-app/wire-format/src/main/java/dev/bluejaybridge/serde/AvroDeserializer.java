package dev.bluejaybridge.serde;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.registry.UnknownSchemaException;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Conversion;
import org.apache.avro.Resolver;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Confluent wire-format Avro values into a generated class {@code T}, resolving each record's
 * writer schema (from the registry, by the id in the header) against {@code T}'s schema, so writers
 * that added optional fields still decode. Null in, null out.
 *
 * <p>Every malformed value throws {@link TelemetryDecodeException} with its reason; {@link
 * dev.bluejaybridge.registry.RegistryUnavailableException} (and other registry failures that are
 * not "unknown id") propagate unchanged, since they are not the record's fault.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

  private static final Logger LOGGER = LoggerFactory.getLogger(AvroDeserializer.class);
  private static final long MAX_WRITER_SCHEMAS = 1_000;

  /** How to read values of one writer schema: a datum reader, or why there is none. */
  private record Decoding<T>(Schema writer, DatumReader<T> reader, String mismatch) {}

  private final SchemaRegistry registry;
  private final SpecificData model;
  private final Schema readerSchema;
  private final Cache<Integer, Decoding<T>> decodingsByWriterId;
  private final int maxBytes;

  /**
   * A deserializer of {@code type}, a class generated from an Avro schema, for values of any size.
   *
   * @param registry where writer schemas are looked up by id; should cache ({@link
   *     dev.bluejaybridge.registry.CachingSchemaRegistry})
   */
  public AvroDeserializer(SchemaRegistry registry, Class<T> type) {
    this(registry, type, Integer.MAX_VALUE);
  }

  /**
   * As {@link #AvroDeserializer(SchemaRegistry, Class)}; a value longer than {@code maxBytes}
   * (header included) is refused unread, as {@link TelemetryDecodeException#RECORD_TOO_LARGE}.
   */
  public AvroDeserializer(SchemaRegistry registry, Class<T> type, int maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.registry = Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(type, "type");
    this.model = boundedModel(type);
    this.readerSchema = model.getSchema(type);
    if (readerSchema.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException(type.getName() + " is not a generated Avro record class");
    }
    this.decodingsByWriterId = Caffeine.newBuilder().maximumSize(MAX_WRITER_SCHEMAS).build();
  }

  /**
   * A model for {@code type} that reads with Avro's fast reader whatever {@code
   * org.apache.avro.fastread} says, with the class's own logical-type conversions (timestamp-millis
   * to Instant).
   *
   * <p>The fast reader is what keeps the decode within the work {@link BoundedAvroWalk} allowed. It
   * skips a field only the writer has with {@code GenericDatumReader.skip}, which walks the value
   * by the writer schema exactly as the walk did (one step per schema node, the same depth, whole
   * blocks skipped by their byte size), and builds the reader's objects only for what the reader
   * schema (ours, small, not the writer's) has; preparing a writer schema is linear in its size
   * ({@code Resolver}, which visits each named type once; skipping is prepared per field, not per
   * type). So once the walk passes, the decode does at most a small multiple of its work. Avro's
   * older grammar-based reader (when the property is false) prepares a writer schema by inlining
   * every nested record: a writer-only field of type {@code ["null", R40]} takes 2^40 steps before
   * the first value, whatever the value, and a record that contains itself overflows the stack.
   */
  private static SpecificData boundedModel(Class<?> type) {
    SpecificData model = new SpecificData(type.getClassLoader());
    for (Conversion<?> conversion : SpecificData.getForClass(type).getConversions()) {
      model.addLogicalTypeConversion(conversion);
    }
    model.setFastReaderEnabled(true);
    return model;
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (data.length > maxBytes) {
      // Refused before decoding: a value this size would be held in the call's state and sent to
      // Bluejay whole.
      throw new TelemetryDecodeException(
          TelemetryDecodeException.RECORD_TOO_LARGE,
          topic,
          OptionalInt.empty(),
          "the value is " + data.length + " bytes, over call.max-record-bytes=" + maxBytes,
          null);
    }
    WireFormat.Framed framed;
    try {
      framed = WireFormat.decode(data);
    } catch (WireFormatException e) {
      String reason =
          e.problem() == WireFormatException.Problem.BAD_MAGIC_BYTE
              ? TelemetryDecodeException.BAD_MAGIC_BYTE
              : TelemetryDecodeException.TRUNCATED;
      throw new TelemetryDecodeException(reason, topic, OptionalInt.empty(), e.getMessage(), e);
    }
    int schemaId = framed.schemaId();
    Decoding<T> decoding;
    try {
      decoding = decodingsByWriterId.get(schemaId, this::decodingFor);
    } catch (UnknownSchemaException e) {
      throw new TelemetryDecodeException(
          TelemetryDecodeException.UNKNOWN_SCHEMA_ID,
          topic,
          OptionalInt.of(schemaId),
          e.getMessage(),
          e);
    }
    if (decoding.mismatch() != null) {
      throw new TelemetryDecodeException(
          TelemetryDecodeException.SCHEMA_MISMATCH,
          topic,
          OptionalInt.of(schemaId),
          decoding.mismatch(),
          null);
    }
    return decode(topic, schemaId, decoding, framed);
  }

  private T decode(String topic, int schemaId, Decoding<T> decoding, WireFormat.Framed framed) {
    byte[] data = framed.data();
    int offset = framed.payloadOffset();
    int length = framed.payloadLength();
    try {
      // First walk the bytes without building anything (BoundedAvroWalk): Avro allocates a
      // string's or an array's declared size before it finds the bytes missing, and skips a
      // writer-only field's items (or a zero-byte tree of 2^41 empty records) without any limit,
      // so a corrupt or hostile value would otherwise cost gigabytes or hold the thread for good.
      // The walk also finds bytes left over after the record. The read below does no more work
      // than the walk allowed (see boundedModel).
      int left = BoundedAvroWalk.walk(decoding.writer(), data, offset, length);
      if (left != 0) {
        throw new TelemetryDecodeException(
            TelemetryDecodeException.UNDECODABLE,
            topic,
            OptionalInt.of(schemaId),
            left + " bytes left over after the record (payload is " + length + " bytes)",
            null);
      }
      BinaryDecoder in = DecoderFactory.get().binaryDecoder(data, offset, length, null);
      return decoding.reader().read(null, in);
    } catch (TelemetryDecodeException e) {
      throw e;
    } catch (BoundedAvroWalk.LimitExceeded e) {
      throw new TelemetryDecodeException(
          TelemetryDecodeException.DECODE_LIMIT,
          topic,
          OptionalInt.of(schemaId),
          e.getMessage() + " (payload is " + length + " bytes)",
          null);
    } catch (EOFException e) {
      throw new TelemetryDecodeException(
          TelemetryDecodeException.TRUNCATED,
          topic,
          OptionalInt.of(schemaId),
          "the Avro payload ends early (payload is " + length + " bytes)",
          e);
    } catch (AvroTypeException e) {
      // Raised by the resolving decoder for this record's data. Avro's text for an enum symbol
      // the reader lacks (and has no default for) is "No match for SYMBOL".
      boolean unknownSymbol = e.getMessage() != null && e.getMessage().startsWith("No match for ");
      throw new TelemetryDecodeException(
          unknownSymbol
              ? TelemetryDecodeException.UNKNOWN_ENUM_SYMBOL
              : TelemetryDecodeException.SCHEMA_MISMATCH,
          topic,
          OptionalInt.of(schemaId),
          e.getMessage(),
          e);
    } catch (IOException | RuntimeException e) {
      throw new TelemetryDecodeException(
          TelemetryDecodeException.UNDECODABLE,
          topic,
          OptionalInt.of(schemaId),
          e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          e);
    }
  }

  private Decoding<T> decodingFor(int schemaId) {
    Schema writer = registry.schemaById(schemaId);
    String mismatch = mismatch(writer);
    if (mismatch != null) {
      LOGGER.debug(
          "Writer schema does not resolve schema_id={} writer={} reader={} problem=\"{}\"",
          schemaId,
          writer.getFullName(),
          readerSchema.getFullName(),
          mismatch);
      return new Decoding<>(writer, null, mismatch);
    }
    LOGGER.debug(
        "New writer schema schema_id={} writer={} reader={}",
        schemaId,
        writer.getFullName(),
        readerSchema.getFullName());
    return new Decoding<>(writer, new SpecificDatumReader<>(writer, readerSchema, model), null);
  }

  /** Why {@code writer} cannot be read as the reader schema, or null if it can be tried. */
  private String mismatch(Schema writer) {
    List<String> problems = new ArrayList<>(2);
    // Avro's resolution ignores the record's name; a different record that happens to have the
    // same fields is still another topic's data.
    if (writer.getType() == Schema.Type.RECORD
        && !writer.getName().equals(readerSchema.getName())
        && !readerSchema.getAliases().contains(writer.getFullName())) {
      problems.add("the record names differ");
    }
    try {
      Resolver.Action action = Resolver.resolve(writer, readerSchema, model);
      if (action instanceof Resolver.ErrorAction) {
        problems.add(action.toString());
      }
    } catch (RuntimeException e) {
      problems.add(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return problems.isEmpty()
        ? null
        : "writer schema "
            + writer.getFullName()
            + " does not resolve against reader schema "
            + readerSchema.getFullName()
            + ": "
            + String.join("; ", problems);
  }
}
