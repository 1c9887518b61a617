package dev.bluejaybridge.aggregate;

import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * A closed call with every record it received, each list sorted by {@code start_offset_ms}, ties in
 * arrival order.
 *
 * @param revision 0 when the call first closes; 1, 2, … each time late records close it again
 * @param firstSeenAt wall-clock millis of its first record
 * @param closedAt wall-clock millis of the close
 * @param truncated records beyond {@code call.max-records} went to the input DLQ instead
 * @param stragglers the records that arrived after the previous close (in arrival order), already
 *     included in the lists above; empty for revision 0. A simulated call whose POST may have gone
 *     out cannot be sent again (Bluejay appends): the delivery stage dead-letters these as {@code
 *     late} instead.
 */
public record ClosedCall(
    String callId,
    String simulationResultId,
    String agentId,
    CloseReason reason,
    int revision,
    long firstSeenAt,
    long closedAt,
    boolean truncated,
    List<ToolCall> toolCalls,
    List<CallEvent> events,
    List<TranscriptTurn> transcript,
    List<SpecificRecord> stragglers)
    implements CallUpdate {

  public ClosedCall {
    stragglers = List.copyOf(stragglers);
    toolCalls = List.copyOf(toolCalls);
    events = List.copyOf(events);
    transcript = List.copyOf(transcript);
  }

  /** Number of records in the call. */
  public int size() {
    return toolCalls.size() + events.size() + transcript.size();
  }
}
