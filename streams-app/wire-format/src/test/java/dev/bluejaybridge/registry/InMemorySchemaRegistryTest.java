package dev.bluejaybridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

class InMemorySchemaRegistryTest {

  static final Schema V1 = SchemaBuilder.record("Ping").fields().requiredString("id").endRecord();
  static final Schema V2 =
      SchemaBuilder.record("Ping").fields().requiredString("id").optionalLong("at").endRecord();
  static final Schema OTHER = SchemaBuilder.record("Pong").fields().requiredInt("n").endRecord();

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

  @Test
  void assignsIdsOneTwoThree() {
    assertThat(registry.register("a", V1)).isEqualTo(1);
    assertThat(registry.register("a", V2)).isEqualTo(2);
    assertThat(registry.register("b", OTHER)).isEqualTo(3);
  }

  @Test
  void sameSchemaInASubjectKeepsItsIdAndAddsNoVersion() {
    int first = registry.register("a", V1);
    int again = registry.register("a", V1);

    assertThat(again).isEqualTo(first);
    assertThat(registry.latest("a")).isEqualTo(new RegisteredSchema("a", 1, first, V1));
  }

  @Test
  void sameSchemaInAnotherSubjectGetsTheSameId() {
    int inA = registry.register("a", V1);
    int inB = registry.register("b", V1);

    assertThat(inB).isEqualTo(inA);
    assertThat(registry.latest("b").version()).isEqualTo(1);
  }

  @Test
  void latestIsTheLastVersionRegistered() {
    registry.register("a", V1);
    int id = registry.register("a", V2);

    assertThat(registry.latest("a")).isEqualTo(new RegisteredSchema("a", 2, id, V2));
  }

  @Test
  void schemaByIdAndIdOfFindRegisteredSchemas() {
    int id = registry.register("a", V1);

    assertThat(registry.schemaById(id)).isEqualTo(V1);
    assertThat(registry.idOf("a", V1)).isEqualTo(id);
  }

  @Test
  void unknownIdIsUnknownSchemaExceptionNamingIt() {
    assertThatThrownBy(() -> registry.schemaById(42))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("schema id 42");
  }

  @Test
  void schemaNotInSubjectIsUnknownSchemaExceptionNamingTheSubject() {
    registry.register("a", V1);
    registry.register("b", V2);

    assertThatThrownBy(() -> registry.idOf("a", V2))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("subject 'a'");
    assertThatThrownBy(() -> registry.idOf("c", V1))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("subject 'c'");
  }

  @Test
  void latestOfUnknownSubjectIsUnknownSchemaException() {
    assertThatThrownBy(() -> registry.latest("nope"))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("subject 'nope'");
  }

  @Test
  void concurrentRegistrationsAgreeOnIds() throws Exception {
    List<Schema> schemas = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      schemas.add(SchemaBuilder.record("R" + i).fields().requiredInt("n").endRecord());
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<Integer>>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            pool.submit(
                () -> {
                  List<Integer> ids = new ArrayList<>();
                  for (Schema schema : schemas) {
                    ids.add(registry.register("s", schema));
                  }
                  return ids;
                }));
      }
      List<Integer> first = results.get(0).get();
      for (Future<List<Integer>> result : results) {
        assertThat(result.get()).isEqualTo(first);
      }
      Set<Integer> distinct = new HashSet<>(first);
      assertThat(distinct).hasSize(20).allSatisfy(id -> assertThat(id).isBetween(1, 20));
      assertThat(registry.latest("s").version()).isEqualTo(20);
    } finally {
      pool.shutdownNow();
    }
  }
}
