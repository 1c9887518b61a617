package dev.bluejaybridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.ops.AdminServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookReceiverTest {
  private static final String SECRET = "whsec-test-secret";
  private static final String BODY =
      "{\"type\":\"observability_call_evaluated\",\"id\":\"call-42\",\"agent_id\":\"a-1\",\"status\":\"COMPLETED\"}";

  private final HttpClient http = HttpClient.newHttpClient();
  private final MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  private AdminServer server;

  @BeforeEach
  void start() {
    WebhookReceiver receiver =
        new WebhookReceiver(
            () -> Secret.of(SECRET), producer, "bluejay.webhook-events", Ticker.systemTicker());
    server =
        AdminServer.start(0, () -> true, () -> "", Map::of, Map.of(WebhookReceiver.PATH, receiver));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static String sign(String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  private HttpResponse<String> post(String body, String signature, String delivery)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + WebhookReceiver.PATH))
            .header("Content-Type", "application/json")
            .header("X-Bluejay-Event", "observability_call_evaluated")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (signature != null) {
      request.header("X-Bluejay-Signature", signature);
    }
    if (delivery != null) {
      request.header("X-Bluejay-Delivery", delivery);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aValidDeliveryBecomesOneRecordKeyedByIdWithItsEventType() throws Exception {
    HttpResponse<String> response = post(BODY, sign(BODY), "d-1");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.topic()).isEqualTo("bluejay.webhook-events");
              assertThat(record.key()).isEqualTo("call-42");
              assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo(BODY);
              assertThat(
                      new String(
                          record.headers().lastHeader(WebhookReceiver.EVENT_HEADER).value(),
                          StandardCharsets.UTF_8))
                  .isEqualTo("observability_call_evaluated");
            });
  }

  @Test
  void theSameDeliveryTwiceMakesOneRecord() throws Exception {
    assertThat(post(BODY, sign(BODY), "d-2").statusCode()).isEqualTo(200);
    assertThat(post(BODY, sign(BODY), "d-2").statusCode()).isEqualTo(200);

    assertThat(producer.history()).hasSize(1);
  }

  @Test
  void aPrefixedSignatureIsAccepted() throws Exception {
    assertThat(post(BODY, "sha256=" + sign(BODY), "d-3").statusCode()).isEqualTo(200);
    assertThat(producer.history()).hasSize(1);
  }

  @Test
  void aBadOrMissingSignatureIs401AndNoRecord() throws Exception {
    assertThat(post(BODY, sign(BODY + " "), "d-4").statusCode()).isEqualTo(401);
    assertThat(post(BODY, "not-hex", "d-5").statusCode()).isEqualTo(401);
    assertThat(post(BODY, null, "d-6").statusCode()).isEqualTo(401);

    assertThat(producer.history()).isEmpty();
  }

  @Test
  void anOversizeBodyIs413() throws Exception {
    String huge = "{\"id\":\"x\",\"pad\":\"" + "a".repeat(WebhookReceiver.MAX_BODY_BYTES) + "\"}";

    assertThat(post(huge, sign(huge), "d-7").statusCode()).isEqualTo(413);
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void aRecordKafkaDidNotTakeIs503SoBluejayRetriesAndTheDeliveryIsNotRemembered() throws Exception {
    producer.sendException = new org.apache.kafka.common.errors.TimeoutException("broker away");
    assertThat(post(BODY, sign(BODY), "d-8").statusCode()).isEqualTo(503);

    producer.sendException = null;
    assertThat(post(BODY, sign(BODY), "d-8").statusCode()).isEqualTo(200);
    assertThat(producer.history()).hasSize(1);
  }

  /**
   * Issue 7, R7 (d): the signature check compares the decoded HMAC bytes with {@code
   * MessageDigest.isEqual} (constant time since JDK 6u17), never as text or with an early exit. A
   * timing test would be flaky; this pins the behaviour at the edges and the comparison in the
   * source.
   */
  @Test
  void signatureIsComparedAsBytesInConstantTime() throws Exception {
    WebhookReceiver receiver =
        new WebhookReceiver(() -> Secret.of(SECRET), producer, "t", Ticker.systemTicker());
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    String good = sign(BODY);
    char firstFlipped = good.charAt(0) == '0' ? '1' : '0';
    char lastFlipped = good.charAt(good.length() - 1) == '0' ? '1' : '0';

    assertThat(receiver.validSignature(body, good)).isTrue();
    assertThat(receiver.validSignature(body, "sha256=" + good.toUpperCase())).isTrue();
    assertThat(receiver.validSignature(body, firstFlipped + good.substring(1))).isFalse();
    assertThat(receiver.validSignature(body, good.substring(0, good.length() - 1) + lastFlipped))
        .isFalse();
    assertThat(receiver.validSignature(body, good.substring(0, 62))).as("a prefix").isFalse();
    assertThat(receiver.validSignature(body, good + "00")).as("longer").isFalse();
    assertThat(receiver.validSignature(body, "")).isFalse();
    assertThat(receiver.validSignature(body, "zz" + good.substring(2))).as("not hex").isFalse();

    String source =
        java.nio.file.Files.readString(
            java.nio.file.Path.of("src/main/java/dev/bluejaybridge/webhook/WebhookReceiver.java"));
    int start = source.indexOf("boolean validSignature(");
    String method = source.substring(start, source.indexOf("\n  }\n", start));
    assertThat(method).contains("MessageDigest.isEqual(hmac(body), given)");
    assertThat(method)
        .as("no other comparison of the signature")
        .doesNotContain(".equals(", "Arrays.equals", "compareTo", "contentEquals", "mismatch(");
  }
}
