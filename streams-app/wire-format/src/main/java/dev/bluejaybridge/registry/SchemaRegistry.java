package dev.bluejaybridge.registry;

import org.apache.avro.Schema;

/**
 * A Confluent-compatible schema registry: Avro schemas by global id, and ids by subject.
 *
 * <p>Implementations are thread-safe. Failures are typed: {@link UnknownSchemaException} when the
 * registry says the schema or subject does not exist, {@link RegistryUnavailableException} when no
 * registry could be reached (transient: retry), {@link RegistryException} for anything else.
 */
public interface SchemaRegistry extends AutoCloseable {

  /**
   * The schema registered under the global id {@code id}.
   *
   * @throws UnknownSchemaException if the registry has no schema with that id
   */
  Schema schemaById(int id);

  /**
   * Registers {@code schema} under {@code subject} (a no-op if it is already there) and returns its
   * global id.
   */
  int register(String subject, Schema schema);

  /**
   * The global id of {@code schema}, which must already be registered under {@code subject}.
   *
   * @throws UnknownSchemaException if the subject does not exist or does not hold the schema
   */
  int idOf(String subject, Schema schema);

  /**
   * The latest version registered under {@code subject}.
   *
   * @throws UnknownSchemaException if the subject does not exist
   */
  RegisteredSchema latest(String subject);

  /** Releases resources; never closes a shared registry. */
  @Override
  default void close() {}
}
