package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, R7 (b): TLS to Bluejay is verified. A server with a self-signed certificate is refused
 * unless {@code bluejay.truststore} holds its certificate; a bad truststore is a configuration
 * error naming the file.
 */
class BluejayTlsTest {
  private static final String KEY = "bj-tls-key-0123456789";
  private static final String STORE_PASSWORD = "store-pass-4711";

  @TempDir static Path dir;
  static TestCertificates certificates;
  static BluejayStandIn bluejay;

  @BeforeAll
  static void start() {
    certificates = TestCertificates.generate(dir, STORE_PASSWORD);
    bluejay = BluejayStandIn.https(certificates.keystore(), STORE_PASSWORD);
  }

  @AfterAll
  static void stop() {
    bluejay.close();
  }

  private static Map<String, String> settings(Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>();
    settings.put("kafka.bootstrap.servers", "k:9092");
    settings.put("schema.registry.url", "mock://tls");
    settings.put("bluejay.base-url", bluejay.baseUrl().toString());
    settings.putAll(extra);
    return settings;
  }

  private static BluejayClient client(BridgeConfig.Bluejay settings) {
    return BluejayClient.create(
        settings.baseUrl(),
        () -> Secret.of(KEY),
        Duration.ofSeconds(5),
        Clock.systemUTC(),
        null,
        settings.tls().orElse(null));
  }

  @Test
  void selfSignedServerIsRefusedByDefaultAndNothingIsSent() {
    BridgeConfig config = ConfigLoader.parse(settings(Map.of()));
    int before = bluejay.requests().size();

    try (BluejayClient client = client(config.bluejay())) {
      assertThatThrownBy(() -> client.updateLog("call-1", "{}".getBytes(StandardCharsets.UTF_8)))
          .isInstanceOfSatisfying(
              RetryableException.class,
              e -> assertThat(e.outcomeUnknown()).as("the request was never sent").isFalse())
          .hasMessageContaining("TLS handshake failed")
          .hasMessageContaining("bluejay.truststore")
          .hasMessageNotContaining(KEY);
    }
    assertThat(bluejay.requests()).hasSize(before);
  }

  @Test
  void serverWhoseCertificateIsInTheTruststoreIsAccepted() {
    BridgeConfig config =
        ConfigLoader.parse(
            settings(
                Map.of(
                    "bluejay.truststore",
                    certificates.truststore().toString(),
                    "bluejay.truststore-password",
                    STORE_PASSWORD)));

    try (BluejayClient client = client(config.bluejay())) {
      BluejayClient.Response response =
          client.updateLog("call-2", "{}".getBytes(StandardCharsets.UTF_8));

      assertThat(response.status()).isEqualTo(200);
    }
    assertThat(bluejay.requestsTo("/v1/update-log/call-2")).hasSize(1);
  }

  @Test
  void truststoreProblemsAreConfigurationErrorsNamingTheFileNeverThePassword() throws Exception {
    Path missing = dir.resolve("no-such-truststore.p12");
    Path garbage = Files.writeString(dir.resolve("garbage.p12"), "not a keystore");

    assertThatThrownBy(
            () -> ConfigLoader.parse(settings(Map.of("bluejay.truststore", missing.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bluejay.truststore")
        .hasMessageContaining(missing.toString());
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    settings(
                        Map.of(
                            "bluejay.truststore",
                            certificates.truststore().toString(),
                            "bluejay.truststore-password",
                            "wrong-password-123"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(certificates.truststore().toString())
        .hasMessageContaining("wrong password")
        .hasMessageNotContaining("wrong-password-123");
    assertThatThrownBy(
            () -> ConfigLoader.parse(settings(Map.of("bluejay.truststore", garbage.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(garbage.toString());
    assertThatThrownBy(
            () -> ConfigLoader.parse(settings(Map.of("bluejay.truststore-password", "x-123456"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bluejay.truststore-password is set but bluejay.truststore is not")
        .hasMessageNotContaining("x-123456");
  }
}
