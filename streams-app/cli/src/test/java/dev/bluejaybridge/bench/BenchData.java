package dev.bluejaybridge.bench;

import dev.bluejaybridge.aggregate.CloseReason;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Realistic telemetry of a support call, the same for a given seed: utterances of 60–200
 * characters, {@code parameters_json} of about 100 bytes, {@code output_json} of about 300, events
 * with metadata. Shared by the benchmarks and their smoke test.
 */
final class BenchData {
  static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  static final String AGENT_ID = "agent-support-eu-1";

  private static final String[] WORDS = {
    "order",
    "shipped",
    "yesterday",
    "tracking",
    "number",
    "delivery",
    "address",
    "could",
    "you",
    "please",
    "confirm",
    "the",
    "account",
    "email",
    "refund",
    "processed",
    "within",
    "five",
    "business",
    "days",
    "I",
    "see",
    "your",
    "package",
    "is",
    "on",
    "its",
    "way",
    "thank",
    "for",
    "waiting",
    "let",
    "me",
    "check",
    "that",
    "appointment",
    "tomorrow",
    "morning",
    "works",
    "fine"
  };

  private final Random random;

  BenchData(long seed) {
    this.random = new Random(seed);
  }

  /** A call id in the form the producers use (UUID-like, 36 characters). */
  String callId() {
    return String.format(
        Locale.ROOT,
        "%08x-%04x-%04x-%04x-%012x",
        random.nextInt(),
        random.nextInt(0x10000),
        random.nextInt(0x10000),
        random.nextInt(0x10000),
        random.nextLong() & 0xffffffffffffL);
  }

  /** Words up to a length drawn from 60–200 characters. */
  String utterance() {
    // One more than the shortest, as a trailing space may be dropped before the full stop.
    int length = 61 + random.nextInt(140);
    StringBuilder text = new StringBuilder(length + 12);
    while (text.length() < length) {
      if (text.length() > 0) {
        text.append(' ');
      }
      text.append(WORDS[random.nextInt(WORDS.length)]);
    }
    text.setLength(length - 1);
    return text.toString().stripTrailing() + ".";
  }

  /** About 100 bytes. */
  String parametersJson() {
    return String.format(
        Locale.ROOT,
        "{\"order_id\":\"A-%06d\",\"customer_id\":\"cus_%08x\",\"include_history\":%b,\"locale\":\"en-GB\"}",
        random.nextInt(1_000_000),
        random.nextInt(),
        random.nextBoolean());
  }

  /** About 300 bytes. */
  String outputJson() {
    return String.format(
        Locale.ROOT,
        "{\"status\":\"shipped\",\"order_id\":\"A-%06d\",\"carrier\":\"UPS\",\"tracking_number\":"
            + "\"1Z%016X\",\"estimated_delivery\":\"2026-11-%02d\",\"items\":[{\"sku\":\"SKU-%05d\","
            + "\"name\":\"Wireless headphones\",\"quantity\":%d,\"price\":%d.99},{\"sku\":\"SKU-%05d\","
            + "\"name\":\"Charging cable\",\"quantity\":1,\"price\":9.99}],\"total\":%d.97}",
        random.nextInt(1_000_000),
        random.nextLong(),
        1 + random.nextInt(28),
        random.nextInt(100_000),
        1 + random.nextInt(3),
        20 + random.nextInt(200),
        random.nextInt(100_000),
        30 + random.nextInt(500));
  }

  ToolCall toolCall(String callId, String simulationResultId, long startOffsetMs) {
    return ToolCall.newBuilder()
        .setCallId(callId)
        .setOccurredAt(T0.plusMillis(startOffsetMs))
        .setAgentId(AGENT_ID)
        .setSimulationResultId(simulationResultId)
        .setName(random.nextBoolean() ? "lookup_order" : "get_tracking_status")
        .setStartOffsetMs(startOffsetMs)
        .setDescription("Looks up the customer's order and its shipping status")
        .setParametersJson(parametersJson())
        .setOutputJson(outputJson())
        .build();
  }

  TranscriptTurn turn(String callId, String simulationResultId, long startOffsetMs) {
    return TranscriptTurn.newBuilder()
        .setCallId(callId)
        .setOccurredAt(T0.plusMillis(startOffsetMs))
        .setAgentId(AGENT_ID)
        .setSimulationResultId(simulationResultId)
        .setSpeaker(random.nextBoolean() ? Speaker.AGENT : Speaker.USER)
        .setUtterance(utterance())
        .setStartOffsetMs(startOffsetMs)
        .setEndOffsetMs(startOffsetMs + 1_500 + random.nextInt(6_000))
        .setFillerUtterance(random.nextInt(10) == 0)
        .build();
  }

  CallEvent event(String callId, String simulationResultId, long startOffsetMs, boolean endsCall) {
    boolean callLevel = random.nextInt(4) == 0;
    return CallEvent.newBuilder()
        .setCallId(callId)
        .setOccurredAt(T0.plusMillis(startOffsetMs))
        .setAgentId(AGENT_ID)
        .setSimulationResultId(simulationResultId)
        .setTitle(endsCall ? "call ended" : "intent detected")
        .setStartOffsetMs(startOffsetMs)
        .setEndOffsetMs(startOffsetMs + 250)
        .setDescription("The caller asked where their order is")
        .setTags(List.of("intent", "order-status"))
        .setMetadataJson(
            String.format(
                Locale.ROOT,
                "{\"intent\":\"order_status\",\"confidence\":0.%02d}",
                random.nextInt(100)))
        .setCallMetadataJson(
            callLevel ? "{\"customer_tier\":\"gold\",\"region\":\"eu-west\"}" : null)
        .setCallTags(callLevel ? List.of("order-status") : List.of())
        .setEndsCall(endsCall)
        .build();
  }

  /**
   * A closed call of {@code records} records: half transcript turns, 30 % tool calls, 20 % events,
   * the last one the end-of-call event; each list in start-offset order, as aggregation hands it
   * on.
   *
   * @param simulationResultId null for a production call
   */
  ClosedCall closedCall(int records, String simulationResultId) {
    String callId = callId();
    List<ToolCall> toolCalls = new ArrayList<>();
    List<CallEvent> events = new ArrayList<>();
    List<TranscriptTurn> transcript = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      long offset = i * 2_000L;
      if (i == records - 1) {
        events.add(event(callId, simulationResultId, offset, true));
      } else if (i % 10 < 5) {
        transcript.add(turn(callId, simulationResultId, offset));
      } else if (i % 10 < 8) {
        toolCalls.add(toolCall(callId, simulationResultId, offset));
      } else {
        events.add(event(callId, simulationResultId, offset, false));
      }
    }
    return new ClosedCall(
        callId,
        simulationResultId,
        AGENT_ID,
        CloseReason.END_OF_CALL,
        0,
        T0.toEpochMilli(),
        T0.plusMillis(records * 2_000L).toEpochMilli(),
        false,
        toolCalls,
        events,
        transcript,
        List.of());
  }
}
