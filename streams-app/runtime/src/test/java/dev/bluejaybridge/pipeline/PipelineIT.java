package dev.bluejaybridge.pipeline;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static dev.bluejaybridge.testkit.Telemetry.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.aggregate.CloseReason;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline as {@code run} starts it, against a real KRaft broker. */
class PipelineIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path stateDir;

  private BridgeConfig config(String prefix, String registry) {
    return ConfigLoader.parse(
        Map.of(
            "kafka.bootstrap.servers", kafka.bootstrapServers(),
            "kafka.application.id", prefix + "-app",
            "kafka.state.dir", stateDir.toString(),
            "schema.registry.url", "mock://" + registry,
            "topics.tool-calls", prefix + ".tool-calls",
            "topics.events", prefix + ".events",
            "topics.transcripts", prefix + ".transcripts",
            "topics.input-dlq", prefix + ".input-dlq",
            "call.inactivity-gap", "2s",
            "call.end-grace", "500ms"));
  }

  @Test
  void assemblesAndClosesCallsFromARealBrokerAndDeadLettersPoison() throws Exception {
    String prefix = "it1";
    kafka.createTopics(
        Map.of(
            prefix + ".tool-calls",
            3,
            prefix + ".events",
            3,
            prefix + ".transcripts",
            3,
            prefix + ".input-dlq",
            1));
    String registryName = "it-" + UUID.randomUUID();
    BridgeConfig config = config(prefix, registryName);
    SchemaRegistry registry =
        SchemaRegistries.create(config.registry().urls(), Optional.empty(), Duration.ofSeconds(5));
    Queue<CallUpdate> delivered = new ConcurrentLinkedQueue<>();

    try (Pipeline pipeline =
            Pipeline.start(
                config,
                registry,
                DeliveryStage.of(() -> new Capture(delivered)),
                new AggregationMetrics(new SimpleMeterRegistry()),
                new SimpleMeterRegistry());
        KafkaProducer<String, Object> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(),
                new ObjectSerializer(new AvroSerializer<>(registry, true)))) {
      producer.send(
          new ProducerRecord<>(
              prefix + ".tool-calls", "prod-1", toolCall("prod-1", "lookup_order", 1_000).build()));
      producer.send(
          new ProducerRecord<>(prefix + ".events", "prod-1", endOfCall("prod-1", 5_000).build()));
      // sim-1 never ends: it must close on inactivity, its partition silent afterwards.
      producer.send(
          new ProducerRecord<>(
              prefix + ".transcripts",
              "sim-1",
              turn("sim-1", Speaker.USER, "hi", 0).setSimulationResultId("77").build()));
      // Poison: each kind of undecodable value, on each topic.
      producer.send(
          new ProducerRecord<>(
              prefix + ".events", "bad-1", "not avro".getBytes(StandardCharsets.UTF_8)));
      producer.send(
          new ProducerRecord<>(
              prefix + ".transcripts", "bad-2", new byte[] {0, 0, 0, 0x7f, 0x7f, 2}));
      producer.send(
          new ProducerRecord<>(
              prefix + ".tool-calls",
              "bad-3",
              new AvroSerializer<>(registry, true)
                  .serialize(prefix + ".tool-calls", endOfCall("bad-3", 0).build())));
      producer.send(new ProducerRecord<>(prefix + ".tool-calls", "bad-4", new byte[] {0, 0, 1}));
      producer.flush();

      ProgressWait.forCount(2, "closed calls handed to delivery").until(delivered::size);
      assertThat(pipeline.state()).isEqualTo(KafkaStreams.State.RUNNING);
      List<ClosedCall> calls = delivered.stream().map(ClosedCall.class::cast).toList();
      assertThat(calls)
          .anySatisfy(
              c -> {
                assertThat(c.callId()).isEqualTo("prod-1");
                assertThat(c.reason()).isEqualTo(CloseReason.END_OF_CALL);
                assertThat(c.size()).isEqualTo(2);
              })
          .anySatisfy(
              c -> {
                assertThat(c.callId()).isEqualTo("sim-1");
                assertThat(c.reason()).isEqualTo(CloseReason.INACTIVITY);
                assertThat(c.simulationResultId()).isEqualTo("77");
              });

      Map<String, String> reasons = new java.util.TreeMap<>();
      for (ConsumerRecord<String, String> r : kafka.awaitRecords(prefix + ".input-dlq", 4)) {
        reasons.put(r.key(), KafkaTestCluster.reason(r));
      }
      assertThat(reasons)
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "bad-1", "bad-magic-byte",
                  "bad-2", "unknown-schema-id",
                  "bad-3", "schema-mismatch",
                  "bad-4", "truncated"));
    } finally {
      SchemaRegistries.dropMock(registryName);
    }
  }

  /**
   * Issue 13 item 10: a registry that answers a bare 404 (a proxy's page: no registry error code)
   * and then 503 is not the records' fault. They are not dead-lettered: the stream thread fails, is
   * replaced after a backoff and asks again; once the registry answers, the call is assembled and
   * handed on as usual.
   */
  @Test
  void recordsAreNotDeadLetteredWhileTheRegistryFailsAndAreProcessedOnceItAnswers()
      throws Exception {
    String prefix = "it3";
    kafka.createTopics(
        Map.of(
            prefix + ".tool-calls",
            1,
            prefix + ".events",
            1,
            prefix + ".transcripts",
            1,
            prefix + ".input-dlq",
            1));
    com.github.tomakehurst.wiremock.WireMockServer registryStub =
        new com.github.tomakehurst.wiremock.WireMockServer(
            com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig()
                .dynamicPort()
                .jettyAcceptors(1));
    registryStub.start();
    try {
      registryStub.stubFor(
          anySchema()
              .willReturn(
                  com.github.tomakehurst.wiremock.client.WireMock.aResponse()
                      .withStatus(404)
                      .withBody("<html><body>404 Not Found</body></html>")));
      Map<String, String> settings = new java.util.HashMap<>();
      settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
      settings.put("kafka.application.id", prefix + "-app");
      settings.put("kafka.state.dir", stateDir.toString());
      settings.put("schema.registry.url", registryStub.baseUrl());
      settings.put("topics.tool-calls", prefix + ".tool-calls");
      settings.put("topics.events", prefix + ".events");
      settings.put("topics.transcripts", prefix + ".transcripts");
      settings.put("topics.input-dlq", prefix + ".input-dlq");
      settings.put("call.end-grace", "500ms");
      // A replaced stream thread's consumer stays in the group until its session times out; a
      // short session keeps each retry quick.
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      BridgeConfig config = ConfigLoader.parse(settings);
      // The producer's own registry: the values carry ids 7 and 8, which the stub will serve.
      dev.bluejaybridge.registry.InMemorySchemaRegistry producers =
          new dev.bluejaybridge.registry.InMemorySchemaRegistry();
      byte[] toolCall =
          withSchemaId(
              7,
              new AvroSerializer<>(producers, true)
                  .serialize(
                      prefix + ".tool-calls", toolCall("reg-1", "lookup_order", 1_000).build()));
      byte[] end =
          withSchemaId(
              8,
              new AvroSerializer<>(producers, true)
                  .serialize(prefix + ".events", endOfCall("reg-1", 5_000).build()));
      Queue<CallUpdate> delivered = new ConcurrentLinkedQueue<>();
      SchemaRegistry registry =
          SchemaRegistries.create(
              config.registry().urls(), Optional.empty(), Duration.ofSeconds(5));

      try (Pipeline pipeline =
              Pipeline.start(
                  config,
                  registry,
                  DeliveryStage.of(() -> new Capture(delivered)),
                  new AggregationMetrics(new SimpleMeterRegistry()),
                  new SimpleMeterRegistry());
          KafkaProducer<String, byte[]> producer =
              new KafkaProducer<>(
                  Map.of("bootstrap.servers", kafka.bootstrapServers()),
                  new StringSerializer(),
                  new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(prefix + ".tool-calls", "reg-1", toolCall));
        producer.send(new ProducerRecord<>(prefix + ".events", "reg-1", end));
        producer.flush();

        ProgressWait.forCount(2, "schema lookups while the registry answers a bare 404")
            .until(() -> schemaLookups(registryStub));
        registryStub.resetMappings();
        registryStub.stubFor(
            anySchema()
                .willReturn(
                    com.github.tomakehurst.wiremock.client.WireMock.aResponse()
                        .withStatus(503)
                        .withHeader("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .withBody("{\"error_code\":50003,\"message\":\"overloaded\"}")));
        long before503 = schemaLookups(registryStub);
        ProgressWait.forCount(before503 + 1, "schema lookups while the registry answers 503")
            .until(() -> schemaLookups(registryStub));
        assertThat(delivered).isEmpty();

        registryStub.resetMappings();
        registryStub.stubFor(
            com.github.tomakehurst.wiremock.client.WireMock.get("/schemas/ids/7")
                .willReturn(schemaAnswer(dev.bluejaybridge.telemetry.ToolCall.SCHEMA$)));
        registryStub.stubFor(
            com.github.tomakehurst.wiremock.client.WireMock.get("/schemas/ids/8")
                .willReturn(schemaAnswer(dev.bluejaybridge.telemetry.CallEvent.SCHEMA$)));
        ProgressWait.forCount(1, "closed calls handed to delivery").until(delivered::size);

        assertThat(delivered)
            .singleElement()
            .satisfies(
                update -> {
                  ClosedCall call = (ClosedCall) update;
                  assertThat(call.callId()).isEqualTo("reg-1");
                  assertThat(call.reason()).isEqualTo(CloseReason.END_OF_CALL);
                  assertThat(call.size()).isEqualTo(2);
                });
        assertThat(kafka.readAll(prefix + ".input-dlq")).as("input DLQ").isEmpty();
        org.awaitility.Awaitility.await("Kafka Streams RUNNING")
            .atMost(Duration.ofSeconds(60))
            .until(() -> pipeline.state() == KafkaStreams.State.RUNNING);
      } finally {
        registry.close();
      }
    } finally {
      registryStub.stop();
    }
  }

  private static com.github.tomakehurst.wiremock.client.MappingBuilder anySchema() {
    return com.github.tomakehurst.wiremock.client.WireMock.get(
        com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching("/schemas/ids/.*"));
  }

  private static long schemaLookups(com.github.tomakehurst.wiremock.WireMockServer stub) {
    return stub.getAllServeEvents().stream()
        .filter(e -> e.getRequest().getUrl().startsWith("/schemas/ids/"))
        .count();
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder schemaAnswer(
      org.apache.avro.Schema schema) {
    try {
      return com.github.tomakehurst.wiremock.client.WireMock.aResponse()
          .withStatus(200)
          .withHeader("Content-Type", "application/vnd.schemaregistry.v1+json")
          .withBody(
              new com.fasterxml.jackson.databind.ObjectMapper()
                  .writeValueAsString(Map.of("schema", schema.toString())));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] withSchemaId(int id, byte[] framed) {
    return dev.bluejaybridge.serde.WireFormat.encode(
        id, dev.bluejaybridge.serde.WireFormat.decode(framed).payload());
  }

  @Test
  void refusesToStartWhenInputTopicsAreNotCoPartitioned() throws Exception {
    String prefix = "it2";
    kafka.createTopics(
        Map.of(prefix + ".tool-calls", 3, prefix + ".events", 2, prefix + ".transcripts", 3));
    BridgeConfig config = config(prefix, "it2");

    assertThatThrownBy(
            () ->
                Pipeline.start(
                    config,
                    SchemaRegistries.create("mock://it2", Optional.empty(), Duration.ofSeconds(5)),
                    DeliveryStage.of(() -> new Capture(new ConcurrentLinkedQueue<>())),
                    new AggregationMetrics(new SimpleMeterRegistry()),
                    new SimpleMeterRegistry()))
        .isInstanceOf(TopicLayout.TopicLayoutException.class)
        .hasMessageContaining("it2.tool-calls=3")
        .hasMessageContaining("it2.events=2")
        .hasMessageContaining("it2.transcripts=3");
  }

  /** Writes Avro records through our serializer and raw bytes as they are. */
  private static final class ObjectSerializer
      implements org.apache.kafka.common.serialization.Serializer<Object> {
    private final AvroSerializer<org.apache.avro.specific.SpecificRecord> avro;
    private final ByteArraySerializer bytes = new ByteArraySerializer();

    ObjectSerializer(AvroSerializer<org.apache.avro.specific.SpecificRecord> avro) {
      this.avro = avro;
    }

    @Override
    public byte[] serialize(String topic, Object data) {
      return data instanceof byte[] raw
          ? bytes.serialize(topic, raw)
          : avro.serialize(topic, (org.apache.avro.specific.SpecificRecord) data);
    }
  }

  private static final class Capture implements Processor<String, CallUpdate, Void, Void> {
    private final Queue<CallUpdate> sink;

    Capture(Queue<CallUpdate> sink) {
      this.sink = sink;
    }

    @Override
    public void process(Record<String, CallUpdate> record) {
      sink.add(record.value());
    }
  }
}
