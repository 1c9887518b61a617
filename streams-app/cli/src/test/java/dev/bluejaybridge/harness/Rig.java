package dev.bluejaybridge.harness;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Everything a run against real processes needs, started together and closed together: a broker
 * process with the bridge's topics, the schema registry server, the Bluejay receiver (expecting a
 * fresh random API key), and factories for app processes, traffic and the reconciliation that are
 * already pointed at them. {@link #close()} kills every process and stops every server it made, in
 * reverse order, even after a failure.
 *
 * <pre>{@code
 * try (Rig rig = Rig.start(Path.of("target", "chaos", "r1"), 6)) {
 *   AppProcess app = rig.app("app-1").property("delivery.rate-limit-per-minute", "60000").start();
 *   app.awaitReady(Duration.ofSeconds(90));
 *   Traffic traffic = rig.traffic(Traffic.Settings.defaults());
 *   traffic.startPaced(2_000, 12).awaitDone(Duration.ofMinutes(5));
 *   Reconciliation.Report report = rig.reconciliation(traffic.ledger()).awaitExact(Duration.ofMinutes(3));
 * }
 * }</pre>
 */
public final class Rig implements AutoCloseable {
  static {
    HttpServers.init(); // before the registry's and the receiver's servers
  }

  private final Path dir;
  private final String apiKey = "bj-harness-" + UUID.randomUUID();
  private final TopicNames topics = TopicNames.defaults();
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final List<AppProcess> apps = new ArrayList<>();
  private BrokerProcess broker;
  private RegistryServer registry;
  private Receiver receiver;

  private Rig(Path dir) {
    this.dir = dir.toAbsolutePath();
  }

  /**
   * Starts a broker in {@code dir/broker} with the contract's topics ({@code inputPartitions} per
   * input topic, 3 per output topic), the registry server and the receiver. The directory is
   * emptied first.
   */
  public static Rig start(Path dir, int inputPartitions) {
    Rig rig = new Rig(dir);
    try {
      Processes.deleteRecursively(rig.dir);
      rig.broker = rig.keep(BrokerProcess.builder(rig.dir.resolve("broker")).start());
      rig.broker.createTopics(rig.topics.partitions(inputPartitions, 3));
      rig.registry = rig.keep(RegistryServer.start());
      rig.receiver =
          rig.keep(Receiver.start(Processes.freePort(), rig.apiKey, 32, Receiver.Memory.FULL));
      return rig;
    } catch (RuntimeException e) {
      rig.close();
      throw e;
    }
  }

  public Path dir() {
    return dir;
  }

  public BrokerProcess broker() {
    return broker;
  }

  public RegistryServer registry() {
    return registry;
  }

  public Receiver receiver() {
    return receiver;
  }

  public TopicNames topics() {
    return topics;
  }

  /** The API key the apps get (in a file) and the receiver expects. Never print it. */
  public String apiKey() {
    return apiKey;
  }

  /**
   * An app process builder pointed at this rig (files in {@code dir/<name>}); the rig kills the
   * process on close. All apps of a rig share one application id. Each app talks to the receiver on
   * a port of its own, so the receiver knows which app a request came from.
   */
  public AppProcess.Builder app(String name) {
    return new TrackedBuilder(name).builder;
  }

  /** Every app made so far through {@link #app}. */
  public List<AppProcess> apps() {
    synchronized (apps) {
      return List.copyOf(apps);
    }
  }

  /** Names of the apps whose log holds the API key (must be none). */
  public List<String> appsLoggingTheKey() {
    return apps().stream().filter(a -> a.logContains(apiKey)).map(AppProcess::name).toList();
  }

  /**
   * A traffic producer on this rig's broker, topics and registry, whose ledger keeps every record
   * (for the content audit); closed with the rig.
   */
  public Traffic traffic(Traffic.Settings settings) {
    return traffic(settings, new Ledger());
  }

  /**
   * As {@link #traffic(Traffic.Settings)}, writing into {@code ledger} (one ledger for several
   * producers of a run: give each its own seed).
   */
  public Traffic traffic(Traffic.Settings settings, Ledger ledger) {
    ledger.keepContent();
    return keep(
        Traffic.create(broker.bootstrapServers(), topics, registry.registry(), settings, ledger));
  }

  /** A reconciliation of {@code ledger} against the receiver and the DLQs; closed with the rig. */
  public Reconciliation reconciliation(Ledger ledger) {
    return keep(Reconciliation.of(broker.bootstrapServers(), topics, ledger, receiver));
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing the rig", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private synchronized <T extends AutoCloseable> T keep(T resource) {
    resources.push(resource);
    return resource;
  }

  /** Builds apps through {@link AppProcess.Builder} and registers them for closing. */
  private final class TrackedBuilder {
    final AppProcess.Builder builder;

    TrackedBuilder(String name) {
      this.builder =
          new AppProcess.Builder(
                  name,
                  dir.resolve(name),
                  app -> {
                    synchronized (apps) {
                      apps.add(app);
                    }
                    keep(app);
                  })
              .bootstrapServers(broker.bootstrapServers())
              .registryUrl(registry.url())
              .bluejayBaseUrl(receiver.baseUrl(name))
              .apiKey(apiKey)
              .topics(topics)
              .properties(Map.of());
    }
  }
}
