package dev.bluejaybridge.cli;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.delivery.LoggingDelivery;
import dev.bluejaybridge.pipeline.Pipeline;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run --config FILE}: the pipeline against a real cluster, until SIGTERM. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the pipeline against a Kafka cluster until stopped (SIGTERM or Ctrl-C).",
      "Settings come from the properties file, then from environment variables over it:",
      "BRIDGE_ + the key upper-cased with . and - as _ (schema.registry.url <-> BRIDGE_SCHEMA_REGISTRY_URL),",
      "and BLUEJAY_API_KEY."
    })
final class RunCommand implements Callable<Integer> {
  private static final Duration REGISTRY_TIMEOUT = Duration.ofSeconds(10);

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "Properties file with the settings (see README); optional if all come from the environment.")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    BridgeConfig settings = ConfigLoader.load(Optional.ofNullable(config), System.getenv());
    SchemaRegistry registry =
        SchemaRegistries.create(
            settings.registry().urls(),
            settings.registry().basicAuth().map(secret -> secret.reveal()),
            REGISTRY_TIMEOUT);
    AtomicReference<Pipeline> running = new AtomicReference<>();
    Thread hook =
        new Thread(
            () -> {
              Pipeline pipeline = running.get();
              if (pipeline != null) {
                pipeline.close();
              }
            },
            "shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (registry) {
      Pipeline pipeline = Pipeline.start(settings, registry, LoggingDelivery::new);
      running.set(pipeline);
      boolean failed = pipeline.awaitStop();
      return failed ? Main.RUNTIME_FAILURE : 0;
    }
  }
}
