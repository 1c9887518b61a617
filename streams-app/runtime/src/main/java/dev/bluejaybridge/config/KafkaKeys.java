package dev.bluejaybridge.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The names a {@code kafka.X} key may have, read from Kafka's own definitions: X is a Kafka
 * Streams, producer, consumer or admin config, or one of a client's configs behind the prefix Kafka
 * Streams gives that client ({@code producer.}, {@code main.consumer.}, ...), or a topic config
 * behind {@code topic.}; a few families are open-ended ({@code client.tag.}, {@code
 * metrics.context.}, {@code config.providers.}).
 */
final class KafkaKeys {
  static final String PREFIX = "kafka.";

  /** Kafka Streams' prefix for each client's configs, with the names that may follow it. */
  static final Map<String, Set<String>> CLIENT_PREFIXES = clientPrefixes();

  /** Prefixes after which any name is accepted, each documented by Kafka as open-ended. */
  static final List<String> OPEN_PREFIXES =
      List.of(
          StreamsConfig.CLIENT_TAG_PREFIX,
          CommonClientConfigs.METRICS_CONTEXT_PREFIX,
          AdminClientConfig.CONFIG_PROVIDERS_CONFIG + ".");

  /** Every Kafka Streams, producer, consumer and admin config name. */
  static final Set<String> NAMES = names();

  private static final Set<String> PASSWORDS = passwords();

  /** Every known full name, for suggestions. */
  private static final List<String> ALL = everyName();

  /** Known names by their environment form ({@code BRIDGE_KAFKA_} + ...). */
  private static final Map<String, String> BY_ENV = byEnv();

  private KafkaKeys() {}

  /** Whether {@code name} (the X of {@code kafka.X}) is a config Kafka defines. */
  static boolean known(String name) {
    if (NAMES.contains(name) || openEnded(name)) {
      return true;
    }
    for (Map.Entry<String, Set<String>> prefix : CLIENT_PREFIXES.entrySet()) {
      if (name.startsWith(prefix.getKey())) {
        String rest = name.substring(prefix.getKey().length());
        if (prefix.getValue().contains(rest) || openEnded(rest)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The known name nearest to {@code name}. */
  static String nearest(String name) {
    return Nearest.of(name, ALL).orElseThrow();
  }

  /**
   * The X of the {@code kafka.X} that {@code BRIDGE_KAFKA_} + {@code envSuffix} sets: the known
   * name of that environment form, else the suffix lower-cased with {@code _} as {@code .}.
   */
  static String fromEnv(String envSuffix) {
    String known = BY_ENV.get(envSuffix);
    return known != null ? known : envSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** Whether Kafka types the config as a password, after any client prefix. */
  static boolean password(String name) {
    if (PASSWORDS.contains(name)) {
      return true;
    }
    for (String prefix : CLIENT_PREFIXES.keySet()) {
      if (name.startsWith(prefix) && PASSWORDS.contains(name.substring(prefix.length()))) {
        return true;
      }
    }
    return false;
  }

  private static boolean openEnded(String name) {
    return OPEN_PREFIXES.stream().anyMatch(name::startsWith);
  }

  private static Map<String, Set<String>> clientPrefixes() {
    Map<String, Set<String>> result = new LinkedHashMap<>();
    Set<String> consumer = ConsumerConfig.configNames();
    result.put(StreamsConfig.PRODUCER_PREFIX, ProducerConfig.configNames());
    result.put(StreamsConfig.CONSUMER_PREFIX, consumer);
    result.put(StreamsConfig.MAIN_CONSUMER_PREFIX, consumer);
    result.put(StreamsConfig.RESTORE_CONSUMER_PREFIX, consumer);
    result.put(StreamsConfig.GLOBAL_CONSUMER_PREFIX, consumer);
    result.put(StreamsConfig.ADMIN_CLIENT_PREFIX, AdminClientConfig.configNames());
    result.put(StreamsConfig.TOPIC_PREFIX, topicConfigs());
    return Collections.unmodifiableMap(result);
  }

  /** TopicConfig has no list of names: its {@code *_CONFIG} constants are the names. */
  private static Set<String> topicConfigs() {
    Set<String> result = new TreeSet<>();
    for (Field field : TopicConfig.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers())
          && field.getType() == String.class
          && field.getName().endsWith("_CONFIG")) {
        try {
          result.add((String) field.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return Collections.unmodifiableSet(result);
  }

  private static Set<String> names() {
    Set<String> result = new TreeSet<>(StreamsConfig.configDef().names());
    result.addAll(ProducerConfig.configNames());
    result.addAll(ConsumerConfig.configNames());
    result.addAll(AdminClientConfig.configNames());
    return Collections.unmodifiableSet(result);
  }

  private static Set<String> passwords() {
    Set<String> result = new TreeSet<>();
    for (ConfigDef def :
        List.of(
            StreamsConfig.configDef(), ProducerConfig.configDef(), AdminClientConfig.configDef())) {
      def.configKeys()
          .forEach(
              (name, key) -> {
                if (key.type == ConfigDef.Type.PASSWORD) {
                  result.add(name);
                }
              });
    }
    return Collections.unmodifiableSet(result);
  }

  private static List<String> everyName() {
    Set<String> result = new TreeSet<>(NAMES);
    CLIENT_PREFIXES.forEach((prefix, names) -> names.forEach(name -> result.add(prefix + name)));
    return List.copyOf(result);
  }

  private static Map<String, String> byEnv() {
    Map<String, String> result = new LinkedHashMap<>();
    for (String name : ALL) {
      result.put(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), name);
    }
    return Collections.unmodifiableMap(result);
  }
}
