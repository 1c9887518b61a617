package dev.bluejaybridge.registry;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Builds the {@link SchemaRegistry} that a configured URL list names. */
public final class SchemaRegistries {

  /** The scheme of in-process registries, as in Confluent's serdes: {@code mock://NAME}. */
  public static final String MOCK_SCHEME = "mock://";

  // JVM-wide on purpose: serdes built in different places from the same mock:// URL must share
  // one registry, as with Confluent's MockSchemaRegistry scopes.
  private static final ConcurrentMap<String, InMemorySchemaRegistry> MOCKS =
      new ConcurrentHashMap<>();

  private SchemaRegistries() {}

  /**
   * The registry at {@code urls}.
   *
   * @param urls comma-separated http(s) base URLs, tried in order with failover; or a single {@code
   *     mock://NAME}, which gives the JVM-wide in-memory registry of that name
   * @param basicAuth {@code user:password}, for the http(s) URLs
   * @param timeout connect and request timeout, for the http(s) URLs
   * @return a {@link CachingSchemaRegistry} over a {@link RestSchemaRegistry}, or the named {@link
   *     InMemorySchemaRegistry}
   * @throws IllegalArgumentException naming the URL that is invalid
   */
  public static SchemaRegistry create(String urls, Optional<String> basicAuth, Duration timeout) {
    Objects.requireNonNull(basicAuth, "basicAuth");
    Objects.requireNonNull(timeout, "timeout");
    List<String> list =
        urls == null
            ? List.of()
            : Arrays.stream(urls.split(",")).map(String::strip).filter(u -> !u.isEmpty()).toList();
    if (list.isEmpty()) {
      throw new IllegalArgumentException("no schema registry URL given: '" + urls + "'");
    }
    boolean anyMock = list.stream().anyMatch(SchemaRegistries::isMock);
    if (anyMock) {
      if (list.size() > 1) {
        throw new IllegalArgumentException(
            "a mock:// schema registry URL must be the only one: '" + urls + "'");
      }
      String name = list.get(0).substring(MOCK_SCHEME.length());
      if (name.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid schema registry URL '" + list.get(0) + "': mock:// needs a name");
      }
      return MOCKS.computeIfAbsent(name, n -> new InMemorySchemaRegistry(MOCK_SCHEME + n));
    }
    return new CachingSchemaRegistry(new RestSchemaRegistry(list, basicAuth, timeout));
  }

  /** Forgets the in-memory registry {@code mock://name}; the next create starts an empty one. */
  public static void dropMock(String name) {
    MOCKS.remove(name);
  }

  private static boolean isMock(String url) {
    return url.regionMatches(true, 0, MOCK_SCHEME, 0, MOCK_SCHEME.length());
  }
}
