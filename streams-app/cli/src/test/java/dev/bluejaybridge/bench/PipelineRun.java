package dev.bluejaybridge.bench;

import dev.bluejaybridge.harness.AppProcess;
import dev.bluejaybridge.harness.Ledger;
import dev.bluejaybridge.harness.Poll;
import dev.bluejaybridge.harness.Processes;
import dev.bluejaybridge.harness.Receiver;
import dev.bluejaybridge.harness.Rig;
import dev.bluejaybridge.harness.TopicNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;

/**
 * One pass of the pipeline over preloaded topics: a fresh app process (new application id, new
 * state directory, so it reads from the earliest offset) against a fresh zero-latency receiver,
 * timed from the process start to the arrival of the last delivery.
 */
final class PipelineRun {
  /**
   * What one pass measured (wall-clock millis, one clock: all on this machine).
   *
   * @param startedAt when the process was started
   * @param readyAt when {@code /health/ready} first answered 200
   * @param firstRecordAt when {@code bridge_records_total} was first seen above 0 (polled)
   * @param lastDeliveryAt when the receiver got the last delivery
   * @param requests every request the receiver got
   * @param delivered distinct calls (ids) delivered
   * @param duplicates ids delivered more than once
   */
  record Result(
      long records,
      int calls,
      long startedAt,
      long readyAt,
      long firstRecordAt,
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
    int calls = ledger.callCount();
    try (Receiver receiver = Receiver.start(Processes.freePort(), rig.apiKey(), 32)) {
      AppProcess.Builder builder =
          rig.app(name)
              .applicationId("bench-" + name)
              .topics(topics)
              .bluejayBaseUrl(receiver.baseUrl())
              .properties(properties);
      jvmOptions.forEach(builder::jvmOption);
      long startedAt = System.currentTimeMillis();
      AppProcess app = builder.start();
      try {
        long readyAt = 0;
        long firstRecordAt = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        // count() first: cheap, and a delivery per call is needed before ids are worth counting.
        while (receiver.count() < calls || receiver.deliveriesById().size() < calls) {
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
          if (firstRecordAt == 0 && readyAt != 0 && recordsSeen(app) > 0) {
            firstRecordAt = System.currentTimeMillis();
          }
          Poll.pause(Duration.ofMillis(firstRecordAt == 0 ? 100 : 250));
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
        return new Result(
            records,
            calls,
            startedAt,
            readyAt == 0 ? last : readyAt,
            firstRecordAt == 0 ? (readyAt == 0 ? last : readyAt) : firstRecordAt,
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

  static double recordsSeen(AppProcess app) {
    try {
      return app.metrics().sum("bridge_records_total");
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Deletes the run's internal topics and its state, so that runs do not pile up on disk. */
  static void cleanUp(Rig rig, String applicationId, AppProcess app) {
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
    Files.deleteQuietly(app.configFile().getParent().resolve("state"));
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
