package dev.bluejaybridge.bench;

import dev.bluejaybridge.harness.AppProcess;
import dev.bluejaybridge.harness.Ledger;
import dev.bluejaybridge.harness.Poll;
import dev.bluejaybridge.harness.Processes;
import dev.bluejaybridge.harness.PrometheusText;
import dev.bluejaybridge.harness.Receiver;
import dev.bluejaybridge.harness.Rig;
import dev.bluejaybridge.harness.TopicNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;

/**
 * One pass of the pipeline over preloaded topics: a fresh app process (new application id, new
 * state directory, so it reads from the earliest offset) against a fresh zero-latency receiver,
 * timed from the process start to the arrival of the last delivery.
 *
 * <p>Besides the receiver's clock it polls the app's own {@code /metrics} (every 200 ms, each
 * sample timed when its answer arrived): {@code bridge_records_total} (input records decoded and
 * validated) and {@code bridge_calls_closed_total}, for the moments the first record, the warm-up
 * load, every record and every call were done (issue 14 item 1).
 */
final class PipelineRun {
  /**
   * How often the app's metrics are read while it runs: each read costs the app a scrape, so not
   * too often.
   */
  static final Duration METRICS_EVERY = Duration.ofMillis(200);

  /** How long the metrics may lag the last delivery before the moments they miss are left out. */
  static final Duration METRICS_GRACE = Duration.ofSeconds(10);

  /**
   * What one pass measured (wall-clock millis, one clock: all on this machine). A moment seen by
   * polling {@code /metrics} is when the first answer showing it arrived ({@link #METRICS_EVERY}
   * apart).
   *
   * @param warmupRecords how many of the records, first in every partition, are the warm-up load
   *     (0: none)
   * @param startedAt when the process was started
   * @param readyAt when {@code /health/ready} first answered 200
   * @param firstRecordAt when {@code bridge_records_total} was first seen above 0
   * @param warmedAt when {@code bridge_records_total} first reached {@code warmupRecords} ({@code
   *     firstRecordAt} without a warm-up load)
   * @param processedAt when {@code bridge_records_total} first reached {@code records} (0: not
   *     seen)
   * @param closedAt when {@code bridge_calls_closed_total} first reached {@code calls} (0: not
   *     seen)
   * @param lastDeliveryAt when the receiver got the last delivery
   * @param requests every request the receiver got
   * @param delivered distinct calls (ids) delivered
   * @param duplicates ids delivered more than once
   */
  record Result(
      long records,
      int calls,
      long warmupRecords,
      long startedAt,
      long readyAt,
      long firstRecordAt,
      long warmedAt,
      long processedAt,
      long closedAt,
      long lastDeliveryAt,
      int requests,
      int delivered,
      int duplicates) {

    double secondsFromStart() {
      return (lastDeliveryAt - startedAt) / 1000.0;
    }

    double secondsFromFirstRecord() {
      return (lastDeliveryAt - firstRecordAt) / 1000.0;
    }

    double recordsPerSecond() {
      return records / secondsFromStart();
    }

    double recordsPerSecondAfterStartup() {
      return records / secondsFromFirstRecord();
    }

    double requestsPerCall() {
      return (double) requests / calls;
    }

    /** Seconds from the process start to {@code at} (NaN for a moment not seen). */
    double secondsToMoment(long at) {
      return at == 0 ? Double.NaN : (at - startedAt) / 1000.0;
    }

    /**
     * The records after the warm-up load over the time from its end to {@code end} (NaN for a
     * moment not seen).
     */
    double steadyRecordsPerSecond(long end) {
      return end == 0 || warmedAt == 0
          ? Double.NaN
          : (records - warmupRecords) * 1000.0 / Math.max(1, end - warmedAt);
    }
  }

  private PipelineRun() {}

  /**
   * Runs the pipeline over {@code topics} (preloaded with {@code records} records of {@code
   * ledger}'s calls) until every call was delivered.
   *
   * @param jfrDump when not null, {@code JFR.dump} to this file before the process is stopped (the
   *     JVM options must start a recording)
   */
  static Result run(
      Rig rig,
      String name,
      TopicNames topics,
      Ledger ledger,
      long records,
      Map<String, String> properties,
      List<String> jvmOptions,
      java.nio.file.Path jfrDump,
      Duration timeout) {
    return run(
        rig, name, topics, ledger, records, 0, properties, jvmOptions, jfrDump, timeout, null);
  }

  /**
   * As {@link #run(Rig, String, TopicNames, Ledger, long, Map, List, java.nio.file.Path,
   * Duration)}, the first {@code warmupRecords} records (produced, and so read, before the others)
   * being the warm-up load: the steady state is timed from the moment the app processed that many;
   * the app run from {@code jar} (null: the fat jar this build made).
   */
  static Result run(
      Rig rig,
      String name,
      TopicNames topics,
      Ledger ledger,
      long records,
      long warmupRecords,
      Map<String, String> properties,
      List<String> jvmOptions,
      java.nio.file.Path jfrDump,
      Duration timeout,
      java.nio.file.Path jar) {
    int calls = ledger.callCount();
    try (Receiver receiver = Receiver.start(Processes.freePort(), rig.apiKey(), 32)) {
      AppProcess.Builder builder =
          rig.app(name)
              .applicationId("bench-" + name)
              .topics(topics)
              .bluejayBaseUrl(receiver.baseUrl())
              .properties(properties);
      jvmOptions.forEach(builder::jvmOption);
      if (jar != null) {
        builder.jar(jar);
      }
      long startedAt = System.currentTimeMillis();
      AppProcess app = builder.start();
      try {
        long readyAt = 0;
        long firstRecordAt = 0;
        long warmedAt = 0;
        long processedAt = 0;
        long closedAt = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        // count() first: cheap, and a delivery per call is needed before ids are worth counting.
        long deliveredAt = 0;
        while (processedAt == 0 || closedAt == 0 || deliveredAt == 0) {
          if (deliveredAt == 0
              && receiver.count() >= calls
              && receiver.deliveriesById().size() >= calls) {
            deliveredAt = System.currentTimeMillis();
          }
          if (deliveredAt != 0
              && System.currentTimeMillis() - deliveredAt > METRICS_GRACE.toMillis()) {
            break; // what the metrics did not show stays 0 (reported as n/a)
          }
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(
                name + ": " + receiver.count() + " of " + calls + " calls delivered in " + timeout);
          }
          if (!app.isAlive()) {
            throw new IllegalStateException(name + " exited; see " + app.logFile());
          }
          if (readyAt == 0 && app.isReady()) {
            readyAt = System.currentTimeMillis();
          }
          if (readyAt != 0) {
            Optional<PrometheusText> metrics = metrics(app);
            long now = System.currentTimeMillis();
            if (metrics.isPresent()) {
              double seen = metrics.get().sum("bridge_records_total");
              double closed = metrics.get().sum("bridge_calls_closed_total");
              if (firstRecordAt == 0 && seen > 0) {
                firstRecordAt = now;
              }
              if (warmedAt == 0 && seen > 0 && seen >= warmupRecords) {
                warmedAt = now;
              }
              if (processedAt == 0 && seen >= records) {
                processedAt = now;
              }
              if (closedAt == 0 && closed >= calls) {
                closedAt = now;
              }
            }
          }
          Poll.pause(METRICS_EVERY);
        }
        List<Receiver.Exchange> exchanges = receiver.exchanges();
        long last =
            exchanges.stream()
                .filter(Receiver.Exchange::delivered)
                .mapToLong(Receiver.Exchange::arrivedAtMillis)
                .max()
                .orElseThrow();
        Map<String, Integer> byId = receiver.deliveriesById();
        int duplicates = (int) byId.values().stream().filter(n -> n > 1).count();
        long ready = readyAt == 0 ? last : readyAt;
        long first = firstRecordAt == 0 ? ready : firstRecordAt;
        return new Result(
            records,
            calls,
            warmupRecords,
            startedAt,
            ready,
            first,
            warmupRecords == 0 ? first : warmedAt,
            processedAt,
            closedAt,
            last,
            exchanges.size(),
            byId.size(),
            duplicates);
      } finally {
        if (jfrDump != null && app.isAlive()) {
          Jcmd.run(app.pid(), "JFR.dump", "filename=" + jfrDump.toAbsolutePath());
        }
        app.close();
        cleanUp(rig, "bench-" + name, app);
      }
    }
  }

  private static Optional<PrometheusText> metrics(AppProcess app) {
    try {
      return Optional.of(app.metrics());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static double recordsSeen(AppProcess app) {
    try {
      return app.metrics().sum("bridge_records_total");
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Deletes the run's internal topics and its state, so that runs do not pile up on disk. */
  static void cleanUp(Rig rig, String applicationId, AppProcess app) {
    cleanUpTopics(rig, applicationId);
    Files.deleteQuietly(app.configFile().getParent().resolve("state"));
  }

  /** Deletes the internal topics of {@code applicationId}. */
  static void cleanUpTopics(Rig rig, String applicationId) {
    try (Admin admin = rig.broker().admin()) {
      List<String> internal =
          admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
              .filter(t -> t.startsWith(applicationId + "-"))
              .toList();
      if (!internal.isEmpty()) {
        admin.deleteTopics(internal).all().get(60, TimeUnit.SECONDS);
      }
    } catch (ExecutionException | TimeoutException e) {
      System.out.println("[bench] could not delete the topics of " + applicationId + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Recursive delete without failing the bench. */
  static final class Files {
    private Files() {}

    static void deleteQuietly(java.nio.file.Path dir) {
      if (!java.nio.file.Files.exists(dir)) {
        return;
      }
      try (var paths = java.nio.file.Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (java.io.IOException e) {
        System.out.println("[bench] could not delete " + dir + ": " + e);
      }
    }
  }
}
