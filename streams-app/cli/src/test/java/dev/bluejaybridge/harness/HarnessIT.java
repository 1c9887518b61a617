package dev.bluejaybridge.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The process harness end to end, small: a broker process, one app process, paced calls with
 * poison, a receiver outage of a few seconds and a kill -9, then an exact reconciliation.
 */
class HarnessIT {

  @Test
  void reconcilesExactlyAcrossAKillAndAShortOutage() {
    try (Rig rig = Rig.start(Path.of("target", "harness-it"), 2)) {
      AppProcess app =
          rig.app("app-1")
              .property("delivery.rate-limit-per-minute", "60000")
              .property("call.end-grace", "500ms")
              .property("kafka.session.timeout.ms", "10000")
              .start();
      app.awaitReady(Duration.ofSeconds(120));
      Traffic traffic = rig.traffic(new Traffic.Settings(7, 0.3, 10, Duration.ofSeconds(2)));
      Reconciliation reconciliation = rig.reconciliation(traffic.ledger());

      Traffic.Paced paced = traffic.startPaced(40, 4);
      Poll.require(
          Duration.ofSeconds(60),
          Duration.ofMillis(100),
          () -> paced.started() >= 15,
          () -> "15 calls started");
      rig.receiver().down();
      Poll.pause(Duration.ofSeconds(3));
      rig.receiver().up();
      app.kill9();
      app.start();
      app.awaitReady(Duration.ofSeconds(120));
      paced.awaitDone(Duration.ofSeconds(60));

      Reconciliation.Report report = reconciliation.awaitExact(Duration.ofSeconds(120));
      System.out.print(report.summary());

      assertThat(report.exact()).as(report.summary()).isTrue();
      assertThat(report.produced()).isEqualTo(40);
      assertThat(report.poisonFound()).isEqualTo(4);
      assertThat(report.inputDlqUnexpected()).as(report.summary()).isEmpty();
      assertThat(rig.appsLoggingTheKey()).isEmpty();
      assertThat(app.rssBytes()).isPresent();
      assertThat(app.metrics().sum("bridge_records_total")).isPositive();
      assertThat(app.status().isObject()).isTrue();
    }
  }
}
