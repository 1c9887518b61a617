package dev.bluejaybridge.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/** One version of a subject: its version number, global schema id and schema. */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {

  /** Checks that subject and schema are present. */
  public RegisteredSchema {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(schema, "schema");
  }
}
