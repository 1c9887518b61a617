package dev.bluejaybridge.telemetry;

import org.apache.avro.specific.SpecificRecord;

/**
 * The fields every telemetry record has (docs/topics.md), read the same way from the three
 * generated classes, which share no interface.
 */
public final class Telemetry {
  private Telemetry() {}

  public static String callId(SpecificRecord record) {
    if (record instanceof ToolCall t) {
      return t.getCallId();
    } else if (record instanceof CallEvent e) {
      return e.getCallId();
    } else if (record instanceof TranscriptTurn t) {
      return t.getCallId();
    }
    throw unknown(record);
  }

  /** {@code occurred_at} in epoch millis. */
  public static long occurredAt(SpecificRecord record) {
    if (record instanceof ToolCall t) {
      return t.getOccurredAt().toEpochMilli();
    } else if (record instanceof CallEvent e) {
      return e.getOccurredAt().toEpochMilli();
    } else if (record instanceof TranscriptTurn t) {
      return t.getOccurredAt().toEpochMilli();
    }
    throw unknown(record);
  }

  public static String simulationResultId(SpecificRecord record) {
    if (record instanceof ToolCall t) {
      return t.getSimulationResultId();
    } else if (record instanceof CallEvent e) {
      return e.getSimulationResultId();
    } else if (record instanceof TranscriptTurn t) {
      return t.getSimulationResultId();
    }
    throw unknown(record);
  }

  public static String agentId(SpecificRecord record) {
    if (record instanceof ToolCall t) {
      return t.getAgentId();
    } else if (record instanceof CallEvent e) {
      return e.getAgentId();
    } else if (record instanceof TranscriptTurn t) {
      return t.getAgentId();
    }
    throw unknown(record);
  }

  public static long startOffsetMs(SpecificRecord record) {
    if (record instanceof ToolCall t) {
      return t.getStartOffsetMs();
    } else if (record instanceof CallEvent e) {
      return e.getStartOffsetMs();
    } else if (record instanceof TranscriptTurn t) {
      return t.getStartOffsetMs();
    }
    throw unknown(record);
  }

  /** True for an event that marks the end of its call. */
  public static boolean endsCall(SpecificRecord record) {
    return record instanceof CallEvent event && event.getEndsCall();
  }

  private static IllegalArgumentException unknown(SpecificRecord record) {
    return new IllegalArgumentException(
        "not a telemetry record: " + (record == null ? "null" : record.getClass().getName()));
  }
}
