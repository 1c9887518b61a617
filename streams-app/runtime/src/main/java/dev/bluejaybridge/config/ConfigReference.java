package dev.bluejaybridge.config;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Renders the configuration reference, {@code streams-app/docs/configuration.md}, from {@link
 * ConfigKeys} and {@link KafkaKeys}. The file is checked in; {@code ConfigReferenceTest} fails when
 * it differs from what this renders, and rewrites it when run with {@code
 * -Dconfig.docs.write=true}.
 */
final class ConfigReference {
  /** Where the reference lives, relative to the {@code streams-app} folder. */
  static final String FILE = "docs/configuration.md";

  /** How to rewrite the file, for the drift test's message and the file itself. */
  static final String REGENERATE =
      "./mvnw -B -Dquick -pl streams-app/runtime test -Dtest=ConfigReferenceTest"
          + " -Dsurefire.failIfNoSpecifiedTests=false -Dconfig.docs.write=true";

  private ConfigReference() {}

  static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration reference\n\n")
        .append("<!-- Generated from dev.bluejaybridge.config.ConfigKeys: do not edit by hand.")
        .append(" Regenerate with\n     ")
        .append(REGENERATE)
        .append(" -->\n\n")
        .append("bluejay-bridge reads a properties file (`--config FILE`), then environment")
        .append(" variables over it. Each key's\nvariable is `")
        .append(ConfigKey.ENV_PREFIX)
        .append("` + the key upper-cased with `.` and `-` as `_` (`")
        .append(ConfigKeys.SCHEMA_REGISTRY_URL.name())
        .append("` ↔ `")
        .append(ConfigKeys.SCHEMA_REGISTRY_URL.envName())
        .append("`).\nEvery key is checked before anything starts, and every problem is listed")
        .append(" at once (secrets masked), with\nexit code 2. An unknown key or `")
        .append(ConfigKey.ENV_PREFIX)
        .append("*` variable is a problem, named with the nearest known one.\n\n")
        .append("Durations: a whole number with `ms`, `s`, `m`, `h` or `d` (`250ms`, `30s`, `4h`).")
        .append(" Sizes: a whole number of\nbytes, or with `KiB`, `MiB` or `GiB` (`512KiB`,")
        .append(" `64MiB`); `MB` is refused rather than guessed.\n\n")
        .append("## Keys\n\n")
        .append("| key | type | default | environment | meaning |\n")
        .append("|---|---|---|---|---|\n");
    for (ConfigKey<?> key : ConfigKeys.all()) {
      md.append("| `")
          .append(key.name())
          .append("` | ")
          .append(cell(key.type().label()))
          .append(" | ")
          .append(defaultCell(key))
          .append(" | ")
          .append(key.envNames().stream().map(env -> "`" + env + "`").collect(joining()))
          .append(" | ")
          .append(cell(key.doc()))
          .append(" |\n");
    }
    md.append("\n## `kafka.*`: passed through to Kafka, checked against Kafka's definitions\n\n")
        .append("Every key `kafka.X` is handed to Kafka Streams as `X` (security, SASL, timeouts,")
        .append(" `state.dir`, ...); the\n`dlq` commands give the client settings among them to")
        .append(" their own consumer and producer. `")
        .append(ConfigKey.ENV_PREFIX)
        .append("KAFKA_X_Y`\nsets `kafka.x.y` (or the Kafka config whose name has that form).")
        .append(" Values are Kafka's to check when\nit starts; names are checked here. `X` must")
        .append(" be one of:\n\n")
        .append("- a Kafka Streams, producer, consumer or admin client config (`StreamsConfig`,")
        .append(" `ProducerConfig`,\n  `ConsumerConfig`, `AdminClientConfig`), e.g.")
        .append(" `kafka.num.standby.replicas`, `kafka.security.protocol`;\n");
    for (Map.Entry<String, Set<String>> prefix : KafkaKeys.CLIENT_PREFIXES.entrySet()) {
      md.append("- `")
          .append(prefix.getKey())
          .append("` followed by ")
          .append(prefixMeaning(prefix.getKey()))
          .append(";\n");
    }
    md.append("- a name starting with ")
        .append(KafkaKeys.OPEN_PREFIXES.stream().map(p -> "`" + p + "`").collect(joining()))
        .append(" (also behind a client prefix).\n\n")
        .append("Anything else is a configuration error naming the nearest known key, e.g.\n`")
        .append(ConfigLoader.unknownKafkaKey("kafka.num.standby.replica", ""))
        .append("`\n")
        .append("Values of Kafka's password configs (`sasl.jaas.config`, `ssl.key.password`,")
        .append(" ...)\nand of keys named like secrets are masked whenever the configuration is")
        .append(" printed.\n\n")
        .append("The bridge also sets, unless you do: the producer's `max.request.size` (outbox")
        .append(" entries carry whole\nrequest bodies) and `rocksdb.config.setter` (the bounded")
        .append(" memory of `rocksdb.memory`). It always sets the\ndead-letter handling (input")
        .append(" DLQ topic, deserialization and processing exception handlers).\n");
    return md.toString();
  }

  private static String prefixMeaning(String prefix) {
    return switch (prefix) {
      case "producer." -> "a producer config";
      case "admin." -> "an admin client config";
      case "topic." -> "a topic config (`TopicConfig`), for the internal topics";
      default -> "a consumer config";
    };
  }

  private static String defaultCell(ConfigKey<?> key) {
    if (key.required()) {
      return "required" + key.example().map(e -> ", e.g. `" + e + "`").orElse("");
    }
    return key.defaultText().map(text -> "`" + text + "`").orElse("none");
  }

  private static java.util.stream.Collector<CharSequence, ?, String> joining() {
    return Collectors.joining(", ");
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }
}
