package dev.bluejaybridge.config;

import static dev.bluejaybridge.config.ConfigType.bool;
import static dev.bluejaybridge.config.ConfigType.choice;
import static dev.bluejaybridge.config.ConfigType.duration;
import static dev.bluejaybridge.config.ConfigType.httpUrl;
import static dev.bluejaybridge.config.ConfigType.integer;
import static dev.bluejaybridge.config.ConfigType.path;
import static dev.bluejaybridge.config.ConfigType.positiveDuration;
import static dev.bluejaybridge.config.ConfigType.secret;
import static dev.bluejaybridge.config.ConfigType.size;
import static dev.bluejaybridge.config.ConfigType.string;
import static dev.bluejaybridge.config.ConfigType.topic;
import static dev.bluejaybridge.config.ConfigType.userPassword;

import dev.bluejaybridge.http.Secret;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration key of bluejay-bridge, one row each (in the manner of Kafka's {@code
 * ConfigDef.define}): name, type, default, meaning. {@link ConfigLoader} validates with it, the
 * environment mapping and the commands' {@code --help} read it, and {@link ConfigReference} renders
 * {@code docs/configuration.md} from it. Any other {@code kafka.X} key is passed through to Kafka
 * and checked against Kafka's own definitions ({@link KafkaKeys}).
 */
public final class ConfigKeys {
  private static final List<ConfigKey<?>> DEFINED = new ArrayList<>();

  // ---- Kafka: every kafka.X key goes to Kafka Streams as X; these three have our defaults
  public static final ConfigKey<String> KAFKA_BOOTSTRAP_SERVERS =
      required(
          "kafka.bootstrap.servers",
          string("host:port list"),
          "kafka-0:9092,kafka-1:9092",
          "The Kafka cluster, comma-separated.");
  public static final ConfigKey<String> KAFKA_APPLICATION_ID =
      define(
          "kafka.application.id",
          string("string"),
          "bluejay-bridge",
          "Kafka Streams' application id: the consumer group, and the prefix of internal topics"
              + " and state directories. Instances with the same id share the work.");
  public static final ConfigKey<String> KAFKA_PROCESSING_GUARANTEE =
      define(
          "kafka.processing.guarantee",
          string("string"),
          "exactly_once_v2",
          "Kafka Streams' processing guarantee.");

  // ---- schema registry
  public static final ConfigKey<String> SCHEMA_REGISTRY_URL =
      required(
          "schema.registry.url",
          string("URL list"),
          "http://schema-registry:8081",
          "Confluent-compatible schema registry REST URL(s), comma-separated; `mock://NAME` is an"
              + " in-process registry (tests, the demo).");
  public static final ConfigKey<Secret> SCHEMA_REGISTRY_BASIC_AUTH =
      optional(
          "schema.registry.basic-auth",
          userPassword(),
          null,
          "HTTP basic authentication for the registry.");

  // ---- topics
  public static final ConfigKey<String> TOPICS_TOOL_CALLS =
      define(
          "topics.tool-calls",
          topic(),
          "calls.tool-calls",
          "Input: tool calls. The three input topics must have the same partition count.");
  public static final ConfigKey<String> TOPICS_EVENTS =
      define("topics.events", topic(), "calls.events", "Input: call events.");
  public static final ConfigKey<String> TOPICS_TRANSCRIPTS =
      define("topics.transcripts", topic(), "calls.transcripts", "Input: transcript turns.");
  public static final ConfigKey<String> TOPICS_INPUT_DLQ =
      define(
          "topics.input-dlq",
          topic(),
          "calls.input-dlq",
          "Dead letters: poison input records, with the reason in headers.");
  public static final ConfigKey<String> TOPICS_DELIVERY_DLQ =
      define(
          "topics.delivery-dlq",
          topic(),
          "calls.delivery-dlq",
          "Dead letters: calls Bluejay would not take.");
  public static final ConfigKey<String> TOPICS_DELIVERY_RECEIPTS =
      optional(
          "topics.delivery-receipts",
          topic(),
          "calls.delivery-receipts",
          "One record per delivered call; set it empty to switch receipts off.");
  public static final ConfigKey<String> TOPICS_WEBHOOK_EVENTS =
      define(
          "topics.webhook-events",
          topic(),
          "bluejay.webhook-events",
          "Where verified Bluejay webhook deliveries go, each delivery once (deduplicated on"
              + " `X-Bluejay-Delivery`).");
  public static final ConfigKey<String> TOPICS_WEBHOOK_DELIVERIES =
      define(
          "topics.webhook-deliveries",
          topic(),
          "bluejay.webhook-deliveries",
          "Verified webhook deliveries as received, keyed by `X-Bluejay-Delivery`, before"
              + " deduplication (only with a webhook signing secret); its `max.message.bytes` must"
              + " exceed `webhooks.max-body-bytes` by 64 KiB, as `topics.webhook-events`' must.");

  // ---- calls
  public static final ConfigKey<Duration> CALL_INACTIVITY_GAP =
      define(
          "call.inactivity-gap",
          positiveDuration(),
          "30s",
          "Silence that closes a call: on the wall clock, and in record time too while a"
              + " backlog is read (docs/bluejay-requests.md).");
  public static final ConfigKey<Duration> CALL_END_GRACE =
      define(
          "call.end-grace",
          duration(),
          "5s",
          "How long to wait after the end-of-call event for stragglers.");
  public static final ConfigKey<Duration> CALL_MAX_DURATION =
      define("call.max-duration", positiveDuration(), "4h", "A call open longer is closed anyway.");
  public static final ConfigKey<Duration> CALL_LATE_RETENTION =
      define(
          "call.late-retention",
          duration(),
          "1h",
          "How long a closed call is remembered whole: a late record reopens it, and the whole"
              + " call is closed and handed to delivery again.");
  public static final ConfigKey<Duration> CALL_DELIVERED_RETENTION =
      define(
          "call.delivered-retention",
          duration(),
          "7d",
          "How long after its close a call's id is remembered, once its records are forgotten"
              + " (after `call.late-retention`): a record of it goes to the delivery DLQ as `late`,"
              + " with its content, instead of starting a new call that would replace the"
              + " delivered one with a fragment. At least `call.late-retention`.");
  public static final ConfigKey<Integer> CALL_MAX_RECORDS =
      define(
          "call.max-records",
          integer(1, Integer.MAX_VALUE),
          "10000",
          "Records kept per call; more go to the input DLQ (`call-too-large`).");
  public static final ConfigKey<Integer> CALL_MAX_RECORD_BYTES =
      define(
          "call.max-record-bytes",
          size(1024).map(bytes -> (int) Math.min(bytes, Integer.MAX_VALUE)),
          "1MiB",
          "Largest input value accepted (the broker's default record size); a larger one goes to"
              + " the input DLQ unread (`record-too-large`). The input DLQ topic's"
              + " `max.message.bytes` must take the input topics' largest records plus headers.");

  // ---- input
  public static final ConfigKey<Duration> INPUT_MAX_AHEAD =
      define(
          "input.max-ahead",
          positiveDuration(),
          "1h",
          "How far an `occurred_at` may lie ahead of this instance's clock; a record further"
              + " ahead goes to the input DLQ (`bad-timestamp`). Nothing the bridge writes carries"
              + " `occurred_at` as its Kafka timestamp.");
  public static final ConfigKey<Duration> INPUT_MAX_BEHIND =
      define(
          "input.max-behind",
          positiveDuration(),
          "7d",
          "How far an `occurred_at` may lie behind the wall clock (or the newest `occurred_at`"
              + " its partitions have shown, if later); an older record goes to the input DLQ"
              + " (`bad-timestamp`). Keep it within `call.delivered-retention`: an older straggler"
              + " could no longer be matched to its delivered call.");

  // ---- Bluejay
  public static final ConfigKey<URI> BLUEJAY_BASE_URL =
      define("bluejay.base-url", httpUrl(), "https://api.getbluejay.ai", "Bluejay's API.");
  public static final ConfigKey<Secret> BLUEJAY_API_KEY =
      new Builder<>("bluejay.api-key", secret())
          .optional()
          .env("BLUEJAY_API_KEY")
          .doc(
              "The Bluejay API key. `run` and `check` need it or `bluejay.api-key-file`, not"
                  + " both.")
          .define();
  public static final ConfigKey<Path> BLUEJAY_API_KEY_FILE =
      optional(
          "bluejay.api-key-file",
          path(),
          null,
          "A file holding the API key (e.g. a mounted Kubernetes Secret), re-read when it"
              + " changes.");
  public static final ConfigKey<Boolean> BLUEJAY_REEVALUATE =
      define("bluejay.reevaluate", bool(), "true", "Sent with update-log.");
  public static final ConfigKey<Path> BLUEJAY_TRUSTSTORE =
      optional(
          "bluejay.truststore",
          path(),
          null,
          "A PKCS12 or JKS file whose certificates alone are trusted for Bluejay's TLS (e.g."
              + " behind a TLS-inspecting proxy) instead of the JVM's CAs; hostnames are still"
              + " verified. Checked at start-up: a missing, unreadable or empty store, or a wrong"
              + " password, is a configuration error naming the file.");
  public static final ConfigKey<Secret> BLUEJAY_TRUSTSTORE_PASSWORD =
      optional(
          "bluejay.truststore-password", secret(), null, "The password of `bluejay.truststore`.");

  // ---- delivery
  public static final ConfigKey<Integer> DELIVERY_RATE_LIMIT_PER_MINUTE =
      define(
          "delivery.rate-limit-per-minute",
          integer(1, 1_000_000),
          "100",
          "Requests per minute to Bluejay: the quota of the **whole cluster**, shared by all"
              + " instances.");
  public static final ConfigKey<Integer> DELIVERY_MAX_IN_FLIGHT =
      define(
          "delivery.max-in-flight",
          integer(1, 10_000),
          "16",
          "Requests to Bluejay in flight at once, per instance.");
  public static final ConfigKey<Integer> DELIVERY_MAX_ATTEMPTS =
      define(
          "delivery.max-attempts",
          integer(1, 1_000),
          "8",
          "Attempts per call; then the call goes to the delivery DLQ.");
  public static final ConfigKey<Duration> DELIVERY_REQUEST_TIMEOUT =
      define(
          "delivery.request-timeout",
          positiveDuration(),
          "10s",
          "How long one request to Bluejay may take, from connecting to the answer's last"
              + " byte: an answer that trickles in is cut off then.");

  public static final ConfigKey<Integer> DELIVERY_MAX_RESPONSE_BYTES =
      define(
          "delivery.max-response-bytes",
          size(64 * 1024).map(bytes -> (int) Math.min(bytes, Integer.MAX_VALUE)),
          "8MiB",
          "The longest answer body read from Bluejay (e.g. a simulation result); a longer one is"
              + " not read: the request fails, naming this limit, and is retried (a POST looked up"
              + " first). An error answer's body is cut to 256KiB instead.");

  public static final ConfigKey<Duration> DELIVERY_MAX_RETRY_AFTER =
      define(
          "delivery.max-retry-after",
          duration(),
          "10m",
          "The longest wait a Bluejay Retry-After (seconds or HTTP-date) can impose on a call;"
              + " longer, absurd or overflowing values (any number of digits, a date however far)"
              + " wait this long; a negative or unreadable one is ignored.");

  // ---- the admin HTTP server, webhooks
  public static final ConfigKey<Integer> ADMIN_PORT =
      define(
          "admin.port",
          integer(0, 65_535),
          "8080",
          "Port of the admin HTTP server: `/health/live`, `/health/ready`, `/metrics`, `/status`"
              + " (0: any free port).");
  public static final ConfigKey<Secret> WEBHOOKS_SIGNING_SECRET =
      optional(
          "webhooks.signing-secret",
          secret(),
          null,
          "Bluejay's webhook signing secret; with it (or `webhooks.signing-secret-file`) the"
              + " webhook receiver listens on `webhooks.port`, takes `POST /webhooks/bluejay` and"
              + " writes each verified delivery once to `topics.webhook-events`.");
  public static final ConfigKey<Path> WEBHOOKS_SIGNING_SECRET_FILE =
      optional(
          "webhooks.signing-secret-file",
          path(),
          null,
          "A file holding the signing secret, instead of `webhooks.signing-secret`.");

  /** Bounds of {@code webhooks.max-body-bytes}: below a small event, above what Kafka takes. */
  static final long MIN_WEBHOOK_BODY = 1024;

  static final long MAX_WEBHOOK_BODY = 64L << 20;

  public static final ConfigKey<Integer> WEBHOOKS_PORT =
      define(
          "webhooks.port",
          integer(0, 65_535),
          "8081",
          "Port of the webhook receiver's own HTTP server (`POST /webhooks/bluejay`), apart from"
              + " `admin.port` (0: any free port). Used only with a signing secret.");
  public static final ConfigKey<String> WEBHOOKS_BIND_ADDRESS =
      define(
          "webhooks.bind-address",
          bindAddress(),
          "0.0.0.0",
          "The address the webhook receiver listens on: `0.0.0.0` all IPv4 interfaces, `::` all"
              + " interfaces, `127.0.0.1` only this host.");
  public static final ConfigKey<Long> WEBHOOKS_MAX_BODY_BYTES =
      define(
          "webhooks.max-body-bytes",
          size(MIN_WEBHOOK_BODY).map(ConfigKeys::atMostMaxWebhookBody),
          "1MiB",
          "The largest webhook body taken (at most 64MiB); a longer one is answered 413 without"
              + " reading it.");
  public static final ConfigKey<Duration> WEBHOOKS_DEDUPE_RETENTION =
      define(
          "webhooks.dedupe-retention",
          positiveDuration(),
          "24h",
          "How long a delivery id (`X-Bluejay-Delivery`) is remembered, by every instance and"
              + " across restarts: a retry of the same delivery within it makes no second event.");

  // ---- RocksDB
  /** Below this RocksDB would hardly cache anything; mostly a forgotten unit. */
  static final long MIN_ROCKSDB_MEMORY = 1L << 20;

  public static final ConfigKey<Long> ROCKSDB_MEMORY =
      define(
          "rocksdb.memory",
          size(MIN_ROCKSDB_MEMORY),
          "256MiB",
          "The shared block cache's capacity: the bound of all RocksDB stores' memory of this"
              + " instance (blocks and memtables). Does nothing when `kafka.rocksdb.config.setter`"
              + " is set.");
  public static final ConfigKey<Long> ROCKSDB_MEMTABLE_MEMORY =
      define(
          "rocksdb.memtable-memory",
          size(MIN_ROCKSDB_MEMORY),
          "128MiB",
          "The part of `rocksdb.memory` memtables may take before they are flushed; less than"
              + " `rocksdb.memory`.");

  // ---- logging
  public static final ConfigKey<BridgeConfig.Log.Format> LOG_FORMAT =
      define(
          "log.format",
          choice(BridgeConfig.Log.Format.class),
          "text",
          "`json`: one JSON object per log line. `--log-format` wins over it. Given in the"
              + " environment (or as the flag) it applies to every line; in the file, from when the"
              + " file is read.");

  private static final Map<String, ConfigKey<?>> BY_NAME = index();

  private ConfigKeys() {}

  /** Every key, in the order of the configuration reference. */
  public static List<ConfigKey<?>> all() {
    return Collections.unmodifiableList(DEFINED);
  }

  /** The key of that name, or {@code null}. */
  static ConfigKey<?> byName(String name) {
    return BY_NAME.get(name);
  }

  /** Every environment variable of every key, with its key. */
  static Map<String, ConfigKey<?>> byEnvName() {
    Map<String, ConfigKey<?>> result = new LinkedHashMap<>();
    DEFINED.forEach(key -> key.envNames().forEach(env -> result.put(env, key)));
    return result;
  }

  private static Map<String, ConfigKey<?>> index() {
    Map<String, ConfigKey<?>> result = new LinkedHashMap<>();
    for (ConfigKey<?> key : DEFINED) {
      if (result.put(key.name(), key) != null) {
        throw new IllegalStateException("config key defined twice: " + key.name());
      }
    }
    return Collections.unmodifiableMap(result);
  }

  private static long atMostMaxWebhookBody(long bytes) {
    if (bytes > MAX_WEBHOOK_BODY) {
      throw new IllegalArgumentException(
          Sizes.format(bytes) + " is above the maximum " + Sizes.format(MAX_WEBHOOK_BODY));
    }
    return bytes;
  }

  /** A host name or an IP address literal to listen on; never resolved here. */
  private static ConfigType<String> bindAddress() {
    return string("address")
        .map(
            text -> {
              if (!text.matches("[0-9A-Za-z.:%_-]+")) {
                throw new IllegalArgumentException("'" + text + "' is not a host name or address");
              }
              return text;
            });
  }

  private static <T> ConfigKey<T> define(
      String name, ConfigType<T> type, String defaultText, String doc) {
    return new Builder<>(name, type).defaultText(defaultText).doc(doc).define();
  }

  private static <T> ConfigKey<T> required(
      String name, ConfigType<T> type, String example, String doc) {
    return new Builder<>(name, type).example(example).doc(doc).define();
  }

  private static <T> ConfigKey<T> optional(
      String name, ConfigType<T> type, String defaultText, String doc) {
    return new Builder<>(name, type).defaultText(defaultText).optional().doc(doc).define();
  }

  private static final class Builder<T> {
    private final String name;
    private final ConfigType<T> type;
    private String defaultText;
    private boolean optional;
    private String example;
    private String doc = "";
    private final List<String> env = new ArrayList<>();

    Builder(String name, ConfigType<T> type) {
      this.name = name;
      this.type = type;
    }

    Builder<T> defaultText(String text) {
      this.defaultText = text;
      return this;
    }

    Builder<T> optional() {
      this.optional = true;
      return this;
    }

    Builder<T> example(String text) {
      this.example = text;
      return this;
    }

    Builder<T> doc(String text) {
      this.doc = text;
      return this;
    }

    Builder<T> env(String alias) {
      env.add(alias);
      return this;
    }

    ConfigKey<T> define() {
      ConfigKey<T> key = new ConfigKey<>(name, type, defaultText, optional, example, doc, env);
      if (defaultText != null) {
        key.defaultValue(); // a default that does not parse fails the class, hence every test
      }
      DEFINED.add(key);
      return key;
    }
  }
}
