package dev.bluejaybridge.cli;

import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static dev.bluejaybridge.testkit.BluejayStandIn.delayedOk;
import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar as a process: {@code run} against a real broker, JSON logs, and SIGTERM while a
 * request is in flight: the process drains it, records the outcome and exits 0; the key never
 * appears in its output.
 */
class RunProcessIT {
  private static final String KEY = "bj-process-secret-4242";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static KafkaTestCluster kafka;
  @TempDir Path dir;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = KafkaTestCluster.start();
    for (String topics : List.of("p", "q")) {
      kafka.createTopics(
          Map.of(
              topics + ".tool-calls", 2,
              topics + ".events", 2,
              topics + ".transcripts", 2,
              topics + ".input-dlq", 1,
              topics + ".delivery-dlq", 1,
              topics + ".receipts", 1));
    }
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void sigtermDrainsTheRequestInFlightThenExitsCleanlyAndNeverLogsTheKey() throws Exception {
    String registryName = "process-" + UUID.randomUUID();
    dev.bluejaybridge.registry.SchemaRegistry registry =
        dev.bluejaybridge.registry.SchemaRegistries.create(
            "mock://" + registryName, java.util.Optional.empty(), Duration.ofSeconds(5));
    com.github.tomakehurst.wiremock.WireMockServer registryServer = registryServer(registry);
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      bluejay.stub(UPDATE_LOG, delayedOk(UPDATE_LOG, Duration.ofSeconds(3)));
      int adminPort = freePort();
      Path output = dir.resolve("out.log");
      Process process = startBridge("p", bluejay, registryServer, adminPort, output);
      try {
        HttpClient http = HttpClient.newHttpClient();
        await("the bridge process answering 200 on /health/ready")
            .atMost(Duration.ofSeconds(120))
            .ignoreExceptions()
            .until(
                () ->
                    http.send(
                                HttpRequest.newBuilder(
                                        URI.create(
                                            "http://127.0.0.1:" + adminPort + "/health/ready"))
                                    .build(),
                                HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                        == 200);

        produceCall("p", "call-p", registry);
        await("a request for call-p")
            .atMost(Duration.ofSeconds(120))
            .until(() -> !bluejay.requestsTo("/v1/update-log/call-p").isEmpty());

        process.destroy(); // SIGTERM, with the answer still 3 s away

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
        assertThat(process.exitValue()).isZero();
      } finally {
        process.destroyForcibly();
      }
      assertThat(receipts()).containsExactly("call-p");
      assertThat(bluejay.requestsTo("/v1/update-log/call-p")).hasSize(1);
      List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
      assertThat(lines).isNotEmpty();
      assertThat(String.join("\n", lines)).doesNotContain(KEY);
      for (String line : lines) {
        assertThat(JSON.readTree(line).has("formattedMessage")).as(line).isTrue();
      }
    } finally {
      registryServer.stop();
      dev.bluejaybridge.registry.SchemaRegistries.dropMock(registryName);
    }
  }

  @Test
  void aSecondSigtermExitsAtOnceWithoutWaitingForTheDrain() throws Exception {
    String registryName = "process-" + UUID.randomUUID();
    dev.bluejaybridge.registry.SchemaRegistry registry =
        dev.bluejaybridge.registry.SchemaRegistries.create(
            "mock://" + registryName, java.util.Optional.empty(), Duration.ofSeconds(5));
    com.github.tomakehurst.wiremock.WireMockServer registryServer = registryServer(registry);
    try (BluejayStandIn bluejay = new BluejayStandIn()) {
      bluejay.stub(UPDATE_LOG, delayedOk(UPDATE_LOG, Duration.ofSeconds(30)));
      int adminPort = freePort();
      Path output = dir.resolve("second-signal.log");
      Process process = startBridge("q", bluejay, registryServer, adminPort, output);
      try {
        awaitReady(adminPort);
        produceCall("q", "call-q", registry);
        await("a request for call-q")
            .atMost(Duration.ofSeconds(120))
            .until(() -> !bluejay.requestsTo("/v1/update-log/call-q").isEmpty());

        process.destroy(); // SIGTERM: the drain would wait for the 30 s answer (up to 11 s)
        await("the process logging 'draining and stopping' after the first SIGTERM")
            .atMost(Duration.ofSeconds(30))
            .until(() -> Files.readString(output).contains("draining and stopping"));
        process.destroy(); // the second SIGTERM

        assertThat(process.waitFor(5, TimeUnit.SECONDS)).as("exited at once").isTrue();
        assertThat(process.exitValue()).isEqualTo(130);
      } finally {
        process.destroyForcibly();
      }
    } finally {
      registryServer.stop();
      dev.bluejaybridge.registry.SchemaRegistries.dropMock(registryName);
    }
  }

  private static void awaitReady(int adminPort) {
    HttpClient http = HttpClient.newHttpClient();
    await("the bridge process answering 200 on /health/ready")
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + adminPort + "/health/ready"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
  }

  /** Starts the built jar's {@code run} with JSON logs, on topics {@code <topics>.*}. */
  private Process startBridge(
      String topics,
      BluejayStandIn bluejay,
      com.github.tomakehurst.wiremock.WireMockServer registryServer,
      int adminPort,
      Path output)
      throws IOException {
    Path config = dir.resolve(topics + ".properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
            "kafka.application.id=process-" + topics,
            "kafka.state.dir=" + dir.resolve("state-" + topics),
            "schema.registry.url=http://127.0.0.1:" + registryServer.port(),
            "topics.tool-calls=" + topics + ".tool-calls",
            "topics.events=" + topics + ".events",
            "topics.transcripts=" + topics + ".transcripts",
            "topics.input-dlq=" + topics + ".input-dlq",
            "topics.delivery-dlq=" + topics + ".delivery-dlq",
            "topics.delivery-receipts=" + topics + ".receipts",
            "call.end-grace=200ms",
            "bluejay.base-url=" + bluejay.baseUrl(),
            "admin.port=" + adminPort));
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Path.of("..", "target", "bluejay-bridge.jar").toAbsolutePath().toString(),
                "run",
                "--config",
                config.toString(),
                "--log-format",
                "json")
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().put("BLUEJAY_API_KEY", KEY);
    return builder.start();
  }

  /**
   * Writes a call to {@code <topics>.*} with our serializer, under the p.* subjects whose schema
   * ids {@link #registryServer} serves.
   */
  private void produceCall(
      String topics, String callId, dev.bluejaybridge.registry.SchemaRegistry registry) {
    dev.bluejaybridge.serde.AvroSerializer<org.apache.avro.specific.SpecificRecord> avro =
        new dev.bluejaybridge.serde.AvroSerializer<>(registry, true);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.send(
          new ProducerRecord<>(
              topics + ".tool-calls",
              callId,
              avro.serialize("p.tool-calls", toolCall(callId, "lookup_order", 100).build())));
      producer.send(
          new ProducerRecord<>(
              topics + ".events",
              callId,
              avro.serialize("p.events", endOfCall(callId, 900).build())));
    }
  }

  /**
   * A Confluent-compatible registry the process can reach over HTTP: WireMock answering {@code GET
   * /schemas/ids/{id}} for the schemas registered in a local in-memory registry.
   */
  private static com.github.tomakehurst.wiremock.WireMockServer registryServer(
      dev.bluejaybridge.registry.SchemaRegistry registry) {
    com.github.tomakehurst.wiremock.WireMockServer server =
        new com.github.tomakehurst.wiremock.WireMockServer(
            com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig()
                .bindAddress("127.0.0.1")
                .dynamicPort());
    server.start();
    for (org.apache.avro.Schema schema :
        List.of(
            dev.bluejaybridge.telemetry.ToolCall.SCHEMA$,
            dev.bluejaybridge.telemetry.CallEvent.SCHEMA$)) {
      String subject =
          schema == dev.bluejaybridge.telemetry.ToolCall.SCHEMA$
              ? "p.tool-calls-value"
              : "p.events-value";
      int id = registry.register(subject, schema);
      com.fasterxml.jackson.databind.node.ObjectNode body =
          JSON.createObjectNode().put("schema", schema.toString());
      server.stubFor(
          com.github.tomakehurst.wiremock.client.WireMock.get("/schemas/ids/" + id)
              .willReturn(com.github.tomakehurst.wiremock.client.WireMock.okJson(body.toString())));
    }
    return server;
  }

  private List<String> receipts() {
    return kafka.awaitRecords("p.receipts", 1).stream().map(r -> r.key()).toList();
  }
}
