package dev.bluejaybridge.app;

import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static dev.bluejaybridge.testkit.BluejayStandIn.delayedOk;
import static dev.bluejaybridge.testkit.BluejayStandIn.ok;
import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.pipeline.TopicLayout;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole application as {@code run} starts it, on a real broker, delivering to the stand-in. */
class BridgeAppIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path dir;

  private BridgeConfig config(
      String prefix, String registry, BluejayStandIn bluejay, Path stateDir) {
    return config(prefix, registry, bluejay, stateDir, Map.of());
  }

  private BridgeConfig config(
      String prefix,
      String registry,
      BluejayStandIn bluejay,
      Path stateDir,
      Map<String, String> more) {
    Map<String, String> values = new java.util.HashMap<>(more);
    values.putAll(
        Map.ofEntries(
            Map.entry("kafka.bootstrap.servers", kafka.bootstrapServers()),
            Map.entry("kafka.application.id", prefix + "-app"),
            Map.entry("kafka.state.dir", stateDir.toString()),
            Map.entry("schema.registry.url", "mock://" + registry),
            Map.entry("topics.tool-calls", prefix + ".tool-calls"),
            Map.entry("topics.events", prefix + ".events"),
            Map.entry("topics.transcripts", prefix + ".transcripts"),
            Map.entry("topics.input-dlq", prefix + ".input-dlq"),
            Map.entry("topics.delivery-dlq", prefix + ".delivery-dlq"),
            Map.entry("topics.delivery-receipts", prefix + ".receipts"),
            Map.entry("call.end-grace", "200ms"),
            Map.entry("call.inactivity-gap", "2s"),
            Map.entry("bluejay.base-url", bluejay.baseUrl().toString()),
            Map.entry("bluejay.api-key", "bj-it-key-123"),
            Map.entry("admin.port", "0")));
    return ConfigLoader.parse(values);
  }

  private void createTopics(String prefix) throws Exception {
    kafka.createTopics(
        Map.of(
            prefix + ".tool-calls", 2,
            prefix + ".events", 2,
            prefix + ".transcripts", 2,
            prefix + ".input-dlq", 1,
            prefix + ".delivery-dlq", 1,
            prefix + ".receipts", 1));
  }

  private void produceCall(SchemaRegistry registry, String prefix, String callId) {
    try (KafkaProducer<String, SpecificRecord> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new StringSerializer(),
            new AvroSerializer<>(registry, true))) {
      producer.send(
          new ProducerRecord<>(
              prefix + ".tool-calls", callId, toolCall(callId, "lookup_order", 1_000).build()));
      producer.send(
          new ProducerRecord<>(prefix + ".events", callId, endOfCall(callId, 9_000).build()));
    }
  }

  /**
   * Also issue 13 item 11: with a signing secret, webhooks are taken on a port of their own ({@code
   * webhooks.port}, {@code webhooks.bind-address}), not on the admin port, and reach {@code
   * topics.webhook-events}.
   */
  @Test
  void deliversOnceAndWritesTheReceiptInTheSameTransaction() throws Exception {
    String prefix = "app1";
    createTopics(prefix);
    kafka.createTopics(Map.of(prefix + ".webhook-deliveries", 2, prefix + ".webhook-events", 1));
    String registryName = "app1-" + UUID.randomUUID();
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      BridgeConfig config =
          config(
              prefix,
              registryName,
              bluejay,
              dir.resolve("state"),
              Map.of(
                  "webhooks.signing-secret",
                  WEBHOOK_SECRET,
                  "webhooks.port",
                  "0",
                  "webhooks.bind-address",
                  "127.0.0.1",
                  "topics.webhook-deliveries",
                  prefix + ".webhook-deliveries",
                  "topics.webhook-events",
                  prefix + ".webhook-events"));
      io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters =
          new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
              io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
      try (BridgeApp app = BridgeApp.start(config, meters, Clock.systemUTC())) {
        produceCall(
            SchemaRegistries.create(
                "mock://" + registryName, Optional.empty(), Duration.ofSeconds(5)),
            prefix,
            "call-a");

        List<ConsumerRecord<String, String>> receipts = kafka.awaitRecords(prefix + ".receipts", 1);

        assertThat(receipts.get(0).key()).isEqualTo("call-a");
        assertThat(JSON.readTree(receipts.get(0).value()).get("status").asInt()).isEqualTo(200);
        assertThat(bluejay.requestsTo("/v1/update-log/call-a")).hasSize(1);
        bluejay.assertAllRequestsValid();

        String base = "http://127.0.0.1:" + app.adminPort();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String metrics = get(http, base + "/metrics").body();
        java.net.http.HttpResponse<String> status = get(http, base + "/status");
        assertThat(get(http, base + "/health/ready").statusCode()).isEqualTo(200);
        assertThat(metrics)
            .contains(
                "bridge_records_total{topic=\"app1.tool-calls\"} 1.0",
                "bridge_calls_closed_total{reason=\"end-of-call\"} 1.0",
                "bridge_deliveries_total{endpoint=\"update-log\",outcome=\"delivered\"} 1.0",
                "bridge_outbox_size 0.0",
                "bridge_rate_limit_per_minute 100.0");
        assertThat(metrics).as("Feign's own client metrics").containsPattern("(?m)^feign_\\w+");
        JsonNode document = JSON.readTree(status.body());
        assertThat(document.get("streams_state").asText()).isEqualTo("RUNNING");
        assertThat(document.get("calls_open").asLong()).isZero();
        assertThat(document.get("outbox").get("size").asInt()).isZero();
        assertThat(document.get("delivery").get("state").asText()).isEqualTo("running");
        assertThat(status.body()).doesNotContain("bj-it-key-123");

        int webhookPort = app.webhookPort().orElseThrow();
        assertThat(webhookPort).isNotEqualTo(app.adminPort());
        assertThat(postWebhook(http, app.adminPort()).statusCode())
            .as("the admin port takes no webhooks")
            .isEqualTo(404);
        assertThat(postWebhook(http, webhookPort).statusCode()).isEqualTo(200);
        assertThat(kafka.awaitRecords(prefix + ".webhook-events", 1))
            .singleElement()
            .satisfies(event -> assertThat(event.key()).isEqualTo("call-a"));
        assertThat(get(http, base + "/metrics").body())
            .as("the webhook dedupe step's Kafka Streams metrics beside the pipeline's")
            .contains("-webhooks");
      }
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  /**
   * Issue 13 item 11: with webhooks on, a missing webhook topic stops the start naming it, and what
   * had started (the call pipeline's Kafka Streams) is closed, not left running without the app.
   */
  @Test
  void aMissingWebhookTopicStopsTheStartAndLeavesNothingRunning() throws Exception {
    String prefix = "app4";
    createTopics(prefix);
    String registryName = "app4-" + UUID.randomUUID();
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      BridgeConfig config =
          config(
              prefix,
              registryName,
              bluejay,
              dir.resolve("state"),
              Map.of(
                  "webhooks.signing-secret",
                  WEBHOOK_SECRET,
                  "webhooks.port",
                  "0",
                  "topics.webhook-deliveries",
                  prefix + ".webhook-deliveries",
                  "topics.webhook-events",
                  prefix + ".webhook-events"));

      assertThatThrownBy(
              () -> BridgeApp.start(config, new SimpleMeterRegistry(), Clock.systemUTC()).close())
          .isInstanceOf(TopicLayout.TopicLayoutException.class)
          .hasMessageContaining(prefix + ".webhook-deliveries")
          .hasMessageContaining(prefix + ".webhook-events");
      await("the pipeline's stream threads gone")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  Thread.getAllStackTraces().keySet().stream()
                      .noneMatch(t -> t.getName().startsWith(prefix + "-app") && t.isAlive()));
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  @Test
  void crashBetweenSendAndAcknowledgementSendsTheCallAgainFromRestoredState() throws Exception {
    String prefix = "app2";
    createTopics(prefix);
    String registryName = "app2-" + UUID.randomUUID();
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      // The first answer comes too late for the first instance: it is gone before it is recorded.
      bluejay.stubSequence(
          UPDATE_LOG, delayedOk(UPDATE_LOG, Duration.ofSeconds(3)), ok(UPDATE_LOG));
      BridgeApp first =
          BridgeApp.start(
              config(prefix, registryName, bluejay, dir.resolve("state-1")),
              new SimpleMeterRegistry(),
              Clock.systemUTC());
      try {
        produceCall(
            SchemaRegistries.create(
                "mock://" + registryName, Optional.empty(), Duration.ofSeconds(5)),
            prefix,
            "call-b");
        await("a request for call-b")
            .atMost(Duration.ofSeconds(120))
            .until(() -> !bluejay.requestsTo("/v1/update-log/call-b").isEmpty());
      } finally {
        first.halt();
      }

      // A new instance on a wiped state dir restores the outbox from its changelog and sends again.
      try (BridgeApp second =
          BridgeApp.start(
              config(prefix, registryName, bluejay, dir.resolve("state-2")),
              new SimpleMeterRegistry(),
              Clock.systemUTC())) {
        List<ConsumerRecord<String, String>> receipts = kafka.awaitRecords(prefix + ".receipts", 1);

        assertThat(receipts).extracting(ConsumerRecord::key).containsExactly("call-b");
        assertThat(bluejay.requestsTo("/v1/update-log/call-b")).hasSize(2);
      }
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  @Test
  void cleanCloseWaitsForRequestsInFlightSoNothingIsSentTwice() throws Exception {
    String prefix = "app3";
    createTopics(prefix);
    String registryName = "app3-" + UUID.randomUUID();
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      bluejay.stub(UPDATE_LOG, delayedOk(UPDATE_LOG, Duration.ofSeconds(2)));
      BridgeApp first =
          BridgeApp.start(
              config(prefix, registryName, bluejay, dir.resolve("state-1")),
              new SimpleMeterRegistry(),
              Clock.systemUTC());
      try {
        produceCall(
            SchemaRegistries.create(
                "mock://" + registryName, Optional.empty(), Duration.ofSeconds(5)),
            prefix,
            "call-c");
        await("a request for call-c")
            .atMost(Duration.ofSeconds(120))
            .until(() -> !bluejay.requestsTo("/v1/update-log/call-c").isEmpty());
      } finally {
        first.close(); // drains: the answer arrives and its outcome is committed before Kafka
        // Streams closes
      }
      assertThat(kafka.awaitRecords(prefix + ".receipts", 1))
          .extracting(ConsumerRecord::key)
          .containsExactly("call-c");

      try (BridgeApp second =
          BridgeApp.start(
              config(prefix, registryName, bluejay, dir.resolve("state-2")),
              new SimpleMeterRegistry(),
              Clock.systemUTC())) {
        await("the second instance's Kafka Streams RUNNING")
            .atMost(Duration.ofSeconds(120))
            .until(() -> second.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING);
        await()
            .during(Duration.ofSeconds(2))
            .atMost(Duration.ofSeconds(5))
            .until(() -> bluejay.requestsTo("/v1/update-log/call-c").size() == 1);
      }
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  private static final String WEBHOOK_SECRET = "whsec-it-secret";

  private static java.net.http.HttpResponse<String> postWebhook(
      java.net.http.HttpClient http, int port) throws Exception {
    String body = "{\"type\":\"observability_call_evaluated\",\"id\":\"call-a\"}";
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(
            WEBHOOK_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
    String signature =
        java.util.HexFormat.of()
            .formatHex(mac.doFinal(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return http.send(
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/webhooks/bluejay"))
            .header("X-Bluejay-Signature", signature)
            .header("X-Bluejay-Delivery", "d-app1")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
            .build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  private static java.net.http.HttpResponse<String> get(java.net.http.HttpClient http, String url)
      throws Exception {
    return http.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }
}
