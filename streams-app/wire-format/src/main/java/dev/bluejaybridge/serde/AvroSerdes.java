package dev.bluejaybridge.serde;

import dev.bluejaybridge.registry.SchemaRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Confluent wire-format Avro serdes for generated record classes. */
public final class AvroSerdes {

  private AvroSerdes() {}

  /**
   * A value serde of {@code type}. Closing it does not close {@code registry}, which is shared.
   *
   * @param autoRegister whether the serializer registers schemas on first use
   */
  public static <T extends SpecificRecord> Serde<T> serde(
      SchemaRegistry registry, Class<T> type, boolean autoRegister) {
    return Serdes.serdeFrom(
        new AvroSerializer<>(registry, autoRegister), new AvroDeserializer<>(registry, type));
  }

  /**
   * As {@link #serde(SchemaRegistry, Class, boolean)}, whose deserializer refuses values over
   * {@code maxBytes} ({@code record-too-large}).
   */
  public static <T extends SpecificRecord> Serde<T> serde(
      SchemaRegistry registry, Class<T> type, boolean autoRegister, int maxBytes) {
    return Serdes.serdeFrom(
        new AvroSerializer<>(registry, autoRegister),
        new AvroDeserializer<>(registry, type, maxBytes));
  }
}
