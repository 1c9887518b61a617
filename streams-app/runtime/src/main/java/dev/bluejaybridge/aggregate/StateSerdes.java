package dev.bluejaybridge.aggregate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Serdes of the state stores' values (aggregate and delivery), readable across upgrades.
 *
 * <p>A value is written in Avro's single-object encoding: a header with the 64-bit fingerprint of
 * the schema that wrote it, then the binary record. It is read with the schema of this version,
 * resolving from the schema that wrote it, found by its fingerprint among every released version of
 * that record's schema: the history kept in this module's resources under {@value #HISTORY} {@code
 * <RecordName>/v1.avsc, v2.avsc, …} (whole schemas, with the telemetry records a {@code CallPart}
 * embeds). So state written by an earlier version stays readable after an upgrade that changes a
 * state schema, or an input schema a state record embeds, compatibly.
 *
 * <p>Whoever changes one of those schemas adds its new version to the history ({@code
 * StateSchemaHistoryTest} fails until then, and checks each kept version can be read by the current
 * one).
 */
public final class StateSerdes {
  /** Where the schema history lies among the resources. */
  public static final String HISTORY = "state-schemas/";

  private StateSerdes() {}

  /** Writes a value in single-object encoding, e.g. {@code CallState::toByteBuffer}. */
  @FunctionalInterface
  public interface Encoder<T> {
    ByteBuffer encode(T value) throws IOException;
  }

  /**
   * The serde of one state record.
   *
   * @param schema the schema this version writes and reads with, e.g. {@code
   *     CallState.getClassSchema()}
   * @param encoder e.g. {@code CallState::toByteBuffer}
   * @param decoder e.g. {@code CallState::createDecoder}: a decoder to {@code schema} resolving the
   *     writer schemas of the given store
   */
  public static <T extends SpecificRecord> Serde<T> of(
      Schema schema, Encoder<T> encoder, Function<SchemaStore, BinaryMessageDecoder<T>> decoder) {
    SchemaStore.Cache writers = new SchemaStore.Cache();
    history(schema.getName()).forEach(writers::addSchema);
    BinaryMessageDecoder<T> decode = decoder.apply(writers);
    String name = schema.getName();
    return Serdes.serdeFrom(
        (topic, value) -> value == null ? null : bytes(encode(encoder, value, name)),
        (topic, bytes) -> bytes == null ? null : decode(decode, bytes, name));
  }

  /**
   * Every released version of the named state record's schema, oldest first (empty when it has no
   * history).
   */
  public static List<Schema> history(String recordName) {
    List<Schema> versions = new ArrayList<>();
    ClassLoader loader = StateSerdes.class.getClassLoader();
    for (int version = 1; ; version++) {
      String resource = HISTORY + recordName + "/v" + version + ".avsc";
      try (InputStream in = loader.getResourceAsStream(resource)) {
        if (in == null) {
          return versions;
        }
        versions.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + resource, e);
      }
    }
  }

  private static <T> ByteBuffer encode(Encoder<T> encoder, T value, String name) {
    try {
      return encoder.encode(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + name, e);
    }
  }

  private static <T> T decode(BinaryMessageDecoder<T> decoder, byte[] bytes, String name) {
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new IllegalStateException(
          name
              + " state written with a schema this version does not know (fingerprint "
              + fingerprint(bytes)
              + "): it is not in "
              + HISTORY
              + name
              + "/",
          e);
    } catch (BadHeaderException e) {
      throw new IllegalStateException(name + " state is not in single-object encoding", e);
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable " + name + " state", e);
    }
  }

  /** The writer schema's fingerprint in the header: 2 marker bytes, then 8 bytes little-endian. */
  private static String fingerprint(byte[] bytes) {
    if (bytes.length < 10) {
      return "none";
    }
    return String.format(
        "%016x", ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
