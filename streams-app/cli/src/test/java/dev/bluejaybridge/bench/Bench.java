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
 *
 * <p>Maven runs it through failsafe ({@link BenchRun}), which resolves offline.
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

  @Option(
      names = "--records",
      description = "P1: records of the timed load (default ${DEFAULT-VALUE}).")
  int records = 1_000_000;

  @Option(
      names = "--warmup-records",
      description =
          "P1: records of the warm-up load, produced before the timed load and read first by"
              + " every run (default ${DEFAULT-VALUE}; 0: none).")
  int warmupRecords = 200_000;

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

  @Option(
      names = "--baseline-jar",
      description =
          "P1: also run the pipeline from this fat jar (an earlier build) in every run, right after"
              + " this build's, and report this build's throughput over it: a code change's"
              + " figure as a ratio measured side by side.")
  Path baselineJar;

  @Option(names = "--jfr", description = "Record the first P1 pipeline run with JFR.")
  boolean jfr;

  @Option(names = "--out", description = "Where results go (default ${DEFAULT-VALUE}).")
  Path out = Path.of("target", "bench");

  static final String QUOTA_OFF = "1000000"; // the most delivery.rate-limit-per-minute accepts
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);

  /** The heap of P1's pipeline and baseline processes (the harness' default for an app). */
  static final String APP_HEAP = "384m";

  private final Results results = new Results();
  private Rig rig;
  private int seed = 1;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the bench with {@code args}; returns its exit code (non-zero: a scenario failed). */
  static int run(String[] args) {
    return new CommandLine(new Bench()).execute(args);
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

  /**
   * P1 (issue 14 item 1): (a) a plain consumer, (c) a minimal Kafka Streams app and (b) the
   * pipeline over the same topics in each run: a warm-up load, then the timed load, both preloaded
   * (the timed load after the warm-up load in every partition). Each app starts fresh and reads
   * both; its steady state is the timed load's records over the time from the moment it had
   * processed as many records as the warm-up load holds. The headline is b/c, b/a beside it.
   */
  private void p1() {
    TopicNames topics = TopicNames.withPrefix("p1");
    Dataset warm;
    Dataset data;
    createTopics(topics);
    try (Traffic traffic = traffic(topics, Duration.ofSeconds(4), 0.25)) {
      // One producer: the loads' calls and simulation ids do not repeat.
      warm = preload("P1", traffic, "warm-up load", warmupRecords / recordsPerCall, recordsPerCall);
      data = preload("P1", traffic, "timed load", records / recordsPerCall, recordsPerCall);
    }
    long warmRecords = warm.records();
    long total = warmRecords + data.records();
    Ledger ledger = data.ledger(); // both loads' calls
    Map<String, String> props = quotaOff();
    props.putIfAbsent("call.end-grace", "1s");
    List<Double> consumer = new ArrayList<>();
    List<Double> consumerAll = new ArrayList<>();
    List<Double> streams = new ArrayList<>();
    List<Double> streamsFromFirst = new ArrayList<>();
    List<Double> streamsStartup = new ArrayList<>();
    List<Double> streamsCommitted = new ArrayList<>();
    List<Double> pipelineDelivered = new ArrayList<>();
    List<Double> pipelineProcessed = new ArrayList<>();
    List<Double> pipelineClosed = new ArrayList<>();
    List<Double> pipelineFromStart = new ArrayList<>();
    List<Double> ratioC = new ArrayList<>();
    List<Double> ratioA = new ArrayList<>();
    List<Double> ratioCProcessed = new ArrayList<>();
    List<Double> toProcessed = new ArrayList<>();
    List<Double> toClosed = new ArrayList<>();
    List<Double> toLastRequest = new ArrayList<>();
    List<Double> startup = new ArrayList<>();
    List<Double> warmup = new ArrayList<>();
    List<Double> requestsPerCall = new ArrayList<>();
    List<Double> earlierDelivered = new ArrayList<>();
    List<Double> overEarlier = new ArrayList<>();
    long commitInterval = -1;
    for (int run = 1; run <= runs; run++) {
      ConsumerRates rates = baselineRecordsPerSecond(topics, total, warmRecords);
      double a = rates.afterWarmup();
      StreamsBaseline.Result c =
          StreamsBaseline.run(
              rig, "p1-c-" + run, topics, props, total, warmRecords, APP_HEAP, RUN_TIMEOUT);
      commitInterval = c.commitIntervalMs();
      List<String> jvm = new ArrayList<>(List.of("-Xmx" + APP_HEAP));
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
              ledger,
              total,
              warmRecords,
              props,
              jvm,
              dump,
              RUN_TIMEOUT,
              null);
      check("P1", b);
      double bDelivered = b.steadyRecordsPerSecond(b.lastDeliveryAt());
      if (baselineJar != null) {
        PipelineRun.Result earlier =
            PipelineRun.run(
                rig,
                "p1-earlier-" + run,
                topics,
                ledger,
                total,
                warmRecords,
                props,
                List.of("-Xmx" + APP_HEAP),
                null,
                RUN_TIMEOUT,
                baselineJar);
        check("P1", earlier);
        double e = earlier.steadyRecordsPerSecond(earlier.lastDeliveryAt());
        earlierDelivered.add(e);
        overEarlier.add(bDelivered / e);
        System.out.printf(
            Locale.ROOT,
            "[bench] P1 run %d: this build %.0f rec/s, %s %.0f rec/s, ratio %.3f%n",
            run,
            bDelivered,
            baselineJar.getFileName(),
            e,
            bDelivered / e);
      }
      double bProcessed = b.steadyRecordsPerSecond(b.processedAt());
      double cSteady = c.steadyRecordsPerSecond();
      consumer.add(a);
      consumerAll.add(rates.all());
      streams.add(cSteady);
      streamsFromFirst.add(c.recordsPerSecondFromFirstRecord());
      streamsStartup.add((c.firstRecordAt() - c.startedAt()) / 1000.0);
      streamsCommitted.add((c.committedAt() - c.processedAt()) / 1000.0);
      pipelineDelivered.add(bDelivered);
      pipelineProcessed.add(bProcessed);
      pipelineClosed.add(b.steadyRecordsPerSecond(b.closedAt()));
      pipelineFromStart.add(b.recordsPerSecond());
      ratioC.add(bDelivered / cSteady);
      ratioA.add(bDelivered / a);
      ratioCProcessed.add(bProcessed / cSteady);
      toProcessed.add(b.secondsToMoment(b.processedAt()));
      toClosed.add(b.secondsToMoment(b.closedAt()));
      toLastRequest.add(b.secondsToMoment(b.lastDeliveryAt()));
      startup.add(b.secondsToMoment(b.firstRecordAt()));
      warmup.add((b.warmedAt() - b.firstRecordAt()) / 1000.0);
      requestsPerCall.add(b.requestsPerCall());
      System.out.printf(
          Locale.ROOT,
          "[bench] P1 run %d: (a) %.0f rec/s, (c) %.0f rec/s, (b) %.0f rec/s to the last request"
              + " (%.0f to all processed); b/c %.3f, b/a %.3f; b from its start: all processed"
              + " %.1f s, all closed %.1f s, last request %.1f s%n",
          run,
          a,
          cSteady,
          bDelivered,
          bProcessed,
          bDelivered / cSteady,
          bDelivered / a,
          b.secondsToMoment(b.processedAt()),
          b.secondsToMoment(b.closedAt()),
          b.secondsToMoment(b.lastDeliveryAt()));
    }
    results.add(
        "P1",
        "pipeline ÷ minimal Kafka Streams aggregate: b/c",
        "",
        ratioC,
        Goal.AT_LEAST,
        0.5,
        "timed load; b to its last request, c to its last record processed");
    results.add(
        "P1",
        "pipeline ÷ plain consumer: b/a",
        "",
        ratioA,
        Goal.AT_LEAST,
        0.15,
        "timed load; b to its last request, a to its last record");
    results.info("P1", "b/c, b to its last record processed", "", ratioCProcessed);
    if (baselineJar != null) {
      results.info(
          "P1",
          "(b) this build ÷ (b) from " + baselineJar.getFileName() + ", timed load, side by side",
          "",
          overEarlier);
      results.info(
          "P1",
          "(b) from " + baselineJar.getFileName() + ", timed load to last request received",
          "records/s",
          earlierDelivered);
    }
    results.info(
        "P1", "(a) plain consumer + Avro decode, timed load to last record", "records/s", consumer);
    results.info(
        "P1",
        "(a) plain consumer + Avro decode, both loads, first poll to last record",
        "records/s",
        consumerAll);
    results.info(
        "P1",
        "(c) minimal Kafka Streams, timed load to last record processed",
        "records/s",
        streams);
    results.info(
        "P1",
        "(c) minimal Kafka Streams, first record to last (both loads)",
        "records/s",
        streamsFromFirst);
    results.info("P1", "(c) process start to first record processed", "s", streamsStartup);
    results.info(
        "P1",
        "(c) last record processed to offsets committed at the end (polled)",
        "s",
        streamsCommitted);
    results.info(
        "P1", "(b) pipeline, timed load to last request received", "records/s", pipelineDelivered);
    results.info(
        "P1", "(b) pipeline, timed load to last record processed", "records/s", pipelineProcessed);
    results.info("P1", "(b) pipeline, timed load to last call closed", "records/s", pipelineClosed);
    results.info(
        "P1",
        "(b) pipeline, both loads, process start to last request",
        "records/s",
        pipelineFromStart);
    results.info("P1", "(b) process start to all records processed", "s", toProcessed);
    results.info("P1", "(b) process start to all calls closed", "s", toClosed);
    results.info("P1", "(b) process start to last request received", "s", toLastRequest);
    results.info("P1", "(b) start-up: process start to first record processed", "s", startup);
    results.info("P1", "(b) warm-up load: first record to its end", "s", warmup);
    results.add("P1", "requests per call", "", requestsPerCall, Goal.AT_MOST, 1.0);
    results.note(
        "P1",
        String.format(
            Locale.ROOT,
            "timed load %,d records (%,d calls of %d records, a quarter simulated) after a warm-up"
                + " load of %,d records (%,d calls), %d partitions per topic, %,d value bytes in"
                + " all; exactly_once_v2, quota off (%s/min), call.end-grace=1s; (b) and (c) each"
                + " a fresh process with -Xmx%s; (c) commit.interval.ms=%d, as the bridge's"
                + " StreamsProperties give it",
            data.records(),
            data.ledger().callCount() - warm.calls(),
            recordsPerCall,
            warmRecords,
            warm.calls(),
            partitions,
            data.ledger().valueBytes(),
            QUOTA_OFF,
            APP_HEAP,
            commitInterval));
    results.note(
        "P1",
        "clocks: (a), (b) and (c) timed load from the moment each had read or processed as many"
            + " records as the warm-up load holds (a: its own count; b: its"
            + " bridge_records_total, polled every 200 ms; c: its own count) to b's last request"
            + " received by the stand-in, b's bridge_records_total reaching every record, b's"
            + " bridge_calls_closed_total reaching every call, c's last record processed or a's last"
            + " record decoded");
  }

  /**
   * What the plain consumer measured, records/s: over every record, from its first poll, and over
   * the records after the first {@code warm}, from the moment it had read that many.
   */
  record ConsumerRates(double all, double afterWarmup) {}

  private ConsumerRates baselineRecordsPerSecond(TopicNames topics, long expected, long warm) {
    long[] sum = new long[1];
    long[] seen = new long[1];
    long[] warmedAt = new long[1];
    try (TopicReader reader =
        new TopicReader(rig.broker().bootstrapServers(), topics, rig.registry().registry())) {
      long start =
          reader.read(
              expected,
              RUN_TIMEOUT,
              (topic, key, value) -> {
                sum[0] += key.length() + value.getSchema().getFields().size();
                if (++seen[0] == warm) {
                  warmedAt[0] = System.nanoTime();
                }
              });
      long end = System.nanoTime();
      if (sum[0] == 0) {
        throw new IllegalStateException("nothing read");
      }
      double all = expected / ((end - start) / 1e9);
      double afterWarmup = warm == 0 ? all : (expected - warm) / ((end - warmedAt[0]) / 1e9);
      return new ConsumerRates(all, afterWarmup);
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
  record Dataset(Ledger ledger, long records, int calls) {
    Dataset(Ledger ledger, long records) {
      this(ledger, records, ledger.callCount());
    }
  }

  /** {@code calls} more calls by {@code traffic} (the ledger is the producer's: every load). */
  private Dataset preload(String scenario, Traffic traffic, String load, int calls, int perCall) {
    long t0 = System.nanoTime();
    long sent = traffic.preload(calls, new Traffic.Shape(perCall, true));
    double seconds = (System.nanoTime() - t0) / 1e9;
    Ledger ledger = traffic.ledger();
    if (!ledger.failures().isEmpty() || ledger.acked() != ledger.records()) {
      throw new IllegalStateException(
          "preload of " + load + " failed: " + ledger.failures().stream().limit(3).toList());
    }
    results.note(
        scenario,
        String.format(
            Locale.ROOT,
            "preloaded the %s: %,d calls, %,d records in %.1f s",
            load,
            calls,
            sent,
            seconds));
    return new Dataset(ledger, sent, calls);
  }

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
                "runs=%d partitions=%d records=%d warmup-records=%d records-per-call=%d p2-records=%d"
                    + " p3-calls=%d"
                    + " p3-idle-calls=%d p4-minutes=%d p4-quota=%d p5-calls=%d p5-runs=%d p6-calls=%d",
                runs,
                partitions,
                records,
                warmupRecords,
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
