package dev.bluejaybridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.pipeline.StreamsProperties;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 11, on a real broker: a Bluejay retry of the same delivery (same {@code
 * X-Bluejay-Delivery}) taken by another instance, or after a restart on a wiped state directory,
 * makes the event once on {@code topics.webhook-events}.
 */
class WebhooksIT {
  private static final String SECRET = "whsec-it-secret";
  private static final String BODY =
      "{\"type\":\"observability_call_evaluated\",\"id\":\"call-7\",\"status\":\"COMPLETED\"}";

  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private BridgeConfig config(String prefix, Path stateDir) {
    return ConfigLoader.parse(
        Map.ofEntries(
            Map.entry("kafka.bootstrap.servers", kafka.bootstrapServers()),
            Map.entry("kafka.application.id", prefix + "-app"),
            Map.entry("kafka.state.dir", stateDir.toString()),
            Map.entry("schema.registry.url", "mock://" + prefix),
            Map.entry("topics.webhook-events", prefix + ".webhook-events"),
            Map.entry("topics.webhook-deliveries", prefix + ".webhook-deliveries"),
            Map.entry("webhooks.signing-secret", SECRET),
            Map.entry("webhooks.bind-address", "127.0.0.1"),
            Map.entry("webhooks.port", "0")));
  }

  private static Webhooks start(BridgeConfig config) {
    return Webhooks.start(
        config,
        WebhookServer.Settings.of(config.webhooks()),
        () -> Secret.of(SECRET),
        StreamsProperties.clientProperties(config),
        StreamsProperties.from(config),
        new SimpleMeterRegistry(),
        Clock.systemUTC());
  }

  private int post(Webhooks instance, String delivery) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + instance.port() + WebhookReceiver.PATH))
            .header("Content-Type", "application/json")
            .header("X-Bluejay-Event", "observability_call_evaluated")
            .header("X-Bluejay-Signature", WebhookReceiverTest.sign(SECRET, BODY))
            .header("X-Bluejay-Delivery", delivery)
            .POST(HttpRequest.BodyPublishers.ofString(BODY))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** Waits until the dedupe step has committed every delivery written so far. */
  private static void awaitDeduped(String groupId, String deliveries) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      List<TopicPartition> partitions =
          admin
              .describeTopics(List.of(deliveries))
              .allTopicNames()
              .get()
              .get(deliveries)
              .partitions()
              .stream()
              .map(p -> new TopicPartition(deliveries, p.partition()))
              .toList();
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin
              .listOffsets(
                  partitions.stream()
                      .collect(java.util.stream.Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
              .all()
              .get();
      long written = ends.values().stream().mapToLong(e -> e.offset()).sum();
      ProgressWait.forCount(written, "deliveries committed by the dedupe step")
          .until(
              () -> {
                try {
                  Map<TopicPartition, OffsetAndMetadata> committed =
                      admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
                  return partitions.stream()
                      .mapToLong(p -> committed.get(p) == null ? 0 : committed.get(p).offset())
                      .sum();
                } catch (ExecutionException e) {
                  return 0;
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException(e);
                }
              });
    }
  }

  private static List<String> deliveryIds(List<ConsumerRecord<String, String>> events) {
    return events.stream()
        .map(
            r ->
                new String(
                    r.headers().lastHeader(WebhookReceiver.DELIVERY_HEADER).value(),
                    StandardCharsets.UTF_8))
        .toList();
  }

  @Test
  void aRetryTakenByAnotherInstanceOrAfterARestartMakesTheEventOnce() throws Exception {
    String prefix = "wh1";
    String deliveries = prefix + ".webhook-deliveries";
    String events = prefix + ".webhook-events";
    kafka.createTopics(Map.of(deliveries, 2, events, 1));
    String group = prefix + "-app" + Webhooks.APPLICATION_ID_SUFFIX;

    // two instances (replicas of one deployment) both take the delivery
    try (Webhooks first = start(config(prefix, dir.resolve("state-1")));
        Webhooks second = start(config(prefix, dir.resolve("state-2")))) {
      assertThat(first.port()).isNotEqualTo(second.port());
      assertThat(post(first, "d-1")).isEqualTo(200);
      assertThat(post(second, "d-1")).isEqualTo(200);
      awaitDeduped(group, deliveries);
    }

    // both gone; a new instance on an empty state directory restores the ids from the changelog
    try (Webhooks restarted = start(config(prefix, dir.resolve("state-3")))) {
      assertThat(post(restarted, "d-1")).isEqualTo(200);
      assertThat(post(restarted, "d-2")).isEqualTo(200);
      awaitDeduped(group, deliveries);
    }

    List<ConsumerRecord<String, String>> written = kafka.readAll(events);
    assertThat(deliveryIds(written)).containsExactlyInAnyOrder("d-1", "d-2");
    assertThat(written).extracting(ConsumerRecord::key).containsOnly("call-7");
    assertThat(written).extracting(ConsumerRecord::value).containsOnly(BODY);
    assertThat(kafka.readAll(deliveries))
        .as("four deliveries taken, of two delivery ids")
        .hasSize(4);
  }
}
