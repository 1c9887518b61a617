package dev.bluejaybridge.config;

import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.http.Truststores;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the configuration: a properties file, then environment variables over it ({@code BRIDGE_} +
 * the key upper-cased with {@code .} and {@code -} as {@code _}; {@code BLUEJAY_API_KEY} too), then
 * validates every key against its definition in {@link ConfigKeys} ({@code kafka.*} keys against
 * Kafka's own), collecting all problems into one {@link ConfigException}.
 */
public final class ConfigLoader {
  private static final Set<String> SECRET_WORDS = Set.of("password", "secret", "api-key", "jaas");

  private final List<String> problems = new ArrayList<>();
  private final Map<String, String> values;

  /** Keys set by an environment variable, with its name, for the messages. */
  private final Map<String, String> fromEnv;

  private ConfigLoader(Map<String, String> values, Map<String, String> fromEnv) {
    this.values = values;
    this.fromEnv = fromEnv;
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
    Map<String, String> origins = new TreeMap<>();
    raw.putAll(fromEnvironment(env, problems, origins));
    return parse(raw, origins, problems);
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
    Map<String, String> origins = new TreeMap<>();
    raw.putAll(fromEnvironment(env, problems, origins));
    raw.putAll(overrides);
    overrides.keySet().forEach(origins::remove);
    ConfigLoader loader = new ConfigLoader(raw, origins);
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
    return parse(new TreeMap<>(raw), Map.of(), new ArrayList<>());
  }

  private static BridgeConfig parse(
      Map<String, String> raw, Map<String, String> origins, List<String> earlier) {
    ConfigLoader loader = new ConfigLoader(raw, origins);
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
      // a byte order mark (editors on Windows write one) is not part of the first key
      reader.mark(1);
      if (reader.read() != '\uFEFF') {
        reader.reset();
      }
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
   * Maps environment variables onto keys: each key's own ({@link ConfigKey#envNames()}), and {@code
   * BRIDGE_KAFKA_*} onto {@code kafka.*} ({@code BRIDGE_KAFKA_A_B} becomes {@code kafka.a.b}, or
   * the Kafka config of that form, e.g. {@code kafka.rack.aware.assignment.non_overlap_cost}). Any
   * other {@code BRIDGE_*} variable is a problem.
   *
   * @param origins filled with each key that a variable set, and the variable's name
   */
  static Map<String, String> fromEnvironment(
      Map<String, String> env, List<String> problems, Map<String, String> origins) {
    Map<String, ConfigKey<?>> byEnvName = ConfigKeys.byEnvName();
    String kafkaPrefix = ConfigKey.envName(KafkaKeys.PREFIX);
    Map<String, String> result = new TreeMap<>();
    // Sorted, so that of two variables for one key the same one wins every time.
    new TreeMap<>(env)
        .forEach(
            (name, value) -> {
              ConfigKey<?> key = byEnvName.get(name);
              String target = null;
              if (key != null) {
                target = key.name();
              } else if (name.startsWith(kafkaPrefix)) {
                target = KafkaKeys.PREFIX + KafkaKeys.fromEnv(name.substring(kafkaPrefix.length()));
              } else if (name.startsWith(ConfigKey.ENV_PREFIX)) {
                problems.add(
                    "unknown environment variable "
                        + name
                        + " (no such setting)"
                        + Nearest.of(name, byEnvName.keySet())
                            .map(nearest -> "; did you mean " + nearest + "?")
                            .orElse(""));
              }
              if (target != null) {
                result.put(target, value);
                origins.put(target, name);
              }
            });
    return result;
  }

  private BridgeConfig build() {
    unknownKeys();
    BridgeConfig.Kafka kafka = kafka();
    BridgeConfig.Registry registry =
        new BridgeConfig.Registry(
            get(ConfigKeys.SCHEMA_REGISTRY_URL), find(ConfigKeys.SCHEMA_REGISTRY_BASIC_AUTH));
    BridgeConfig.Topics topics =
        new BridgeConfig.Topics(
            get(ConfigKeys.TOPICS_TOOL_CALLS),
            get(ConfigKeys.TOPICS_EVENTS),
            get(ConfigKeys.TOPICS_TRANSCRIPTS),
            get(ConfigKeys.TOPICS_INPUT_DLQ),
            get(ConfigKeys.TOPICS_DELIVERY_DLQ),
            find(ConfigKeys.TOPICS_DELIVERY_RECEIPTS),
            get(ConfigKeys.TOPICS_WEBHOOK_EVENTS),
            get(ConfigKeys.TOPICS_WEBHOOK_DELIVERIES));
    BridgeConfig.Calls calls = calls();
    BridgeConfig.Input input =
        new BridgeConfig.Input(get(ConfigKeys.INPUT_MAX_AHEAD), get(ConfigKeys.INPUT_MAX_BEHIND));
    BridgeConfig.Bluejay bluejay = bluejay();
    BridgeConfig.Delivery delivery =
        new BridgeConfig.Delivery(
            get(ConfigKeys.DELIVERY_RATE_LIMIT_PER_MINUTE),
            get(ConfigKeys.DELIVERY_MAX_IN_FLIGHT),
            get(ConfigKeys.DELIVERY_MAX_ATTEMPTS),
            get(ConfigKeys.DELIVERY_REQUEST_TIMEOUT),
            get(ConfigKeys.DELIVERY_MAX_RETRY_AFTER),
            get(ConfigKeys.DELIVERY_MAX_RESPONSE_BYTES));
    BridgeConfig.Admin admin = new BridgeConfig.Admin(get(ConfigKeys.ADMIN_PORT));
    Optional<Secret> signingSecret = find(ConfigKeys.WEBHOOKS_SIGNING_SECRET);
    Optional<Path> signingSecretFile = find(ConfigKeys.WEBHOOKS_SIGNING_SECRET_FILE);
    oneOf(
        ConfigKeys.WEBHOOKS_SIGNING_SECRET,
        signingSecret,
        ConfigKeys.WEBHOOKS_SIGNING_SECRET_FILE,
        signingSecretFile);
    BridgeConfig.Webhooks webhooks =
        new BridgeConfig.Webhooks(
            signingSecret,
            signingSecretFile,
            get(ConfigKeys.WEBHOOKS_BIND_ADDRESS),
            get(ConfigKeys.WEBHOOKS_PORT),
            get(ConfigKeys.WEBHOOKS_MAX_BODY_BYTES),
            get(ConfigKeys.WEBHOOKS_DEDUPE_RETENTION));
    if (webhooks.enabled() && webhooks.port() != 0 && webhooks.port() == admin.port()) {
      problems.add(
          ConfigKeys.WEBHOOKS_PORT.name()
              + origin(ConfigKeys.WEBHOOKS_PORT.name())
              + ": "
              + webhooks.port()
              + " is admin.port too; the webhook receiver has a port of its own");
    }
    BridgeConfig.RocksDb rocksDb = rocksDb();
    BridgeConfig.Log log = new BridgeConfig.Log(get(ConfigKeys.LOG_FORMAT));
    return new BridgeConfig(
        kafka, registry, topics, calls, input, bluejay, delivery, admin, webhooks, rocksDb, log);
  }

  private BridgeConfig.Calls calls() {
    int problemsBefore = problems.size();
    Duration lateRetention = get(ConfigKeys.CALL_LATE_RETENTION);
    Duration deliveredRetention = get(ConfigKeys.CALL_DELIVERED_RETENTION);
    // Compared only when both are valid, so that one bad value is not reported twice.
    if (problems.size() == problemsBefore && deliveredRetention.compareTo(lateRetention) < 0) {
      problems.add(
          ConfigKeys.CALL_DELIVERED_RETENTION.name()
              + ": "
              + Durations.format(deliveredRetention)
              + " must be at least "
              + ConfigKeys.CALL_LATE_RETENTION.name()
              + " ("
              + Durations.format(lateRetention)
              + "): a call's id is remembered at least as long as the call");
    }
    return new BridgeConfig.Calls(
        get(ConfigKeys.CALL_INACTIVITY_GAP),
        get(ConfigKeys.CALL_END_GRACE),
        get(ConfigKeys.CALL_MAX_DURATION),
        lateRetention,
        deliveredRetention,
        get(ConfigKeys.CALL_MAX_RECORDS),
        get(ConfigKeys.CALL_MAX_RECORD_BYTES));
  }

  private BridgeConfig.RocksDb rocksDb() {
    int problemsBefore = problems.size();
    long memory = get(ConfigKeys.ROCKSDB_MEMORY);
    long memtableMemory = get(ConfigKeys.ROCKSDB_MEMTABLE_MEMORY);
    // Compared only when both are valid, so that one bad value is not reported twice.
    if (problems.size() == problemsBefore && memtableMemory >= memory) {
      problems.add(
          ConfigKeys.ROCKSDB_MEMTABLE_MEMORY.name()
              + ": "
              + Sizes.format(memtableMemory)
              + " must be less than "
              + ConfigKeys.ROCKSDB_MEMORY.name()
              + " ("
              + Sizes.format(memory)
              + "), of which it is a part");
    }
    return new BridgeConfig.RocksDb(memory, memtableMemory);
  }

  /** Keys defined neither in {@link ConfigKeys} nor, for {@code kafka.*}, by Kafka. */
  private void unknownKeys() {
    for (String key : values.keySet()) {
      if (ConfigKeys.byName(key) != null) {
        continue;
      }
      if (key.startsWith(KafkaKeys.PREFIX)) {
        if (!KafkaKeys.known(key.substring(KafkaKeys.PREFIX.length()))) {
          problems.add(unknownKafkaKey(key, origin(key)));
        }
      } else {
        problems.add(
            "unknown key '"
                + key
                + "'"
                + origin(key)
                + Nearest.of(key, ConfigKeys.all().stream().map(ConfigKey::name).toList())
                    .map(nearest -> "; did you mean " + nearest + "?")
                    .orElse(""));
      }
    }
  }

  /** The problem of a {@code kafka.*} key Kafka does not define, naming the nearest it does. */
  static String unknownKafkaKey(String key, String origin) {
    return key
        + origin
        + ": not a Kafka Streams, producer, consumer, admin or topic config; did you mean "
        + KafkaKeys.PREFIX
        + KafkaKeys.nearest(key.substring(KafkaKeys.PREFIX.length()))
        + "?";
  }

  private String origin(String key) {
    String env = fromEnv.get(key);
    return env == null ? "" : " (from " + env + ")";
  }

  /** A secret is given as a value or as a file, not both. */
  private void oneOf(
      ConfigKey<?> value, Optional<?> given, ConfigKey<?> file, Optional<?> fileGiven) {
    if (given.isPresent() && fileGiven.isPresent()) {
      problems.add(value.name() + " and " + file.name() + " are both set: give only one");
    }
  }

  private BridgeConfig.Bluejay bluejay() {
    Optional<Secret> apiKey = find(ConfigKeys.BLUEJAY_API_KEY);
    Optional<Path> apiKeyFile = find(ConfigKeys.BLUEJAY_API_KEY_FILE);
    oneOf(ConfigKeys.BLUEJAY_API_KEY, apiKey, ConfigKeys.BLUEJAY_API_KEY_FILE, apiKeyFile);
    Optional<Path> truststore = find(ConfigKeys.BLUEJAY_TRUSTSTORE);
    Optional<Secret> truststorePassword = find(ConfigKeys.BLUEJAY_TRUSTSTORE_PASSWORD);
    if (truststore.isEmpty() && truststorePassword.isPresent()) {
      problems.add(
          ConfigKeys.BLUEJAY_TRUSTSTORE_PASSWORD.name()
              + " is set but "
              + ConfigKeys.BLUEJAY_TRUSTSTORE.name()
              + " is not");
    }
    truststore.ifPresent(
        file -> {
          try {
            Truststores.sslContext(
                file, truststorePassword.map(p -> p.reveal().toCharArray()).orElse(null));
          } catch (IllegalArgumentException e) {
            problems.add(ConfigKeys.BLUEJAY_TRUSTSTORE.name() + ": " + e.getMessage());
          }
        });
    return new BridgeConfig.Bluejay(
        get(ConfigKeys.BLUEJAY_BASE_URL),
        apiKey,
        apiKeyFile,
        get(ConfigKeys.BLUEJAY_REEVALUATE),
        truststore,
        truststorePassword);
  }

  /** The {@code kafka.*} keys of the table (with their defaults), then every other one. */
  private BridgeConfig.Kafka kafka() {
    Map<String, String> properties = new TreeMap<>();
    values.forEach(
        (key, value) -> {
          if (key.startsWith(KafkaKeys.PREFIX)) {
            properties.put(key.substring(KafkaKeys.PREFIX.length()), value);
          }
        });
    for (ConfigKey<?> key : ConfigKeys.all()) {
      if (key.name().startsWith(KafkaKeys.PREFIX)) {
        Object value = get(key);
        String name = key.name().substring(KafkaKeys.PREFIX.length());
        if (value != null) {
          properties.put(name, value.toString());
        } else {
          properties.remove(name);
        }
      }
    }
    return new BridgeConfig.Kafka(properties);
  }

  /**
   * The value of a key that must have one: given, else its default. A missing, empty or invalid
   * value is a problem; then the default (or null) stands in, and the loader throws in the end.
   */
  private <T> T get(ConfigKey<T> key) {
    if (key.optional()) {
      throw new IllegalArgumentException(key.name() + " is optional: use find");
    }
    String given = values.get(key.name());
    T fallback = key.defaultText().isPresent() ? key.defaultValue() : null;
    if (given != null && given.isBlank() && key.defaultText().isPresent()) {
      problems.add(
          key.name()
              + origin(key.name())
              + ": must not be empty (leave it out for the default, "
              + key.defaultText().get()
              + ")");
      return fallback;
    }
    String text = given != null ? given.trim() : key.defaultText().orElse("");
    if (text.isEmpty()) {
      problems.add(
          key.name()
              + ": required"
              + key.example().map(example -> " (e.g. " + example + ")").orElse(""));
      return fallback;
    }
    return parse(key, text).orElse(fallback);
  }

  /** The value of an optional key: given, else its default; empty when blank or invalid. */
  private <T> Optional<T> find(ConfigKey<T> key) {
    String given = values.get(key.name());
    String text = given != null ? given.trim() : key.defaultText().orElse("");
    return text.isEmpty() ? Optional.empty() : parse(key, text);
  }

  private <T> Optional<T> parse(ConfigKey<T> key, String text) {
    try {
      return Optional.of(key.parse(text));
    } catch (IllegalArgumentException e) {
      problems.add(key.name() + origin(key.name()) + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * A copy of the map for printing, with every secret-looking value masked: Kafka's password
   * configs, and any key whose name looks like a secret.
   */
  static Map<String, String> masked(Map<String, String> properties) {
    Map<String, String> copy = new TreeMap<>();
    properties.forEach(
        (key, value) -> {
          String lower = key.toLowerCase(Locale.ROOT);
          boolean secret =
              KafkaKeys.password(key) || SECRET_WORDS.stream().anyMatch(lower::contains);
          copy.put(key, secret ? "****" : value);
        });
    return copy;
  }
}
