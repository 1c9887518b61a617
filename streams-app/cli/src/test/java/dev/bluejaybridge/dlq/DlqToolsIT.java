package dev.bluejaybridge.dlq;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.app.BridgeApp;
import dev.bluejaybridge.cli.Main;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dlq inspect} and {@code dlq replay} against dead letters the running app wrote. */
class DlqToolsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static KafkaTestCluster kafka;
  @TempDir Path dir;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = KafkaTestCluster.start();
    kafka.createTopics(
        Map.of(
            "d.tool-calls", 2,
            "d.events", 2,
            "d.transcripts", 2,
            "d.input-dlq", 1,
            "d.delivery-dlq", 1,
            "d.receipts", 1));
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  private Path configFile(BluejayStandIn bluejay) throws Exception {
    Path file = dir.resolve("bridge.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
            "kafka.application.id=dlq-app",
            "kafka.state.dir=" + dir.resolve("state"),
            "schema.registry.url=mock://dlq",
            "topics.tool-calls=d.tool-calls",
            "topics.events=d.events",
            "topics.transcripts=d.transcripts",
            "topics.input-dlq=d.input-dlq",
            "topics.delivery-dlq=d.delivery-dlq",
            "topics.delivery-receipts=d.receipts",
            "call.end-grace=200ms",
            "admin.port=0",
            "bluejay.base-url=" + bluejay.baseUrl(),
            "bluejay.api-key=bj-dlq-key"));
    return file;
  }

  private String cli(StringWriter out, String... args) {
    int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(out, true), args);
    return exit + "";
  }

  @Test
  void inspectListsDeadLettersAndReplayResendsEachOnceAndReturnsFailuresToTheDlq()
      throws Exception {
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      Path config = configFile(bluejay);
      BridgeConfig settings = ConfigLoader.load(Optional.of(config), Map.of());
      bluejay.stubUpdateLog(
          "x1",
          BluejayStandIn.validationError(
              List.of("body", "metadata"), "bad metadata", "type_error"));
      bluejay.stubUpdateLog(
          "x2",
          BluejayStandIn.validationError(List.of("body", "events"), "bad events", "type_error"));
      SchemaRegistry registry =
          SchemaRegistries.create("mock://dlq", Optional.empty(), Duration.ofSeconds(5));
      try (BridgeApp app = BridgeApp.start(settings, new SimpleMeterRegistry(), Clock.systemUTC());
          KafkaProducer<String, SpecificRecord> producer =
              new KafkaProducer<>(
                  Map.of("bootstrap.servers", kafka.bootstrapServers()),
                  new StringSerializer(),
                  new AvroSerializer<>(registry, true));
          KafkaProducer<String, byte[]> raw =
              new KafkaProducer<>(
                  Map.of("bootstrap.servers", kafka.bootstrapServers()),
                  new StringSerializer(),
                  new ByteArraySerializer())) {
        for (String id : List.of("x1", "x2")) {
          producer.send(
              new ProducerRecord<>("d.tool-calls", id, toolCall(id, "lookup_order", 100).build()));
          producer.send(new ProducerRecord<>("d.events", id, endOfCall(id, 900).build()));
        }
        raw.send(
            new ProducerRecord<>(
                "d.events", "junk-1", "not avro".getBytes(StandardCharsets.UTF_8)));
        producer.flush();
        raw.flush();

        ProgressWait.forCount(3, "dead letters listed by dlq inspect")
            .pollEvery(Duration.ofMillis(500))
            .until(
                () -> {
                  StringWriter out = new StringWriter();
                  cli(out, "dlq", "inspect", "--config", config.toString(), "--format", "json");
                  try {
                    return JSON.readTree(out.toString()).size();
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
      }

      StringWriter listing = new StringWriter();
      assertThat(cli(listing, "dlq", "inspect", "--config", config.toString(), "--format", "json"))
          .isEqualTo("0");
      JsonNode entries = JSON.readTree(listing.toString());
      assertThat(entries.findValuesAsText("reason"))
          .containsExactlyInAnyOrder("http-422", "http-422", "bad-magic-byte");
      StringWriter table = new StringWriter();
      cli(
          table,
          "dlq",
          "inspect",
          "--config",
          config.toString(),
          "--dlq",
          "delivery",
          "--reason",
          "http-422");
      assertThat(table.toString()).contains("x1").contains("x2").contains("PUT /v1/update-log/x1");

      // Bluejay now takes x1 but still refuses x2.
      bluejay.reset();
      bluejay.stubUpdateLog(
          "x2",
          BluejayStandIn.validationError(List.of("body", "events"), "still bad", "type_error"));
      StringWriter dry = new StringWriter();
      assertThat(
              cli(
                  dry,
                  "dlq",
                  "replay",
                  "--config",
                  config.toString(),
                  "--dlq",
                  "delivery",
                  "--dry-run"))
          .isEqualTo("0");
      assertThat(bluejay.requests()).as("a dry run sends nothing").isEmpty();

      StringWriter first = new StringWriter();
      assertThat(cli(first, "dlq", "replay", "--config", config.toString(), "--dlq", "delivery"))
          .as(first.toString())
          .isEqualTo("1");
      assertThat(first.toString()).contains("delivered 1, failed again 1");
      assertThat(bluejay.requestsTo("/v1/update-log/x1")).hasSize(1);
      assertThat(bluejay.requestsTo("/v1/update-log/x2")).hasSize(1);
      bluejay.assertAllRequestsValid();

      StringWriter again = new StringWriter();
      assertThat(cli(again, "dlq", "replay", "--config", config.toString(), "--dlq", "delivery"))
          .isEqualTo("0");
      assertThat(again.toString()).contains("0 dead letters to replay");
      assertThat(bluejay.requestsTo("/v1/update-log/x1"))
          .as("replay twice sends nothing twice")
          .hasSize(1);

      StringWriter after = new StringWriter();
      cli(
          after,
          "dlq",
          "inspect",
          "--config",
          config.toString(),
          "--dlq",
          "delivery",
          "--format",
          "json");
      assertThat(JSON.readTree(after.toString()).findValuesAsText("call_id"))
          .as("x2 failed again and is back in the DLQ")
          .containsExactlyInAnyOrder("x1", "x2", "x2");

      // Bluejay cannot be reached: the replay holds for its patience, then stops and leaves the
      // dead letter as it was (no marker, no new dead letter).
      bluejay.down();
      StringWriter outage = new StringWriter();
      try {
        assertThat(
                cli(
                    outage,
                    "dlq",
                    "replay",
                    "--config",
                    config.toString(),
                    "--dlq",
                    "delivery",
                    "--again",
                    "--patience",
                    "1s"))
            .as(outage.toString())
            .isEqualTo("1");
      } finally {
        bluejay.up();
      }
      assertThat(outage.toString())
          .contains("1 dead letters to replay")
          .contains("Bluejay cannot be reached")
          .contains("left unchanged 1");
      StringWriter afterOutage = new StringWriter();
      cli(
          afterOutage,
          "dlq",
          "replay",
          "--config",
          config.toString(),
          "--dlq",
          "delivery",
          "--again",
          "--dry-run");
      assertThat(afterOutage.toString())
          .as("the replay during the outage marked nothing")
          .contains("1 dead letters to replay");
      StringWriter afterOutageListing = new StringWriter();
      cli(
          afterOutageListing,
          "dlq",
          "inspect",
          "--config",
          config.toString(),
          "--dlq",
          "delivery",
          "--format",
          "json");
      assertThat(JSON.readTree(afterOutageListing.toString()).findValuesAsText("call_id"))
          .containsExactlyInAnyOrder("x1", "x2", "x2");

      StringWriter input = new StringWriter();
      assertThat(cli(input, "dlq", "replay", "--config", config.toString(), "--dlq", "input"))
          .isEqualTo("0");
      assertThat(input.toString()).contains("re-published 1");
      StringWriter inputAgain = new StringWriter();
      cli(inputAgain, "dlq", "replay", "--config", config.toString(), "--dlq", "input");
      assertThat(inputAgain.toString()).contains("re-published 0");
    } finally {
      SchemaRegistries.dropMock("dlq");
    }
  }
}
