package dev.bluejaybridge.cli;

import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.config.Durations;
import dev.bluejaybridge.delivery.ApiKeySource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How the Bluejay commands reach Bluejay: only the {@code bluejay.*} settings, from an optional
 * config file, the environment ({@code BLUEJAY_API_KEY}, {@code BRIDGE_BLUEJAY_*}) and {@code
 * --base-url}. Kafka and registry settings are not needed.
 */
final class BluejayOptions {

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "Properties file; only its bluejay.* settings are used (bluejay.base-url,"
              + " bluejay.api-key or bluejay.api-key-file). Optional: BLUEJAY_API_KEY alone will do.")
  Path config;

  @Option(
      names = "--base-url",
      paramLabel = "URL",
      description =
          "Bluejay API base URL, over bluejay.base-url (default"
              + " ${bundle:bluejay.base-url.default}).")
  String baseUrl;

  @Option(
      names = "--request-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description = "How long to wait for each answer from Bluejay (default ${DEFAULT-VALUE}).")
  String requestTimeout;

  /**
   * Reads and checks the settings and opens a client. Call it after the command's own checks: when
   * {@code problems} is not empty afterwards, close the client (if any) and report them all.
   *
   * @return empty, with every problem added, when the settings cannot be used
   */
  Optional<BluejayClient> open(Map<String, String> env, List<String> problems) {
    int before = problems.size();
    Duration timeout = Duration.ZERO;
    try {
      timeout = Durations.parse(requestTimeout);
      if (timeout.isZero()) {
        problems.add("--request-timeout: must be more than 0");
      }
    } catch (IllegalArgumentException e) {
      problems.add("--request-timeout: " + e.getMessage());
    }
    Map<String, String> overrides =
        baseUrl == null ? Map.of() : Map.of("bluejay.base-url", baseUrl);
    BridgeConfig.Bluejay settings;
    try {
      settings = ConfigLoader.loadBluejay(Optional.ofNullable(config), env, overrides);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
      return Optional.empty();
    }
    ApiKeySource keys = null;
    try {
      keys = ApiKeySource.from(settings, Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (problems.size() > before) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          BluejayClient.create(
              settings.baseUrl(),
              keys,
              timeout,
              Clock.systemUTC(),
              null,
              settings.tls().orElse(null)));
    } catch (IllegalArgumentException e) {
      problems.add("bluejay.base-url: " + e.getMessage());
      return Optional.empty();
    }
  }
}
