package dev.bluejaybridge.bench;

import dev.bluejaybridge.bench.Results.Goal;
import dev.bluejaybridge.harness.AppProcess;
import dev.bluejaybridge.harness.Ledger;
import dev.bluejaybridge.harness.Poll;
import dev.bluejaybridge.harness.Processes;
import dev.bluejaybridge.harness.Receiver;
import dev.bluejaybridge.harness.Rig;
import dev.bluejaybridge.harness.TopicNames;
import dev.bluejaybridge.harness.Traffic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The benchmark suite of issue 8 (P1-P6), against real processes: a broker process, the registry
 * server, a zero-latency Bluejay receiver and the fat jar's {@code run}. Every figure that is a
 * ratio is measured side by side in one run; each figure reports the median and spread of its runs.
 * Results go to stdout and {@code <out>/results.md} and {@code results.json}.
 *
 * <pre>
 * ./mvnw -B -Pbench verify                                # everything, then JMH
 * ./mvnw -B -Pbench verify -Dbench.args="p3 --runs 1"     # one scenario
 * </pre>
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Pipeline benchmarks P1-P6 against a broker process and the fat jar.")
public final class Bench implements Callable<Integer> {

  @Parameters(arity = "0..*", description = "Scenarios to run: p1 p2 p3 p4 p5 p6 (default: all).")
  List<String> scenarios = new ArrayList<>();

  @Option(names = "--runs", description = "Runs per figure (default ${DEFAULT-VALUE}).")
  int runs = 3;

  @Option(names = "--partitions", description = "Partitions per input topic.")
  int partitions = 6;

  @Option(names = "--records", description = "P1: records in total (default ${DEFAULT-VALUE}).")
  int records = 1_000_000;

  @Option(names = "--records-per-call", description = "P1 and P6: records per call.")
  int recordsPerCall = 50;

  @Option(names = "--p2-records", description = "P2: records per call shape.")
  int p2Records = 50_000;

  @Option(names = "--p3-calls", description = "P3: calls with an end event.")
  int p3Calls = 120;

  @Option(names = "--p3-idle-calls", description = "P3: calls without one, one at a time.")
  int p3IdleCalls = 20;

  @Option(names = "--p4-minutes", description = "P4: minutes observed.")
  int p4Minutes = 3;

  @Option(names = "--p4-quota", description = "P4: delivery.rate-limit-per-minute.")
  int p4Quota = 600;

  @Option(names = "--p5-calls", description = "P5: open calls.")
  int p5Calls = 100_000;

  @Option(names = "--p5-runs", description = "P5: runs (default ${DEFAULT-VALUE}).")
  int p5Runs = 2;

  @Option(names = "--p6-calls", description = "P6: calls the forwarder and the pipeline read.")
  int p6Calls = 200;

  @Option(
      names = "--app-property",
      description =
          "KEY=VALUE over the app's config in P1, P2, P3 and P6 (e.g."
              + " kafka.commit.interval.ms=1000), for experiments.")
  Map<String, String> appProperties = new LinkedHashMap<>();

  @Option(names = "--jfr", description = "Record the first P1 pipeline run with JFR.")
  boolean jfr;

  @Option(names = "--out", description = "Where results go (default ${DEFAULT-VALUE}).")
  Path out = Path.of("target", "bench");

  static final String QUOTA_OFF = "1000000"; // the most delivery.rate-limit-per-minute accepts
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);

  private final Results results = new Results();
  private Rig rig;
  private int seed = 1;

  public static void main(String[] args) {
    int code = new CommandLine(new Bench()).execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws IOException {
    List<String> chosen =
        scenarios.isEmpty()
            ? List.of("p1", "p2", "p3", "p4", "p5", "p6")
            : scenarios.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    describeMachine();
    Files.createDirectories(out);
    int failures = 0;
    long begin = System.nanoTime();
    try (Rig started = Rig.start(out.resolve("rig"), partitions)) {
      this.rig = started;
      for (String scenario : chosen) {
        long t0 = System.nanoTime();
        try {
          switch (scenario) {
            case "p1" -> p1();
            case "p2" -> p2();
            case "p3" -> p3();
            case "p4" -> p4();
            case "p5" -> p5();
            case "p6" -> p6();
            default ->
                throw new CommandLine.ParameterException(
                    new CommandLine(this), "no scenario " + scenario);
          }
        } catch (CommandLine.ParameterException e) {
          throw e;
        } catch (RuntimeException e) {
          failures++;
          e.printStackTrace(System.out);
          results.note(scenario.toUpperCase(Locale.ROOT), "FAILED: " + e);
        }
        results.note(
            scenario.toUpperCase(Locale.ROOT),
            String.format(Locale.ROOT, "took %.0f s", (System.nanoTime() - t0) / 1e9));
        results.write(out);
      }
    }
    results.environment(
        "bench wall time", String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - begin) / 1e9));
    results.write(out);
    System.out.println();
    System.out.println(results.markdown());
    System.out.println("[bench] written to " + out.toAbsolutePath().resolve("results.md"));
    return failures == 0 ? 0 : 1;
  }

  // ------------------------------------------------------------------ P1

  private void p1() {
    TopicNames topics = TopicNames.withPrefix("p1");
    Dataset data = preload("P1", topics, records / recordsPerCall, recordsPerCall, true);
    Map<String, String> props = quotaOff();
    props.putIfAbsent("call.end-grace", "1s");
    List<Double> baseline = new ArrayList<>();
    List<Double> pipeline = new ArrayList<>();
    List<Double> afterStartup = new ArrayList<>();
    List<Double> ratio = new ArrayList<>();
    List<Double> ratioAfterStartup = new ArrayList<>();
    List<Double> requestsPerCall = new ArrayList<>();
    List<Double> startup = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      double a = baselineRecordsPerSecond(topics, data.records());
      List<String> jvm = new ArrayList<>();
      Path dump = null;
      if (jfr && run == 1) {
        dump = out.resolve("p1-pipeline.jfr");
        jvm.add("-XX:StartFlightRecording=settings=profile");
      }
      PipelineRun.Result b =
          PipelineRun.run(
              rig,
              "p1-" + run,
              topics,
              data.ledger(),
              data.records(),
              props,
              jvm,
              dump,
              RUN_TIMEOUT);
      check("P1", b);
      baseline.add(a);
      pipeline.add(b.recordsPerSecond());
      afterStartup.add(b.recordsPerSecondAfterStartup());
      ratio.add(b.recordsPerSecond() / a);
      ratioAfterStartup.add(b.recordsPerSecondAfterStartup() / a);
      requestsPerCall.add(b.requestsPerCall());
      startup.add((b.firstRecordAt() - b.startedAt()) / 1000.0);
      System.out.printf(
          Locale.ROOT,
          "[bench] P1 run %d: baseline %.0f rec/s, pipeline %.0f rec/s (%.1f s, %.1f s after the"
              + " first record)%n",
          run,
          a,
          b.recordsPerSecond(),
          b.secondsFromStart(),
          b.secondsFromFirstRecord());
    }
    results.info("P1", "(a) plain consumer + Avro decode", "records/s", baseline);
    results.info("P1", "(b) pipeline, process start to last request", "records/s", pipeline);
    results.info("P1", "(b) pipeline, first record to last request", "records/s", afterStartup);
    results.add("P1", "ratio b/a", "", ratio, Goal.AT_LEAST, 0.5);
    results.info("P1", "ratio b/a, startup excluded", "", ratioAfterStartup);
    results.add("P1", "requests per call", "", requestsPerCall, Goal.AT_MOST, 1.0);
    results.info("P1", "app start to first record processed", "s", startup);
    results.note(
        "P1",
        String.format(
            Locale.ROOT,
            "%,d records, %,d calls of %d records (a quarter simulated), %d partitions per topic,"
                + " %,d value bytes; exactly_once_v2, quota off (%s/min), call.end-grace=1s",
            data.records(),
            data.ledger().callCount(),
            recordsPerCall,
            partitions,
            data.ledger().valueBytes(),
            QUOTA_OFF));
  }

  private double baselineRecordsPerSecond(TopicNames topics, long expected) {
    long[] sum = new long[1];
    try (TopicReader reader =
        new TopicReader(rig.broker().bootstrapServers(), topics, rig.registry().registry())) {
      long start =
          reader.read(
              expected,
              RUN_TIMEOUT,
              (topic, key, value) -> sum[0] += key.length() + value.getSchema().getFields().size());
      double seconds = (System.nanoTime() - start) / 1e9;
      if (sum[0] == 0) {
        throw new IllegalStateException("nothing read");
      }
      return expected / seconds;
    }
  }

  // ------------------------------------------------------------------ P2

  private void p2() {
    TopicNames shortTopics = TopicNames.withPrefix("p2-10");
    TopicNames longTopics = TopicNames.withPrefix("p2-1000");
    Dataset shortCalls = preload("P2", shortTopics, p2Records / 10, 10, true);
    Dataset longCalls = preload("P2", longTopics, p2Records / 1000, 1000, true);
    Map<String, String> props = quotaOff();
    props.putIfAbsent("call.end-grace", "1s");
    List<Double> shortRate = new ArrayList<>();
    List<Double> longRate = new ArrayList<>();
    List<Double> shortAfter = new ArrayList<>();
    List<Double> longAfter = new ArrayList<>();
    List<Double> ratio = new ArrayList<>();
    List<Double> ratioAfter = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      PipelineRun.Result s =
          PipelineRun.run(
              rig,
              "p2-10-" + run,
              shortTopics,
              shortCalls.ledger(),
              shortCalls.records(),
              props,
              List.of(),
              null,
              RUN_TIMEOUT);
      check("P2", s);
      PipelineRun.Result l =
          PipelineRun.run(
              rig,
              "p2-1000-" + run,
              longTopics,
              longCalls.ledger(),
              longCalls.records(),
              props,
              List.of(),
              null,
              RUN_TIMEOUT);
      check("P2", l);
      shortRate.add(s.recordsPerSecond());
      longRate.add(l.recordsPerSecond());
      shortAfter.add(s.recordsPerSecondAfterStartup());
      longAfter.add(l.recordsPerSecondAfterStartup());
      ratio.add(l.recordsPerSecond() / s.recordsPerSecond());
      ratioAfter.add(l.recordsPerSecondAfterStartup() / s.recordsPerSecondAfterStartup());
    }
    results.info("P2", "10-record calls, process start to last request", "records/s", shortRate);
    results.info("P2", "1000-record calls, process start to last request", "records/s", longRate);
    results.info("P2", "10-record calls, first record to last request", "records/s", shortAfter);
    results.info("P2", "1000-record calls, first record to last request", "records/s", longAfter);
    results.add("P2", "ratio 1000/10, startup excluded", "", ratioAfter, Goal.AT_LEAST, 0.8);
    results.info("P2", "ratio 1000/10, process start to last request", "", ratio);
    results.note(
        "P2",
        String.format(
            Locale.ROOT,
            "%,d records as %,d calls of 10 and as %,d calls of 1000; the target is judged with"
                + " the app's start-up (the same for both) left out",
            shortCalls.records(),
            shortCalls.ledger().callCount(),
            longCalls.ledger().callCount()));
  }

  // ------------------------------------------------------------------ P3

  private void p3() {
    TopicNames topics = TopicNames.withPrefix("p3");
    createTopics(topics);
    Duration grace = Duration.ofSeconds(2);
    Duration gap = Duration.ofSeconds(3);
    Map<String, String> props = quotaOff();
    props.put("call.end-grace", grace.toSeconds() + "s");
    props.put("call.inactivity-gap", gap.toSeconds() + "s");
    Map<String, Long> endAcked = new ConcurrentHashMap<>();
    Map<String, Long> lastAcked = new ConcurrentHashMap<>();
    try (Receiver receiver = Receiver.start(Processes.freePort(), rig.apiKey(), 32);
        Traffic ended = traffic(topics, Duration.ofSeconds(2), 0.25);
        // Production calls only: simulation_result_ids restart with each Traffic's call index.
        Traffic idle = traffic(topics, Duration.ofMillis(500), 0)) {
      AppProcess app =
          rig.app("p3")
              .applicationId("bench-p3")
              .topics(topics)
              .bluejayBaseUrl(receiver.baseUrl())
              .properties(props)
              .start();
      try {
        app.awaitReady(Duration.ofMinutes(3));
        ended.onAcked(
            a -> {
              if (a.endsCall()) {
                endAcked.put(a.callId(), a.ackedAtMillis());
              }
            });
        ended.startPaced(p3Calls, 4).awaitDone(Duration.ofMinutes(10));
        Poll.require(
            Duration.ofMinutes(3),
            Duration.ofMillis(100),
            () -> receiver.deliveriesById().size() >= p3Calls,
            () -> p3Calls + " calls delivered");
        List<Double> afterEnd = new ArrayList<>();
        for (Receiver.Exchange e : receiver.exchanges(Receiver.Exchange::delivered)) {
          String callId = callId(ended.ledger(), e);
          afterEnd.add((e.arrivedAtMillis() - endAcked.get(callId)) / 1000.0);
        }

        idle.onAcked(a -> lastAcked.merge(a.callId(), a.ackedAtMillis(), Math::max));
        List<Double> afterLast = new ArrayList<>();
        for (int i = 0; i < p3IdleCalls; i++) {
          java.util.Set<String> known = new java.util.HashSet<>(lastAcked.keySet());
          idle.startPaced(1, 1, new Traffic.Shape(5, false)).awaitDone(Duration.ofMinutes(1));
          String call =
              lastAcked.keySet().stream().filter(k -> !known.contains(k)).findFirst().orElseThrow();
          Receiver.Exchange[] found = new Receiver.Exchange[1];
          Poll.require(
              gap.plusSeconds(30),
              Duration.ofMillis(20),
              () -> {
                for (Receiver.Exchange e : receiver.exchanges(Receiver.Exchange::delivered)) {
                  if (e.arrivedAtMillis() >= lastAcked.get(call)
                      && call.equals(callId(idle.ledger(), e))) {
                    found[0] = e;
                    return true;
                  }
                }
                return false;
              },
              () -> "idle call " + call + " delivered");
          afterLast.add((found[0].arrivedAtMillis() - lastAcked.get(call)) / 1000.0);
        }
        double endTarget = grace.toMillis() / 1000.0 + 0.5;
        double idleTarget = gap.toMillis() / 1000.0 + 1;
        results.add(
            "P3",
            "end event acked → request, p50",
            "s",
            List.of(Stats.percentile(afterEnd, 50)),
            Goal.AT_MOST,
            endTarget);
        results.add(
            "P3",
            "end event acked → request, p99",
            "s",
            List.of(Stats.percentile(afterEnd, 99)),
            Goal.AT_MOST,
            endTarget);
        results.info("P3", "end event acked → request, max", "s", List.of(Stats.max(afterEnd)));
        results.add(
            "P3",
            "last record acked → request (idle partition), p50",
            "s",
            List.of(Stats.percentile(afterLast, 50)),
            Goal.AT_MOST,
            idleTarget);
        results.add(
            "P3",
            "last record acked → request (idle partition), p99",
            "s",
            List.of(Stats.percentile(afterLast, 99)),
            Goal.AT_MOST,
            idleTarget);
        results.note(
            "P3",
            String.format(
                Locale.ROOT,
                "%d calls with an end event (20-50 records, a quarter simulated, 4 calls/s, each"
                    + " over 1-3 s), call.end-grace=%ds; then %d production calls of 5 records"
                    + " without one, one at a time"
                    + " on an otherwise idle pipeline, call.inactivity-gap=%ds; quota off; times"
                    + " from the broker's acknowledgement of the record (producer callback) to the"
                    + " request's arrival at the receiver, one clock",
                afterEnd.size(),
                grace.toSeconds(),
                afterLast.size(),
                gap.toSeconds()));
      } finally {
        app.close();
        PipelineRun.cleanUp(rig, "bench-p3", app);
      }
    }
  }

  private static String callId(Ledger ledger, Receiver.Exchange e) {
    return e.endpoint() == Receiver.Endpoint.UPDATE_SIMULATION_RESULT
        ? ledger.callOfSimulation(e.id()).orElse(null)
        : e.id();
  }

  // ------------------------------------------------------------------ P4

  private void p4() {
    TopicNames topics = TopicNames.withPrefix("p4");
    // A backlog the quota cannot clear in the window (nor in the start-up before it).
    int backlog = p4Quota * (p4Minutes + 2);
    Dataset data = preload("P4", topics, backlog, 10, true);
    Map<String, String> props = new LinkedHashMap<>();
    props.put("delivery.rate-limit-per-minute", String.valueOf(p4Quota));
    props.put("call.end-grace", "1s");
    try (Receiver receiver = Receiver.start(Processes.freePort(), rig.apiKey(), 32)) {
      List<AppProcess> apps = new ArrayList<>();
      for (String name : List.of("p4-a", "p4-b")) {
        apps.add(
            rig.app(name)
                .applicationId("bench-p4")
                .topics(topics)
                .bluejayBaseUrl(receiver.baseUrl())
                .properties(props)
                .start());
      }
      try {
        for (AppProcess app : apps) {
          app.awaitReady(Duration.ofMinutes(3));
        }
        long from = System.currentTimeMillis();
        long to = from + Duration.ofMinutes(p4Minutes).toMillis();
        while (System.currentTimeMillis() < to) {
          Poll.pause(Duration.ofSeconds(5));
          for (AppProcess app : apps) {
            if (!app.isAlive()) {
              throw new IllegalStateException(app.name() + " exited; see " + app.logFile());
            }
          }
        }
        List<Double> shares = new ArrayList<>();
        for (AppProcess app : apps) {
          shares.add(app.metrics().sum("bridge_rate_limit_per_minute"));
        }
        List<Receiver.Exchange> delivered = receiver.exchanges(Receiver.Exchange::delivered);
        List<Double> perMinute = new ArrayList<>();
        for (int m = 0; m < p4Minutes; m++) {
          long start = from + m * 60_000L;
          perMinute.add(
              (double)
                  delivered.stream()
                      .filter(
                          e -> e.arrivedAtMillis() >= start && e.arrivedAtMillis() < start + 60_000)
                      .count());
        }
        double total = perMinute.stream().mapToDouble(Double::doubleValue).sum();
        int maxWindow = receiver.maxInWindow(Duration.ofMinutes(1), Receiver.Exchange::delivered);
        long firstArrival =
            delivered.stream().mapToLong(Receiver.Exchange::arrivedAtMillis).min().orElse(from);
        long busiest = busiestWindowStart(delivered, 60_000);
        results.note(
            "P4",
            String.format(
                Locale.ROOT,
                "first delivery %.1f s before both were ready; the busiest 60-s window starts"
                    + " %.1f s after both were ready",
                (from - firstArrival) / 1000.0,
                (busiest - from) / 1000.0));
        results.add(
            "P4",
            "requests per minute (each of " + p4Minutes + " minutes)",
            "req/min",
            perMinute,
            Goal.AT_LEAST,
            0.9 * p4Quota);
        results.add(
            "P4",
            "mean over the " + p4Minutes + " minutes",
            "req/min",
            List.of(total / p4Minutes),
            Goal.AT_LEAST,
            0.9 * p4Quota);
        results.add(
            "P4",
            "most requests in any 60-s window (whole run)",
            "req",
            List.of((double) maxWindow),
            Goal.AT_MOST,
            p4Quota);
        results.info("P4", "instance shares (bridge_rate_limit_per_minute)", "req/min", shares);
        results.note(
            "P4",
            String.format(
                Locale.ROOT,
                "2 instances, one application id, quota %d/min, %d partitions; backlog %,d calls"
                    + " of 10 records preloaded; observed %d min from the moment both were ready;"
                    + " %,d calls delivered in all (%,d left: the backlog never ran out); one run"
                    + " (its minutes are the samples)",
                p4Quota,
                partitions,
                data.ledger().callCount(),
                p4Minutes,
                delivered.size(),
                data.ledger().callCount() - delivered.size()));
      } finally {
        for (AppProcess app : apps) {
          app.close();
        }
        for (AppProcess app : apps) {
          PipelineRun.cleanUp(rig, "bench-p4", app);
        }
      }
    }
  }

  /** Where the 60-s window holding the most arrivals starts (its first arrival). */
  private static long busiestWindowStart(List<Receiver.Exchange> exchanges, long windowMillis) {
    List<Long> times = exchanges.stream().map(Receiver.Exchange::arrivedAtMillis).sorted().toList();
    int best = 0;
    long at = times.isEmpty() ? 0 : times.get(0);
    int from = 0;
    for (int to = 0; to < times.size(); to++) {
      while (times.get(to) - times.get(from) >= windowMillis) {
        from++;
      }
      if (to - from + 1 > best) {
        best = to - from + 1;
        at = times.get(from);
      }
    }
    return at;
  }

  // ------------------------------------------------------------------ P5

  private void p5() {
    TopicNames topics = TopicNames.withPrefix("p5");
    int perCall = 3;
    Dataset data = preload("P5", topics, p5Calls, perCall, false);
    Map<String, String> props = new LinkedHashMap<>();
    props.put("call.inactivity-gap", "1h");
    props.put("call.max-duration", "4h");
    List<Double> heap = new ArrayList<>();
    List<Double> rss = new ArrayList<>();
    List<Double> fill = new ArrayList<>();
    for (int run = 1; run <= p5Runs; run++) {
      String name = "p5-" + run;
      try (Receiver receiver = Receiver.start(Processes.freePort(), rig.apiKey(), 8)) {
        long started = System.currentTimeMillis();
        AppProcess app =
            rig.app(name)
                .applicationId("bench-" + name)
                .topics(topics)
                .bluejayBaseUrl(receiver.baseUrl())
                .heap("512m")
                .properties(props)
                .start();
        try {
          app.awaitReady(Duration.ofMinutes(3));
          Poll.require(
              Duration.ofMinutes(10),
              Duration.ofMillis(500),
              () ->
                  app.status().path("calls_open").asLong() >= p5Calls
                      && PipelineRun.recordsSeen(app) >= data.records(),
              () -> p5Calls + " open calls in " + name);
          fill.add((System.currentTimeMillis() - started) / 1000.0);
          long used = Jcmd.heapUsedAfterGc(app.pid()).orElseThrow();
          heap.add(used / 1024.0 / 1024.0);
          rss.add(app.rssBytes().orElseThrow() / 1024.0 / 1024.0);
          if (receiver.count() != 0) {
            results.note("P5", name + ": " + receiver.count() + " requests while calls were open");
          }
        } finally {
          app.close();
          PipelineRun.cleanUp(rig, "bench-" + name, app);
        }
      }
    }
    results.add("P5", "heap used after a full GC", "MiB", heap, Goal.AT_MOST, 256);
    results.info("P5", "process RSS", "MiB", rss);
    results.info("P5", "process start to all calls open", "s", fill);
    results.note(
        "P5",
        String.format(
            Locale.ROOT,
            "%,d open calls of %d records (no end event, call.inactivity-gap=1h), -Xmx512m, GC by"
                + " jcmd GC.run then GC.heap_info; RSS from /proc/<pid>/status. RocksDB bounded"
                + " by the app's shared block cache and write buffer manager (rocksdb.memory,"
                + " rocksdb.memtable-memory: the defaults, 256MiB and 128MiB)",
            p5Calls,
            perCall));
  }

  // ------------------------------------------------------------------ P6

  private void p6() {
    TopicNames topics = TopicNames.withPrefix("p6");
    Dataset data = preload("P6", topics, p6Calls, recordsPerCall, true);
    Map<String, String> props = quotaOff();
    props.putIfAbsent("call.end-grace", "1s");
    List<Double> forwarderPerCall = new ArrayList<>();
    List<Double> forwarderRate = new ArrayList<>();
    List<Double> oursPerCall = new ArrayList<>();
    List<Double> oursRate = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      try (Receiver receiver = Receiver.start(Processes.freePort(), rig.apiKey(), 32)) {
        PerRecordForwarder.Result f =
            PerRecordForwarder.run(
                rig.broker().bootstrapServers(),
                topics,
                rig.registry().registry(),
                data.records(),
                receiver.baseUrl(),
                rig.apiKey(),
                16,
                RUN_TIMEOUT);
        if (f.failed() != 0) {
          results.note("P6", "run " + run + ": " + f.failed() + " forwarder requests failed");
        }
        forwarderPerCall.add((double) f.requests() / data.ledger().callCount());
        if (receiver.count() != f.requests()) {
          results.note(
              "P6",
              "run "
                  + run
                  + ": "
                  + f.requests()
                  + " requests sent, "
                  + receiver.count()
                  + " arrived");
        }
        forwarderRate.add(f.records() / f.seconds());
      }
      PipelineRun.Result ours =
          PipelineRun.run(
              rig,
              "p6-" + run,
              topics,
              data.ledger(),
              data.records(),
              props,
              List.of(),
              null,
              RUN_TIMEOUT);
      check("P6", ours);
      oursPerCall.add(ours.requestsPerCall());
      oursRate.add(ours.recordsPerSecondAfterStartup());
    }
    // Projected for P1's data set at Bluejay's documented 100 requests/minute.
    long p1Calls = records / recordsPerCall;
    double forwarderMinutes = Stats.median(forwarderPerCall) * p1Calls / 100.0;
    double oursMinutes = Stats.median(oursPerCall) * p1Calls / 100.0;
    results.info("P6", "per-record forwarder: requests per call (sent)", "", forwarderPerCall);
    results.info("P6", "ours: requests per call", "", oursPerCall);
    results.info(
        "P6",
        "per-record forwarder: records/s (16 requests in flight)",
        "records/s",
        forwarderRate);
    results.info("P6", "ours: records/s, first record to last request", "records/s", oursRate);
    results.info(
        "P6",
        String.format(Locale.ROOT, "forwarder: time for %,d calls at 100 req/min", p1Calls),
        "h",
        List.of(forwarderMinutes / 60));
    results.info(
        "P6",
        String.format(Locale.ROOT, "ours: time for %,d calls at 100 req/min", p1Calls),
        "h",
        List.of(oursMinutes / 60));
    results.info("P6", "forwarder time / ours", "", List.of(forwarderMinutes / oursMinutes));
    results.note(
        "P6",
        String.format(
            Locale.ROOT,
            "both read the same %,d calls of %d records (%,d records; P1's call shape, fewer"
                + " calls to keep the run short); projection = requests per call x %,d calls"
                + " (P1's data set) / 100 per minute",
            data.ledger().callCount(),
            recordsPerCall,
            data.records(),
            p1Calls));
  }

  // ------------------------------------------------------------------ shared

  /** Preloaded topics and what went into them. */
  record Dataset(Ledger ledger, long records) {}

  private Dataset preload(
      String scenario, TopicNames topics, int calls, int perCall, boolean endEvent) {
    createTopics(topics);
    try (Traffic traffic = traffic(topics, Duration.ofSeconds(4), 0.25)) {
      long t0 = System.nanoTime();
      long sent = traffic.preload(calls, new Traffic.Shape(perCall, endEvent));
      double seconds = (System.nanoTime() - t0) / 1e9;
      Ledger ledger = traffic.ledger();
      if (!ledger.failures().isEmpty() || ledger.acked() != sent) {
        throw new IllegalStateException(
            "preload of " + topics + " failed: " + ledger.failures().stream().limit(3).toList());
      }
      results.note(
          scenario,
          String.format(
              Locale.ROOT,
              "preloaded %s: %,d calls, %,d records, %,d value bytes in %.1f s",
              topics.toolCalls().substring(0, topics.toolCalls().indexOf('.')),
              calls,
              sent,
              ledger.valueBytes(),
              seconds));
      return new Dataset(ledger, sent);
    }
  }

  /**
   * Creates the topics and waits until every partition has a leader: an idempotent producer that
   * starts on a partition the broker does not lead yet can end in an endless
   * OUT_OF_ORDER_SEQUENCE_NUMBER retry loop (seen here).
   */
  private void createTopics(TopicNames topics) {
    Map<String, Integer> all = topics.partitions(partitions, 3);
    rig.broker().createTopics(all);
    try (Admin admin = rig.broker().admin()) {
      Poll.require(
          Duration.ofSeconds(60),
          Duration.ofMillis(100),
          () -> {
            try {
              return admin
                  .describeTopics(all.keySet())
                  .allTopicNames()
                  .get(10, TimeUnit.SECONDS)
                  .values()
                  .stream()
                  .flatMap(d -> d.partitions().stream())
                  .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            } catch (ExecutionException | TimeoutException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          },
          () -> "leaders for " + all.keySet());
    }
    // The metadata the broker answers with can still run ahead of its replica manager.
    Poll.pause(Duration.ofSeconds(1));
  }

  private Traffic traffic(TopicNames topics, Duration callLength, double simulated) {
    return Traffic.create(
        rig.broker().bootstrapServers(),
        topics,
        rig.registry().registry(),
        new Traffic.Settings(seed++, simulated, 0, callLength));
  }

  private Map<String, String> quotaOff() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("kafka.processing.guarantee", "exactly_once_v2");
    props.put("delivery.rate-limit-per-minute", QUOTA_OFF);
    props.putAll(appProperties);
    return props;
  }

  private void check(String scenario, PipelineRun.Result run) {
    if (run.delivered() != run.calls() || run.duplicates() != 0) {
      results.note(
          scenario,
          String.format(
              Locale.ROOT,
              "not exact: %d of %d calls delivered, %d delivered twice",
              run.delivered(),
              run.calls(),
              run.duplicates()));
    }
  }

  private void describeMachine() {
    results.environment("processors", String.valueOf(Runtime.getRuntime().availableProcessors()));
    results.environment("cpu", firstLine(Path.of("/proc/cpuinfo"), "model name").orElse("?"));
    results.environment("memory", firstLine(Path.of("/proc/meminfo"), "MemTotal").orElse("?"));
    results.environment(
        "java",
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vm.vendor")
            + ")");
    results.environment(
        "os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    try {
      results.environment(
          "load average at start", Files.readString(Path.of("/proc/loadavg")).strip());
    } catch (IOException e) {
      results.environment("load average at start", "?");
    }
    results.environment(
        "options",
        String.format(
                Locale.ROOT,
                "runs=%d partitions=%d records=%d records-per-call=%d p2-records=%d p3-calls=%d"
                    + " p3-idle-calls=%d p4-minutes=%d p4-quota=%d p5-calls=%d p5-runs=%d p6-calls=%d",
                runs,
                partitions,
                records,
                recordsPerCall,
                p2Records,
                p3Calls,
                p3IdleCalls,
                p4Minutes,
                p4Quota,
                p5Calls,
                p5Runs,
                p6Calls)
            + (appProperties.isEmpty() ? "" : " app-property=" + appProperties));
  }

  private static Optional<String> firstLine(Path file, String prefix) {
    try {
      return Files.readAllLines(file).stream()
          .filter(l -> l.startsWith(prefix))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
