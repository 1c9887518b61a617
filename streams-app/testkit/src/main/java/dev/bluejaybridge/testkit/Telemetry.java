package dev.bluejaybridge.testkit;

import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Builders of valid telemetry records with sensible defaults; tests change what they care about.
 */
public final class Telemetry {
  /**
   * When the records of these builders happen: three hours before this JVM started (to the minute).
   * Relative, not a fixed date, because the bridge refuses records too far behind the wall clock
   * ({@code input.max-behind}, 7 days) and integration tests run on the real clock; tests on a mock
   * clock start it from here.
   */
  public static final Instant T0 =
      Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(3, ChronoUnit.HOURS);

  private Telemetry() {}

  public static ToolCall.Builder toolCall(String callId, String name, long startOffsetMs) {
    return ToolCall.newBuilder()
        .setCallId(callId)
        .setOccurredAt(T0.plusMillis(startOffsetMs))
        .setName(name)
        .setStartOffsetMs(startOffsetMs)
        .setParametersJson("{\"order_id\":\"A-17\"}")
        .setOutputJson("{\"status\":\"shipped\"}");
  }

  public static CallEvent.Builder event(String callId, String title, long startOffsetMs) {
    return CallEvent.newBuilder()
        .setCallId(callId)
        .setOccurredAt(T0.plusMillis(startOffsetMs))
        .setTitle(title)
        .setStartOffsetMs(startOffsetMs)
        .setTags(List.of())
        .setCallTags(List.of());
  }

  public static CallEvent.Builder endOfCall(String callId, long startOffsetMs) {
    return event(callId, "call ended", startOffsetMs).setEndsCall(true);
  }

  public static TranscriptTurn.Builder turn(
      String callId, Speaker speaker, String utterance, long startOffsetMs) {
    return TranscriptTurn.newBuilder()
        .setCallId(callId)
        .setOccurredAt(T0.plusMillis(startOffsetMs))
        .setSpeaker(speaker)
        .setUtterance(utterance)
        .setStartOffsetMs(startOffsetMs)
        .setEndOffsetMs(startOffsetMs + 1_000);
  }
}
