package dev.bluejaybridge.dlq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.delivery.Backoff;
import dev.bluejaybridge.delivery.DeliveryRecords;
import dev.bluejaybridge.delivery.RateShare;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Re-drives dead letters. Delivery DLQ records are sent to Bluejay again through the same client, a
 * rate limiter and the same error handling; a success writes a receipt, a failure goes back to the
 * delivery DLQ with its new reason. Input DLQ records are re-published, raw, to their source topic.
 * Each replayed record gets a marker record in its DLQ, so a second replay skips it.
 */
public final class DlqReplayer {
  /** How the replayer waits (injected, so tests do not). */
  public interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  /** What a replay did. */
  public record Result(int delivered, int failed, int skipped, int republished) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Producer<byte[], byte[]> producer;
  private final BluejayClient client;
  private final RateShare rate;
  private final Backoff backoff;
  private final Sleeper sleeper;
  private final Clock clock;
  private final int maxAttempts;
  private final PrintWriter out;

  public DlqReplayer(
      Producer<byte[], byte[]> producer,
      BluejayClient client,
      RateShare rate,
      Backoff backoff,
      Sleeper sleeper,
      Clock clock,
      int maxAttempts,
      PrintWriter out) {
    this.producer = producer;
    this.client = client;
    this.rate = rate;
    this.backoff = backoff;
    this.sleeper = sleeper;
    this.clock = clock;
    this.maxAttempts = maxAttempts;
    this.out = out;
  }

  /**
   * Re-sends delivery dead letters.
   *
   * @throws AuthException when Bluejay refuses the key: the remaining records stay as they are
   */
  public Result replayDelivery(
      List<DlqEntry> entries, String dlqTopic, Optional<String> receiptsTopic, boolean dryRun)
      throws InterruptedException {
    int delivered = 0;
    int failed = 0;
    int skipped = 0;
    int done = 0;
    for (DlqEntry entry : entries) {
      done++;
      JsonNode value = entry.value();
      JsonNode body = value.get("request_body");
      if (body == null || body.isNull() || body.has("late_record")) {
        out.printf(
            "[%d/%d] %s skipped: %s%n",
            done,
            entries.size(),
            entry.callId(),
            body != null && body.has("late_record")
                ? "a late record of a simulated call cannot be sent again (Bluejay appends)"
                : "no request body to send");
        skipped++;
        continue;
      }
      if (dryRun) {
        out.printf(
            "[%d/%d] %s would be sent again (%s)%n",
            done, entries.size(), entry.callId(), entry.source());
        continue;
      }
      OutboxEntry attempt = outboxEntry(entry, value, body);
      BluejayException error = send(attempt);
      if (error == null) {
        delivered++;
        mark(dlqTopic, entry, "delivered");
        receiptsTopic.ifPresent(
            topic ->
                send(
                    new ProducerRecord<>(
                        topic,
                        key(entry),
                        DeliveryRecords.receipt(
                            attempt,
                            200,
                            0,
                            clock.millis(),
                            attempt.getRequestBody().remaining()))));
        out.printf("[%d/%d] %s delivered%n", done, entries.size(), entry.callId());
      } else {
        failed++;
        String reason =
            error instanceof RejectedException ? "http-" + error.status() : "attempts-exhausted";
        attempt.setLastStatus(error.status() < 0 ? null : error.status());
        attempt.setLastResponseBody(error.responseBody());
        attempt.setLastError(error.getMessage());
        RecordHeaders headers = new RecordHeaders();
        DeliveryRecords.headers(reason, attempt.getLastStatus(), attempt.getAttempts())
            .forEach(headers::add);
        headers.add(DlqEntry.REPLAY_OF_HEADER, entry.position().getBytes(StandardCharsets.UTF_8));
        send(
            new ProducerRecord<>(
                dlqTopic,
                null,
                key(entry),
                DeliveryRecords.deadLetter(
                    attempt, reason, error instanceof RejectedException r ? r : null),
                headers));
        mark(dlqTopic, entry, "failed");
        out.printf(
            "[%d/%d] %s failed again: %s, back in the DLQ%n",
            done, entries.size(), entry.callId(), reason);
      }
    }
    producer.flush();
    return new Result(delivered, failed, skipped, 0);
  }

  /** Re-publishes input dead letters, raw, to the topics they came from. */
  public Result replayInput(List<DlqEntry> entries, String dlqTopic, boolean dryRun) {
    int republished = 0;
    int skipped = 0;
    int done = 0;
    for (DlqEntry entry : entries) {
      done++;
      String source = DlqEntry.header(entry.record(), "__streams.errors.topic");
      if (source == null) {
        out.printf(
            "[%d/%d] %s skipped: no source topic header%n", done, entries.size(), entry.position());
        skipped++;
        continue;
      }
      if (dryRun) {
        out.printf(
            "[%d/%d] %s would be re-published to %s%n",
            done, entries.size(), entry.position(), source);
        continue;
      }
      RecordHeaders headers = new RecordHeaders();
      for (Header header : entry.record().headers()) {
        if (!header.key().startsWith("__streams.errors.")
            && !header.key().startsWith("bridge.error.")) {
          headers.add(header);
        }
      }
      send(
          new ProducerRecord<>(
              source, null, entry.record().key(), entry.record().value(), headers));
      mark(dlqTopic, entry, "republished");
      republished++;
      out.printf("[%d/%d] %s re-published to %s%n", done, entries.size(), entry.position(), source);
    }
    producer.flush();
    return new Result(0, 0, skipped, republished);
  }

  /**
   * Sends one request, waiting for the rate limiter and retrying retryable failures; null on
   * success.
   */
  private BluejayException send(OutboxEntry attempt) throws InterruptedException {
    while (true) {
      while (!rate.tryAcquire()) {
        sleeper.sleep(25);
      }
      attempt.setAttempts(attempt.getAttempts() + 1);
      attempt.setLastAttemptAt(clock.millis());
      try {
        byte[] body = bytes(attempt.getRequestBody());
        if (attempt.getEndpoint() == Endpoint.UPDATE_LOG) {
          client.updateLog(attempt.getCallId(), body);
        } else {
          client.updateSimulationResult(body);
        }
        return null;
      } catch (AuthException e) {
        throw e;
      } catch (RetryableException e) {
        if (attempt.getAttempts() >= maxAttempts) {
          return e;
        }
        sleeper.sleep(backoff.delayMillis(attempt.getAttempts(), e.retryAfter()));
      } catch (BluejayException e) {
        return e;
      }
    }
  }

  private OutboxEntry outboxEntry(DlqEntry entry, JsonNode value, JsonNode body) {
    boolean simulated = "update-simulation-result".equals(value.path("endpoint").asText());
    long now = clock.millis();
    try {
      return OutboxEntry.newBuilder()
          .setCallId(entry.callId())
          .setRevision(0)
          .setEndpoint(simulated ? Endpoint.UPDATE_SIMULATION_RESULT : Endpoint.UPDATE_LOG)
          .setSimulationResultId(simulated ? body.path("simulation_result_id").asText() : null)
          .setRequestBody(ByteBuffer.wrap(JSON.writeValueAsBytes(body)))
          .setEnqueuedAt(now)
          .setNextAttemptAt(now)
          .setFirstAttemptAt(now)
          .build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write request body", e);
    }
  }

  private void mark(String dlqTopic, DlqEntry entry, String outcome) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(DlqEntry.REPLAY_OF_HEADER, entry.position().getBytes(StandardCharsets.UTF_8));
    headers.add("bridge.replay.outcome", outcome.getBytes(StandardCharsets.UTF_8));
    send(new ProducerRecord<>(dlqTopic, null, key(entry), null, headers));
  }

  private void send(ProducerRecord<byte[], byte[]> record) {
    try {
      producer.send(record).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot write to " + record.topic() + ": " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted writing to " + record.topic(), e);
    }
  }

  private static byte[] key(DlqEntry entry) {
    return entry.callId() == null ? null : entry.callId().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
