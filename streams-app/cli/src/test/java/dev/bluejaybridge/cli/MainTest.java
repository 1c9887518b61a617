package dev.bluejaybridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.ConfigKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  private Path configWithFiveMistakes() throws IOException {
    Path file = dir.resolve("bridge.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "# bootstrap servers missing",
            "schema.registry.url=http://registry:8081",
            "call.inactivity-gap=half a minute",
            "delivery.max-in-flight=0",
            "bluejay.base-url=not a url",
            "topics.tool-cals=calls.tool-calls",
            "bluejay.api-key=bj-secret-value-1"));
    return file;
  }

  @ParameterizedTest
  @ValueSource(strings = {"run", "check"})
  void aConfigWithFiveMistakesNamesAllFiveInOneRunAndExitsTwo(String command) throws IOException {
    int exit = run(command, "--config", configWithFiveMistakes().toString());

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString())
        .contains("5 configuration problems")
        .contains("kafka.bootstrap.servers")
        .contains("call.inactivity-gap")
        .contains("delivery.max-in-flight")
        .contains("bluejay.base-url")
        .contains("topics.tool-cals")
        .doesNotContain("bj-secret-value-1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"run", "check"})
  void everyCommandHasHelp(String command) {
    assertThat(run(command, "--help")).isZero();
    assertThat(out.toString()).contains("Usage:").contains("--config");
  }

  @ParameterizedTest
  @ValueSource(strings = {"run", "check"})
  void aTypoInAKafkaKeyIsAConfigurationErrorNamingTheNearestKey(String command) throws IOException {
    Path file = dir.resolve("typo.properties");
    Files.writeString(
        file,
        "kafka.bootstrap.servers=k:9092\nschema.registry.url=mock://x\n"
            + "bluejay.api-key=bj-secret-value-2\nkafka.num.standby.replica=1\n");

    assertThat(run(command, "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains("1 configuration problem")
        .contains("kafka.num.standby.replica: ")
        .contains("did you mean kafka.num.standby.replicas?")
        .doesNotContain("bj-secret-value-2");
  }

  @Test
  void helpShowsTheDefaultsOfTheKeyDefinitions() {
    String baseUrl = ConfigKeys.BLUEJAY_BASE_URL.defaultText().orElseThrow();

    assertThat(run("simulation", "update", "--help")).isZero();
    assertThat(run("run", "--help")).isZero();

    assertThat(out.toString())
        .contains("(default " + baseUrl + ")")
        .contains("default " + ConfigKeys.LOG_FORMAT.defaultText().orElseThrow() + ". Over")
        .doesNotContain("${bundle:");
  }

  @Test
  void demoOutsideTheBuiltJarsSaysWhereTheDemoIs() {
    // the test classes are no jar, so no bluejay-bridge-demo.jar is beside them
    assertThat(run("demo", "--calls", "1")).isEqualTo(2);
    assertThat(err.toString())
        .contains("bluejay-bridge-demo.jar")
        .contains("./mvnw -B -DskipTests package");
  }

  /** Found from outside: the usage text after a bad --log-format said "default null". */
  @Test
  void aBadLogFormatIsAUsageErrorWhoseHelpShowsTheDefaults() {
    assertThat(run("--log-format", "xml", "check")).isEqualTo(2);
    assertThat(err.toString())
        .contains("--log-format")
        .contains("default " + ConfigKeys.LOG_FORMAT.defaultText().orElseThrow() + ".")
        .doesNotContain("default null")
        .doesNotContain("${bundle:");
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err.toString()).contains("frobnicate");
  }

  @Test
  void runWithoutAnApiKeyIsAConfigurationError() throws IOException {
    Path file = dir.resolve("no-key.properties");
    Files.writeString(file, "kafka.bootstrap.servers=k:9092\nschema.registry.url=mock://x\n");

    assertThat(run("check", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("no Bluejay API key");
  }
}
