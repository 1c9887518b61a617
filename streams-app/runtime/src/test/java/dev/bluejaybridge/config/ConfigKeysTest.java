package dev.bluejaybridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The table of keys is the one source of names, defaults and environment variables (issue 12). */
class ConfigKeysTest {
  private static final Map<String, String> REQUIRED =
      Map.of("kafka.bootstrap.servers", "k:9092", "schema.registry.url", "http://sr:8081");

  private static Map<String, String> mapped(Map<String, String> env, List<String> problems) {
    return ConfigLoader.fromEnvironment(env, problems, new TreeMap<>());
  }

  @Test
  void everyEnvironmentVariableOfEveryKeyMapsBackToThatKey() {
    for (ConfigKey<?> key : ConfigKeys.all()) {
      for (String env : key.envNames()) {
        List<String> problems = new ArrayList<>();

        Map<String, String> keys = mapped(Map.of(env, "v"), problems);

        assertThat(keys).as(env).containsExactly(Map.entry(key.name(), "v"));
        assertThat(problems).as(env).isEmpty();
      }
    }
  }

  @Test
  void theEnvironmentVariableIsDerivedFromTheName() {
    assertThat(ConfigKeys.CALL_MAX_RECORD_BYTES.envName())
        .isEqualTo("BRIDGE_CALL_MAX_RECORD_BYTES");
    assertThat(ConfigKeys.SCHEMA_REGISTRY_URL.envName()).isEqualTo("BRIDGE_SCHEMA_REGISTRY_URL");
    assertThat(ConfigKeys.BLUEJAY_API_KEY.envNames())
        .containsExactly("BRIDGE_BLUEJAY_API_KEY", "BLUEJAY_API_KEY");
    assertThat(ConfigKeys.LOG_FORMAT.envName()).isEqualTo("BRIDGE_LOG_FORMAT");
  }

  @Test
  void everyKafkaConfigIsReachedByItsEnvironmentForm() {
    for (String name : KafkaKeys.NAMES) {
      String env = ConfigKey.envName("kafka." + name);

      assertThat(mapped(Map.of(env, "v"), new ArrayList<>())).as(env).containsKey("kafka." + name);
    }
    // not reachable by turning _ into . alone
    assertThat(
            mapped(
                Map.of("BRIDGE_KAFKA_RACK_AWARE_ASSIGNMENT_NON_OVERLAP_COST", "1"),
                new ArrayList<>()))
        .containsKey("kafka.rack.aware.assignment.non_overlap_cost");
  }

  @Test
  void everyKeyIsLoadedWithItsDefaultWhenLeftOut() {
    BridgeConfig config = ConfigLoader.parse(REQUIRED);

    assertThat(config.topics().toolCalls())
        .isEqualTo(ConfigKeys.TOPICS_TOOL_CALLS.defaultText().orElseThrow());
    assertThat(config.bluejay().baseUrl()).isEqualTo(ConfigKeys.BLUEJAY_BASE_URL.defaultValue());
    assertThat(config.delivery().maxInFlight())
        .isEqualTo(ConfigKeys.DELIVERY_MAX_IN_FLIGHT.defaultValue());
    assertThat(config.admin().port()).isEqualTo(ConfigKeys.ADMIN_PORT.defaultValue());
    assertThat(config.log().format()).isEqualTo(BridgeConfig.Log.Format.TEXT);
    assertThat(config.kafka().applicationId())
        .isEqualTo(ConfigKeys.KAFKA_APPLICATION_ID.defaultText().orElseThrow());
  }

  @Test
  void everyKeyHasAMeaningAndRequiredKeysAnExample() {
    assertThat(ConfigKeys.all())
        .allSatisfy(key -> assertThat(key.doc()).as(key.name()).isNotBlank())
        .filteredOn(ConfigKey::required)
        .extracting(ConfigKey::name)
        .containsExactlyInAnyOrder("kafka.bootstrap.servers", "schema.registry.url");
    assertThat(ConfigKeys.all())
        .filteredOn(ConfigKey::required)
        .allSatisfy(key -> assertThat(key.example()).isPresent());
  }

  @Test
  void logFormatIsAKeyOfItsOwnWithItsEnvironmentVariable() {
    List<String> problems = new ArrayList<>();

    Map<String, String> keys = mapped(Map.of("BRIDGE_LOG_FORMAT", "json"), problems);
    BridgeConfig config = ConfigLoader.parse(merge(REQUIRED, keys));

    assertThat(problems).isEmpty();
    assertThat(config.log().format()).isEqualTo(BridgeConfig.Log.Format.JSON);
  }

  @Test
  void aLogFormatThatIsNeitherTextNorJsonIsAProblem() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> ConfigLoader.parse(merge(REQUIRED, Map.of("log.format", "xml"))));

    assertThat(e.problems()).containsExactly("log.format: 'xml' is not one of text, json");
  }

  @Test
  void anUnknownVariableNamesTheNearestKnownOne() {
    List<String> problems = new ArrayList<>();

    mapped(Map.of("BRIDGE_LOG_FROMAT", "json"), problems);

    assertThat(problems)
        .containsExactly(
            "unknown environment variable BRIDGE_LOG_FROMAT (no such setting);"
                + " did you mean BRIDGE_LOG_FORMAT?");
  }

  private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
    Map<String, String> result = new TreeMap<>(a);
    result.putAll(b);
    return result;
  }
}
