package dev.bluejaybridge.config;

import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.http.Truststores;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * The whole configuration of bluejay-bridge, as a tree of records; its keys and defaults are
 * defined in {@link ConfigKeys}. Built once by {@link ConfigLoader}, which validates every key and
 * reports all problems together.
 */
public record BridgeConfig(
    Kafka kafka,
    Registry registry,
    Topics topics,
    Calls calls,
    Input input,
    Bluejay bluejay,
    Delivery delivery,
    Admin admin,
    Webhooks webhooks,
    RocksDb rocksDb,
    Log log) {

  /** Every {@code kafka.X} key, handed to Kafka Streams as {@code X}, with our defaults applied. */
  public record Kafka(Map<String, String> properties) {
    public Kafka {
      properties = Map.copyOf(properties);
    }

    public String bootstrapServers() {
      return properties.get("bootstrap.servers");
    }

    public String applicationId() {
      return properties.get("application.id");
    }

    @Override
    public String toString() {
      return "Kafka" + ConfigLoader.masked(properties);
    }
  }

  /** Confluent-compatible schema registry: comma-separated URLs or {@code mock://NAME}. */
  public record Registry(String urls, Optional<Secret> basicAuth) {}

  /** Topic names. {@code deliveryReceipts} is empty when receipts are switched off. */
  public record Topics(
      String toolCalls,
      String events,
      String transcripts,
      String inputDlq,
      String deliveryDlq,
      Optional<String> deliveryReceipts,
      String webhookEvents,
      String webhookDeliveries) {}

  /**
   * When a call closes, and how much of it is kept. {@code maxRecordBytes} bounds one input
   * record's value: a larger one is poison ({@code record-too-large}).
   */
  public record Calls(
      Duration inactivityGap,
      Duration endGrace,
      Duration maxDuration,
      Duration lateRetention,
      Duration deliveredRetention,
      int maxRecords,
      int maxRecordBytes) {

    /** The default of {@code call.max-record-bytes}. */
    public static final int DEFAULT_MAX_RECORD_BYTES =
        ConfigKeys.CALL_MAX_RECORD_BYTES.defaultValue();

    /** The defaults of the {@code call.*} keys ({@link ConfigKeys}). */
    public static Calls defaults() {
      return new Calls(
          ConfigKeys.CALL_INACTIVITY_GAP.defaultValue(),
          ConfigKeys.CALL_END_GRACE.defaultValue(),
          ConfigKeys.CALL_MAX_DURATION.defaultValue(),
          ConfigKeys.CALL_LATE_RETENTION.defaultValue(),
          ConfigKeys.CALL_DELIVERED_RETENTION.defaultValue(),
          ConfigKeys.CALL_MAX_RECORDS.defaultValue(),
          DEFAULT_MAX_RECORD_BYTES);
    }
  }

  /**
   * How far a record's {@code occurred_at} may lie ahead of the wall clock, and behind the newest
   * {@code occurred_at} its task has seen; outside, the record is poison ({@code bad-timestamp}).
   */
  public record Input(Duration maxAhead, Duration maxBehind) {
    /** The defaults of the {@code input.*} keys ({@link ConfigKeys}). */
    public static Input defaults() {
      return new Input(
          ConfigKeys.INPUT_MAX_AHEAD.defaultValue(), ConfigKeys.INPUT_MAX_BEHIND.defaultValue());
    }
  }

  /**
   * Where and how calls are sent to Bluejay. {@code truststore} (PKCS12 or JKS, with its password)
   * replaces the JVM's default CAs for Bluejay's TLS certificate, e.g. behind a TLS-inspecting
   * proxy; certificates are verified either way.
   */
  public record Bluejay(
      URI baseUrl,
      Optional<Secret> apiKey,
      Optional<Path> apiKeyFile,
      boolean reevaluate,
      Optional<Path> truststore,
      Optional<Secret> truststorePassword) {

    /** Settings without a truststore of their own (the JVM's CAs). */
    public Bluejay(
        URI baseUrl, Optional<Secret> apiKey, Optional<Path> apiKeyFile, boolean reevaluate) {
      this(baseUrl, apiKey, apiKeyFile, reevaluate, Optional.empty(), Optional.empty());
    }

    /**
     * The TLS context that trusts only the certificates in {@code bluejay.truststore}; empty when
     * none is set (the JVM's CAs).
     *
     * @throws IllegalArgumentException naming the file when the truststore cannot be used
     */
    public Optional<SSLContext> tls() {
      return truststore.map(
          file ->
              Truststores.sslContext(
                  file, truststorePassword.map(p -> p.reveal().toCharArray()).orElse(null)));
    }
  }

  /** Dispatch limits: the rate limit is the quota of the whole cluster, the rest per instance. */
  public record Delivery(
      int rateLimitPerMinute,
      int maxInFlight,
      int maxAttempts,
      Duration requestTimeout,
      Duration maxRetryAfter,
      int maxResponseBytes) {}

  /** The admin HTTP server (health, metrics, status). */
  public record Admin(int port) {}

  /**
   * The Bluejay webhook receiver; off unless a signing secret is configured. It has its own HTTP
   * server, apart from the admin server.
   *
   * @param bindAddress the address it listens on (a host name or an IP literal)
   * @param port its port (0: any free one)
   * @param maxBodyBytes the largest body taken; longer ones are answered 413 unread
   * @param dedupeRetention how long a delivery id is remembered (by all instances, across restarts)
   */
  public record Webhooks(
      Optional<Secret> signingSecret,
      Optional<Path> signingSecretFile,
      String bindAddress,
      int port,
      long maxBodyBytes,
      Duration dedupeRetention) {

    /** True when a signing secret (or its file) is configured: the receiver is on. */
    public boolean enabled() {
      return signingSecret.isPresent() || signingSecretFile.isPresent();
    }
  }

  /**
   * The off-heap memory of every RocksDB store of this instance (all stream threads, all tasks),
   * shared through one LRU block cache; see {@code pipeline.BoundedRocksDbConfig}.
   *
   * @param memoryBytes the capacity of the shared block cache, which holds data, index and filter
   *     blocks and is also charged for the memtables: the bound of RocksDB's memory
   * @param memtableMemoryBytes how much of {@code memoryBytes} the memtables (write buffers) may
   *     take before RocksDB flushes them; less than {@code memoryBytes}
   */
  public record RocksDb(long memoryBytes, long memtableMemoryBytes) {

    /**
     * The defaults of the {@code rocksdb.*} keys ({@link ConfigKeys}): 256 MiB in all, 128 MiB of
     * it for memtables. (Measured, bench P1: with 64 MiB and 16 MiB the memtables of a task's five
     * stores were flushed so often that the pipeline ran at 2 800 records/s instead of 6 500.)
     */
    public static RocksDb defaults() {
      return new RocksDb(
          ConfigKeys.ROCKSDB_MEMORY.defaultValue(),
          ConfigKeys.ROCKSDB_MEMTABLE_MEMORY.defaultValue());
    }
  }

  /** How the process logs ({@code log.format}); {@code --log-format} wins over it. */
  public record Log(Format format) {
    /** Plain text lines, or one JSON object per line. */
    public enum Format {
      TEXT,
      JSON;

      /** The name the config file, the environment and {@code --log-format} use. */
      public String configName() {
        return name().toLowerCase(Locale.ROOT);
      }
    }
  }
}
