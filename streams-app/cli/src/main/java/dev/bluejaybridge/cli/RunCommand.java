package dev.bluejaybridge.cli;

import dev.bluejaybridge.app.BridgeApp;
import dev.bluejaybridge.config.BridgeConfig;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

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
  private static final Logger LOGGER = LoggerFactory.getLogger(RunCommand.class);
  private static final int RUNTIME_FAILURE_ON_HALT = 130;

  @Spec CommandSpec spec;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "Properties file with the settings (see README); optional if all come from the environment.")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    BridgeConfig settings = Main.of(spec).settings(config);
    AtomicReference<BridgeApp> running = new AtomicReference<>();
    AtomicBoolean stopping = new AtomicBoolean();
    // SIGTERM/SIGINT: stop taking work, drain requests in flight, close Kafka Streams cleanly.
    // A second signal exits at once.
    SignalHandler onSignal =
        signal -> {
          if (stopping.compareAndSet(false, true)) {
            LOGGER.info(
                "signal={} received: draining and stopping (send it again to exit now)",
                signal.getName());
            Thread stopper =
                new Thread(
                    () -> {
                      BridgeApp app = running.get();
                      if (app != null) {
                        app.close();
                      }
                    },
                    "shutdown");
            stopper.start();
          } else {
            LOGGER.warn("second signal={}: exiting now", signal.getName());
            Runtime.getRuntime().halt(RUNTIME_FAILURE_ON_HALT);
          }
        };
    Signal.handle(new Signal("TERM"), onSignal);
    Signal.handle(new Signal("INT"), onSignal);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(meters);
    new JvmGcMetrics().bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    BridgeApp app = BridgeApp.start(settings, meters, Clock.systemUTC());
    running.set(app);
    return app.awaitStop() ? Main.RUNTIME_FAILURE : 0;
  }
}
