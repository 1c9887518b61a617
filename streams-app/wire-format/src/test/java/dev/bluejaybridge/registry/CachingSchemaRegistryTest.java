package dev.bluejaybridge.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.bluejaybridge.registry.WireMockSupport.error;
import static dev.bluejaybridge.registry.WireMockSupport.json;
import static dev.bluejaybridge.registry.WireMockSupport.schemaJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CachingSchemaRegistryTest {

  static final Schema SCHEMA =
      SchemaBuilder.record("Ping").fields().requiredString("id").endRecord();
  static final Schema NEWER =
      SchemaBuilder.record("Ping").fields().requiredString("id").optionalLong("at").endRecord();

  @RegisterExtension static WireMockExtension server = WireMockSupport.server();

  private CachingSchemaRegistry cachedRest() {
    return new CachingSchemaRegistry(
        new RestSchemaRegistry(List.of(server.baseUrl()), Optional.empty(), Duration.ofSeconds(2)));
  }

  @Test
  void secondSchemaByIdForSameIdMakesNoHttpCall() {
    server.stubFor(get("/schemas/ids/5").willReturn(schemaJson(SCHEMA)));
    CachingSchemaRegistry registry = cachedRest();

    Schema first = registry.schemaById(5);
    Schema second = registry.schemaById(5);

    assertThat(second).isSameAs(first).isEqualTo(SCHEMA);
    server.verify(1, getRequestedFor(urlEqualTo("/schemas/ids/5")));
  }

  @Test
  void unavailableRegistryIsNotCached() {
    server.stubFor(get("/schemas/ids/5").willReturn(aResponse().withStatus(503)));
    CachingSchemaRegistry registry = cachedRest();

    assertThatThrownBy(() -> registry.schemaById(5))
        .isInstanceOf(RegistryUnavailableException.class);
    server.stubFor(get("/schemas/ids/5").willReturn(schemaJson(SCHEMA)));

    assertThat(registry.schemaById(5)).isEqualTo(SCHEMA);
    server.verify(2, getRequestedFor(urlEqualTo("/schemas/ids/5")));
  }

  @Test
  void notFoundIsNotCached() {
    server.stubFor(get("/schemas/ids/6").willReturn(error(404, 40403, "Schema 6 not found")));
    CachingSchemaRegistry registry = cachedRest();

    assertThatThrownBy(() -> registry.schemaById(6)).isInstanceOf(UnknownSchemaException.class);
    assertThatThrownBy(() -> registry.schemaById(6)).isInstanceOf(UnknownSchemaException.class);

    server.verify(2, getRequestedFor(urlEqualTo("/schemas/ids/6")));
  }

  @Test
  void registeredIdIsReusedAndItsSchemaServedByIdWithoutHttpCalls() {
    server.stubFor(post("/subjects/s-value/versions").willReturn(json(200, Map.of("id", 9))));
    CachingSchemaRegistry registry = cachedRest();

    assertThat(registry.register("s-value", SCHEMA)).isEqualTo(9);
    assertThat(registry.register("s-value", SCHEMA)).isEqualTo(9);
    assertThat(registry.idOf("s-value", SCHEMA)).isEqualTo(9);
    assertThat(registry.schemaById(9)).isEqualTo(SCHEMA);

    server.verify(1, postRequestedFor(urlEqualTo("/subjects/s-value/versions")));
    server.verify(0, postRequestedFor(urlEqualTo("/subjects/s-value")));
    server.verify(0, getRequestedFor(urlEqualTo("/schemas/ids/9")));
  }

  @Test
  void idsAreCachedPerSubject() {
    CountingRegistry delegate = new CountingRegistry();
    CachingSchemaRegistry registry = new CachingSchemaRegistry(delegate);

    int a = registry.register("a-value", SCHEMA);
    int b = registry.register("b-value", SCHEMA);
    registry.register("a-value", SCHEMA);

    assertThat(a).isEqualTo(b);
    assertThat(delegate.registers).hasValue(2);
  }

  @Test
  void latestIsReusedUntilItsTtlPasses() {
    CountingRegistry delegate = new CountingRegistry();
    AtomicLong nanos = new AtomicLong();
    CachingSchemaRegistry registry =
        new CachingSchemaRegistry(delegate, 100, Duration.ofSeconds(30), nanos::get);
    delegate.register("s-value", SCHEMA);

    assertThat(registry.latest("s-value").version()).isEqualTo(1);
    delegate.register("s-value", NEWER);
    nanos.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(registry.latest("s-value").version()).isEqualTo(1);
    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    RegisteredSchema latest = registry.latest("s-value");

    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.schema()).isEqualTo(NEWER);
    assertThat(delegate.latests).hasValue(2);
  }

  @Test
  void zeroLatestTtlAlwaysAsks() {
    CountingRegistry delegate = new CountingRegistry();
    CachingSchemaRegistry registry =
        new CachingSchemaRegistry(delegate, 100, Duration.ZERO, () -> 0L);
    delegate.register("s-value", SCHEMA);

    registry.latest("s-value");
    registry.latest("s-value");

    assertThat(delegate.latests).hasValue(2);
  }

  @Test
  void cachesRecordStatisticsForMetrics() {
    CountingRegistry delegate = new CountingRegistry();
    int id = delegate.register("s-value", SCHEMA);
    CachingSchemaRegistry registry = new CachingSchemaRegistry(delegate);

    registry.schemaById(id);
    registry.schemaById(id);
    registry.schemaById(id);

    Map<String, Cache<?, ?>> caches = registry.caches();
    assertThat(caches)
        .containsOnlyKeys("schemas_by_id", "ids_by_subject_schema", "latest_by_subject");
    assertThat(caches.get("schemas_by_id").stats().hitCount()).isEqualTo(2);
    assertThat(caches.get("schemas_by_id").stats().missCount()).isEqualTo(1);
    assertThat(delegate.byIds).hasValue(1);
  }

  @Test
  void closeClosesTheDelegate() {
    AtomicBoolean closed = new AtomicBoolean();
    CachingSchemaRegistry registry =
        new CachingSchemaRegistry(
            new CountingRegistry() {
              @Override
              public void close() {
                closed.set(true);
              }
            });

    registry.close();

    assertThat(closed).isTrue();
  }

  /** An in-memory registry that counts the calls reaching it. */
  static class CountingRegistry implements SchemaRegistry {
    final InMemorySchemaRegistry delegate = new InMemorySchemaRegistry();
    final AtomicInteger byIds = new AtomicInteger();
    final AtomicInteger registers = new AtomicInteger();
    final AtomicInteger latests = new AtomicInteger();

    @Override
    public Schema schemaById(int id) {
      byIds.incrementAndGet();
      return delegate.schemaById(id);
    }

    @Override
    public int register(String subject, Schema schema) {
      registers.incrementAndGet();
      return delegate.register(subject, schema);
    }

    @Override
    public int idOf(String subject, Schema schema) {
      return delegate.idOf(subject, schema);
    }

    @Override
    public RegisteredSchema latest(String subject) {
      latests.incrementAndGet();
      return delegate.latest(subject);
    }
  }
}
