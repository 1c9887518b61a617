package dev.bluejaybridge.cli;

import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.delivery.ApiKeySource;
import dev.bluejaybridge.pipeline.TopicLayout;
import dev.bluejaybridge.registry.RegistryException;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.registry.UnknownSchemaException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code check --config FILE}: validates the config (every problem at once, exit 2), then reaches
 * Kafka, the schema registry and Bluejay and reports each (exit 1 if any fails).
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Validates the configuration, listing every problem at once (exit code 2), then checks that",
      "Kafka (input topics co-partitioned, output topics present), the schema registry and Bluejay",
      "(reachable, API key accepted) can be reached. Exit code 0 when all pass, 1 otherwise."
    })
final class CheckCommand implements Callable<Integer> {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Spec CommandSpec spec;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "Properties file with the settings; the environment overrides it (see README).")
  Path config;

  @Override
  public Integer call() {
    BridgeConfig settings = Main.of(spec).settings(config);
    ApiKeySource keys;
    try {
      keys = ApiKeySource.from(settings.bluejay(), Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(List.of(e.getMessage()));
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("configuration: OK");
    List<Boolean> results = new ArrayList<>();
    results.add(report(out, "kafka", () -> kafka(settings)));
    results.add(report(out, "schema registry", () -> registry(settings)));
    results.add(report(out, "bluejay", () -> bluejay(settings, keys)));
    out.flush();
    return results.contains(false) ? Main.RUNTIME_FAILURE : 0;
  }

  private interface Check {
    String run() throws Exception;
  }

  private static boolean report(PrintWriter out, String name, Check check) {
    try {
      out.println(name + ": OK (" + check.run() + ")");
      return true;
    } catch (Exception e) {
      out.println(name + ": FAILED (" + e.getMessage() + ")");
      return false;
    }
  }

  private static String kafka(BridgeConfig settings) {
    try (Admin admin = Admin.create(Map.<String, Object>copyOf(settings.kafka().properties()))) {
      BridgeConfig.Topics topics = settings.topics();
      int partitions =
          TopicLayout.requireCoPartitioned(
              admin, List.of(topics.toolCalls(), topics.events(), topics.transcripts()), TIMEOUT);
      List<String> outputs = new ArrayList<>(List.of(topics.inputDlq(), topics.deliveryDlq()));
      topics.deliveryReceipts().ifPresent(outputs::add);
      TopicLayout.requireExist(admin, outputs, TIMEOUT);
      return settings.kafka().bootstrapServers()
          + ": input topics co-partitioned ("
          + partitions
          + " partitions), output topics present";
    }
  }

  private static String registry(BridgeConfig settings) {
    try (SchemaRegistry registry =
        SchemaRegistries.create(
            settings.registry().urls(),
            settings.registry().basicAuth().map(secret -> secret.reveal()),
            TIMEOUT)) {
      List<String> found = new ArrayList<>();
      BridgeConfig.Topics topics = settings.topics();
      for (String topic : List.of(topics.toolCalls(), topics.events(), topics.transcripts())) {
        String subject = topic + "-value";
        try {
          found.add(subject + " v" + registry.latest(subject).version());
        } catch (UnknownSchemaException e) {
          found.add(subject + " not registered yet");
        }
      }
      return String.join(", ", found);
    } catch (RegistryException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static String bluejay(BridgeConfig settings, ApiKeySource keys) {
    try (BluejayClient client =
        BluejayClient.create(settings.bluejay(), keys, TIMEOUT, Clock.systemUTC(), null)) {
      // A lookup of a result that does not exist: any answer but 401/403 shows the key is accepted.
      client.retrieveSimulationResult("0");
      return settings.bluejay().baseUrl() + ": reachable, API key accepted";
    } catch (RejectedException e) {
      return settings.bluejay().baseUrl()
          + ": reachable, API key accepted (probe answered "
          + e.status()
          + ")";
    } catch (AuthException e) {
      throw new IllegalStateException("API key refused: " + e.getMessage(), e);
    }
  }
}
