package dev.bluejaybridge.app;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.support.BridgeHarness;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.LogCapture;
import dev.bluejaybridge.testkit.TestCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, R7 (security), through the whole application on a real broker: (a) a call_id never
 * leaves {@code /v1/update-log/<one segment>}, whatever it holds; (b) TLS to Bluejay is verified: a
 * server whose certificate is not trusted gets nothing (the call waits in the outbox, the log names
 * the TLS failure) until {@code bluejay.truststore} trusts it; (c) the API key is in no log line.
 * (d), the webhook signature compare, is WebhookReceiverTest; the truststore's validation is
 * BluejayTlsTest.
 */
class SecurityIT {
  private static final String API_KEY = "bj-r7-key-3a6b0f52";
  private static final String STORE_PASSWORD = "r7-store-pass";
  private static KafkaTestCluster kafka;

  @TempDir Path dir;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = KafkaTestCluster.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  private static void produceCall(
      KafkaProducer<String, SpecificRecord> producer, BridgeHarness harness, String callId) {
    producer.send(
        new ProducerRecord<>(
            harness.topic("tool-calls"), callId, toolCall(callId, "lookup_order", 100).build()));
    producer.send(
        new ProducerRecord<>(harness.topic("events"), callId, endOfCall(callId, 900).build()));
  }

  @Test
  void callIdsThatLookLikePathsStayOneEncodedSegmentOfUpdateLog() throws Exception {
    // call_id -> the exact raw path Bluejay must see (RFC 3986 unreserved kept, all else %XX).
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("../../v1/simulation", "/v1/update-log/..%2F..%2Fv1%2Fsimulation");
    expected.put("a/b", "/v1/update-log/a%2Fb");
    expected.put("%2e%2e", "/v1/update-log/%252e%252e");
    expected.put("?x=1", "/v1/update-log/%3Fx%3D1");
    expected.put("#frag", "/v1/update-log/%23frag");
    expected.put("with space", "/v1/update-log/with%20space");
    expected.put("café ☎", "/v1/update-log/caf%C3%A9%20%E2%98%8E");
    expected.put("..", "/v1/update-log/%2E%2E");
    expected.put(".", "/v1/update-log/%2E");
    expected.put("a\\b;c", "/v1/update-log/a%5Cb%3Bc");
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = new BluejayStandIn();
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "r7a", 2, Map.of())) {
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");
      settings.put("call.end-grace", "500ms");
      try (BridgeApp app = harness.start(settings, new SimpleMeterRegistry());
          KafkaProducer<String, SpecificRecord> producer = harness.producer()) {
        expected.keySet().forEach(callId -> produceCall(producer, harness, callId));
        producer.flush();

        List<ConsumerRecord<String, String>> receipts =
            harness.awaitRecords("receipts", expected.size());

        assertThat(receipts)
            .extracting(ConsumerRecord::key)
            .containsExactlyInAnyOrderElementsOf(expected.keySet());
        List<String> urls = bluejay.requests().stream().map(r -> r.url()).toList();
        assertThat(urls)
            .as("the raw request URLs, no query, no other path")
            .containsExactlyInAnyOrderElementsOf(expected.values());
        assertThat(urls).allMatch(url -> url.matches("/v1/update-log/[^/?#]+"));
        bluejay.assertAllRequestsValid();
      }
      logs.assertNoneContains(API_KEY);
    }
  }

  @Test
  void untrustedTlsCertificateGetsNothingUntilTheTruststoreTrustsIt() throws Exception {
    TestCertificates certificates = TestCertificates.generate(dir, STORE_PASSWORD);
    try (LogCapture logs = LogCapture.start();
        BluejayStandIn bluejay = BluejayStandIn.https(certificates.keystore(), STORE_PASSWORD);
        BridgeHarness harness = BridgeHarness.create(kafka, dir, "r7b", 1, Map.of())) {
      Map<String, String> settings = harness.settings(bluejay, API_KEY, "state");
      settings.put("call.end-grace", "200ms");
      try (KafkaProducer<String, SpecificRecord> producer = harness.producer()) {
        try (BridgeApp refusing = harness.start(settings, new SimpleMeterRegistry())) {
          produceCall(producer, harness, "tls-1");
          producer.flush();

          // A refused handshake never reached Bluejay: delivery is held, probing, never
          // dead-letters.
          await("delivery held as unreachable after the refused handshake")
              .atMost(Duration.ofSeconds(120))
              .until(() -> refusing.dispatcher().unreachable());
          assertThat(refusing.dispatcher().unreachableReason()).contains("TLS handshake failed");
          assertThat(logs.containing("Bluejay cannot be reached"))
              .isNotEmpty()
              .allSatisfy(line -> assertThat(line).contains("TLS handshake failed"));
          assertThat(refusing.dispatcher().outboxSize()).as("the call waits").isEqualTo(1);
          assertThat(bluejay.requests()).as("nothing reached the server").isEmpty();
          assertThat(kafka.readAll(harness.topic("delivery-dlq"))).isEmpty();
        }

        settings.put("bluejay.truststore", certificates.truststore().toString());
        settings.put("bluejay.truststore-password", STORE_PASSWORD);
        try (BridgeApp trusting = harness.start(settings, new SimpleMeterRegistry())) {
          assertThat(harness.awaitRecords("receipts", 1))
              .extracting(ConsumerRecord::key)
              .containsExactly("tls-1");
          assertThat(bluejay.requestsTo("/v1/update-log/tls-1")).hasSize(1);
          assertThat(bluejay.requestsTo("/v1/update-log/tls-1").get(0).header("X-API-Key"))
              .contains(API_KEY);
          bluejay.assertAllRequestsValid();
        }
      }
      logs.assertNoneContains(API_KEY, STORE_PASSWORD);
    }
  }
}
