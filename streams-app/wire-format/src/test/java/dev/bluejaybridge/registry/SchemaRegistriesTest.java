package dev.bluejaybridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchemaRegistriesTest {

  static final Duration TIMEOUT = Duration.ofSeconds(5);

  @AfterEach
  void dropMocks() {
    SchemaRegistries.dropMock("registries-test");
    SchemaRegistries.dropMock("registries-test-other");
  }

  @Test
  void sameMockNameGivesTheSameRegistry() {
    SchemaRegistry first =
        SchemaRegistries.create("mock://registries-test", Optional.empty(), TIMEOUT);
    SchemaRegistry second =
        SchemaRegistries.create(" mock://registries-test ", Optional.empty(), TIMEOUT);
    SchemaRegistry other =
        SchemaRegistries.create("mock://registries-test-other", Optional.empty(), TIMEOUT);

    assertThat(first).isInstanceOf(InMemorySchemaRegistry.class).isSameAs(second);
    assertThat(other).isNotSameAs(first);
  }

  @Test
  void droppedMockStartsEmptyNextTime() {
    SchemaRegistry first =
        SchemaRegistries.create("mock://registries-test", Optional.empty(), TIMEOUT);
    first.register("s", SchemaBuilder.record("R").fields().requiredInt("n").endRecord());

    SchemaRegistries.dropMock("registries-test");
    SchemaRegistry next =
        SchemaRegistries.create("mock://registries-test", Optional.empty(), TIMEOUT);

    assertThat(next).isNotSameAs(first);
    assertThatThrownBy(() -> next.latest("s")).isInstanceOf(UnknownSchemaException.class);
  }

  @Test
  void httpUrlsGiveACachedRestRegistryOverEachUrl() {
    SchemaRegistry registry =
        SchemaRegistries.create(
            "http://registry-a:8081, https://registry-b.example.com/", Optional.of("u:p"), TIMEOUT);

    assertThat(registry).isInstanceOf(CachingSchemaRegistry.class);
    assertThat(registry.toString())
        .contains("RestSchemaRegistry")
        .contains("http://registry-a:8081")
        .contains("https://registry-b.example.com]");
  }

  @Test
  void invalidUrlIsRejectedNamingIt() {
    assertThatThrownBy(
            () -> SchemaRegistries.create("http://ok:8081,ftp://bad:21", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ftp://bad:21'");
    assertThatThrownBy(() -> SchemaRegistries.create("not a url", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'not a url'");
    assertThatThrownBy(() -> SchemaRegistries.create("http://", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'http://'");
    assertThatThrownBy(() -> SchemaRegistries.create("http://h:1?x=1", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'http://h:1?x=1'");
  }

  @Test
  void credentialsInUrlAreRejectedWithoutShowingThem() {
    assertThatThrownBy(
            () ->
                SchemaRegistries.create(
                    "http://bob:hunter2@registry:8081", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("registry:8081")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void emptyUrlListIsRejected() {
    assertThatThrownBy(() -> SchemaRegistries.create(" , ", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SchemaRegistries.create(null, Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void mockUrlMustStandAloneAndHaveAName() {
    assertThatThrownBy(
            () ->
                SchemaRegistries.create(
                    "mock://registries-test,http://h:1", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mock://");
    assertThatThrownBy(() -> SchemaRegistries.create("mock://", Optional.empty(), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'mock://'");
  }

  @Test
  void nonPositiveTimeoutIsRejected() {
    assertThatThrownBy(() -> SchemaRegistries.create("http://h:1", Optional.empty(), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout");
  }
}
