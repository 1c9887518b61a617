package dev.bluejaybridge.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.http.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code POST /webhooks/bluejay} does with a body that {@link WebhookServer} has read:
 * Bluejay's webhook deliveries (evaluations of calls and simulation results) verified and produced,
 * raw, to {@code topics.webhook-deliveries}, keyed by their {@code X-Bluejay-Delivery} id; {@link
 * DeliveryDedupe} then writes each delivery once to {@code topics.webhook-events}, keyed by the
 * call or result id. Closes the loop: evaluations flow back into Kafka.
 *
 * <ul>
 *   <li>{@code X-Bluejay-Signature}: HMAC-SHA256 of the raw body with the signing secret, hex, an
 *       optional {@code sha256=} prefix; compared in constant time; missing or wrong → 401;
 *   <li>{@code X-Bluejay-Delivery}: deliveries are at-least-once; this receiver remembers nothing,
 *       so that every instance and every restart agree: the record's key is the delivery id, and
 *       {@link DeliveryDedupe} drops a delivery id it has seen;
 *   <li>the answer comes within Bluejay's 5 s budget: if Kafka does not acknowledge within {@link
 *       #PRODUCE_TIMEOUT}, 503 and Bluejay retries (the retry is then deduplicated).
 * </ul>
 *
 * Transport (methods, body limit, timeouts) is {@link WebhookServer}'s.
 */
public final class WebhookReceiver {
  public static final String PATH = "/webhooks/bluejay";

  /** Header of both webhook topics: the event type. */
  public static final String EVENT_HEADER = "bluejay.event.type";

  /** Header of both webhook topics: the {@code X-Bluejay-Delivery} id, when sent. */
  public static final String DELIVERY_HEADER = "bluejay.delivery.id";

  /**
   * Header of {@code topics.webhook-deliveries} only: the key the event gets on {@code
   * topics.webhook-events} (the payload's {@code id}); absent when the payload has none.
   */
  public static final String EVENT_KEY_HEADER = "bluejay.event.key";

  static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(3);

  private static final Logger LOGGER = LoggerFactory.getLogger(WebhookReceiver.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An HTTP status and a short message for the JSON answer {@code {"message": ...}}. */
  public record Answer(int status, String message) {}

  private final Supplier<Secret> signingSecret;
  private final Producer<String, byte[]> producer;
  private final String topic;
  private final Clock clock;

  /**
   * @param topic {@code topics.webhook-deliveries}
   * @param clock the timestamp of the records (the time the delivery was received)
   */
  public WebhookReceiver(
      Supplier<Secret> signingSecret,
      Producer<String, byte[]> producer,
      String topic,
      Clock clock) {
    this.signingSecret = signingSecret;
    this.producer = producer;
    this.topic = topic;
    this.clock = clock;
  }

  /**
   * Verifies and stores one delivery. Blocks up to {@link #PRODUCE_TIMEOUT}.
   *
   * @param body the raw request body
   * @param header a request header by name (case-insensitive), or {@code null}
   */
  public Answer receive(byte[] body, Function<String, String> header) {
    String signature = header.apply("X-Bluejay-Signature");
    if (!validSignature(body, signature)) {
      LOGGER.warn("webhook refused: bad or missing signature");
      return new Answer(401, "bad signature");
    }
    JsonNode payload;
    try {
      payload = JSON.readTree(body);
    } catch (IOException e) {
      return new Answer(400, "body is not JSON");
    }
    if (payload == null || !payload.isObject()) {
      return new Answer(400, "body is not a JSON object");
    }
    String delivery = header.apply("X-Bluejay-Delivery");
    String event = header.apply("X-Bluejay-Event");
    if (event == null) {
      event = payload.path("type").asText("unknown");
    }
    String key = payload.hasNonNull("id") ? payload.get("id").asText() : null;
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(topic, null, clock.millis(), delivery, body);
    record.headers().add(EVENT_HEADER, event.getBytes(StandardCharsets.UTF_8));
    if (delivery != null) {
      record.headers().add(DELIVERY_HEADER, delivery.getBytes(StandardCharsets.UTF_8));
    }
    if (key != null) {
      record.headers().add(EVENT_KEY_HEADER, key.getBytes(StandardCharsets.UTF_8));
    }
    try {
      producer.send(record).get(PRODUCE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      LOGGER.error(
          "webhook not stored; Bluejay will retry event={} delivery_id={} error=\"{}\"",
          event,
          delivery,
          e.toString());
      return new Answer(503, "not stored, retry");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(503, "interrupted");
    }
    LOGGER.info("webhook received event={} key={} delivery_id={}", event, key, delivery);
    return new Answer(200, "ok");
  }

  /** True when {@code header} is the hex HMAC-SHA256 of {@code body}; compared in constant time. */
  boolean validSignature(byte[] body, String header) {
    if (header == null) {
      return false;
    }
    String hex = header.trim().toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256=")) {
      hex = hex.substring("sha256=".length());
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(hmac(body), given);
  }

  private byte[] hmac(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(
          new SecretKeySpec(
              signingSecret.get().reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
