package dev.bluejaybridge.dlq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.delivery.DeliveryPolicy;
import dev.bluejaybridge.delivery.DeliveryPolicy.Decision;
import dev.bluejaybridge.delivery.DeliveryRecords;
import dev.bluejaybridge.delivery.Dispatcher;
import dev.bluejaybridge.delivery.Outage;
import dev.bluejaybridge.delivery.Outcome;
import dev.bluejaybridge.delivery.RateShare;
import dev.bluejaybridge.delivery.ToolCallKeys;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Re-drives dead letters. Delivery DLQ records are sent to Bluejay again through the same client, a
 * rate limiter and the pipeline's own {@link DeliveryPolicy}, one at a time: backoff and {@code
 * Retry-After}, a 404 retried before it is given up, a simulated call checked at Bluejay before it
 * is posted (Bluejay appends, and the dead letter's POST may have arrived), a refused key stopping
 * the replay, and an outage ({@link Outage}: Bluejay unreachable, failing across dead letters, or
 * failing for one dead letter's every attempt with nothing else answered meanwhile, which a replay
 * that sends one at a time cannot tell from an outage) holding the replay (no attempt spent) for at
 * most the replay's patience. A success writes a receipt, a failure goes back to the delivery DLQ
 * with its new reason. Input DLQ records are re-published, raw, to their source topic. Each
 * replayed record gets a marker record in its DLQ, so a second replay skips it; a record the replay
 * stopped before gets none and stays as it was.
 */
public final class DlqReplayer {
  /** How the replayer waits (injected, so tests do not). */
  public interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  /**
   * What a replay did; {@code unchanged}: the dead letters left as they were because Bluejay could
   * not be reached.
   */
  public record Result(int delivered, int failed, int skipped, int republished, int unchanged) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Producer<byte[], byte[]> producer;
  private final BluejayClient client;
  private final RateShare rate;
  private final DeliveryPolicy policy;
  private final Sleeper sleeper;
  private final Clock clock;
  private final Duration patience;
  private final PrintWriter out;
  private final Outage outage = new Outage();

  /**
   * @param policy the pipeline's policy (with {@code delivery.max-attempts})
   * @param patience how long a replay waits for Bluejay to answer again while it cannot be reached,
   *     before it stops and leaves the rest as they are
   */
  public DlqReplayer(
      Producer<byte[], byte[]> producer,
      BluejayClient client,
      RateShare rate,
      DeliveryPolicy policy,
      Sleeper sleeper,
      Clock clock,
      Duration patience,
      PrintWriter out) {
    this.producer = producer;
    this.client = client;
    this.rate = rate;
    this.policy = policy;
    this.sleeper = sleeper;
    this.clock = clock;
    this.patience = patience;
    this.out = out;
  }

  /**
   * Re-sends delivery dead letters. When delivery is held ({@link Outage}) for {@code patience},
   * stops: that dead letter and the rest stay as they are ({@link Result#unchanged()}).
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
                ? "a late record cannot be sent alone (a POST would append it twice, a PUT would"
                    + " replace the call by a fragment)"
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
      Decision end = deliver(attempt);
      if (end instanceof Decision.Hold hold) {
        int unchanged = entries.size() - done + 1;
        out.printf(
            "[%d/%d] %s not sent: Bluejay cannot be reached or keeps failing (%s) and did not"
                + " answer for %d s; stopping, %d dead letters left unchanged%n",
            done, entries.size(), entry.callId(), hold.why(), patience.toSeconds(), unchanged);
        producer.flush();
        return new Result(delivered, failed, skipped, 0, unchanged);
      }
      if (end instanceof Decision.Delivered) {
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
        Decision.DeadLetter dead = (Decision.DeadLetter) end;
        failed++;
        String reason = dead.reason();
        RecordHeaders headers = new RecordHeaders();
        DeliveryRecords.headers(reason, attempt.getLastStatus(), attempt.getAttempts())
            .forEach(headers::add);
        headers.add(DlqEntry.REPLAY_OF_HEADER, entry.position().getBytes(StandardCharsets.UTF_8));
        send(
            new ProducerRecord<>(
                dlqTopic,
                null,
                key(entry),
                DeliveryRecords.deadLetter(attempt, reason, dead.refusal()),
                headers));
        mark(dlqTopic, entry, "failed");
        out.printf(
            "[%d/%d] %s failed again: %s, back in the DLQ%n",
            done, entries.size(), entry.callId(), reason);
      }
    }
    producer.flush();
    return new Result(delivered, failed, skipped, 0, 0);
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
    return new Result(0, 0, skipped, republished, 0);
  }

  /**
   * Attempts {@code attempt} until the policy says it is delivered or dead-lettered, waiting for
   * the rate limiter, a route's {@code Retry-After} and as the policy says between attempts; or
   * until delivery was held ({@link Outage}: Bluejay unreachable, failing across attempts, or
   * failing for this dead letter's last attempt with no other request answered since its first) for
   * {@code patience} (then the last {@link Decision.Hold}).
   *
   * @throws AuthException when Bluejay refuses the key
   */
  private Decision deliver(OutboxEntry attempt) throws InterruptedException {
    long heldSince = -1;
    int probes = 0;
    while (true) {
      Dispatcher.Mode mode = Dispatcher.mode(attempt);
      long routeWait = outage.routeNotBefore(Dispatcher.route(attempt, mode)) - clock.millis();
      if (routeWait > 0) {
        sleeper.sleep(routeWait);
      }
      while (!rate.tryAcquire()) {
        sleeper.sleep(25);
      }
      attempt.setAttempts(attempt.getAttempts() + 1);
      attempt.setLastAttemptAt(clock.millis());
      if (mode == Dispatcher.Mode.VERIFY) {
        attempt.setVerifyFirst(true);
      }
      Outcome outcome = Dispatcher.attempt(client, attempt, mode).get();
      DeliveryRecords.lastAnswer(attempt, outcome);
      long now = clock.millis();
      outage.observe(
          now,
          outcome,
          outcome instanceof Outcome.Failed failed
              ? Outage.route(failed.error().path())
              : Outage.Route.RETRIEVE_SIMULATION_RESULT,
          outcome instanceof Outcome.Failed failed
                  && failed.error() instanceof RetryableException retryable
              ? policy.backoff().retryAfterMillis(retryable.retryAfter())
              : 0);
      Decision decision =
          policy.decide(attempt, outcome, clock.instant(), outage.standing(attempt));
      if (decision instanceof Decision.Hold hold) {
        // Not held yet: the dead letter spent its attempts and nothing else was answered meanwhile
        // (a replay sends one at a time), so its fault and an outage look the same.
        boolean alone = !outage.held();
        outage.holdForCall(now, attempt.getCallId(), hold.why());
        attempt.setAttempts(attempt.getAttempts() - 1); // an outage is not the call's fault
        attempt.setVerifyFirst(hold.verifyFirst());
        if (heldSince < 0) {
          heldSince = now;
          String why =
              alone
                  ? attempt.getCallId()
                      + " keeps failing ("
                      + hold.why()
                      + ") and no other request got an answer meanwhile: Bluejay may be down, so"
                      + " it is not put back in the DLQ"
                  : "Bluejay is not taking requests (" + hold.why() + ")";
          out.printf("%s: holding, probing for up to %d s%n", why, patience.toSeconds());
          out.flush();
        }
        long left = heldSince + patience.toMillis() - now;
        if (left <= 0) {
          return hold;
        }
        sleeper.sleep(Math.min(left, DeliveryPolicy.probeInterval(probes++).toMillis()));
        continue;
      }
      if (heldSince >= 0) {
        out.printf("Bluejay answers again after %d s%n", (clock.millis() - heldSince) / 1000);
        heldSince = -1;
        probes = 0;
      }
      if (decision instanceof Decision.Pause pause) {
        throw pause.refusal();
      }
      if (decision instanceof Decision.CheckKey) {
        // A 403: the next attempt asks whether the key itself is refused.
        attempt.setAttempts(attempt.getAttempts() - 1);
        attempt.setKeyCheck(true);
        continue;
      }
      if (decision instanceof Decision.RetryAt retry) {
        attempt.setVerifyFirst(retry.verifyFirst());
        long wait = retry.at().toEpochMilli() - clock.millis();
        if (wait > 0) {
          sleeper.sleep(wait);
        }
        continue;
      }
      return decision;
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
          .setToolCallKeys(simulated ? ToolCallKeys.of(body) : List.of())
          // The dead letter's POST may have reached Bluejay, which appends: ask before posting,
          // unless Bluejay refused its last POST (http-<status>: every POST before that one whose
          // outcome was unknown had been checked and found absent).
          .setVerifyFirst(simulated && !refused(entry))
          .setEnqueuedAt(now)
          .setNextAttemptAt(now)
          .setFirstAttemptAt(now)
          .build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write request body", e);
    }
  }

  /** A dead letter whose last POST Bluejay refused ({@code http-<status>}): it was not applied. */
  private static boolean refused(DlqEntry entry) {
    return entry.reason() != null && entry.reason().startsWith("http-");
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
}
