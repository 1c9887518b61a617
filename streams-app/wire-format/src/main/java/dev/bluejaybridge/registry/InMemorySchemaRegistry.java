package dev.bluejaybridge.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * An in-process {@link SchemaRegistry} for tests and {@code mock://} URLs. Like a real registry:
 * ids are global and assigned 1, 2, 3…; the same schema gets the same id in every subject;
 * registering a schema a subject already holds returns its id without a new version. Thread-safe.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {

  private final String name;
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<Schema, Integer> idsBySchema = new HashMap<>();
  private final Map<String, List<RegisteredSchema>> versionsBySubject = new HashMap<>();

  /** An empty registry. */
  public InMemorySchemaRegistry() {
    this("in-memory");
  }

  /** An empty registry; {@code name} shows in messages. */
  public InMemorySchemaRegistry(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema schema = schemasById.get(id);
    if (schema == null) {
      throw new UnknownSchemaException("schema id " + id + " not found in registry " + name);
    }
    return schema;
  }

  @Override
  public synchronized int register(String subject, Schema schema) {
    checkSubject(subject);
    Objects.requireNonNull(schema, "schema");
    List<RegisteredSchema> versions =
        versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
    for (RegisteredSchema version : versions) {
      if (version.schema().equals(schema)) {
        return version.id();
      }
    }
    int id =
        idsBySchema.computeIfAbsent(
            schema,
            s -> {
              int next = schemasById.size() + 1;
              schemasById.put(next, s);
              return next;
            });
    versions.add(new RegisteredSchema(subject, versions.size() + 1, id, schema));
    return id;
  }

  @Override
  public synchronized int idOf(String subject, Schema schema) {
    checkSubject(subject);
    Objects.requireNonNull(schema, "schema");
    List<RegisteredSchema> versions = versionsBySubject.get(subject);
    if (versions == null) {
      throw new UnknownSchemaException("subject '" + subject + "' not found in registry " + name);
    }
    return versions.stream()
        .filter(version -> version.schema().equals(schema))
        .mapToInt(RegisteredSchema::id)
        .findFirst()
        .orElseThrow(
            () ->
                new UnknownSchemaException(
                    "schema "
                        + schema.getFullName()
                        + " is not registered under subject '"
                        + subject
                        + "' in registry "
                        + name));
  }

  @Override
  public synchronized RegisteredSchema latest(String subject) {
    checkSubject(subject);
    List<RegisteredSchema> versions = versionsBySubject.get(subject);
    if (versions == null || versions.isEmpty()) {
      throw new UnknownSchemaException("subject '" + subject + "' not found in registry " + name);
    }
    return versions.get(versions.size() - 1);
  }

  private static void checkSubject(String subject) {
    if (subject == null || subject.isEmpty()) {
      throw new IllegalArgumentException("subject must not be empty");
    }
  }

  @Override
  public String toString() {
    return "InMemorySchemaRegistry[" + name + "]";
  }
}
