package dev.bluejaybridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code kafka.*} keys are checked against Kafka's own definitions (issue 12). */
class KafkaKeysTest {

  private static Map<String, String> with(String key, String value) {
    Map<String, String> raw = new LinkedHashMap<>();
    raw.put("kafka.bootstrap.servers", "k:9092");
    raw.put("schema.registry.url", "http://sr:8081");
    raw.put(key, value);
    return raw;
  }

  @Test
  void aTypoInAKafkaKeyIsAProblemNamingTheNearestKey() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> ConfigLoader.parse(with("kafka.num.standby.replica", "1")));

    assertThat(e.problems())
        .containsExactly(
            "kafka.num.standby.replica: not a Kafka Streams, producer, consumer, admin or topic"
                + " config; did you mean kafka.num.standby.replicas?");
  }

  @Test
  void aTypoFromTheEnvironmentAlsoNamesTheVariable() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                ConfigLoader.load(
                    Optional.empty(),
                    Map.of(
                        "BRIDGE_KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                        "BRIDGE_SCHEMA_REGISTRY_URL", "http://sr:8081",
                        "BRIDGE_KAFKA_NUM_STANDBY_REPLICA", "1")));

    assertThat(e.problems())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("kafka.num.standby.replica (from BRIDGE_KAFKA_NUM_STANDBY_REPLICA): ")
        .endsWith("did you mean kafka.num.standby.replicas?");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "kafka.num.standby.replicas",
        "kafka.state.dir",
        "kafka.security.protocol",
        "kafka.sasl.jaas.config",
        "kafka.max.poll.records",
        "kafka.acks",
        "kafka.producer.acks",
        "kafka.consumer.fetch.max.wait.ms",
        "kafka.main.consumer.max.poll.records",
        "kafka.restore.consumer.max.poll.records",
        "kafka.global.consumer.max.poll.records",
        "kafka.admin.retries",
        "kafka.topic.min.insync.replicas",
        "kafka.client.tag.zone",
        "kafka.metrics.context.cluster",
        "kafka.producer.metrics.context.cluster",
        "kafka.config.providers.file.class",
        "kafka.rack.aware.assignment.non_overlap_cost"
      })
  void acceptsEveryKindOfKafkaConfig(String key) {
    BridgeConfig config = ConfigLoader.parse(with(key, "1"));

    assertThat(config.kafka().properties()).containsKey(key.substring("kafka.".length()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "kafka.producer.num.standby.replicas", // a Streams config behind a client's prefix
        "kafka.admin.acks", // a producer config behind the admin prefix
        "kafka.topic.max.poll.records", // a consumer config behind the topic prefix
        "kafka.bootstrap.server"
      })
  void refusesNamesKafkaDoesNotDefine(String key) {
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(with(key, "1")));

    assertThat(e.problems())
        .singleElement()
        .asString()
        .startsWith(key + ": ")
        .contains("did you mean kafka.");
  }

  @Test
  void aMisspeltPasswordKeyNamesTheKeyButNeverItsValue() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> ConfigLoader.parse(with("kafka.ssl.keystore.pasword", "hunter2")));

    assertThat(e.getMessage())
        .contains("kafka.ssl.keystore.pasword")
        .contains("did you mean kafka.ssl.keystore.password?")
        .doesNotContain("hunter2");
  }

  @Test
  void masksKafkaPasswordConfigsAlsoBehindAClientPrefix() {
    Map<String, String> raw = with("kafka.producer.ssl.key.password", "hunter2");
    raw.put("kafka.ssl.truststore.password", "hunter3");
    raw.put("kafka.sasl.jaas.config", "PlainLoginModule password=hunter4");

    BridgeConfig config = ConfigLoader.parse(raw);

    assertThat(config.kafka().toString()).doesNotContain("hunter2", "hunter3", "hunter4");
    assertThat(KafkaKeys.password("producer.ssl.key.password")).isTrue();
    assertThat(KafkaKeys.password("num.standby.replicas")).isFalse();
  }

  @Test
  void anUnknownKeyOfOursNamesTheNearestKey() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> ConfigLoader.parse(with("topics.tool-cals", "x")));

    assertThat(e.problems())
        .containsExactly("unknown key 'topics.tool-cals'; did you mean topics.tool-calls?");
  }

  @Test
  void nearestIsByEditDistance() {
    assertThat(Nearest.distance("kitten", "sitting")).isEqualTo(3);
    assertThat(Nearest.distance("", "abc")).isEqualTo(3);
    assertThat(Nearest.distance("same", "same")).isZero();
    assertThat(Nearest.of("acks", java.util.List.of("retries", "ack", "linger.ms")))
        .contains("ack");
  }
}
