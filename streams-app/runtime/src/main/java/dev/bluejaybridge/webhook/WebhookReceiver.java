package dev.bluejaybridge.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.bluejaybridge.http.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /webhooks/bluejay}: Bluejay's webhook deliveries (evaluations of calls and simulation
 * results) verified and produced, raw, to {@code topics.webhook-events}, keyed by the call or
 * result id, with the event type as a header. Closes the loop: evaluations flow back into Kafka.
 *
 * <ul>
 *   <li>{@code X-Bluejay-Signature}: HMAC-SHA256 of the raw body with the signing secret, hex, an
 *       optional {@code sha256=} prefix; compared in constant time; missing or wrong → 401;
 *   <li>{@code X-Bluejay-Delivery}: deliveries are at-least-once, so a delivery id seen in the last
 *       {@link #DEDUPE_FOR} is acknowledged without a second record (bounded Caffeine cache);
 *   <li>bodies over {@link #MAX_BODY_BYTES} → 413; the answer comes within Bluejay's 5 s budget: if
 *       Kafka does not acknowledge within {@link #PRODUCE_TIMEOUT}, 503 and Bluejay retries.
 * </ul>
 */
public final class WebhookReceiver implements HttpHandler {
  public static final String PATH = "/webhooks/bluejay";
  public static final String EVENT_HEADER = "bluejay.event.type";
  public static final String DELIVERY_HEADER = "bluejay.delivery.id";
  static final int MAX_BODY_BYTES = 1024 * 1024;
  static final Duration DEDUPE_FOR = Duration.ofHours(24);
  static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(3);

  private static final Logger LOGGER = LoggerFactory.getLogger(WebhookReceiver.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Supplier<Secret> signingSecret;
  private final Producer<String, byte[]> producer;
  private final String topic;
  private final Cache<String, Boolean> seen;

  public WebhookReceiver(
      Supplier<Secret> signingSecret,
      Producer<String, byte[]> producer,
      String topic,
      Ticker ticker) {
    this.signingSecret = signingSecret;
    this.producer = producer;
    this.topic = topic;
    this.seen =
        Caffeine.newBuilder()
            .maximumSize(100_000)
            .expireAfterWrite(DEDUPE_FOR)
            .ticker(ticker)
            .build();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        respond(exchange, 405, "only POST");
        return;
      }
      byte[] body = readAtMost(exchange.getRequestBody(), MAX_BODY_BYTES);
      if (body == null) {
        respond(exchange, 413, "body over " + MAX_BODY_BYTES + " bytes");
        return;
      }
      String signature = exchange.getRequestHeaders().getFirst("X-Bluejay-Signature");
      if (!validSignature(body, signature)) {
        LOGGER.warn("webhook refused: bad or missing signature");
        respond(exchange, 401, "bad signature");
        return;
      }
      String delivery = exchange.getRequestHeaders().getFirst("X-Bluejay-Delivery");
      if (delivery != null && seen.getIfPresent(delivery) != null) {
        LOGGER.info("webhook delivery already received delivery_id={}", delivery);
        respond(exchange, 200, "duplicate delivery");
        return;
      }
      JsonNode payload;
      try {
        payload = JSON.readTree(body);
      } catch (IOException e) {
        respond(exchange, 400, "body is not JSON");
        return;
      }
      String event = exchange.getRequestHeaders().getFirst("X-Bluejay-Event");
      if (event == null) {
        event = payload.path("type").asText("unknown");
      }
      String key = payload.hasNonNull("id") ? payload.get("id").asText() : null;
      ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, body);
      record.headers().add(EVENT_HEADER, event.getBytes(StandardCharsets.UTF_8));
      if (delivery != null) {
        record.headers().add(DELIVERY_HEADER, delivery.getBytes(StandardCharsets.UTF_8));
      }
      try {
        producer.send(record).get(PRODUCE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException | KafkaException e) {
        LOGGER.error(
            "webhook not stored; Bluejay will retry event={} error=\"{}\"", event, e.toString());
        respond(exchange, 503, "not stored, retry");
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        respond(exchange, 503, "interrupted");
        return;
      }
      if (delivery != null) {
        seen.put(delivery, Boolean.TRUE);
      }
      LOGGER.info("webhook stored event={} key={} delivery_id={}", event, key, delivery);
      respond(exchange, 200, "ok");
    }
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

  /** The body, or {@code null} when it is longer than {@code limit}. */
  private static byte[] readAtMost(InputStream in, int limit) throws IOException {
    byte[] bytes = in.readNBytes(limit + 1);
    return bytes.length > limit ? null : bytes;
  }

  private static void respond(HttpExchange exchange, int status, String message)
      throws IOException {
    byte[] bytes = ("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
