package dev.bluejaybridge.delivery;

import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.aggregate.Keys;
import dev.bluejaybridge.aggregate.LateRecord;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The delivery stage of one task. A closed call becomes an {@link OutboxEntry} in changelogged
 * state, in the same transaction as the aggregation's close, and stays there until Bluejay took it
 * (a receipt is written) or it is dead-lettered (a delivery DLQ record is written), each in the
 * transaction that removes the entry.
 *
 * <p>A wall-clock punctuation every {@link #TICK} first applies the outcomes that HTTP threads
 * reported since the last cycle, then starts new attempts for due entries while an in-flight slot
 * and rate-share token are free. The stream thread never waits on the network.
 *
 * <p>A POST to update-simulation-result is not sent until the state that records it as in flight is
 * committed: the attempt is staged, a commit is requested, and the next cycle sends it. Bluejay
 * appends what it is posted, so after a crash the restored entry must say that a POST may have gone
 * out, and is checked with Bluejay before it is posted again. (A PUT to update-log replaces, so it
 * goes at once.)
 */
final class OutboxProcessor implements Processor<String, CallUpdate, String, byte[]> {
  static final Duration TICK = Duration.ofMillis(25);

  private static final Logger LOGGER = LoggerFactory.getLogger(OutboxProcessor.class);
  private static final String CALL_ID = "call_id";
  private static final byte[] NOTHING = new byte[0];

  private final Dispatcher dispatcher;
  private final DeliverySettings settings;
  private final DeliveryPolicy policy;
  private final DeliveryMetrics metrics;
  private final Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();

  /** call_id → the attempt number in flight, for this task's calls (read by a draining thread). */
  private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();

  /**
   * enqueued_at → entries, for the outbox size and oldest-age gauges (read by the metrics thread).
   */
  private final ConcurrentSkipListMap<Long, Integer> enqueued = new ConcurrentSkipListMap<>();

  /** Simulated-call attempts marked in flight, sent once that mark is committed. */
  private final List<String> staged = new ArrayList<>();

  private final AtomicInteger size = new AtomicInteger();
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, OutboxEntry> outbox;
  private KeyValueStore<Bytes, byte[]> due;
  private int partition = -1;

  OutboxProcessor(
      Dispatcher dispatcher, DeliverySettings settings, Backoff backoff, DeliveryMetrics metrics) {
    this.dispatcher = dispatcher;
    this.settings = settings;
    this.policy = new DeliveryPolicy(settings.maxAttempts(), backoff);
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.outbox = context.getStateStore(DeliveryStores.OUTBOX);
    this.due = context.getStateStore(DeliveryStores.OUTBOX_DUE);
    this.partition = context.taskId().partition();
    dispatcher.rate().partitionAssigned(partition);
    try (KeyValueIterator<String, OutboxEntry> it = outbox.all()) {
      it.forEachRemaining(entry -> track(entry.value.getEnqueuedAt(), 1));
    }
    dispatcher.register(this);
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, this::cycle);
  }

  int size() {
    return size.get();
  }

  /** The enqueue time of this task's oldest entry, or {@code Long.MAX_VALUE} when empty. */
  long oldestEnqueuedAt() {
    Map.Entry<Long, Integer> first = enqueued.firstEntry();
    return first == null ? Long.MAX_VALUE : first.getKey();
  }

  private void track(long enqueuedAt, int delta) {
    size.addAndGet(delta);
    enqueued.compute(
        enqueuedAt,
        (at, count) -> {
          int next = (count == null ? 0 : count) + delta;
          return next <= 0 ? null : next;
        });
  }

  /** No attempt of this task in flight and no outcome waiting to be applied. */
  boolean settled() {
    return inFlight.isEmpty() && outcomes.isEmpty();
  }

  @Override
  public void close() {
    // Outcomes of requests still in flight are dropped: the entries stay in the outbox, and whoever
    // owns the partition next sends them again.
    unstage();
    dispatcher.unregister(this);
    dispatcher.rate().partitionRevoked(partition);
  }

  @Override
  public void process(Record<String, CallUpdate> record) {
    try (MDC.MDCCloseable field = MDC.putCloseable(CALL_ID, record.key())) {
      take(record);
    }
  }

  private void take(Record<String, CallUpdate> record) {
    long now = context.currentSystemTimeMs();
    if (record.value() instanceof ClosedCall call) {
      enqueue(call, now);
    } else if (record.value() instanceof LateRecord late) {
      LOGGER.warn(
          "late record of a delivered simulated call dead-lettered call_id={} simulation_result_id={}",
          late.callId(),
          late.simulationResultId());
      metrics.deadLettered("late");
      context.forward(
          new Record<>(
              late.callId(),
              DeliveryRecords.lateRecord(late.simulationResultId(), late.record().toString(), now),
              now,
              DeliveryRecords.headers("late", null, 0)),
          DeliveryTopology.DLQ_SINK);
    }
  }

  private void enqueue(ClosedCall call, long now) {
    OutboxEntry previous = outbox.get(call.callId());
    if (previous != null) {
      // A newer revision of a production call replaces the pending one: PUT replaces the whole log.
      due.delete(Keys.timer(previous.getNextAttemptAt(), previous.getCallId()));
      track(previous.getEnqueuedAt(), -1);
    }
    boolean simulated = call.simulated();
    byte[] body =
        simulated
            ? Payloads.updateSimulationBody(call)
            : Payloads.updateLogBody(call, settings.reevaluate());
    if (body.length > DeliveryStores.MAX_REQUEST_BYTES) {
      LOGGER.warn(
          "call too large to deliver call_id={} request_bytes={} limit={}",
          call.callId(),
          body.length,
          DeliveryStores.MAX_REQUEST_BYTES);
      metrics.deadLettered("request-too-large");
      context.forward(
          new Record<>(
              call.callId(),
              DeliveryRecords.tooLarge(call, simulated, body.length, now),
              now,
              DeliveryRecords.headers("request-too-large", null, 0)),
          DeliveryTopology.DLQ_SINK);
      return;
    }
    OutboxEntry entry =
        OutboxEntry.newBuilder()
            .setCallId(call.callId())
            .setRevision(call.revision())
            .setEndpoint(simulated ? Endpoint.UPDATE_SIMULATION_RESULT : Endpoint.UPDATE_LOG)
            .setSimulationResultId(call.simulationResultId())
            .setRequestBody(ByteBuffer.wrap(body))
            .setToolCallKeys(ToolCallKeys.of(call))
            .setEnqueuedAt(now)
            .setAttempts(0)
            .setNextAttemptAt(now)
            .build();
    outbox.put(call.callId(), entry);
    due.put(Keys.timer(now, call.callId()), NOTHING);
    track(now, 1);
  }

  private void cycle(long now) {
    Outcome outcome;
    while ((outcome = outcomes.poll()) != null) {
      apply(outcome, now);
    }
    if (dispatcher.draining() || dispatcher.paused()) {
      unstage();
      return;
    }
    sendStaged(); // their in-flight marks were committed after the last cycle
    dispatchDue(now);
  }

  private void sendStaged() {
    for (String callId : staged) {
      OutboxEntry entry = outbox.get(callId);
      if (entry == null || !Integer.valueOf(entry.getAttempts()).equals(inFlight.get(callId))) {
        inFlight.remove(callId);
        dispatcher.release();
        continue;
      }
      dispatcher.send(entry, false, outcomes::add);
    }
    staged.clear();
  }

  /**
   * Drops the staged attempts: their entries say "in flight", so they are checked before a POST.
   */
  private void unstage() {
    for (String callId : staged) {
      inFlight.remove(callId);
      dispatcher.release();
    }
    staged.clear();
  }

  private void dispatchDue(long now) {
    List<Bytes> candidates = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = due.range(Keys.firstTimer(), Keys.timersDueBy(now))) {
      while (it.hasNext() && candidates.size() < settings.maxInFlight() * 4) {
        Bytes key = it.next().key;
        if (!inFlight.containsKey(Keys.timerCallId(key))) {
          candidates.add(key);
        }
      }
    }
    for (Bytes key : candidates) {
      String callId = Keys.timerCallId(key);
      OutboxEntry entry = outbox.get(callId);
      if (entry == null || entry.getNextAttemptAt() != Keys.timerDueAt(key)) {
        due.delete(key); // left behind by an entry that moved or went
        continue;
      }
      if (!dispatcher.tryAcquire(now)) {
        return;
      }
      start(entry, now);
    }
  }

  private void start(OutboxEntry entry, long now) {
    // A POST whose outcome is unknown (timeout, or a crash before it was recorded) may have reached
    // Bluejay, which appends: ask first.
    boolean verifyFirst =
        entry.getEndpoint() == Endpoint.UPDATE_SIMULATION_RESULT
            && (entry.getVerifyFirst() || entry.getInFlightSince() != null);
    // kept until a check settles it: a check that fails (503, 429) must not be followed by a POST
    entry.setVerifyFirst(verifyFirst);
    entry.setAttempts(entry.getAttempts() + 1);
    entry.setInFlightSince(now);
    entry.setLastAttemptAt(now);
    if (entry.getFirstAttemptAt() == null) {
      entry.setFirstAttemptAt(now);
    }
    outbox.put(entry.getCallId(), entry);
    inFlight.put(entry.getCallId(), entry.getAttempts());
    if (entry.getEndpoint() == Endpoint.UPDATE_SIMULATION_RESULT && !verifyFirst) {
      staged.add(entry.getCallId());
      context.commit();
      return;
    }
    dispatcher.send(entry, verifyFirst, outcomes::add);
  }

  private void apply(Outcome outcome, long now) {
    try (MDC.MDCCloseable field = MDC.putCloseable(CALL_ID, outcome.callId())) {
      applyOutcome(outcome, now);
    }
  }

  private void applyOutcome(Outcome outcome, long now) {
    String callId = outcome.callId();
    if (DeliveryPolicy.neverArrived(outcome)) {
      dispatcher.connectionFailed(now, ((Outcome.Failed) outcome).error().getMessage());
    } else if (!(outcome instanceof Outcome.Crashed) && !noAnswer(outcome)) {
      dispatcher.answered(now);
    }
    if (Integer.valueOf(outcome.attempt()).equals(inFlight.get(callId))) {
      inFlight.remove(callId);
    }
    OutboxEntry entry = outbox.get(callId);
    if (entry == null
        || entry.getRevision() != outcome.revision()
        || entry.getAttempts() != outcome.attempt()) {
      LOGGER.debug("stale outcome ignored call_id={} attempt={}", callId, outcome.attempt());
      return;
    }
    entry.setInFlightSince(null);
    record(entry, outcome);
    DeliveryPolicy.Decision decision = policy.decide(entry, outcome, Instant.ofEpochMilli(now));
    if (decision instanceof DeliveryPolicy.Decision.Delivered delivered) {
      delivered(entry, delivered.status(), delivered.latencyMs(), delivered.requestBytes(), now);
    } else if (decision instanceof DeliveryPolicy.Decision.RetryAt retry) {
      entry.setVerifyFirst(retry.verifyFirst());
      moveDue(entry, retry.at().toEpochMilli());
      outbox.put(entry.getCallId(), entry);
    } else if (decision instanceof DeliveryPolicy.Decision.Hold) {
      // Never arrived: an outage is not the call's fault. The call waits, held with all others,
      // and goes again when a probe gets through.
      entry.setAttempts(entry.getAttempts() - 1);
      reschedule(entry, now);
    } else if (decision instanceof DeliveryPolicy.Decision.Pause pause) {
      dispatcher.pause(now, pause.refusal().getMessage());
      entry.setAttempts(
          entry.getAttempts() - 1); // not the call's fault: the attempt does not count
      reschedule(entry, now);
    } else if (decision instanceof DeliveryPolicy.Decision.DeadLetter dead) {
      deadLetter(entry, dead.reason(), dead.refusal(), now);
    }
  }

  /** Counts the attempt and keeps what Bluejay answered on the entry, for the DLQ record. */
  private void record(OutboxEntry entry, Outcome outcome) {
    DeliveryRecords.lastAnswer(entry, outcome);
    String endpoint = DeliveryRecords.endpointName(entry.getEndpoint());
    if (outcome instanceof Outcome.Delivered delivered) {
      metrics.attempt(endpoint, "delivered", delivered.latencyMs());
    } else if (outcome instanceof Outcome.AlreadyThere there) {
      metrics.attempt(endpoint, "already-delivered", there.latencyMs());
    } else if (outcome instanceof Outcome.NotThere) {
      metrics.attempt(endpoint, "verified-absent", -1);
    } else if (outcome instanceof Outcome.Failed failed) {
      BluejayException error = failed.error();
      metrics.attempt(endpoint, outcomeName(error), -1);
      if (error instanceof RetryableException retryable && !retryable.notConnected()) {
        LOGGER.info(
            "delivery attempt failed, will retry call_id={} attempt={} error=\"{}\"",
            entry.getCallId(),
            entry.getAttempts(),
            error.getMessage());
      }
    } else if (outcome instanceof Outcome.Crashed crashed) {
      metrics.attempt(endpoint, "error", -1);
      LOGGER.error(
          "delivery attempt failed unexpectedly call_id={}", entry.getCallId(), crashed.error());
    }
  }

  /**
   * No HTTP answer came (a timeout or a broken connection), though the request may have arrived.
   */
  private static boolean noAnswer(Outcome outcome) {
    return outcome instanceof Outcome.Failed failed && failed.error().status() < 0;
  }

  private static String outcomeName(BluejayException error) {
    if (error instanceof AuthException) {
      return "auth-refused";
    }
    if (error instanceof RetryableException retryable && retryable.notConnected()) {
      return "unreachable";
    }
    return error instanceof RetryableException ? "retry" : "rejected";
  }

  private void reschedule(OutboxEntry entry, long now) {
    moveDue(entry, now);
    outbox.put(entry.getCallId(), entry);
  }

  private void moveDue(OutboxEntry entry, long at) {
    due.delete(Keys.timer(entry.getNextAttemptAt(), entry.getCallId()));
    due.put(Keys.timer(at, entry.getCallId()), NOTHING);
    entry.setNextAttemptAt(at);
  }

  private void delivered(
      OutboxEntry entry, int status, long latencyMs, int requestBytes, long now) {
    remove(entry);
    LOGGER.debug(
        "delivered call_id={} endpoint={} attempts={} latency_ms={}",
        entry.getCallId(),
        DeliveryRecords.endpointName(entry.getEndpoint()),
        entry.getAttempts(),
        latencyMs);
    if (settings.receiptsEnabled()) {
      context.forward(
          new Record<>(
              entry.getCallId(),
              DeliveryRecords.receipt(entry, status, latencyMs, now, requestBytes),
              now),
          DeliveryTopology.RECEIPTS_SINK);
    }
  }

  private void deadLetter(OutboxEntry entry, String reason, RejectedException rejected, long now) {
    remove(entry);
    metrics.deadLettered(reason);
    LOGGER.warn(
        "call dead-lettered call_id={} reason={} status={} attempts={}",
        entry.getCallId(),
        reason,
        entry.getLastStatus(),
        entry.getAttempts());
    context.forward(
        new Record<>(
            entry.getCallId(),
            DeliveryRecords.deadLetter(entry, reason, rejected),
            now,
            DeliveryRecords.headers(reason, entry.getLastStatus(), entry.getAttempts())),
        DeliveryTopology.DLQ_SINK);
  }

  private void remove(OutboxEntry entry) {
    due.delete(Keys.timer(entry.getNextAttemptAt(), entry.getCallId()));
    outbox.delete(entry.getCallId());
    track(entry.getEnqueuedAt(), -1);
  }
}
