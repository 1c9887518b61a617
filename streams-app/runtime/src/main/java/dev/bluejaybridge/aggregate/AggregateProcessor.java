package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.errors.PoisonRecordException;
import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import dev.bluejaybridge.state.DeliveredCall;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Telemetry;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Assembles each call from its records and closes it at the right moment
 * (docs/bluejay-requests.md).
 *
 * <p>A record costs a constant number of store operations whatever its call's length: one part is
 * appended, the small {@link CallState} is rewritten. Each call has exactly one timer entry, kept
 * at or before the moment the call is due; a wall-clock punctuation reads the timers due by now, in
 * time order, and nothing else. Timers are lazy: a record that pushes a call's deadline later does
 * not move its timer; when the timer fires early, it is moved to the real deadline. So an active
 * call is visited about once per inactivity gap, and an idle partition still closes its calls,
 * because the punctuation runs on wall-clock time, not stream time.
 *
 * <p><b>A backlog is not silence.</b> A call's deadlines (its inactivity gap, end grace and maximum
 * duration) are kept twice: on the wall clock, from when its records arrived, and in record time
 * ({@link Backlog}: the newest {@code occurred_at} read, at most the wall clock), from the record
 * time when they arrived. A call closes once its deadline has passed on the wall clock and, unless
 * the task is caught up, in record time too. The running pipeline knows when the task is caught up:
 * the broker's end offsets of its input partitions ({@link InputOffsets}, asked four times a
 * second) have all been processed, and silence is trusted up to the moment they were asked. Without
 * them (the broker does not answer, tests), the task counts as caught up once it has read no record
 * for {@code call.end-grace} (no longer than {@code call.inactivity-gap}, at least a second) of
 * time it observed; time in which it ran nothing (before it started, or a stretch longer than
 * {@code call.inactivity-gap + call.end-grace} without a punctuation) is not observed. So when the
 * app was stopped while producers went on, or the consumer is behind under load, a call whose later
 * records still wait in the backlog stays open while the backlog is read; it closes when the
 * records read show it silent for its gap.
 *
 * <p><b>Bounded work per punctuation.</b> One punctuation handles at most {@value
 * #MAX_TIMERS_PER_TICK} timers and at most {@value #MAX_CLOSES_PER_TICK} closes or forgets, and
 * stops after {@link #TICK_BUDGET} (once it did {@value #MIN_CLOSES_PER_TICK}): after a restart,
 * the backlog's calls close over many ticks and transactions. The number of open calls is kept in
 * the timer store, so a task starting here reads one entry, not the whole store.
 *
 * <p><b>Closing is all or nothing.</b> A close first assembles the call and forwards it (to the
 * delivery stage, in the same task and transaction), and only then marks it closed. An exception
 * anywhere in it leaves the punctuation; under exactly-once it fails the task and the transaction
 * with every state change of the punctuation is aborted. Even a handler that went on could not
 * leave a call marked closed that was never handed on: it stays open and is closed again.
 *
 * <p><b>Late records.</b> A closed call is remembered whole for {@code call.late-retention}: a
 * record of it reopens it, production or simulated, and the whole call closes again after {@code
 * call.end-grace} as its next revision, naming the records that arrived since the previous close
 * ({@link ClosedCall#stragglers()}); the delivery stage decides what can still be sent. After that
 * its records are forgotten, but its id stays in a compact index ({@link DeliveredCall}) until
 * {@code call.delivered-retention} after its close: a record of it is then handed on as a {@link
 * LateRecord} and never starts a new call, which would be sent as a fragment of it.
 */
final class AggregateProcessor implements Processor<String, SpecificRecord, String, CallUpdate> {
  /** How often the wall-clock punctuation looks for due calls. */
  static final Duration TICK = Duration.ofMillis(100);

  /** The input topics a task reads: tool calls, events, transcript turns. */
  static final int INPUTS = 3;

  /** At most this many timers are handled per punctuation. */
  static final int MAX_TIMERS_PER_TICK = 1_000;

  /** At most this many calls are closed or forgotten per punctuation. */
  static final int MAX_CLOSES_PER_TICK = 100;

  /** A punctuation stops after this much time, once it closed {@value #MIN_CLOSES_PER_TICK}. */
  static final Duration TICK_BUDGET = Duration.ofMillis(50);

  static final int MIN_CLOSES_PER_TICK = 10;

  /** The least quiet time after which the task counts as caught up, whatever the settings. */
  static final Duration MIN_QUIET = Duration.ofSeconds(1);

  private static final Logger LOGGER = LoggerFactory.getLogger(AggregateProcessor.class);
  static final String CALL_ID = "call_id";
  private static final byte[] NOTHING = new byte[0];
  private static final Comparator<SpecificRecord> BY_START_OFFSET =
      Comparator.comparingLong(Telemetry::startOffsetMs);

  private final long inactivityGap;
  private final long endGrace;
  private final long maxDuration;
  private final long lateRetention;
  private final long deliveredRetention;
  private final int maxRecords;
  private final AggregationMetrics metrics;
  private final LongSupplier nanoTime;
  private final InputOffsets inputOffsets;
  private long openHere;

  private ProcessorContext<String, CallUpdate> context;
  private KeyValueStore<String, CallState> calls;
  private KeyValueStore<Bytes, CallPart> parts;
  private KeyValueStore<Bytes, byte[]> timers;
  private KeyValueStore<String, DeliveredCall> delivered;
  private Backlog backlog;

  AggregateProcessor(BridgeConfig.Calls settings, AggregationMetrics metrics) {
    this(settings, metrics, InputOffsets.UNKNOWN);
  }

  AggregateProcessor(
      BridgeConfig.Calls settings, AggregationMetrics metrics, InputOffsets inputOffsets) {
    this(settings, metrics, inputOffsets, System::nanoTime);
  }

  /** {@code nanoTime} measures a punctuation's time budget. */
  AggregateProcessor(
      BridgeConfig.Calls settings, AggregationMetrics metrics, LongSupplier nanoTime) {
    this(settings, metrics, InputOffsets.UNKNOWN, nanoTime);
  }

  private AggregateProcessor(
      BridgeConfig.Calls settings,
      AggregationMetrics metrics,
      InputOffsets inputOffsets,
      LongSupplier nanoTime) {
    this.inputOffsets = inputOffsets;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
    this.inactivityGap = settings.inactivityGap().toMillis();
    this.endGrace = settings.endGrace().toMillis();
    this.maxDuration = settings.maxDuration().toMillis();
    this.lateRetention = settings.lateRetention().toMillis();
    this.deliveredRetention = settings.deliveredRetention().toMillis();
    this.maxRecords = settings.maxRecords();
  }

  @Override
  public void init(ProcessorContext<String, CallUpdate> context) {
    this.context = context;
    this.calls = context.getStateStore(CallStores.CALLS);
    this.parts = context.getStateStore(CallStores.PARTS);
    this.timers = context.getStateStore(CallStores.TIMERS);
    this.delivered = context.getStateStore(CallStores.DELIVERED);
    this.backlog =
        new Backlog(
            Math.max(Math.min(endGrace, inactivityGap), MIN_QUIET.toMillis()),
            inactivityGap,
            inactivityGap + endGrace,
            context.currentSystemTimeMs(),
            INPUTS,
            inputOffsets,
            context.taskId().partition());
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, this::closeDueCalls);
    // The open calls this task brings (restored state included): one entry, not a scan.
    openHere = CallStores.openCalls(timers);
    metrics.opened(openHere);
  }

  @Override
  public void close() {
    metrics.opened(-openHere);
    openHere = 0;
  }

  private void countOpened() {
    openHere++;
    CallStores.openCalls(timers, openHere);
    metrics.opened(1);
  }

  private void countClosed(CloseReason reason) {
    // Calls open in state written before the count was kept were not counted: it stays >= 0.
    if (openHere > 0) {
      openHere--;
      CallStores.openCalls(timers, openHere);
      metrics.opened(-1);
    }
    metrics.closed(reason);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    // No call_id in the MDC per record (two map copies each): the few lines logged here name it.
    aggregate(record);
  }

  private void aggregate(Record<String, SpecificRecord> record) {
    String callId = record.key();
    SpecificRecord value = record.value();
    long now = context.currentSystemTimeMs();
    // occurred_at, not the record's timestamp: validation forwards every record with the wall clock
    // (the time the bridge's own writes carry), and checked occurred_at against input.max-ahead.
    long occurredAt = Telemetry.occurredAt(value);
    RecordMetadata source = context.recordMetadata().orElse(null);
    backlog.record(
        source == null ? "" : source.topic(),
        source == null ? -1 : source.offset(),
        occurredAt,
        now);
    // The call's own record time: its record's occurred_at (never ahead of the wall clock). It is
    // due in record time once the input furthest behind has been read past its deadline.
    long recordTime = Math.min(occurredAt, now);
    CallState state = calls.get(callId);
    boolean opened = false;
    if (state == null) {
      DeliveredCall done = delivered.get(callId);
      if (done != null) {
        // Its records are forgotten: a call started from this one would be sent as a fragment.
        metrics.late();
        LOGGER.debug(
            "record of a call closed before call.late-retention call_id={} revision={}",
            callId,
            done.getRevision());
        context.forward(
            new Record<>(
                callId,
                new LateRecord(callId, done.getSimulationResultId(), value, now),
                record.timestamp()));
        return;
      }
      state = open(callId, now, recordTime);
      opened = true;
    } else if (state.getStatus() == CallStatus.CLOSED) {
      metrics.late();
    }
    if (state.getRecordCount() >= maxRecords) {
      // The one state change made before a poison throw: the call must say it was cut short.
      if (!state.getTruncated()) {
        state.setTruncated(true);
        calls.put(callId, state);
      }
      throw new PoisonRecordException(
          "call-too-large",
          "call " + callId + " already holds call.max-records=" + maxRecords + " records");
    }
    if (state.getStatus() == CallStatus.CLOSED) {
      reopen(state, now, recordTime);
      countOpened();
    } else if (opened) {
      countOpened();
    }
    long seq = state.getNextSeq();
    parts.put(Keys.part(callId, seq), new CallPart(seq, value));
    state.setNextSeq(seq + 1);
    state.setRecordCount(state.getRecordCount() + 1);
    state.setLastSeenAt(now);
    state.setLastRecordTime(recordTime);
    if (state.getSimulationResultId() == null) {
      state.setSimulationResultId(Telemetry.simulationResultId(value));
    }
    if (state.getAgentId() == null) {
      state.setAgentId(Telemetry.agentId(value));
    }
    if (Telemetry.endsCall(value) && state.getEndSeenAt() == null) {
      state.setEndSeenAt(now);
      state.setEndRecordTime(recordTime);
    }
    long due = dueAt(wallTimes(state));
    if (due < state.getTimerAt()) {
      moveTimer(state, due);
    }
    calls.put(callId, state);
  }

  private CallState open(String callId, long now, long recordTime) {
    CallState state =
        CallState.newBuilder()
            .setCallId(callId)
            .setStatus(CallStatus.OPEN)
            .setFirstSeenAt(now)
            .setLastSeenAt(now)
            .setFirstRecordTime(recordTime)
            .setLastRecordTime(recordTime)
            .setNextSeq(0)
            .setRecordCount(0)
            .setTimerAt(now + Math.min(inactivityGap, maxDuration))
            .build();
    timers.put(Keys.timer(state.getTimerAt(), callId), NOTHING);
    return state;
  }

  /**
   * A late record: the call takes it and closes again, whole, after the end grace; the records from
   * this one on are the stragglers of that revision.
   */
  private void reopen(CallState state, long now, long recordTime) {
    LOGGER.debug(
        "late record reopens call call_id={} revision={}",
        state.getCallId(),
        state.getRevision() + 1);
    state.setStatus(CallStatus.OPEN);
    state.setRevision(state.getRevision() + 1);
    state.setStragglerSeq(state.getNextSeq());
    state.setEndSeenAt(now);
    state.setEndRecordTime(recordTime);
    state.setClosedAt(null);
    state.setCloseReason(null);
  }

  private void moveTimer(CallState state, long at) {
    timers.delete(Keys.timer(state.getTimerAt(), state.getCallId()));
    timers.put(Keys.timer(at, state.getCallId()), NOTHING);
    state.setTimerAt(at);
  }

  private void closeDueCalls(long now) {
    backlog.ran(now);
    List<Bytes> due = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it =
        timers.range(Keys.firstTimer(), Keys.timersDueBy(now))) {
      while (it.hasNext() && due.size() < MAX_TIMERS_PER_TICK) {
        due.add(it.next().key);
      }
    }
    long started = nanoTime.getAsLong();
    int closes = 0;
    for (Bytes timer : due) {
      if (closes >= MAX_CLOSES_PER_TICK
          || closes >= MIN_CLOSES_PER_TICK
              && nanoTime.getAsLong() - started >= TICK_BUDGET.toNanos()) {
        break; // the rest stay due: the next tick takes them first
      }
      if (fire(Keys.timerCallId(timer), Keys.timerDueAt(timer), timer, now)) {
        closes++;
      }
    }
  }

  /** Handles one due timer; whether it closed or forgot a call (the heavy work). */
  private boolean fire(String callId, long timerAt, Bytes timer, long now) {
    CallState state = calls.get(callId);
    if (state == null) {
      purge(callId, timerAt, timer, now);
      return false;
    }
    if (state.getTimerAt() != timerAt) {
      timers.delete(timer); // not this call's current timer: nothing to do
      return false;
    }
    if (state.getStatus() == CallStatus.OPEN) {
      return closeIfDue(state, now);
    }
    long forgetAt = state.getClosedAt() + lateRetention;
    if (forgetAt <= now) {
      forget(state, now);
      return true;
    }
    moveTimer(state, forgetAt);
    calls.put(callId, state);
    return false;
  }

  private boolean closeIfDue(CallState state, long now) {
    long due = dueAt(wallTimes(state));
    if (due > now) {
      moveTimer(state, due);
      calls.put(state.getCallId(), state);
      return false;
    }
    if (due <= backlog.silentUntil(now)) {
      close(state, now, false);
      return true;
    }
    long recordTime = backlog.recordTime();
    long recordDue = dueAt(recordTimes(state));
    if (recordTime != Backlog.UNKNOWN && recordDue <= recordTime) {
      close(state, now, true);
      return true;
    }
    // Records are still coming: look again when the task may count as caught up, or when record
    // time could have reached the deadline if it went no faster than the wall clock.
    long again = backlog.lookAgainAt(now);
    if (recordTime != Backlog.UNKNOWN) {
      again = Math.min(again, now + (recordDue - recordTime));
    }
    // (at least every quiet while behind: a backlog is read faster than the wall clock moves)
    moveTimer(state, Math.max(again, now + TICK.toMillis()));
    calls.put(state.getCallId(), state);
    return false;
  }

  private void close(CallState state, long now, boolean byRecordTime) {
    try (MDC.MDCCloseable field = MDC.putCloseable(CALL_ID, state.getCallId())) {
      closeCall(state, now, byRecordTime);
    }
  }

  /**
   * Forwards the call, then marks it closed: what can fail (reading its parts, the delivery stage)
   * comes before any state change of this call.
   *
   * @param byRecordTime whether record time found it due (the task was not caught up), not the wall
   *     clock
   */
  private void closeCall(CallState state, long now, boolean byRecordTime) {
    CloseReason reason =
        byRecordTime
            ? reason(state, recordTimes(state), backlog.recordTime())
            : reason(state, wallTimes(state), now);
    ClosedCall call = assemble(state, reason, now);
    context.forward(new Record<>(state.getCallId(), call, now));
    state.setStatus(CallStatus.CLOSED);
    state.setClosedAt(now);
    state.setCloseReason(reason.label());
    moveTimer(state, now + lateRetention);
    calls.put(state.getCallId(), state);
    countClosed(reason);
    LOGGER.debug(
        "call closed call_id={} reason={} records={} revision={} stragglers={}",
        call.callId(),
        reason.label(),
        call.size(),
        call.revision(),
        call.stragglers().size());
  }

  /** When a call's records arrived: first, last, and the end-of-call (or null), on one clock. */
  private record Arrivals(long first, long last, Long end) {}

  private static Arrivals wallTimes(CallState state) {
    return new Arrivals(state.getFirstSeenAt(), state.getLastSeenAt(), state.getEndSeenAt());
  }

  /**
   * The same in record time. State written before record times were kept has none: its wall-clock
   * times stand in (the task was caught up then, as a rule).
   */
  private static Arrivals recordTimes(CallState state) {
    Long endSeen = state.getEndSeenAt();
    return new Arrivals(
        orElse(state.getFirstRecordTime(), state.getFirstSeenAt()),
        orElse(state.getLastRecordTime(), state.getLastSeenAt()),
        endSeen == null ? null : (Long) orElse(state.getEndRecordTime(), endSeen));
  }

  private static long orElse(Long value, long otherwise) {
    return value != null ? value : otherwise;
  }

  /** The moment, on the clock of {@code arrivals}, an open call is due to close. */
  private long dueAt(Arrivals arrivals) {
    long due = Math.min(arrivals.last() + inactivityGap, arrivals.first() + maxDuration);
    if (arrivals.end() != null) {
      due = Math.min(due, arrivals.end() + endGrace);
    }
    return due;
  }

  /** Why a call found due at {@code clock} (on the clock of {@code arrivals}) closes. */
  private CloseReason reason(CallState state, Arrivals arrivals, long clock) {
    if (state.getRevision() > 0) {
      return CloseReason.LATE_RECORDS;
    }
    if (arrivals.end() != null && arrivals.end() + endGrace <= clock) {
      return CloseReason.END_OF_CALL;
    }
    if (arrivals.first() + maxDuration <= clock) {
      return CloseReason.MAX_DURATION;
    }
    return CloseReason.INACTIVITY;
  }

  private ClosedCall assemble(CallState state, CloseReason reason, long closedAt) {
    List<ToolCall> toolCalls = new ArrayList<>();
    List<CallEvent> events = new ArrayList<>();
    List<TranscriptTurn> transcript = new ArrayList<>();
    List<SpecificRecord> stragglers = new ArrayList<>();
    String callId = state.getCallId();
    long firstStraggler = state.getRevision() > 0 ? state.getStragglerSeq() : Long.MAX_VALUE;
    try (KeyValueIterator<Bytes, CallPart> it =
        parts.range(Keys.part(callId, 0), Keys.part(callId, Long.MAX_VALUE))) {
      while (it.hasNext()) {
        CallPart part = it.next().value;
        Object record = part.getPart();
        if (record instanceof ToolCall toolCall) {
          toolCalls.add(toolCall);
        } else if (record instanceof CallEvent event) {
          events.add(event);
        } else if (record instanceof TranscriptTurn turn) {
          transcript.add(turn);
        }
        if (part.getSeq() >= firstStraggler && record instanceof SpecificRecord straggler) {
          stragglers.add(straggler);
        }
      }
    }
    // Parts come in arrival order; a stable sort keeps it for equal offsets.
    toolCalls.sort(BY_START_OFFSET);
    events.sort(BY_START_OFFSET);
    transcript.sort(BY_START_OFFSET);
    return new ClosedCall(
        callId,
        state.getSimulationResultId(),
        state.getAgentId(),
        reason,
        state.getRevision(),
        state.getFirstSeenAt(),
        closedAt,
        state.getTruncated(),
        toolCalls,
        events,
        transcript,
        stragglers);
  }

  /**
   * After {@code call.late-retention}: the call's parts and state go; its id, revision and close
   * time stay in the index of delivered calls until {@code call.delivered-retention} after the
   * close.
   */
  private void forget(CallState state, long now) {
    String callId = state.getCallId();
    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, CallPart> it =
        parts.range(Keys.part(callId, 0), Keys.part(callId, Long.MAX_VALUE))) {
      it.forEachRemaining((KeyValue<Bytes, CallPart> entry) -> keys.add(entry.key));
    }
    keys.forEach(parts::delete);
    timers.delete(Keys.timer(state.getTimerAt(), callId));
    calls.delete(callId);
    long purgeAt = state.getClosedAt() + deliveredRetention;
    if (purgeAt > now) {
      delivered.put(
          callId,
          new DeliveredCall(
              state.getRevision(), state.getClosedAt(), state.getSimulationResultId(), purgeAt));
      timers.put(Keys.timer(purgeAt, callId), NOTHING);
    }
  }

  /** A timer of no call in {@link CallStores#CALLS}: a delivered call's, or a stale one. */
  private void purge(String callId, long timerAt, Bytes timer, long now) {
    DeliveredCall done = delivered.get(callId);
    if (done == null || done.getTimerAt() != timerAt) {
      timers.delete(timer);
      return;
    }
    long purgeAt = done.getClosedAt() + deliveredRetention;
    timers.delete(timer);
    if (purgeAt <= now) {
      delivered.delete(callId);
    } else {
      // call.delivered-retention grew since the entry was made
      done.setTimerAt(purgeAt);
      timers.put(Keys.timer(purgeAt, callId), NOTHING);
      delivered.put(callId, done);
    }
  }
}
