package dev.bluejaybridge.deploy;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.app.BridgeApp;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the alert rules and the Grafana dashboard use is one the running app exports, and
 * every label matcher they use selects a series: the real app on a real broker delivers a call,
 * dead-letters a poison record and a call Bluejay refuses, and {@code /metrics} is scraped over
 * HTTP.
 */
class MetricNamesIT {
  /** Series Prometheus makes itself, not the app. */
  private static final Set<String> PROMETHEUS_OWN =
      Set.of(
          "up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE");

  /** Labels Prometheus adds at scrape time (static config or ServiceMonitor). */
  private static final Set<String> TARGET_LABELS =
      Set.of("job", "instance", "namespace", "pod", "service", "endpoint", "container");

  private static final List<String> SUFFIXES = List.of("", "_total", "_count", "_sum", "_bucket");
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_]\\w*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  @TempDir static Path dir;
  private static KafkaTestCluster kafka;
  private static BluejayStandIn bluejay;
  private static BridgeApp app;
  private static String registryName;
  private static String scrape;
  private static KafkaStreams.State stateAtScrape;
  private static int readyStatusAtScrape;

  /** One exported sample: its name and labels. */
  record Sample(String name, Map<String, String> labels, String value) {}

  @BeforeAll
  static void runTheAppUntilEveryCounterExists() throws Exception {
    String prefix = "metrics";
    registryName = "metrics-" + UUID.randomUUID();
    kafka = KafkaTestCluster.start();
    kafka.createTopics(
        Map.of(
            prefix + ".tool-calls", 2,
            prefix + ".events", 2,
            prefix + ".transcripts", 2,
            prefix + ".input-dlq", 1,
            prefix + ".delivery-dlq", 1,
            prefix + ".receipts", 1));
    bluejay = new BluejayStandIn();
    bluejay.stubUpdateLog(
        "call-refused",
        BluejayStandIn.validationError(
            List.of("body", "metadata"), "Input should be a valid dictionary", "dict_type"));

    // As RunCommand builds its registry: the dashboard shows jvm_* and process_* meters too.
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(meters);
    new JvmGcMetrics().bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    app =
        BridgeApp.start(
            ConfigLoader.parse(
                Map.ofEntries(
                    Map.entry("kafka.bootstrap.servers", kafka.bootstrapServers()),
                    Map.entry("kafka.application.id", prefix + "-app"),
                    Map.entry("kafka.state.dir", dir.resolve("state").toString()),
                    Map.entry("schema.registry.url", "mock://" + registryName),
                    Map.entry("topics.tool-calls", prefix + ".tool-calls"),
                    Map.entry("topics.events", prefix + ".events"),
                    Map.entry("topics.transcripts", prefix + ".transcripts"),
                    Map.entry("topics.input-dlq", prefix + ".input-dlq"),
                    Map.entry("topics.delivery-dlq", prefix + ".delivery-dlq"),
                    Map.entry("topics.delivery-receipts", prefix + ".receipts"),
                    Map.entry("call.end-grace", "200ms"),
                    Map.entry("bluejay.base-url", bluejay.baseUrl().toString()),
                    Map.entry("bluejay.api-key", "bj-it-key-123"),
                    Map.entry("admin.port", "0"))),
            meters,
            Clock.systemUTC());

    try (KafkaProducer<String, SpecificRecord> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(),
                new AvroSerializer<>(
                    SchemaRegistries.create(
                        "mock://" + registryName, Optional.empty(), Duration.ofSeconds(5)),
                    true));
        KafkaProducer<String, byte[]> raw =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer())) {
      for (String callId : List.of("call-delivered", "call-refused")) {
        producer.send(
            new ProducerRecord<>(
                prefix + ".tool-calls", callId, toolCall(callId, "lookup_order", 1_000).build()));
        producer.send(
            new ProducerRecord<>(prefix + ".events", callId, endOfCall(callId, 9_000).build()));
      }
      raw.send(
          new ProducerRecord<>(
              prefix + ".tool-calls", "poison", "not avro".getBytes(StandardCharsets.UTF_8)));
    }

    await("the delivered, delivery-DLQ and input-DLQ series in /metrics, the app RUNNING")
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> {
              String text = get("/metrics").body();
              return text.contains(
                      "bridge_deliveries_total{endpoint=\"update-log\",outcome=\"delivered\"}")
                  && text.contains("bridge_dlq_records_total{dlq=\"delivery\"")
                  && text.contains("bridge_dlq_records_total{dlq=\"input\"")
                  && app.state() == KafkaStreams.State.RUNNING;
            });
    stateAtScrape = app.state();
    readyStatusAtScrape = get("/health/ready").statusCode();
    scrape = get("/metrics").body();
    // for whoever edits the dashboard: what a scrape holds
    Files.writeString(Path.of("target", "metric-names-it-scrape.txt"), scrape);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (bluejay != null) {
      bluejay.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    SchemaRegistries.dropMock(registryName);
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.adminPort() + path))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static List<Sample> samples() {
    List<Sample> samples = new ArrayList<>();
    for (String line : scrape.split("\n")) {
      Matcher sample = SAMPLE.matcher(line);
      if (line.startsWith("#") || !sample.find()) {
        continue;
      }
      Map<String, String> labels = new TreeMap<>();
      if (sample.group(2) != null) {
        Matcher label = LABEL.matcher(sample.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(sample.group(1), labels, sample.group(3)));
    }
    return samples;
  }

  private static Set<String> exportedNames() {
    Set<String> names = new TreeSet<>();
    samples().forEach(s -> names.add(s.name()));
    return names;
  }

  private static boolean exported(String name, Set<String> exported) {
    return SUFFIXES.stream().anyMatch(suffix -> exported.contains(name + suffix));
  }

  /** Every expression of the alert rules (both files) and the dashboard, by where it is. */
  private static Map<String, String> expressions() {
    Map<String, String> expressions = new LinkedHashMap<>();
    PromQl.ruleExpressions(DeployFiles.yaml(PromtoolRulesTest.RULES_FILE))
        .forEach(
            (where, expr) -> expressions.put(PromtoolRulesTest.RULES_FILE + " " + where, expr));
    PromQl.ruleExpressions(DeployFiles.yaml(PromtoolRulesTest.PROMETHEUS_RULE).path("spec"))
        .forEach(
            (where, expr) ->
                expressions.put(PromtoolRulesTest.PROMETHEUS_RULE + " " + where, expr));
    JsonNode dashboard;
    try {
      dashboard = DeployFiles.JSON.readTree(DeployFiles.read(DashboardTest.DASHBOARD));
    } catch (IOException e) {
      throw new IllegalStateException(DashboardTest.DASHBOARD + " is not JSON", e);
    }
    PromQl.dashboardExpressions(dashboard)
        .forEach((where, expr) -> expressions.put(DashboardTest.DASHBOARD + " " + where, expr));
    return expressions;
  }

  @Test
  void everyMetricTheAlertsAndTheDashboardReadIsExported() {
    Set<String> exported = exportedNames();
    Map<String, String> missing = new TreeMap<>();
    Set<String> referenced = new TreeSet<>();

    expressions()
        .forEach(
            (where, expr) -> {
              for (String name : PromQl.metricNames(expr)) {
                referenced.add(name);
                if (!PROMETHEUS_OWN.contains(name) && !exported(name, exported)) {
                  missing.merge(name, where, (a, b) -> a + "; " + b);
                }
              }
            });

    // the reading of PromQL found what is certainly there, so an empty result means nothing
    assertThat(referenced)
        .contains(
            "up",
            "bridge_delivery_paused",
            "bridge_delivery_unreachable",
            "bridge_outbox_oldest_age_seconds",
            "bridge_dlq_records_total",
            "bridge_records_total",
            "bridge_delivery_duration_seconds_bucket",
            "kafka_stream_client_state",
            "kafka_consumer_fetch_manager_records_lag_max",
            "jvm_memory_used_bytes");
    assertThat(missing).as("metrics used but not exported (name -> where)").isEmpty();
  }

  @Test
  void everyLabelMatcherTheAlertsAndTheDashboardUseSelectsAnExportedSeries() {
    List<Sample> samples = samples();
    Map<String, String> unmatched = new TreeMap<>();

    expressions()
        .forEach(
            (where, expr) -> {
              for (PromQl.Selector selector : PromQl.selectors(expr, TARGET_LABELS)) {
                if (PROMETHEUS_OWN.contains(selector.metric()) || selector.matchers().isEmpty()) {
                  continue;
                }
                boolean selects =
                    samples.stream()
                        .filter(s -> s.name().equals(selector.metric()))
                        .anyMatch(
                            s ->
                                selector.matchers().stream()
                                    .allMatch(m -> m.matches(s.labels().get(m.label()))));
                if (!selects) {
                  unmatched.merge(selector.toString(), where, (a, b) -> a + "; " + b);
                }
              }
            });

    assertThat(unmatched)
        .as("selectors that match no exported series (selector -> where)")
        .isEmpty();
  }

  @Test
  void exportsTheContractsMetricsWithTheirLabels() {
    List<Sample> samples = samples();

    assertThat(exportedNames())
        .contains(
            "bridge_records_total",
            "bridge_calls_open",
            "bridge_calls_closed_total",
            "bridge_records_late_total",
            "bridge_deliveries_total",
            "bridge_delivery_duration_seconds_count",
            "bridge_delivery_duration_seconds_sum",
            "bridge_delivery_duration_seconds_bucket",
            "bridge_outbox_size",
            "bridge_outbox_oldest_age_seconds",
            "bridge_dlq_records_total",
            "bridge_rate_limit_per_minute",
            "bridge_delivery_paused");
    assertThat(samples)
        .filteredOn(s -> s.name().equals("bridge_dlq_records_total"))
        .extracting(s -> s.labels().get("dlq") + "/" + s.labels().get("reason"))
        .contains("input/bad-magic-byte", "delivery/http-422");
    assertThat(samples)
        .filteredOn(s -> s.name().equals("bridge_deliveries_total"))
        .extracting(s -> s.labels().get("endpoint") + "/" + s.labels().get("outcome"))
        .contains("update-log/delivered", "update-log/rejected");
    assertThat(samples)
        .filteredOn(s -> s.name().equals("bridge_records_total"))
        .extracting(s -> s.labels().get("topic"))
        .contains("metrics.tool-calls", "metrics.events");
  }

  @Test
  void streamsStateMetricIsTwoExactlyWhileRunningAndReady() {
    // BluejayBridgeStreamsNotRunning fires on kafka_stream_client_state != 2
    assertThat(stateAtScrape).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(KafkaStreams.State.RUNNING.ordinal()).isEqualTo(2);
    assertThat(readyStatusAtScrape).isEqualTo(200);
    assertThat(samples())
        .filteredOn(s -> s.name().equals("kafka_stream_client_state"))
        .extracting(Sample::value)
        .containsExactly("2.0");
  }
}
