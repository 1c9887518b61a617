package dev.bluejaybridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.delivery.ApiKeySource;
import dev.bluejaybridge.http.HttpUrls;
import dev.bluejaybridge.pipeline.TopicLayout;
import dev.bluejaybridge.registry.RegistryException;
import dev.bluejaybridge.registry.RegistryUnavailableException;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.registry.UnknownSchemaException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code check --config FILE}: validates the config (every problem at once, exit 2), then reaches
 * Kafka, the schema registry and Bluejay, all three at once, and reports each (exit 1 if any
 * fails). It ends within about {@link #DEADLINE}: each service gets {@link #SERVICE_TIMEOUT} to
 * connect and answer, and one that is unreachable is named in one line (the Kafka client's own
 * reconnect warnings are held back meanwhile).
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Validates the configuration, listing every problem at once (exit code 2), then checks that",
      "Kafka (input topics co-partitioned, output topics present), the schema registry and Bluejay",
      "(reachable, API key accepted) can be reached. Exit code 0 when all pass, 1 otherwise.",
      "The three are checked at once, each given 5 s: an unreachable one fails the check within",
      "about 10 s."
    })
final class CheckCommand implements Callable<Integer> {
  /** How long each service has to connect and to answer each request. */
  static final Duration SERVICE_TIMEOUT = Duration.ofSeconds(5);

  /** A check still running this long after the start is reported as having no answer. */
  static final Duration DEADLINE = Duration.ofSeconds(9);

  /**
   * Loggers held at ERROR while the checks run: the Kafka clients warn on every reconnect (dozens
   * of lines while a broker is down), the registry client on every failed request; the check
   * reports each failure in one line instead.
   */
  private static final List<String> QUIET_LOGGERS =
      List.of("org.apache.kafka", "dev.bluejaybridge.registry");

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
    out.flush();
    String kafka = "kafka.bootstrap.servers=" + settings.kafka().bootstrapServers();
    String registry = "schema.registry.url=" + settings.registry().urls();
    String bluejay = "bluejay.base-url=" + settings.bluejay().baseUrl();
    List<Service> services =
        List.of(
            new Service("kafka", kafka, () -> kafka(settings, kafka)),
            new Service("schema registry", registry, () -> registry(settings, registry)),
            new Service("bluejay", bluejay, () -> bluejay(settings, keys, bluejay)));
    QuietLoggers quiet = QuietLoggers.atError(QUIET_LOGGERS);
    boolean allPassed;
    try {
      allPassed = checkAtOnce(services, out);
    } finally {
      quiet.close();
    }
    out.flush();
    return allPassed ? 0 : Main.RUNTIME_FAILURE;
  }

  /** One service to reach: its name in the report, what it is configured as, and the check. */
  private record Service(String name, String target, Callable<String> check) {}

  /** Thrown by a check that could not reach its service at all. */
  private static final class UnreachableException extends RuntimeException {
    UnreachableException(String target, String reason) {
      super("cannot reach " + target + ": " + reason);
    }
  }

  /**
   * Runs the checks on their own threads and prints one line each, in order, as each ends; waits
   * until {@link #DEADLINE} after the start at most.
   */
  private static boolean checkAtOnce(List<Service> services, PrintWriter out) {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            services.size(),
            task -> {
              Thread thread = new Thread(task, "check");
              thread.setDaemon(true);
              return thread;
            });
    try {
      List<Future<String>> running = new ArrayList<>();
      for (Service service : services) {
        running.add(pool.submit(service.check()));
      }
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      boolean allPassed = true;
      for (int i = 0; i < services.size(); i++) {
        Service service = services.get(i);
        Future<String> result = running.get(i);
        String line;
        try {
          long left = Math.max(0, deadline - System.nanoTime());
          line = "OK (" + result.get(left, TimeUnit.NANOSECONDS) + ")";
        } catch (ExecutionException e) {
          line = "FAILED (" + describe(e.getCause()) + ")";
        } catch (TimeoutException e) {
          result.cancel(true);
          line =
              "FAILED (no answer from "
                  + service.target()
                  + " within "
                  + DEADLINE.toSeconds()
                  + "s)";
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          line = "FAILED (interrupted)";
        }
        allPassed &= line.startsWith("OK");
        out.println(service.name() + ": " + line);
        out.flush();
      }
      return allPassed;
    } finally {
      // a check past the deadline is interrupted; give it a moment to end before the loggers are
      // restored, so that it does not log its failure after the report
      pool.shutdownNow();
      try {
        pool.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
  }

  /**
   * Admin client settings over the configured ones, so that an unreachable cluster fails in {@code
   * timeout} (the defaults wait a minute, and closing the client waits for its calls to time out).
   */
  static Map<String, Object> adminConfig(Map<String, String> kafkaProperties, Duration timeout) {
    Map<String, Object> admin = new HashMap<>(kafkaProperties);
    String millis = Long.toString(timeout.toMillis());
    admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "bluejay-bridge-check");
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
    admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
    admin.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, millis);
    admin.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, millis);
    admin.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "200");
    admin.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    return admin;
  }

  private static String kafka(BridgeConfig settings, String target) throws InterruptedException {
    String servers = settings.kafka().bootstrapServers();
    Admin admin;
    try {
      admin = Admin.create(adminConfig(settings.kafka().properties(), SERVICE_TIMEOUT));
    } catch (KafkaException e) {
      // e.g. no bootstrap address resolves
      throw new UnreachableException(target, describe(e.getCause() == null ? e : e.getCause()));
    }
    try {
      int brokers = brokers(admin, target);
      BridgeConfig.Topics topics = settings.topics();
      int partitions =
          TopicLayout.requireCoPartitioned(
              admin,
              List.of(topics.toolCalls(), topics.events(), topics.transcripts()),
              SERVICE_TIMEOUT);
      List<String> outputs = new ArrayList<>(List.of(topics.inputDlq(), topics.deliveryDlq()));
      topics.deliveryReceipts().ifPresent(outputs::add);
      TopicLayout.requireExist(admin, outputs, SERVICE_TIMEOUT);
      return servers
          + ": "
          + brokers
          + (brokers == 1 ? " broker" : " brokers")
          + ", input topics co-partitioned ("
          + partitions
          + " partitions), output topics present";
    } finally {
      // nothing left worth waiting for: fail what is pending and stop the client's thread now
      admin.close(Duration.ZERO);
    }
  }

  /** The number of brokers, or which bootstrap servers did not answer. */
  private static int brokers(Admin admin, String target) throws InterruptedException {
    long millis = SERVICE_TIMEOUT.toMillis();
    try {
      return admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) millis))
          .nodes()
          .get(millis + 1_000, TimeUnit.MILLISECONDS)
          .size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw new UnreachableException(
            target, "no broker answered within " + SERVICE_TIMEOUT.toSeconds() + "s");
      }
      // e.g. an authentication or TLS failure: reached, but refused
      throw new IllegalStateException(
          target + ": " + e.getCause().getClass().getSimpleName() + ": " + describe(e.getCause()),
          e.getCause());
    } catch (TimeoutException e) {
      throw new UnreachableException(
          target, "no broker answered within " + SERVICE_TIMEOUT.toSeconds() + "s");
    }
  }

  private static String registry(BridgeConfig settings, String target) {
    try (SchemaRegistry registry =
        SchemaRegistries.create(
            settings.registry().urls(),
            settings.registry().basicAuth().map(secret -> secret.reveal()),
            SERVICE_TIMEOUT)) {
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
    } catch (RegistryUnavailableException e) {
      if (e.getCause() instanceof IOException) {
        // every URL failed without an answer: "tried URL -> what happened", for each
        String message = e.getMessage();
        int tried = message.indexOf("; tried ");
        throw new UnreachableException(
            target, tried < 0 ? message : message.substring(tried + "; tried ".length()));
      }
      throw new IllegalStateException(e.getMessage(), e);
    } catch (RegistryException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static String bluejay(BridgeConfig settings, ApiKeySource keys, String target) {
    try (BluejayClient client =
        BluejayClient.create(
            settings.bluejay().baseUrl(),
            keys,
            SERVICE_TIMEOUT,
            Clock.systemUTC(),
            null,
            settings.bluejay().tls().orElse(null))) {
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
    } catch (RetryableException e) {
      if (e.status() < 0 && e.getCause() != null) {
        // no answer at all: connection refused, timed out, name not resolved, TLS handshake
        throw new UnreachableException(target, HttpUrls.describe(e.getCause()));
      }
      throw e;
    }
  }

  /** Sets loggers to ERROR (when logback is the backend) and restores their levels on close. */
  private static final class QuietLoggers implements AutoCloseable {
    private final Map<Logger, Level> previous = new LinkedHashMap<>();

    static QuietLoggers atError(List<String> names) {
      QuietLoggers quiet = new QuietLoggers();
      for (String name : names) {
        if (LoggerFactory.getLogger(name) instanceof Logger logger) {
          quiet.previous.put(logger, logger.getLevel());
          logger.setLevel(Level.ERROR);
        }
      }
      return quiet;
    }

    @Override
    public void close() {
      previous.forEach(Logger::setLevel);
    }
  }
}
