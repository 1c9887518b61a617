package dev.bluejaybridge.serde;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.bluejaybridge.registry.RegistryException;
import dev.bluejaybridge.registry.RegistryUnavailableException;
import dev.bluejaybridge.registry.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes generated Avro records in the Confluent wire format, under the subject {@code
 * <topic>-value}. With auto-registration the schema is registered on first use; without, it must
 * already be registered. Ids are cached per (subject, schema). Null in, null out.
 *
 * <p>{@link RegistryUnavailableException} propagates unchanged (transient); other failures become
 * {@link SerializationException}s naming topic, subject and, when known, schema id.
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

  private static final long MAX_SUBJECT_SCHEMAS = 1_000;

  private record SubjectSchema(String subject, Schema schema) {}

  private final SchemaRegistry registry;
  private final boolean autoRegister;
  private final Cache<SubjectSchema, Integer> ids =
      Caffeine.newBuilder().maximumSize(MAX_SUBJECT_SCHEMAS).build();
  private final Map<Class<?>, DatumWriter<T>> writers = new ConcurrentHashMap<>();

  /**
   * A serializer that finds schema ids in {@code registry}.
   *
   * @param autoRegister register schemas on first use rather than only look them up
   */
  public AvroSerializer(SchemaRegistry registry, boolean autoRegister) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.autoRegister = autoRegister;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    Schema schema = data.getSchema();
    String subject = topic + "-value";
    int schemaId;
    try {
      schemaId =
          ids.get(
              new SubjectSchema(subject, schema),
              key ->
                  autoRegister
                      ? registry.register(subject, schema)
                      : registry.idOf(subject, schema));
    } catch (RegistryUnavailableException e) {
      throw e;
    } catch (RegistryException e) {
      throw new SerializationException(
          "Cannot serialize record value: topic="
              + topic
              + " subject="
              + subject
              + " schema="
              + schema.getFullName()
              + ": "
              + e.getMessage(),
          e);
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writerFor(data).write(data, encoder);
      encoder.flush();
      return WireFormat.encode(schemaId, out.toByteArray());
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot serialize record value: topic="
              + topic
              + " subject="
              + subject
              + " schema_id="
              + schemaId
              + ": "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          e);
    }
  }

  private DatumWriter<T> writerFor(T data) {
    return writers.computeIfAbsent(
        data.getClass(),
        type -> new SpecificDatumWriter<>(data.getSchema(), SpecificData.getForClass(type)));
  }
}
