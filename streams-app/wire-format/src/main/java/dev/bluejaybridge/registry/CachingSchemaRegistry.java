package dev.bluejaybridge.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * Caches another {@link SchemaRegistry} with Caffeine: schemas by id and ids by (subject, schema)
 * for as long as they fit (both are immutable in a registry), the latest version of a subject for a
 * short time. Failures are not cached. Statistics are recorded; {@link #caches()} exposes the
 * caches for metrics.
 */
public final class CachingSchemaRegistry implements SchemaRegistry {

  /** Entries per cache unless told otherwise. */
  public static final long DEFAULT_MAXIMUM_SIZE = 1_000;

  /** How long {@link #latest} answers from the cache unless told otherwise. */
  public static final Duration DEFAULT_LATEST_TTL = Duration.ofSeconds(30);

  private record SubjectSchema(String subject, Schema schema) {}

  private final SchemaRegistry delegate;
  private final Cache<Integer, Schema> schemasById;
  private final Cache<SubjectSchema, Integer> idsBySubjectSchema;
  private final Cache<String, RegisteredSchema> latestBySubject;

  /** Caches {@code delegate} with the default size and latest-version TTL. */
  public CachingSchemaRegistry(SchemaRegistry delegate) {
    this(delegate, DEFAULT_MAXIMUM_SIZE, DEFAULT_LATEST_TTL, Ticker.systemTicker());
  }

  /**
   * Caches {@code delegate}.
   *
   * @param maximumSize entries per cache
   * @param latestTtl how long a subject's latest version is reused; zero disables that cache
   * @param ticker the time source of the expiry (a fake one in tests)
   */
  public CachingSchemaRegistry(
      SchemaRegistry delegate, long maximumSize, Duration latestTtl, Ticker ticker) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    Objects.requireNonNull(ticker, "ticker");
    if (maximumSize <= 0) {
      throw new IllegalArgumentException("maximumSize must be positive: " + maximumSize);
    }
    if (latestTtl.isNegative()) {
      throw new IllegalArgumentException("latestTtl must not be negative: " + latestTtl);
    }
    this.schemasById = Caffeine.newBuilder().maximumSize(maximumSize).recordStats().build();
    this.idsBySubjectSchema = Caffeine.newBuilder().maximumSize(maximumSize).recordStats().build();
    this.latestBySubject =
        Caffeine.newBuilder()
            .maximumSize(maximumSize)
            .expireAfterWrite(latestTtl)
            .ticker(ticker)
            .recordStats()
            .build();
  }

  @Override
  public Schema schemaById(int id) {
    return schemasById.get(id, delegate::schemaById);
  }

  @Override
  public int register(String subject, Schema schema) {
    return idsBySubjectSchema.get(
        new SubjectSchema(subject, schema),
        key -> remember(delegate.register(subject, schema), schema));
  }

  @Override
  public int idOf(String subject, Schema schema) {
    return idsBySubjectSchema.get(
        new SubjectSchema(subject, schema),
        key -> remember(delegate.idOf(subject, schema), schema));
  }

  @Override
  public RegisteredSchema latest(String subject) {
    return latestBySubject.get(
        subject,
        key -> {
          RegisteredSchema latest = delegate.latest(subject);
          idsBySubjectSchema.put(new SubjectSchema(subject, latest.schema()), latest.id());
          schemasById.asMap().putIfAbsent(latest.id(), latest.schema());
          return latest;
        });
  }

  /** What the registry gave an id to, it will give back for that id: no need to ask. */
  private int remember(int id, Schema schema) {
    schemasById.asMap().putIfAbsent(id, schema);
    return id;
  }

  /**
   * The caches by name ({@code schemas_by_id}, {@code ids_by_subject_schema}, {@code
   * latest_by_subject}), with statistics recorded, for a metrics binder.
   */
  public Map<String, Cache<?, ?>> caches() {
    Map<String, Cache<?, ?>> caches = new LinkedHashMap<>();
    caches.put("schemas_by_id", schemasById);
    caches.put("ids_by_subject_schema", idsBySubjectSchema);
    caches.put("latest_by_subject", latestBySubject);
    return Collections.unmodifiableMap(caches);
  }

  /** Closes the wrapped registry. */
  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "CachingSchemaRegistry[" + delegate + "]";
  }
}
