package dev.bluejaybridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check} against a real broker, the in-process registry and the Bluejay stand-in. */
class CheckCommandIT {
  private static KafkaTestCluster kafka;
  @TempDir Path dir;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = KafkaTestCluster.start();
    kafka.createTopics(
        Map.of(
            "calls.tool-calls", 3,
            "calls.events", 3,
            "calls.transcripts", 3,
            "calls.input-dlq", 1,
            "calls.delivery-dlq", 1,
            "calls.delivery-receipts", 1));
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  private Path config(BluejayStandIn bluejay, String key) throws IOException {
    Path file = dir.resolve("bridge.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
            "schema.registry.url=mock://check",
            "bluejay.base-url=" + bluejay.baseUrl(),
            "bluejay.api-key=" + key));
    return file;
  }

  @Test
  void reportsEachServiceReachable() throws IOException {
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      StringWriter out = new StringWriter();

      int exit =
          Main.execute(
              new PrintWriter(out, true),
              new PrintWriter(new StringWriter(), true),
              "check",
              "--config",
              config(bluejay, "bj-good-key").toString());

      assertThat(exit).as(out.toString()).isZero();
      assertThat(out.toString())
          .contains("configuration: OK")
          .contains("kafka: OK")
          .contains("3 partitions")
          .contains("schema registry: OK")
          .contains("bluejay: OK");
    }
  }

  @Test
  void aRefusedKeyFailsTheCheckWithoutPrintingTheKey() throws IOException {
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      bluejay.stub(
          BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT, BluejayStandIn.unauthorized());
      StringWriter out = new StringWriter();

      int exit =
          Main.execute(
              new PrintWriter(out, true),
              new PrintWriter(new StringWriter(), true),
              "check",
              "--config",
              config(bluejay, "bj-revoked-key").toString());

      assertThat(exit).isEqualTo(1);
      assertThat(out.toString())
          .contains("bluejay: FAILED (API key refused")
          .doesNotContain("bj-revoked-key");
    }
  }
}
