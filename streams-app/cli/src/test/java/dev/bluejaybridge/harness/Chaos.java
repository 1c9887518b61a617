package dev.bluejaybridge.harness;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The chaos command (issue 7): real processes (a broker, bridge apps from the fat jar, the Bluejay
 * receiver), faults injected while calls flow, and an exact reconciliation at the end of every
 * scenario: calls produced = calls delivered (at the receiver, by call_id) + calls in the delivery
 * DLQ, and every poison record in the input DLQ.
 *
 * <ul>
 *   <li>{@code r1} crash: two apps, kill -9 one of them several times at random moments (seeded),
 *       restarting it each time; duplicates reported against max-in-flight x kills.
 *   <li>{@code r4} outage: the receiver refuses connections for minutes while calls keep coming; no
 *       call may be dead-lettered, and the backlog drains at the quota once it is back.
 *   <li>{@code r6} broker restart: the broker is stopped (SIGTERM) and started, later killed (-9)
 *       and started, with calls flowing.
 * </ul>
 *
 * Writes each scenario's figures to stdout and to {@code target/chaos/results.md}; exits 1 when a
 * scenario is not exact (or failed), 0 otherwise. Run through Maven: {@code ./mvnw -B -Pchaos
 * verify} ({@code -Dchaos.args="r1 --r1-calls 500"} passes options).
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = "Chaos scenarios R1 (app crash), R4 (Bluejay outage), R6 (broker restart).")
public final class Chaos implements Callable<Integer> {

  @Parameters(
      arity = "0..*",
      paramLabel = "SCENARIO",
      description = "r1, r4, r6 (default: all, in that order)")
  List<String> scenarios = new ArrayList<>();

  @Option(
      names = "--seed",
      description = "seed of traffic and kill moments (default ${DEFAULT-VALUE})")
  long seed = 7;

  @Option(names = "--out", description = "work and results folder (default ${DEFAULT-VALUE})")
  Path out = Path.of("target", "chaos");

  @Option(
      names = "--partitions",
      description = "partitions per input topic (default ${DEFAULT-VALUE})")
  int partitions = 6;

  @Option(names = "--r1-calls", description = "R1 calls (default ${DEFAULT-VALUE})")
  int r1Calls = 2_000;

  @Option(
      names = "--r1-traffic",
      description = "R1: how long the calls take to produce (default ${DEFAULT-VALUE})")
  Duration r1Traffic = Duration.ofSeconds(150);

  @Option(names = "--kills", description = "R1 kill -9 count (default ${DEFAULT-VALUE})")
  int kills = 5;

  @Option(names = "--outage", description = "R4 receiver outage (default ${DEFAULT-VALUE})")
  Duration outage = Duration.ofMinutes(5);

  @Option(names = "--r4-rate", description = "R4 calls per second (default ${DEFAULT-VALUE})")
  double r4Rate = 2;

  @Option(
      names = "--r4-quota",
      description = "R4 delivery.rate-limit-per-minute (default ${DEFAULT-VALUE})")
  int r4Quota = 600;

  @Option(names = "--r6-calls", description = "R6 calls (default ${DEFAULT-VALUE})")
  int r6Calls = 1_200;

  @Option(
      names = "--r6-traffic",
      description = "R6: how long the calls take to produce (default ${DEFAULT-VALUE})")
  Duration r6Traffic = Duration.ofSeconds(120);

  public static void main(String[] args) {
    quietClientLogs();
    CommandLine cli = new CommandLine(new Chaos());
    cli.registerConverter(Duration.class, Chaos::duration);
    System.exit(cli.execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<String> which = scenarios.isEmpty() ? List.of("r1", "r4", "r6") : scenarios;
    for (String s : which) {
      if (!List.of("r1", "r4", "r6").contains(s.toLowerCase(Locale.ROOT))) {
        throw new CommandLine.ParameterException(
            new CommandLine(this), "unknown scenario '" + s + "' (r1, r4, r6)");
      }
    }
    Files.createDirectories(out);
    Processes.jar(); // fail early without the fat jar
    Instant started = Instant.now();
    List<ScenarioResult> results = new ArrayList<>();
    for (String s : which) {
      ScenarioResult result =
          switch (s.toLowerCase(Locale.ROOT)) {
            case "r1" -> run(new ScenarioResult("r1", "crash (kill -9 an app)"), this::r1);
            case "r4" -> run(new ScenarioResult("r4", "Bluejay outage"), this::r4);
            default -> run(new ScenarioResult("r6", "broker restart"), this::r6);
          };
      results.add(result);
      System.out.println();
      System.out.println(result.markdown());
      writeResults(results, started);
    }
    boolean passed = results.stream().allMatch(ScenarioResult::passed);
    System.out.printf(
        Locale.ROOT,
        "chaos: %s in %s; results in %s%n",
        passed ? "all scenarios exact" : "FAILED " + failedIds(results),
        format(Duration.between(started, Instant.now())),
        out.resolve("results.md"));
    return passed ? 0 : 1;
  }

  private interface Body {
    void run(ScenarioResult result, Timeline timeline) throws Exception;
  }

  private ScenarioResult run(ScenarioResult result, Body body) {
    Timeline timeline = new Timeline(result);
    timeline.log("scenario " + result.id + " starts");
    try {
      body.run(result, timeline);
    } catch (Exception | AssertionError e) {
      result.fail("the scenario broke off: " + e);
      timeline.log("broke off: " + e);
      e.printStackTrace(System.out);
    } finally {
      result.duration = timeline.elapsed();
    }
    timeline.log("scenario " + result.id + (result.passed() ? " exact" : " FAILED"));
    return result;
  }

  // ------------------------------------------------------------------ R1

  private void r1(ScenarioResult result, Timeline t) throws Exception {
    int maxInFlight = 16;
    try (Rig rig = Rig.start(out.resolve("r1"), partitions)) {
      List<AppProcess> apps = new ArrayList<>();
      for (String name : List.of("app-1", "app-2")) {
        apps.add(rig.app(name).properties(appProperties(60_000, maxInFlight)).start());
      }
      for (AppProcess app : apps) {
        app.awaitReady(Duration.ofMinutes(3));
      }
      t.log("broker and 2 apps ready (" + partitions + " partitions per input topic)");
      Traffic traffic = rig.traffic(trafficSettings(seed));
      Reconciliation reconciliation = rig.reconciliation(traffic.ledger());
      double rate = r1Calls / (double) r1Traffic.toSeconds();
      Traffic.Paced paced = traffic.startPaced(r1Calls, rate);
      t.log(String.format(Locale.ROOT, "producing %d calls at %.1f calls/s", r1Calls, rate));

      java.util.Random random = new java.util.Random(seed);
      List<Long> moments = new ArrayList<>();
      long span = r1Traffic.toMillis();
      // One moment drawn in each of `kills` equal slots of the traffic's middle 80 %, so the kills
      // spread over the run (a restart takes 10-30 s here) rather than bunch up.
      double slot = 0.8 / kills;
      for (int i = 0; i < kills; i++) {
        moments.add(Math.round(span * (0.1 + slot * (i + random.nextDouble()))));
      }
      t.log("kill moments planned (ms after traffic start): " + moments);
      AppProcess victim = apps.get(1);
      long trafficStart = System.currentTimeMillis();
      List<String> applied = new ArrayList<>();
      int killsWhileFlowing = 0;
      for (long moment : moments) {
        long wait = trafficStart + moment - System.currentTimeMillis();
        if (wait > 0) {
          Poll.pause(Duration.ofMillis(wait));
        }
        long pid = victim.pid();
        long at = System.currentTimeMillis() - trafficStart;
        victim.kill9();
        applied.add(format(Duration.ofMillis(at)));
        t.log(
            "kill -9 "
                + victim.name()
                + " pid "
                + pid
                + " at +"
                + format(Duration.ofMillis(at))
                + " of traffic"
                + (paced.isDone() ? " (every call already produced)" : " (calls flowing)"));
        if (!paced.isDone()) {
          killsWhileFlowing++;
        }
        victim.start();
        victim.awaitReady(Duration.ofMinutes(3));
        t.log(victim.name() + " restarted and ready");
      }
      paced.awaitDone(r1Traffic.multipliedBy(3));
      t.log(
          "all "
              + traffic.ledger().callCount()
              + " calls produced ("
              + traffic.ledger().records()
              + " records)");
      Reconciliation.Report report = reconciliation.awaitExact(Duration.ofMinutes(5));
      t.log("reconciled");
      result.reconciled(report);
      result.figure(
          "kills (kill -9 " + victim.name() + ", restarted each time)",
          kills + " at " + applied + " of " + format(r1Traffic) + " traffic");
      result.figure("kills while calls were being produced", killsWhileFlowing);
      int bound = maxInFlight * kills;
      result.figure(
          "duplicate bound (max-in-flight x kills)", maxInFlight + " x " + kills + " = " + bound);
      result.figure("duplicates within the bound", report.duplicates() <= bound ? "yes" : "NO");
      if (report.duplicates() > bound) {
        result.notes.add("duplicates " + report.duplicates() + " exceed the target " + bound);
      }
      if (report.deliveredAndDeadLettered() > 0) {
        result.notes.add(
            report.deliveredAndDeadLettered()
                + " simulated calls were delivered and then got records the app judged late"
                + " (delivery DLQ, reason late): a restarted instance closed them before all"
                + " their records were processed (see the app-2 log, 'late record')");
      }
      if (report.duplicateSimulationPosts() > 0) {
        result.notes.add(
            report.duplicateSimulationPosts()
                + " simulated calls were POSTed twice without a retrieve-simulation-result check"
                + " first (Bluejay appends: their tool calls doubled; the contract allows exactly"
                + " one successful POST per result)");
      }
      appFigures(result, apps);
      keyCheck(result, rig);
    }
  }

  // ------------------------------------------------------------------ R4

  private void r4(ScenarioResult result, Timeline t) throws Exception {
    Duration before = Duration.ofSeconds(20);
    Duration after = Duration.ofSeconds(20);
    try (Rig rig = Rig.start(out.resolve("r4"), partitions)) {
      AppProcess app = rig.app("app-1").properties(appProperties(r4Quota, 16)).start();
      app.awaitReady(Duration.ofMinutes(3));
      t.log("broker and 1 app ready; delivery.rate-limit-per-minute=" + r4Quota);
      Traffic traffic = rig.traffic(trafficSettings(seed + 4));
      Reconciliation reconciliation = rig.reconciliation(traffic.ledger());
      int calls = (int) Math.round(r4Rate * (before.plus(outage).plus(after).toSeconds()));
      Traffic.Paced paced = traffic.startPaced(calls, r4Rate);
      t.log(String.format(Locale.ROOT, "producing %d calls at %.1f calls/s", calls, r4Rate));
      Poll.pause(before);

      Receiver receiver = rig.receiver();
      receiver.down();
      long downAt = System.currentTimeMillis();
      t.log("receiver DOWN (connections refused) for " + format(outage));
      long outageEnd = downAt + outage.toMillis();
      while (System.currentTimeMillis() < outageEnd) {
        Poll.pause(Duration.ofMillis(Math.min(30_000, outageEnd - System.currentTimeMillis())));
        t.log("  outage: " + deliveryState(app));
      }
      receiver.up();
      long upAt = System.currentTimeMillis();
      double backlog = outboxSize(app);
      t.log("receiver UP; outbox backlog " + (long) backlog + "; " + deliveryState(app));

      // Drained: the outbox empty again (the app's own gauge), bounded.
      Duration drainLimit = Duration.ofMinutes(3).plusSeconds((long) (backlog * 60 / r4Quota));
      boolean drained =
          Poll.until(
              drainLimit, Duration.ofMillis(500), () -> paced.isDone() && outboxSize(app) == 0);
      long drainedAt = System.currentTimeMillis();
      t.log(drained ? "outbox drained" : "outbox NOT drained within " + format(drainLimit));
      paced.awaitDone(Duration.ofMinutes(2));
      Reconciliation.Report report = reconciliation.awaitExact(Duration.ofMinutes(2));
      t.log("reconciled");
      result.reconciled(report);

      List<Receiver.Exchange> all = receiver.exchanges();
      long firstMinute =
          all.stream()
              .filter(e -> e.arrivedAtMillis() >= upAt && e.arrivedAtMillis() < upAt + 60_000)
              .count();
      long firstMinuteDelivered =
          all.stream()
              .filter(e -> e.arrivedAtMillis() >= upAt && e.arrivedAtMillis() < upAt + 60_000)
              .filter(Receiver.Exchange::delivered)
              .count();
      long drainRequests =
          all.stream()
              .filter(e -> e.arrivedAtMillis() >= upAt && e.arrivedAtMillis() <= drainedAt)
              .count();
      double drainMinutes = Math.max(1, drainedAt - upAt) / 60_000.0;
      int maxWindow = receiver.maxInWindow(Duration.ofSeconds(60), e -> true);
      result.figure(
          "outage", format(outage) + " (connection refused), calls flowing at " + r4Rate + "/s");
      result.figure("quota (delivery.rate-limit-per-minute)", r4Quota);
      result.figure("backlog at recovery (outbox entries)", (long) backlog);
      result.figure(
          "outbox empty again after recovery (traffic goes on 20 s past it)",
          drained
              ? format(Duration.ofMillis(drainedAt - upAt))
              : "not drained in " + format(drainLimit));
      result.figure(
          "requests in the first 60 s after recovery (2xx deliveries)",
          firstMinute + " (" + firstMinuteDelivered + ")");
      result.figure(
          "drain rate (requests/min from recovery to empty outbox)",
          String.format(Locale.ROOT, "%.0f", drainRequests / drainMinutes));
      result.figure("max requests in any 60 s window (whole run)", maxWindow);
      if (maxWindow > r4Quota) {
        result.fail("a 60 s window held " + maxWindow + " requests, over the quota " + r4Quota);
      }
      if (report.deadLettered() != 0) {
        result.fail(
            "the outage dead-lettered "
                + report.deadLettered()
                + " calls "
                + report.deadLetteredByReason()
                + " (expected 0)");
        if (report.deadLetteredByReason().containsKey("attempts-exhausted")) {
          result.notes.add(
              "attempts-exhausted: connection errors still use up delivery.max-attempts on this"
                  + " build; expected to pass once they pause delivery instead");
        }
      }
      if (!drained) {
        result.fail("the backlog did not drain");
      }
      appFigures(result, List.of(app));
      keyCheck(result, rig);
    }
  }

  // ------------------------------------------------------------------ R6

  private void r6(ScenarioResult result, Timeline t) throws Exception {
    try (Rig rig = Rig.start(out.resolve("r6"), partitions)) {
      List<AppProcess> apps = new ArrayList<>();
      for (String name : List.of("app-1", "app-2")) {
        apps.add(rig.app(name).properties(appProperties(60_000, 16)).start());
      }
      for (AppProcess app : apps) {
        app.awaitReady(Duration.ofMinutes(3));
      }
      t.log("broker and 2 apps ready");
      Traffic traffic = rig.traffic(trafficSettings(seed + 6));
      Reconciliation reconciliation = rig.reconciliation(traffic.ledger());
      double rate = r6Calls / (double) r6Traffic.toSeconds();
      Traffic.Paced paced = traffic.startPaced(r6Calls, rate);
      t.log(String.format(Locale.ROOT, "producing %d calls at %.1f calls/s", r6Calls, rate));
      BrokerProcess broker = rig.broker();

      Poll.pause(Duration.ofMillis(r6Traffic.toMillis() * 30 / 100));
      long stopAt = System.currentTimeMillis();
      broker.stop();
      t.log(
          "broker stopped (SIGTERM) after "
              + format(Duration.ofMillis(System.currentTimeMillis() - stopAt)));
      Poll.pause(Duration.ofSeconds(5));
      broker.restart();
      long sigtermDown = System.currentTimeMillis() - stopAt;
      t.log("broker started again; down " + format(Duration.ofMillis(sigtermDown)));
      awaitAppsAfterBroker(apps, result, t);

      Poll.pause(Duration.ofMillis(r6Traffic.toMillis() * 30 / 100));
      long killAt = System.currentTimeMillis();
      broker.kill();
      t.log("broker killed (-9)");
      Poll.pause(Duration.ofSeconds(5));
      broker.restart();
      long killDown = System.currentTimeMillis() - killAt;
      t.log("broker started again; down " + format(Duration.ofMillis(killDown)));
      awaitAppsAfterBroker(apps, result, t);

      paced.awaitDone(r6Traffic.multipliedBy(3));
      t.log("all " + traffic.ledger().callCount() + " calls produced");
      Reconciliation.Report report = reconciliation.awaitExact(Duration.ofMinutes(5));
      t.log("reconciled");
      result.reconciled(report);
      result.figure(
          "broker restarts",
          "SIGTERM + start (down "
              + format(Duration.ofMillis(sigtermDown))
              + "), kill -9 + start (down "
              + format(Duration.ofMillis(killDown))
              + ")");
      appFigures(result, apps);
      keyCheck(result, rig);
    }
  }

  private static void awaitAppsAfterBroker(
      List<AppProcess> apps, ScenarioResult result, Timeline t) {
    for (AppProcess app : apps) {
      if (!app.isAlive()) {
        result.notes.add(
            app.name() + " exited while the broker was away; the harness restarted it");
        t.log(app.name() + " EXITED while the broker was away; restarting it");
        app.start();
      }
      app.awaitReady(Duration.ofMinutes(3));
    }
    t.log("apps ready again");
  }

  // ------------------------------------------------------------------ shared

  private static Map<String, String> appProperties(int quota, int maxInFlight) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("delivery.rate-limit-per-minute", String.valueOf(quota));
    p.put("delivery.max-in-flight", String.valueOf(maxInFlight));
    // A killed member leaves the group after 10 s instead of 45 s.
    p.put("kafka.session.timeout.ms", "10000");
    p.put("kafka.heartbeat.interval.ms", "2000");
    return p;
  }

  private Traffic.Settings trafficSettings(long trafficSeed) {
    return new Traffic.Settings(trafficSeed, 0.25, 50, Duration.ofSeconds(4));
  }

  private static void appFigures(ScenarioResult result, List<AppProcess> apps) {
    for (AppProcess app : apps) {
      String rss =
          app.rssBytes().isPresent() ? (app.rssBytes().getAsLong() >> 20) + " MiB" : "not running";
      result.figure(app.name() + " starts / RSS at the end", app.starts() + " / " + rss);
      double left = outboxSize(app);
      result.figure(
          app.name() + " outbox entries left at the end",
          left < 0 ? "unknown" : String.valueOf((long) left));
      if (left > 0) {
        result.notes.add(
            app.name()
                + " still holds "
                + (long) left
                + " outbox entries after every call was accounted for");
      }
    }
  }

  private static void keyCheck(ScenarioResult result, Rig rig) {
    List<String> leaking = rig.appsLoggingTheKey();
    result.figure("API key found in app logs", leaking.isEmpty() ? "no" : "YES " + leaking);
    if (!leaking.isEmpty()) {
      result.fail("the API key appears in the logs of " + leaking);
    }
  }

  private static double outboxSize(AppProcess app) {
    try {
      return app.metrics().sum("bridge_outbox_size");
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String deliveryState(AppProcess app) {
    try {
      PrometheusText m = app.metrics();
      String state = app.status().path("delivery").path("state").asText("?");
      return String.format(
          Locale.ROOT,
          "delivery %s, outbox %.0f, delivery DLQ %.0f, Bluejay requests failed %.0f",
          state,
          m.sum("bridge_outbox_size"),
          m.sum("bridge_dlq_records_total", Map.of("dlq", "delivery")),
          m.samples().stream()
              .filter(s -> s.name().equals("bridge_deliveries_total"))
              .filter(s -> !"delivered".equals(s.labels().get("outcome")))
              .mapToDouble(PrometheusText.Sample::value)
              .sum());
    } catch (RuntimeException e) {
      return "metrics unavailable: " + e.getMessage();
    }
  }

  private void writeResults(List<ScenarioResult> results, Instant started) {
    StringBuilder md = new StringBuilder("# Chaos runs\n\n");
    md.append("Started ")
        .append(started)
        .append(", seed ")
        .append(seed)
        .append(", ")
        .append(partitions)
        .append(" partitions per input topic, ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores.\n\n");
    md.append(
        "| scenario | result | produced | delivered | dead-lettered | duplicates | lost | poison"
            + " (found/produced) | duration |\n|---|---|---|---|---|---|---|---|---|\n");
    for (ScenarioResult r : results) {
      Reconciliation.Report p = r.report;
      md.append("| ")
          .append(r.id.toUpperCase(Locale.ROOT))
          .append(' ')
          .append(r.title)
          .append(" | ")
          .append(r.passed() ? "PASS" : "FAIL")
          .append(" | ");
      if (p == null) {
        md.append("- | - | - | - | - | - | ");
      } else {
        md.append(p.produced())
            .append(" | ")
            .append(p.delivered())
            .append(" | ")
            .append(p.deadLettered())
            .append(" | ")
            .append(p.duplicates())
            .append(" | ")
            .append(p.lost())
            .append(" | ")
            .append(p.poisonFound())
            .append('/')
            .append(p.poisonProduced())
            .append(" | ");
      }
      md.append(format(r.duration)).append(" |\n");
    }
    md.append('\n');
    results.forEach(r -> md.append(r.markdown()));
    try {
      Files.writeString(out.resolve("results.md"), md.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String failedIds(List<ScenarioResult> results) {
    return results.stream().filter(r -> !r.passed()).map(r -> r.id).toList().toString();
  }

  static String format(Duration d) {
    long s = d.toSeconds();
    return s >= 60
        ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s"
        : String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
  }

  /** {@code 90s}, {@code 5m}, {@code 250ms}, or ISO-8601 ({@code PT5M}). */
  static Duration duration(String text) {
    String v = text.trim().toLowerCase(Locale.ROOT);
    if (v.startsWith("pt")) {
      return Duration.parse(text);
    }
    if (v.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
    }
    long n = Long.parseLong(v.substring(0, v.length() - 1));
    return switch (v.charAt(v.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      default -> throw new IllegalArgumentException("not a duration: " + text);
    };
  }

  private static void quietClientLogs() {
    for (String name : List.of("org.apache.kafka", "kafka")) {
      if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
        logger.setLevel(Level.ERROR);
      }
    }
  }

  /** Timestamped lines: to stdout at once, and into the scenario's timeline. */
  static final class Timeline {
    private final ScenarioResult result;
    private final long start = System.nanoTime();

    Timeline(ScenarioResult result) {
      this.result = result;
    }

    Duration elapsed() {
      return Duration.ofNanos(System.nanoTime() - start);
    }

    void log(String message) {
      String line =
          String.format(Locale.ROOT, "[%s %7s] %s", result.id, "+" + format(elapsed()), message);
      System.out.println(line);
      System.out.flush();
      synchronized (result.timeline) {
        result.timeline.add(line);
      }
    }
  }
}
