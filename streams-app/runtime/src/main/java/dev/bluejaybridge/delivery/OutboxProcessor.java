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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
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
 * transaction that removes the entry. Whatever cannot become an entry is dead-lettered whole in
 * that same transaction: a call whose body cannot be built ({@code unserializable}) or is too large
 * ({@code request-too-large}), a record that came too late to be sent ({@code late}). A record is
 * always built before the state it reports on changes, so a failure to build one leaves the state
 * as it was; any other failure fails the task (and exactly-once rolls it all back).
 *
 * <p>A newer revision of a call (late records reopened and closed it again): a production call's
 * whole log is put again (a pending entry is replaced: PUT replaces the whole log); a simulated
 * call's pending entry is replaced by the whole call only while no POST of it can have gone out,
 * otherwise the records that came since the last close are dead-lettered as {@code late} (Bluejay
 * appends: a second POST would double the call).
 *
 * <p>A wall-clock punctuation every {@link #TICK} first applies the outcomes that HTTP threads
 * reported since the last cycle, then starts new attempts for due entries while an in-flight slot
 * and rate-share token are free. The stream thread never waits on the network.
 *
 * <p>A POST to update-simulation-result is not sent until the state that records it as in flight is
 * committed: the attempt is staged, and a later cycle sends it once the stream thread's commit
 * count ({@link CommitWatch}) shows a commit went through: the thread's next regular commit ({@code
 * kafka.commit.interval.ms}; Kafka Streams skips commits during a rebalance), which carries the
 * marks of every POST staged meanwhile. Bluejay appends what it is posted, so after a crash or a
 * rebalance the restored entry must say that a POST may have gone out, and is checked with Bluejay
 * before it is posted again. (A PUT to update-log replaces, so it goes at once.)
 */
final class OutboxProcessor implements Processor<String, CallUpdate, String, byte[]> {
  static final Duration TICK = Duration.ofMillis(25);

  private static final Logger LOGGER = LoggerFactory.getLogger(OutboxProcessor.class);
  private static final String CALL_ID = "call_id";
  private static final byte[] NOTHING = new byte[0];

  /** A simulated-call attempt marked in flight, sent once that mark is surely committed. */
  private record Staged(String callId, long commitsBefore, long refusalsBefore) {}

  private final Dispatcher dispatcher;
  private final DeliverySettings settings;
  private final DeliveryPolicy policy;
  private final DeliveryMetrics metrics;
  private final Function<ProcessorContext<?, ?>, CommitWatch> commitWatches;
  private final Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();

  /** call_id → the attempt number in flight, for this task's calls (read by a draining thread). */
  private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();

  /**
   * enqueued_at → entries, for the outbox size and oldest-age gauges (read by the metrics thread).
   */
  private final ConcurrentSkipListMap<Long, Integer> enqueued = new ConcurrentSkipListMap<>();

  private final List<Staged> staged = new ArrayList<>();

  private final AtomicInteger size = new AtomicInteger();
  private ProcessorContext<String, byte[]> context;
  private CommitWatch commits;
  private KeyValueStore<String, OutboxEntry> outbox;
  private KeyValueStore<Bytes, byte[]> due;
  private int partition = -1;

  OutboxProcessor(
      Dispatcher dispatcher, DeliverySettings settings, Backoff backoff, DeliveryMetrics metrics) {
    this(dispatcher, settings, backoff, metrics, c -> CommitWatch.threadMetric(c.metrics()));
  }

  OutboxProcessor(
      Dispatcher dispatcher,
      DeliverySettings settings,
      Backoff backoff,
      DeliveryMetrics metrics,
      Function<ProcessorContext<?, ?>, CommitWatch> commitWatches) {
    this.dispatcher = dispatcher;
    this.settings = settings;
    this.policy = new DeliveryPolicy(settings.maxAttempts(), backoff);
    this.metrics = metrics;
    this.commitWatches = commitWatches;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.commits = commitWatches.apply(context);
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
    // owns the partition next sends them again (a simulated call's is checked first).
    unstage(false);
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
      accept(call, now);
    } else if (record.value() instanceof LateRecord late) {
      LOGGER.warn(
          "late record of a delivered call dead-lettered call_id={} simulation_result_id={}",
          late.callId(),
          late.simulationResultId());
      lateRecord(late.callId(), late.simulationResultId(), late.record(), now);
    }
  }

  /** A closed call, or a newer revision of one. */
  private void accept(ClosedCall call, long now) {
    OutboxEntry previous = outbox.get(call.callId());
    if (!call.simulated() || (previous != null && neverSent(previous))) {
      // Production: PUT replaces the whole log, so the whole call goes (again). Simulated and not
      // posted yet: the queued POST takes the whole call instead.
      enqueue(call, previous, now);
    } else if (call.revision() == 0 && previous == null) {
      enqueue(call, null, now);
    } else {
      // A POST of this call may have reached Bluejay (it is in flight, was attempted, delivered or
      // dead-lettered): what came since the last close cannot be posted without doubling the rest.
      List<SpecificRecord> late =
          call.revision() > 0 ? call.stragglers() : allRecords(call); // revision 0 twice: all of it
      LOGGER.warn(
          "records of a simulated call that may have been posted already dead-lettered as late"
              + " call_id={} revision={} records={}",
          call.callId(),
          call.revision(),
          late.size());
      for (SpecificRecord record : late) {
        lateRecord(call.callId(), call.simulationResultId(), record, now);
      }
    }
  }

  private static List<SpecificRecord> allRecords(ClosedCall call) {
    List<SpecificRecord> all = new ArrayList<>(call.size());
    all.addAll(call.toolCalls());
    all.addAll(call.events());
    all.addAll(call.transcript());
    return all;
  }

  /**
   * True when no attempt of {@code entry} can have reached Bluejay with a POST: none counts (those
   * that surely never arrived or were refused for the key are given back), none is in flight or
   * staged, and none left an unknown outcome.
   */
  private boolean neverSent(OutboxEntry entry) {
    return entry.getAttempts() == 0
        && entry.getInFlightSince() == null
        && !entry.getVerifyFirst()
        && !inFlight.containsKey(entry.getCallId());
  }

  private void lateRecord(
      String callId, String simulationResultId, SpecificRecord record, long now) {
    byte[] value = DeliveryRecords.lateRecord(callId, simulationResultId, record, now);
    metrics.deadLettered("late");
    context.forward(
        new Record<>(callId, value, now, DeliveryRecords.headers("late", null, 0)),
        DeliveryTopology.DLQ_SINK);
  }

  /** The whole call becomes the entry, replacing {@code previous} (a pending older revision). */
  private void enqueue(ClosedCall call, OutboxEntry previous, long now) {
    boolean simulated = call.simulated();
    byte[] body;
    try {
      body =
          simulated
              ? Payloads.updateSimulationBody(call)
              : Payloads.updateLogBody(call, settings.reevaluate());
    } catch (RuntimeException | StackOverflowError e) {
      // e.g. tool-call parameters nested deeper than the JSON writer takes: they passed validation
      // one by one, but the body cannot be written. The call goes to the DLQ whole, with its
      // records, never silently.
      byte[] value = DeliveryRecords.unserializable(call, e, now);
      LOGGER.warn(
          "call cannot be written as a request body, dead-lettered call_id={} revision={}"
              + " records={} error=\"{}\"",
          call.callId(),
          call.revision(),
          call.size(),
          DeliveryRecords.describe(e));
      drop(previous);
      metrics.deadLettered("unserializable");
      context.forward(
          new Record<>(
              call.callId(), value, now, DeliveryRecords.headers("unserializable", null, 0)),
          DeliveryTopology.DLQ_SINK);
      return;
    }
    if (body.length > DeliveryStores.MAX_REQUEST_BYTES) {
      byte[] value = DeliveryRecords.tooLarge(call, simulated, body.length, now);
      LOGGER.warn(
          "call too large to deliver call_id={} request_bytes={} limit={}",
          call.callId(),
          body.length,
          DeliveryStores.MAX_REQUEST_BYTES);
      drop(previous);
      metrics.deadLettered("request-too-large");
      context.forward(
          new Record<>(
              call.callId(), value, now, DeliveryRecords.headers("request-too-large", null, 0)),
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
    drop(previous);
    outbox.put(call.callId(), entry);
    due.put(Keys.timer(now, call.callId()), NOTHING);
    track(now, 1);
  }

  /** Removes a pending older revision that a newer one supersedes (or that went to the DLQ). */
  private void drop(OutboxEntry previous) {
    if (previous != null) {
      remove(previous);
    }
  }

  private void cycle(long now) {
    Outcome outcome;
    while ((outcome = outcomes.poll()) != null) {
      apply(outcome, now);
    }
    if (dispatcher.draining()) {
      unstage(true);
      return;
    }
    sendStaged();
    dispatchDue(now);
  }

  /** Sends the staged POSTs whose in-flight marks are committed by now. */
  private void sendStaged() {
    Iterator<Staged> it = staged.iterator();
    while (it.hasNext()) {
      Staged attempt = it.next();
      String callId = attempt.callId();
      OutboxEntry entry = outbox.get(callId);
      if (entry == null || !Integer.valueOf(entry.getAttempts()).equals(inFlight.get(callId))) {
        it.remove();
        inFlight.remove(callId);
        dispatcher.release();
      } else if (dispatcher.refusals() != attempt.refusalsBefore() || dispatcher.keyRefused()) {
        // The key was refused since: not with this key.
        it.remove();
        cancel(entry);
      } else if (commits.committedSince(attempt.commitsBefore())) {
        it.remove();
        dispatcher.send(entry, Dispatcher.Mode.SEND, outcomes::add);
      }
      // else no commit went through yet: the POST waits for the thread's next regular commit
    }
  }

  /**
   * Drops the staged attempts; with {@code clearMarks}, their entries no longer say "in flight" (no
   * POST went out), so they are not checked before they are posted.
   */
  private void unstage(boolean clearMarks) {
    for (Staged attempt : staged) {
      OutboxEntry entry = clearMarks ? outbox.get(attempt.callId()) : null;
      if (entry != null
          && Integer.valueOf(entry.getAttempts()).equals(inFlight.get(attempt.callId()))) {
        cancel(entry);
      } else {
        inFlight.remove(attempt.callId());
        dispatcher.release();
      }
    }
    staged.clear();
  }

  /** A staged POST that will not go out: the attempt is given back, the entry waits. */
  private void cancel(OutboxEntry entry) {
    inFlight.remove(entry.getCallId());
    dispatcher.release();
    entry.setInFlightSince(null);
    entry.setAttempts(entry.getAttempts() - 1);
    outbox.put(entry.getCallId(), entry);
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
      Dispatcher.Mode mode = Dispatcher.mode(entry);
      if (!dispatcher.routeOpen(Dispatcher.route(entry, mode), now)) {
        continue; // a Retry-After slows every call of this route
      }
      if (!dispatcher.tryAcquire(now)) {
        return;
      }
      start(entry, mode, now);
    }
  }

  private void start(OutboxEntry entry, Dispatcher.Mode mode, long now) {
    if (mode == Dispatcher.Mode.VERIFY) {
      // kept until a check settles it: a check that fails (503, 429) must not be followed by a POST
      entry.setVerifyFirst(true);
    }
    entry.setAttempts(entry.getAttempts() + 1);
    entry.setInFlightSince(now);
    entry.setLastAttemptAt(now);
    if (entry.getFirstAttemptAt() == null) {
      entry.setFirstAttemptAt(now);
    }
    outbox.put(entry.getCallId(), entry);
    inFlight.put(entry.getCallId(), entry.getAttempts());
    if (entry.getEndpoint() == Endpoint.UPDATE_SIMULATION_RESULT && mode == Dispatcher.Mode.SEND) {
      // No commit is asked for: one regular commit (kafka.commit.interval.ms) carries the marks of
      // every POST staged meanwhile. A commit asked per POST blocked the stream thread ~35 % of
      // P1 (issue 14).
      staged.add(new Staged(entry.getCallId(), commits.commits(), dispatcher.refusals()));
      return;
    }
    dispatcher.send(entry, mode, outcomes::add);
  }

  private void apply(Outcome outcome, long now) {
    try (MDC.MDCCloseable field = MDC.putCloseable(CALL_ID, outcome.callId())) {
      applyOutcome(outcome, now);
    }
  }

  private void applyOutcome(Outcome outcome, long now) {
    String callId = outcome.callId();
    if (Integer.valueOf(outcome.attempt()).equals(inFlight.get(callId))) {
      inFlight.remove(callId);
    }
    dispatcher.observe(now, outcome, route(outcome), retryAfterMillis(outcome));
    OutboxEntry entry = outbox.get(callId);
    if (entry == null
        || entry.getRevision() != outcome.revision()
        || entry.getAttempts() != outcome.attempt()) {
      LOGGER.debug("stale outcome ignored call_id={} attempt={}", callId, outcome.attempt());
      return;
    }
    entry.setInFlightSince(null);
    record(entry, outcome);
    DeliveryPolicy.Decision decision =
        policy.decide(
            entry, outcome, Instant.ofEpochMilli(now), dispatcher.outage().standing(entry));
    if (decision instanceof DeliveryPolicy.Decision.Delivered delivered) {
      delivered(entry, delivered.status(), delivered.latencyMs(), delivered.requestBytes(), now);
    } else if (decision instanceof DeliveryPolicy.Decision.RetryAt retry) {
      entry.setVerifyFirst(retry.verifyFirst());
      moveDue(entry, retry.at().toEpochMilli());
      outbox.put(entry.getCallId(), entry);
    } else if (decision instanceof DeliveryPolicy.Decision.Hold hold) {
      // An outage is not the call's fault (and on its last attempt, with no other call answered
      // since its first, the call cannot be told from one). The call waits, held with all others,
      // and goes again when a probe gets an answer.
      dispatcher.outage().holdForCall(now, callId, hold.why());
      entry.setVerifyFirst(hold.verifyFirst());
      entry.setAttempts(entry.getAttempts() - 1);
      reschedule(entry, now);
    } else if (decision instanceof DeliveryPolicy.Decision.Pause pause) {
      dispatcher.pause(
          now,
          pause.refusal().getMessage(),
          entry.getLastAttemptAt() == null ? now : entry.getLastAttemptAt());
      entry.setKeyCheck(false); // not the call's fault: it goes again as it was
      entry.setAttempts(entry.getAttempts() - 1);
      reschedule(entry, now);
    } else if (decision instanceof DeliveryPolicy.Decision.CheckKey) {
      LOGGER.warn(
          "Bluejay answered 403 to a call; checking whether it refuses the key call_id={}", callId);
      entry.setKeyCheck(true);
      entry.setAttempts(entry.getAttempts() - 1);
      reschedule(entry, now);
    } else if (decision instanceof DeliveryPolicy.Decision.DeadLetter dead) {
      deadLetter(entry, dead.reason(), dead.refusal(), now);
    }
  }

  /** The route a failed attempt went to (for a route-wide {@code Retry-After}). */
  private static Outage.Route route(Outcome outcome) {
    return outcome instanceof Outcome.Failed failed
        ? Outage.route(failed.error().path())
        : Outage.Route.RETRIEVE_SIMULATION_RESULT;
  }

  private long retryAfterMillis(Outcome outcome) {
    return outcome instanceof Outcome.Failed failed
            && failed.error() instanceof RetryableException retryable
        ? policy.backoff().retryAfterMillis(retryable.retryAfter())
        : 0;
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
    } else if (outcome instanceof Outcome.Unknown unknown) {
      metrics.attempt(endpoint, "outcome-unknown", -1);
      LOGGER.warn(
          "cannot tell whether an earlier POST arrived; not posting again call_id={} ({})",
          entry.getCallId(),
          unknown.why());
    } else if (outcome instanceof Outcome.KeyAccepted) {
      metrics.attempt(endpoint, "key-accepted", -1);
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
    byte[] receipt =
        settings.receiptsEnabled()
            ? DeliveryRecords.receipt(entry, status, latencyMs, now, requestBytes)
            : null;
    remove(entry);
    LOGGER.debug(
        "delivered call_id={} endpoint={} attempts={} latency_ms={}",
        entry.getCallId(),
        DeliveryRecords.endpointName(entry.getEndpoint()),
        entry.getAttempts(),
        latencyMs);
    if (receipt != null) {
      context.forward(
          new Record<>(entry.getCallId(), receipt, now), DeliveryTopology.RECEIPTS_SINK);
    }
  }

  private void deadLetter(OutboxEntry entry, String reason, RejectedException rejected, long now) {
    byte[] value = DeliveryRecords.deadLetter(entry, reason, rejected);
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
            value,
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
