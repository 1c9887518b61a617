package dev.bluejaybridge.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.testkit.ProgressWait;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The process harness end to end, small: a broker process, one app process, paced calls with
 * poison, a receiver outage of a few seconds and a kill -9, then an exact reconciliation, content
 * included (issue 13: what Bluejay holds is each whole call, no simulation POSTed twice).
 */
class HarnessIT {
  private static final int CALLS = 40;

  /** A process start, or a restart after kill -9 (restoring its state): one event, bounded. */
  private static final Duration READY = Duration.ofSeconds(180);

  @Test
  void reconcilesExactlyAcrossAKillAndAShortOutage() {
    try (Rig rig = Rig.start(Path.of("target", "harness-it"), 2)) {
      AppProcess app =
          rig.app("app-1")
              .property("delivery.rate-limit-per-minute", "60000")
              .property("call.end-grace", "500ms")
              .property("kafka.session.timeout.ms", "10000")
              .start();
      app.awaitReady(READY);
      Traffic traffic = rig.traffic(new Traffic.Settings(7, 0.3, 10, Duration.ofSeconds(2)));
      Reconciliation reconciliation = rig.reconciliation(traffic.ledger());

      Traffic.Paced paced = traffic.startPaced(CALLS, 4);
      ProgressWait.forCount(15, "calls started by the paced traffic").until(paced::started);
      rig.receiver().down();
      Poll.pause(Duration.ofSeconds(3));
      rig.receiver().up();
      app.kill9();
      app.start();
      app.awaitReady(READY);
      ProgressWait.forCount(CALLS, "calls started by the paced traffic").until(paced::started);
      // Every call started: what is left is the rest of the last calls' records (about 2 s each).
      paced.awaitDone(Duration.ofSeconds(60));

      // The work: every call delivered or dead-lettered; then the exact account settles (the last
      // receipts, a few seconds).
      ProgressWait.forCount(CALLS, "calls delivered or dead-lettered, as reconciled")
          .pollEvery(Duration.ofSeconds(1))
          .until(
              () -> {
                Reconciliation.Report now = reconciliation.snapshot();
                return now.delivered() + now.deadLettered() - now.deliveredAndDeadLettered();
              });
      Reconciliation.Report report = reconciliation.awaitExact(Duration.ofSeconds(60));
      System.out.print(report.summary());

      assertThat(report.exact()).as(report.summary()).isTrue();
      // Every call compared with what Bluejay holds (issue 13): the whole call, once.
      assertThat(report.content()).isNotNull();
      assertThat(report.content().whole()).as(report.summary()).isEqualTo(CALLS);
      assertThat(report.duplicateSimulationPosts()).isZero();
      assertThat(report.produced()).isEqualTo(CALLS);
      assertThat(report.poisonFound()).isEqualTo(4);
      assertThat(report.inputDlqUnexpected()).as(report.summary()).isEmpty();
      assertThat(rig.appsLoggingTheKey()).isEmpty();
      assertThat(app.rssBytes()).isPresent();
      assertThat(app.metrics().sum("bridge_records_total")).isPositive();
      assertThat(app.status().isObject()).isTrue();
    }
  }
}
