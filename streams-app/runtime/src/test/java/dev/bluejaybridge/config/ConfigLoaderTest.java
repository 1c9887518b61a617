package dev.bluejaybridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.bluejaybridge.http.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path file(String text) throws IOException {
    Path path = dir.resolve("bridge.properties");
    Files.writeString(path, text);
    return path;
  }

  @Test
  void appliesContractDefaults() throws IOException {
    BridgeConfig config =
        ConfigLoader.load(
            Optional.of(
                file("kafka.bootstrap.servers=k:9092\nschema.registry.url=http://sr:8081\n")),
            Map.of());

    assertThat(config.kafka().applicationId()).isEqualTo("bluejay-bridge");
    assertThat(config.kafka().properties())
        .containsEntry("processing.guarantee", "exactly_once_v2");
    assertThat(config.topics().toolCalls()).isEqualTo("calls.tool-calls");
    assertThat(config.topics().deliveryReceipts()).contains("calls.delivery-receipts");
    assertThat(config.calls()).isEqualTo(BridgeConfig.Calls.defaults());
    assertThat(config.delivery().rateLimitPerMinute()).isEqualTo(100);
    assertThat(config.bluejay().reevaluate()).isTrue();
    assertThat(config.admin().port()).isEqualTo(8080);
    assertThat(config.rocksDb()).isEqualTo(BridgeConfig.RocksDb.defaults());
    assertThat(config.rocksDb().memoryBytes()).isEqualTo(256L * 1024 * 1024);
    assertThat(config.rocksDb().memtableMemoryBytes()).isEqualTo(128L * 1024 * 1024);
  }

  @Test
  void readsRocksDbMemoryInBinaryUnitsAlsoFromTheEnvironment() throws IOException {
    BridgeConfig config =
        ConfigLoader.load(
            Optional.of(
                file(
                    "kafka.bootstrap.servers=k:9092\nschema.registry.url=http://sr:8081\n"
                        + "rocksdb.memory=1GiB\n")),
            Map.of("BRIDGE_ROCKSDB_MEMTABLE_MEMORY", "262144KiB"));

    assertThat(config.rocksDb()).isEqualTo(new BridgeConfig.RocksDb(1L << 30, 256L << 20));
  }

  @Test
  void listsEveryBadRocksDbSizeNamingKeyAndValue() {
    ConfigException e =
        problemsWith(
            Map.of(
                "rocksdb.memory", "64MB",
                "rocksdb.memtable-memory", "16"));

    assertThat(e.problems())
        .containsExactlyInAnyOrder(
            "rocksdb.memory: '64MB' is not a size (use a whole number of bytes, or with KiB, MiB"
                + " or GiB, e.g. 64MiB)",
            "rocksdb.memtable-memory: '16' is below the minimum 1MiB (a plain number is bytes)");
  }

  /** Found from outside: a zero timeout passed validation, then `run` failed with exit 1. */
  @Test
  void refusesZeroTimeoutsAndGapsAsConfigurationErrors() {
    ConfigException e =
        problemsWith(
            Map.of(
                "delivery.request-timeout", "0s",
                "call.inactivity-gap", "0ms",
                "call.max-duration", "0s",
                "call.end-grace", "0s"));

    assertThat(e.problems())
        .containsExactlyInAnyOrder(
            "delivery.request-timeout: '0s' must be more than 0",
            "call.inactivity-gap: '0ms' must be more than 0",
            "call.max-duration: '0s' must be more than 0");
  }

  /** Found from outside: a file saved with a byte order mark made its first key unknown. */
  @Test
  void aByteOrderMarkIsNotPartOfTheFirstKey(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("bom.properties");
    Files.writeString(
        file, "\uFEFFkafka.bootstrap.servers=k:9092\nschema.registry.url=http://sr:8081\n");

    BridgeConfig config = ConfigLoader.load(java.util.Optional.of(file), Map.of());

    assertThat(config.kafka().properties()).containsEntry("bootstrap.servers", "k:9092");
  }

  /** Found from outside: both forms of the webhook secret were taken without a word. */
  @Test
  void aSecretGivenAsAValueAndAsAFileIsAConfigurationError() {
    ConfigException e =
        problemsWith(
            Map.of(
                "webhooks.signing-secret", "whsec-1",
                "webhooks.signing-secret-file", "/run/secrets/wh"));

    assertThat(e.problems())
        .containsExactly(
            "webhooks.signing-secret and webhooks.signing-secret-file are both set: give only one");
    assertThat(String.join("\n", e.problems())).doesNotContain("whsec-1");
  }

  /** Issue 13 item 11: the webhook receiver's own server, its defaults and its limits. */
  @Test
  void webhooksHaveAPortAddressBodyLimitAndRetentionOfTheirOwn() {
    BridgeConfig.Webhooks defaults =
        ConfigLoader.parse(Map.of("kafka.bootstrap.servers", "k:9092", "schema.registry.url", "x"))
            .webhooks();
    BridgeConfig.Webhooks set =
        ConfigLoader.parse(
                Map.of(
                    "kafka.bootstrap.servers", "k:9092",
                    "schema.registry.url", "x",
                    "webhooks.signing-secret", "whsec-1",
                    "webhooks.port", "9443",
                    "webhooks.bind-address", "10.0.0.7",
                    "webhooks.max-body-bytes", "256KiB",
                    "webhooks.dedupe-retention", "3d"))
            .webhooks();

    assertThat(defaults.enabled()).isFalse();
    assertThat(defaults.port()).isEqualTo(8081);
    assertThat(defaults.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(defaults.maxBodyBytes()).isEqualTo(1L << 20);
    assertThat(defaults.dedupeRetention()).isEqualTo(Duration.ofHours(24));
    assertThat(set.enabled()).isTrue();
    assertThat(set)
        .extracting(
            BridgeConfig.Webhooks::port,
            BridgeConfig.Webhooks::bindAddress,
            BridgeConfig.Webhooks::maxBodyBytes,
            BridgeConfig.Webhooks::dedupeRetention)
        .containsExactly(9443, "10.0.0.7", 256L << 10, Duration.ofDays(3));
  }

  @Test
  void refusesWebhookSettingsThatCannotWork() {
    ConfigException e =
        problemsWith(
            Map.of(
                "webhooks.signing-secret", "whsec-1",
                "webhooks.port", "8080",
                "webhooks.bind-address", "any host",
                "webhooks.max-body-bytes", "1GiB",
                "webhooks.dedupe-retention", "0s"));

    assertThat(e.problems())
        .containsExactlyInAnyOrder(
            "webhooks.port: 8080 is admin.port too; the webhook receiver has a port of its own",
            "webhooks.bind-address: 'any host' is not a host name or address",
            "webhooks.max-body-bytes: 1GiB is above the maximum 64MiB",
            "webhooks.dedupe-retention: '0s' must be more than 0");
  }

  @Test
  void refusesMemtableMemoryThatIsNotLessThanTheTotal() {
    ConfigException e =
        problemsWith(
            Map.of(
                "rocksdb.memory", "32MiB",
                "rocksdb.memtable-memory", "32MiB"));

    assertThat(e.problems())
        .containsExactly(
            "rocksdb.memtable-memory: 32MiB must be less than rocksdb.memory (32MiB), of which it"
                + " is a part");
  }

  @Test
  void environmentOverridesTheFileAndPassesKafkaKeysThrough() throws IOException {
    Path path =
        file(
            "kafka.bootstrap.servers=k:9092\nschema.registry.url=http://sr:8081\ncall.end-grace=5s\n");
    BridgeConfig config =
        ConfigLoader.load(
            Optional.of(path),
            Map.of(
                "BRIDGE_CALL_END_GRACE", "250ms",
                "BRIDGE_SCHEMA_REGISTRY_URL", "mock://env",
                "BRIDGE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "BLUEJAY_API_KEY", "bj-secret-123",
                "PATH", "/usr/bin"));

    assertThat(config.calls().endGrace()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.registry().urls()).isEqualTo("mock://env");
    assertThat(config.kafka().properties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(config.bluejay().apiKey()).map(Secret::reveal).contains("bj-secret-123");
    assertThat(config.toString()).doesNotContain("bj-secret-123");
  }

  @Test
  void listsEveryProblemAtOnce() throws IOException {
    Path path =
        file(
            String.join(
                "\n",
                "schema.registry.url=http://sr:8081",
                "call.inactivity-gap=thirty seconds",
                "delivery.max-in-flight=lots",
                "bluejay.base-url=ftp://x",
                "bluejay.reevaluate=maybe",
                "topics.evnts=typo"));

    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> ConfigLoader.load(Optional.of(path), Map.of()));

    assertThat(e.problems())
        .hasSize(6)
        .anySatisfy(p -> assertThat(p).startsWith("kafka.bootstrap.servers"))
        .anySatisfy(p -> assertThat(p).startsWith("call.inactivity-gap"))
        .anySatisfy(p -> assertThat(p).startsWith("delivery.max-in-flight"))
        .anySatisfy(p -> assertThat(p).startsWith("bluejay.base-url"))
        .anySatisfy(p -> assertThat(p).startsWith("bluejay.reevaluate"))
        .anySatisfy(p -> assertThat(p).contains("topics.evnts"));
  }

  @Test
  void masksSecretsWhenPrinted() {
    BridgeConfig config =
        ConfigLoader.parse(
            Map.of(
                "kafka.bootstrap.servers", "k:9092",
                "kafka.sasl.jaas.config", "PlainLoginModule username=u password=hunter2",
                "schema.registry.url", "http://sr:8081",
                "schema.registry.basic-auth", "user:hunter3",
                "bluejay.api-key", "bj-key"));

    assertThat(config.toString()).doesNotContain("hunter2", "hunter3", "bj-key");
  }

  @Test
  void parsesDurations() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("4h")).isEqualTo(Duration.ofHours(4));
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
  }

  /** The problems of a configuration with the two required keys and {@code settings}. */
  private static ConfigException problemsWith(Map<String, String> settings) {
    Map<String, String> all = new java.util.HashMap<>(settings);
    all.put("kafka.bootstrap.servers", "k:9092");
    all.put("schema.registry.url", "http://sr:8081");
    return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(all));
  }
}
