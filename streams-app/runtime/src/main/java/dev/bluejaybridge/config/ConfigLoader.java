package dev.bluejaybridge.config;

import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.http.Truststores;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads the configuration: a properties file, then environment variables over it ({@code BRIDGE_} +
 * the key upper-cased with {@code .} and {@code -} as {@code _}; {@code BLUEJAY_API_KEY} too), then
 * validates every key, collecting all problems into one {@link ConfigException}.
 */
public final class ConfigLoader {
  static final String ENV_PREFIX = "BRIDGE_";
  static final String API_KEY_ENV = "BLUEJAY_API_KEY";

  /** Every key that is not {@code kafka.*}, with its default ({@code null}: no default). */
  static final Map<String, String> DEFAULTS = defaults();

  /** Below this RocksDB would hardly cache anything; mostly a forgotten unit. */
  static final long MIN_ROCKSDB_MEMORY = 1L << 20;

  private static final Set<String> SECRET_WORDS = Set.of("password", "secret", "api-key", "jaas");

  private final List<String> problems = new ArrayList<>();
  private final Map<String, String> values;

  private ConfigLoader(Map<String, String> values) {
    this.values = values;
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("schema.registry.url", null);
    d.put("schema.registry.basic-auth", null);
    d.put("topics.tool-calls", "calls.tool-calls");
    d.put("topics.events", "calls.events");
    d.put("topics.transcripts", "calls.transcripts");
    d.put("topics.input-dlq", "calls.input-dlq");
    d.put("topics.delivery-dlq", "calls.delivery-dlq");
    d.put("topics.delivery-receipts", "calls.delivery-receipts");
    d.put("topics.webhook-events", "bluejay.webhook-events");
    d.put("call.inactivity-gap", "30s");
    d.put("call.end-grace", "5s");
    d.put("call.max-duration", "4h");
    d.put("call.late-retention", "1h");
    d.put("call.max-records", "10000");
    d.put("call.max-record-bytes", Sizes.format(BridgeConfig.Calls.DEFAULT_MAX_RECORD_BYTES));
    d.put("bluejay.base-url", "https://api.getbluejay.ai");
    d.put("bluejay.api-key", null);
    d.put("bluejay.api-key-file", null);
    d.put("bluejay.reevaluate", "true");
    d.put("bluejay.truststore", null);
    d.put("bluejay.truststore-password", null);
    d.put("delivery.rate-limit-per-minute", "100");
    d.put("delivery.max-in-flight", "16");
    d.put("delivery.max-attempts", "8");
    d.put("delivery.request-timeout", "10s");
    d.put("admin.port", "8080");
    d.put("webhooks.signing-secret", null);
    d.put("webhooks.signing-secret-file", null);
    d.put("rocksdb.memory", "256MiB");
    d.put("rocksdb.memtable-memory", "128MiB");
    return java.util.Collections.unmodifiableMap(d);
  }

  /**
   * Loads the file (if any) and the environment over it, and validates the result.
   *
   * @throws ConfigException listing every problem
   */
  public static BridgeConfig load(Optional<Path> file, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Map<String, String> raw = new TreeMap<>();
    file.ifPresent(path -> raw.putAll(readFile(path, problems)));
    raw.putAll(fromEnvironment(env, problems));
    return parse(raw, problems);
  }

  /**
   * Loads only the Bluejay settings ({@code bluejay.*}), for the admin commands that talk to
   * Bluejay alone: Kafka and registry settings are neither required nor checked, but unknown keys
   * and environment variables are still reported. {@code overrides} (e.g. a command line's {@code
   * --base-url}) win over the file and the environment.
   *
   * @throws ConfigException listing every problem
   */
  public static BridgeConfig.Bluejay loadBluejay(
      Optional<Path> file, Map<String, String> env, Map<String, String> overrides) {
    List<String> problems = new ArrayList<>();
    Map<String, String> raw = new TreeMap<>();
    file.ifPresent(path -> raw.putAll(readFile(path, problems)));
    raw.putAll(fromEnvironment(env, problems));
    raw.putAll(overrides);
    ConfigLoader loader = new ConfigLoader(raw);
    loader.problems.addAll(problems);
    loader.unknownKeys();
    BridgeConfig.Bluejay bluejay = loader.bluejay();
    if (!loader.problems.isEmpty()) {
      throw new ConfigException(loader.problems);
    }
    return bluejay;
  }

  /** Validates already-merged key/value pairs (tests, the embedded demo). */
  public static BridgeConfig parse(Map<String, String> raw) {
    return parse(new TreeMap<>(raw), new ArrayList<>());
  }

  private static BridgeConfig parse(Map<String, String> raw, List<String> earlier) {
    ConfigLoader loader = new ConfigLoader(raw);
    loader.problems.addAll(earlier);
    BridgeConfig config = loader.build();
    if (!loader.problems.isEmpty()) {
      throw new ConfigException(loader.problems);
    }
    return config;
  }

  static Map<String, String> readFile(Path path, List<String> problems) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      problems.add("cannot read config file " + path + ": " + e.getMessage());
      return Map.of();
    }
    Map<String, String> result = new TreeMap<>();
    properties.stringPropertyNames().forEach(k -> result.put(k, properties.getProperty(k).trim()));
    return result;
  }

  /**
   * Maps {@code BRIDGE_*} variables onto keys; {@code BRIDGE_KAFKA_A_B} becomes {@code kafka.a.b}.
   */
  static Map<String, String> fromEnvironment(Map<String, String> env, List<String> problems) {
    Map<String, String> byEnvName = new TreeMap<>();
    DEFAULTS.keySet().forEach(key -> byEnvName.put(envName(key), key));
    Map<String, String> result = new TreeMap<>();
    env.forEach(
        (name, value) -> {
          if (name.equals(API_KEY_ENV)) {
            result.put("bluejay.api-key", value);
          } else if (name.startsWith(ENV_PREFIX + "KAFKA_")) {
            String kafkaKey =
                name.substring((ENV_PREFIX + "KAFKA_").length())
                    .toLowerCase(Locale.ROOT)
                    .replace('_', '.');
            result.put("kafka." + kafkaKey, value);
          } else if (name.startsWith(ENV_PREFIX)) {
            String key = byEnvName.get(name);
            if (key == null) {
              problems.add("unknown environment variable " + name + " (no such setting)");
            } else {
              result.put(key, value);
            }
          }
        });
    return result;
  }

  /** The environment variable that overrides a key. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private BridgeConfig build() {
    unknownKeys();
    BridgeConfig.Kafka kafka = kafka();
    BridgeConfig.Registry registry =
        new BridgeConfig.Registry(
            required("schema.registry.url"),
            optional("schema.registry.basic-auth").map(Secret::of));
    registry
        .basicAuth()
        .ifPresent(
            auth -> {
              if (!auth.reveal().contains(":")) {
                problems.add("schema.registry.basic-auth: must be user:password");
              }
            });
    BridgeConfig.Topics topics =
        new BridgeConfig.Topics(
            topic("topics.tool-calls"),
            topic("topics.events"),
            topic("topics.transcripts"),
            topic("topics.input-dlq"),
            topic("topics.delivery-dlq"),
            optional("topics.delivery-receipts"),
            topic("topics.webhook-events"));
    BridgeConfig.Calls calls =
        new BridgeConfig.Calls(
            duration("call.inactivity-gap"),
            duration("call.end-grace"),
            duration("call.max-duration"),
            duration("call.late-retention"),
            integer("call.max-records", 1, Integer.MAX_VALUE),
            (int) Math.min(size("call.max-record-bytes", 1024), Integer.MAX_VALUE));
    BridgeConfig.Bluejay bluejay = bluejay();
    BridgeConfig.Delivery delivery =
        new BridgeConfig.Delivery(
            integer("delivery.rate-limit-per-minute", 1, 1_000_000),
            integer("delivery.max-in-flight", 1, 10_000),
            integer("delivery.max-attempts", 1, 1_000),
            duration("delivery.request-timeout"));
    BridgeConfig.Admin admin = new BridgeConfig.Admin(integer("admin.port", 0, 65_535));
    BridgeConfig.Webhooks webhooks =
        new BridgeConfig.Webhooks(
            optional("webhooks.signing-secret").map(Secret::of),
            optional("webhooks.signing-secret-file").map(Path::of));
    BridgeConfig.RocksDb rocksDb = rocksDb();
    return new BridgeConfig(
        kafka, registry, topics, calls, bluejay, delivery, admin, webhooks, rocksDb);
  }

  private BridgeConfig.RocksDb rocksDb() {
    int problemsBefore = problems.size();
    long memory = size("rocksdb.memory", MIN_ROCKSDB_MEMORY);
    long memtableMemory = size("rocksdb.memtable-memory", MIN_ROCKSDB_MEMORY);
    // Compared only when both are valid, so that one bad value is not reported twice.
    if (problems.size() == problemsBefore && memtableMemory >= memory) {
      problems.add(
          "rocksdb.memtable-memory: "
              + Sizes.format(memtableMemory)
              + " must be less than rocksdb.memory ("
              + Sizes.format(memory)
              + "), of which it is a part");
    }
    return new BridgeConfig.RocksDb(memory, memtableMemory);
  }

  private void unknownKeys() {
    for (String key : values.keySet()) {
      if (!key.startsWith("kafka.") && !DEFAULTS.containsKey(key)) {
        problems.add("unknown key '" + key + "'");
      }
    }
  }

  private BridgeConfig.Bluejay bluejay() {
    Optional<Secret> apiKey = optional("bluejay.api-key").map(Secret::of);
    Optional<Path> apiKeyFile = optional("bluejay.api-key-file").map(Path::of);
    if (apiKey.isPresent() && apiKeyFile.isPresent()) {
      problems.add("bluejay.api-key and bluejay.api-key-file are both set: give only one");
    }
    Optional<Path> truststore = optional("bluejay.truststore").map(Path::of);
    Optional<Secret> truststorePassword = optional("bluejay.truststore-password").map(Secret::of);
    if (truststore.isEmpty() && truststorePassword.isPresent()) {
      problems.add("bluejay.truststore-password is set but bluejay.truststore is not");
    }
    truststore.ifPresent(
        file -> {
          try {
            Truststores.sslContext(
                file, truststorePassword.map(p -> p.reveal().toCharArray()).orElse(null));
          } catch (IllegalArgumentException e) {
            problems.add("bluejay.truststore: " + e.getMessage());
          }
        });
    return new BridgeConfig.Bluejay(
        url("bluejay.base-url"),
        apiKey,
        apiKeyFile,
        bool("bluejay.reevaluate"),
        truststore,
        truststorePassword);
  }

  private BridgeConfig.Kafka kafka() {
    Map<String, String> properties = new TreeMap<>();
    properties.put("application.id", "bluejay-bridge");
    properties.put("processing.guarantee", "exactly_once_v2");
    values.forEach(
        (key, value) -> {
          if (key.startsWith("kafka.")) {
            properties.put(key.substring("kafka.".length()), value);
          }
        });
    if (isBlank(properties.get("bootstrap.servers"))) {
      problems.add("kafka.bootstrap.servers: required (e.g. kafka-0:9092,kafka-1:9092)");
    }
    if (isBlank(properties.get("application.id"))) {
      problems.add("kafka.application.id: must not be empty");
    }
    return new BridgeConfig.Kafka(properties);
  }

  private String value(String key) {
    String value = values.get(key);
    return value != null ? value : DEFAULTS.get(key);
  }

  private Optional<String> optional(String key) {
    String value = value(key);
    return isBlank(value) ? Optional.empty() : Optional.of(value.trim());
  }

  private String required(String key) {
    String value = value(key);
    if (isBlank(value)) {
      problems.add(key + ": required");
      return "";
    }
    return value.trim();
  }

  private String topic(String key) {
    String name = required(key);
    if (!name.isEmpty() && !name.matches("[a-zA-Z0-9._-]{1,249}")) {
      problems.add(key + ": '" + name + "' is not a valid topic name");
    }
    return name;
  }

  private Duration duration(String key) {
    return convert(key, Durations::parse, Duration.ZERO);
  }

  /**
   * A byte size of at least {@code min}. The minimum catches a number written without its unit
   * ({@code 64} is 64 bytes, not 64 MiB).
   */
  private long size(String key, long min) {
    String text = value(key);
    long parsed = convert(key, Sizes::parse, min);
    if (parsed < min) {
      problems.add(
          key
              + ": '"
              + text.trim()
              + "' is below the minimum "
              + Sizes.format(min)
              + " (a plain number is bytes)");
    }
    return parsed;
  }

  private int integer(String key, int min, int max) {
    Integer parsed = convert(key, Integer::valueOf, min);
    if (parsed < min || parsed > max) {
      problems.add(key + ": " + parsed + " is out of range " + min + ".." + max);
    }
    return parsed;
  }

  private boolean bool(String key) {
    return convert(
        key,
        text -> {
          if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("'" + text + "' is not true or false");
          }
          return Boolean.parseBoolean(text);
        },
        false);
  }

  private URI url(String key) {
    return convert(
        key,
        text -> {
          try {
            URI uri = new URI(text);
            if (uri.getScheme() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
              throw new IllegalArgumentException("'" + text + "' is not an http(s) URL");
            }
            return uri;
          } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason(), e);
          }
        },
        URI.create("http://invalid"));
  }

  private <T> T convert(String key, Function<String, T> parser, T fallback) {
    String text = required(key);
    if (text.isEmpty()) {
      return fallback;
    }
    try {
      return parser.apply(text);
    } catch (RuntimeException e) {
      String message =
          e instanceof NumberFormatException
              ? "'" + text + "' is not a whole number"
              : e.getMessage();
      problems.add(key + ": " + message);
      return fallback;
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  /** A copy of the map for printing, with every secret-looking value masked. */
  static Map<String, String> masked(Map<String, String> properties) {
    Map<String, String> copy = new TreeMap<>();
    properties.forEach(
        (key, value) -> {
          String lower = key.toLowerCase(Locale.ROOT);
          boolean secret = SECRET_WORDS.stream().anyMatch(lower::contains);
          copy.put(key, secret ? "****" : value);
        });
    return copy;
  }
}
