package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.errors.PoisonRecordException;
import dev.bluejaybridge.state.CallPart;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Telemetry;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
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
 * <p>Time in which the task did not run is not silence: when a task starts (a restart, a crash, a
 * rebalance), the calls it finds in its state may have records still waiting in the input backlog,
 * so none of them closes by its end grace or by inactivity until one end grace has passed since the
 * start. Calls that begin after the start close as usual. Without this, a call whose grace ran out
 * while the app was down would close before its last records were read, and be split.
 *
 * <p>A closed call is remembered for {@code call.late-retention}: a late record of a production
 * call reopens it and the whole call closes again after {@code call.end-grace}; a late record of a
 * simulated call is handed on as a {@link LateRecord}.
 */
final class AggregateProcessor implements Processor<String, SpecificRecord, String, CallUpdate> {
  /** How often the wall-clock punctuation looks for due calls. */
  static final Duration TICK = Duration.ofMillis(100);

  /**
   * At most this many timers are handled per punctuation, so one tick never holds the thread long.
   */
  static final int MAX_TIMERS_PER_TICK = 10_000;

  private static final Logger LOGGER = LoggerFactory.getLogger(AggregateProcessor.class);
  static final String CALL_ID = "call_id";
  private static final byte[] NOTHING = new byte[0];
  private static final Comparator<SpecificRecord> BY_START_OFFSET =
      Comparator.comparingLong(Telemetry::startOffsetMs);

  private final long inactivityGap;
  private final long endGrace;
  private final long maxDuration;
  private final long lateRetention;
  private final int maxRecords;
  private final AggregationMetrics metrics;
  private long openHere;

  /** Wall-clock millis when this task started here. */
  private long startedAt;

  private ProcessorContext<String, CallUpdate> context;
  private KeyValueStore<String, CallState> calls;
  private KeyValueStore<Bytes, CallPart> parts;
  private KeyValueStore<Bytes, byte[]> timers;

  AggregateProcessor(BridgeConfig.Calls settings, AggregationMetrics metrics) {
    this.metrics = metrics;
    this.inactivityGap = settings.inactivityGap().toMillis();
    this.endGrace = settings.endGrace().toMillis();
    this.maxDuration = settings.maxDuration().toMillis();
    this.lateRetention = settings.lateRetention().toMillis();
    this.maxRecords = settings.maxRecords();
  }

  @Override
  public void init(ProcessorContext<String, CallUpdate> context) {
    this.context = context;
    this.calls = context.getStateStore(CallStores.CALLS);
    this.parts = context.getStateStore(CallStores.PARTS);
    this.timers = context.getStateStore(CallStores.TIMERS);
    this.startedAt = context.currentSystemTimeMs();
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, this::closeDueCalls);
    // Once per assignment: count the open calls this task brings (restored state included).
    try (KeyValueIterator<String, CallState> it = calls.all()) {
      it.forEachRemaining(entry -> openHere += entry.value.getStatus() == CallStatus.OPEN ? 1 : 0);
    }
    metrics.opened(openHere);
  }

  @Override
  public void close() {
    metrics.opened(-openHere);
    openHere = 0;
  }

  private void countOpened() {
    openHere++;
    metrics.opened(1);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    // call_id as a field of every log line about this record (the JSON log format shows it)
    try (MDC.MDCCloseable field = MDC.putCloseable(CALL_ID, record.key())) {
      aggregate(record);
    }
  }

  private void aggregate(Record<String, SpecificRecord> record) {
    String callId = record.key();
    SpecificRecord value = record.value();
    long now = context.currentSystemTimeMs();
    CallState state = calls.get(callId);
    if (state == null) {
      state = open(callId, now);
      countOpened();
    } else if (state.getStatus() == CallStatus.CLOSED) {
      metrics.late();
      if (state.getSimulationResultId() != null) {
        LOGGER.debug("late record of a simulated call call_id={}", callId);
        context.forward(
            new Record<>(
                callId,
                new LateRecord(callId, state.getSimulationResultId(), value, now),
                record.timestamp()));
        return;
      }
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
      reopen(state, now);
      countOpened();
    }
    long seq = state.getNextSeq();
    parts.put(Keys.part(callId, seq), new CallPart(seq, value));
    state.setNextSeq(seq + 1);
    state.setRecordCount(state.getRecordCount() + 1);
    state.setLastSeenAt(now);
    if (state.getSimulationResultId() == null) {
      state.setSimulationResultId(Telemetry.simulationResultId(value));
    }
    if (state.getAgentId() == null) {
      state.setAgentId(Telemetry.agentId(value));
    }
    if (Telemetry.endsCall(value) && state.getEndSeenAt() == null) {
      state.setEndSeenAt(now);
    }
    long due = dueAt(state);
    if (due < state.getTimerAt()) {
      moveTimer(state, due);
    }
    calls.put(callId, state);
  }

  private CallState open(String callId, long now) {
    CallState state =
        CallState.newBuilder()
            .setCallId(callId)
            .setStatus(CallStatus.OPEN)
            .setFirstSeenAt(now)
            .setLastSeenAt(now)
            .setNextSeq(0)
            .setRecordCount(0)
            .setTimerAt(now + Math.min(inactivityGap, maxDuration))
            .build();
    timers.put(Keys.timer(state.getTimerAt(), callId), NOTHING);
    return state;
  }

  /** A late record of a production call: the call takes it and closes again after the end grace. */
  private void reopen(CallState state, long now) {
    LOGGER.debug(
        "late record reopens call call_id={} revision={}",
        state.getCallId(),
        state.getRevision() + 1);
    state.setStatus(CallStatus.OPEN);
    state.setRevision(state.getRevision() + 1);
    state.setEndSeenAt(now);
    state.setClosedAt(null);
    state.setCloseReason(null);
  }

  /** The wall-clock moment an open call is due to close. */
  private long dueAt(CallState state) {
    long due =
        Math.min(state.getLastSeenAt() + inactivityGap, state.getFirstSeenAt() + maxDuration);
    if (state.getEndSeenAt() != null) {
      due = Math.min(due, state.getEndSeenAt() + endGrace);
    }
    // a call from before this task started: the backlog may still hold its records
    return state.getFirstSeenAt() < startedAt ? Math.max(due, startedAt + endGrace) : due;
  }

  private void moveTimer(CallState state, long at) {
    timers.delete(Keys.timer(state.getTimerAt(), state.getCallId()));
    timers.put(Keys.timer(at, state.getCallId()), NOTHING);
    state.setTimerAt(at);
  }

  private void closeDueCalls(long now) {
    List<Bytes> due = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it =
        timers.range(Keys.firstTimer(), Keys.timersDueBy(now))) {
      while (it.hasNext() && due.size() < MAX_TIMERS_PER_TICK) {
        due.add(it.next().key);
      }
    }
    for (Bytes timer : due) {
      fire(Keys.timerCallId(timer), Keys.timerDueAt(timer), timer, now);
    }
  }

  private void fire(String callId, long timerAt, Bytes timer, long now) {
    CallState state = calls.get(callId);
    if (state == null || state.getTimerAt() != timerAt) {
      timers.delete(timer); // not this call's current timer: nothing to do
      return;
    }
    if (state.getStatus() == CallStatus.OPEN) {
      long due = dueAt(state);
      if (due <= now) {
        close(state, now);
      } else {
        moveTimer(state, due);
        calls.put(callId, state);
      }
    } else {
      long forgetAt = state.getClosedAt() + lateRetention;
      if (forgetAt <= now) {
        forget(state);
      } else {
        moveTimer(state, forgetAt);
        calls.put(callId, state);
      }
    }
  }

  private void close(CallState state, long now) {
    try (MDC.MDCCloseable field = MDC.putCloseable(CALL_ID, state.getCallId())) {
      closeCall(state, now);
    }
  }

  private void closeCall(CallState state, long now) {
    CloseReason reason = reason(state, now);
    openHere--;
    metrics.closed(reason);
    state.setStatus(CallStatus.CLOSED);
    state.setClosedAt(now);
    state.setCloseReason(reason.label());
    moveTimer(state, now + lateRetention);
    calls.put(state.getCallId(), state);
    ClosedCall call = assemble(state, reason);
    LOGGER.debug(
        "call closed call_id={} reason={} records={} revision={}",
        call.callId(),
        reason.label(),
        call.size(),
        call.revision());
    context.forward(new Record<>(state.getCallId(), call, now));
  }

  private CloseReason reason(CallState state, long now) {
    if (state.getRevision() > 0) {
      return CloseReason.LATE_RECORDS;
    }
    if (state.getEndSeenAt() != null && state.getEndSeenAt() + endGrace <= now) {
      return CloseReason.END_OF_CALL;
    }
    if (state.getFirstSeenAt() + maxDuration <= now) {
      return CloseReason.MAX_DURATION;
    }
    return CloseReason.INACTIVITY;
  }

  private ClosedCall assemble(CallState state, CloseReason reason) {
    List<ToolCall> toolCalls = new ArrayList<>();
    List<CallEvent> events = new ArrayList<>();
    List<TranscriptTurn> transcript = new ArrayList<>();
    String callId = state.getCallId();
    try (KeyValueIterator<Bytes, CallPart> it =
        parts.range(Keys.part(callId, 0), Keys.part(callId, Long.MAX_VALUE))) {
      while (it.hasNext()) {
        Object part = it.next().value.getPart();
        if (part instanceof ToolCall toolCall) {
          toolCalls.add(toolCall);
        } else if (part instanceof CallEvent event) {
          events.add(event);
        } else if (part instanceof TranscriptTurn turn) {
          transcript.add(turn);
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
        state.getClosedAt(),
        state.getTruncated(),
        toolCalls,
        events,
        transcript,
        List.of());
  }

  /** After {@code call.late-retention}: the call, its parts and its timer go. */
  private void forget(CallState state) {
    String callId = state.getCallId();
    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, CallPart> it =
        parts.range(Keys.part(callId, 0), Keys.part(callId, Long.MAX_VALUE))) {
      it.forEachRemaining((KeyValue<Bytes, CallPart> entry) -> keys.add(entry.key));
    }
    keys.forEach(parts::delete);
    timers.delete(Keys.timer(state.getTimerAt(), callId));
    calls.delete(callId);
  }
}
