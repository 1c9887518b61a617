package dev.bluejaybridge.harness;

import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.CallGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.function.LongFunction;
import org.apache.avro.specific.SpecificRecord;

/**
 * Writes synthetic calls: 20-50 records over the three topics (transcript turns of 60-200
 * characters, tool calls with ~100-byte parameters and ~300-byte output, events; the last event
 * ends the call), optionally simulated, optionally with one poison record (of the testkit's {@link
 * CallGenerator.Poison} kinds). Seeded: the same seed and index give the same call. Sized for the
 * benchmarks, not for reading: the demo's conversations are {@link CallGenerator}'s.
 */
final class SyntheticCalls {
  /**
   * One record of a call.
   *
   * @param offsetMs when it is sent, from the call's first record, in wall-clock ms
   * @param value builds the Avro value for an occurred_at; null for raw bytes
   * @param raw bytes to send as they are (poison that is not Avro), else null
   * @param poisonId the {@code harness.poison-id} header of a poison record, else null
   * @param occurredAt a fixed {@code occurred_at} (hostile timestamps), sent with the Kafka
   *     timestamp of the send time instead; null: the send time
   * @param bomb the value is to be sent as an Avro bomb ({@link Hostile#AVRO_BOMB})
   */
  record Part(
      long offsetMs,
      String topic,
      String key,
      LongFunction<SpecificRecord> value,
      byte[] raw,
      String poisonId,
      String poisonReason,
      Long occurredAt,
      boolean bomb) {

    Part(
        long offsetMs,
        String topic,
        String key,
        LongFunction<SpecificRecord> value,
        byte[] raw,
        String poisonId,
        String poisonReason) {
      this(offsetMs, topic, key, value, raw, poisonId, poisonReason, null, false);
    }

    Part at(long offset) {
      return new Part(offset, topic, key, value, raw, poisonId, poisonReason, occurredAt, bomb);
    }
  }

  /**
   * Hostile inputs (issue 13, R12), as poison records of a call with the input-DLQ reason each must
   * get.
   */
  enum Hostile {
    /** Tool-call parameters nested 1000 objects deep: valid JSON no one should have to walk. */
    DEEP_JSON("decode-limit"),
    /**
     * A tool call whose writer schema has one more field, an array of nulls (zero bytes each) with
     * a block count of 2^50: a reader that skips the field item by item never ends.
     */
    AVRO_BOMB("decode-limit"),
    /** A transcript turn on 9999-12-31 (the Kafka timestamp is the send time). */
    FAR_FUTURE("bad-timestamp"),
    /** An event on 1971-01-01 (the Kafka timestamp is the send time). */
    FAR_PAST("bad-timestamp"),
    /** A tool call in the year 1000: a negative {@code occurred_at}. */
    BEFORE_EPOCH("bad-timestamp");

    private final String reason;

    Hostile(String reason) {
      this.reason = reason;
    }

    String reason() {
      return reason;
    }
  }

  /** How deep {@link Hostile#DEEP_JSON} nests. */
  static final int DEEP_JSON_DEPTH = 1000;

  /** One call and its records, in send order. */
  record Call(String callId, String simulationResultId, List<Part> parts) {}

  private static final String[] AGENTS = {
    "agent-clinic-front-desk", "agent-order-support", "agent-billing", "agent-roadside"
  };
  private static final String[] TOOLS = {
    "check_availability", "book_appointment", "get_order_status", "issue_store_credit",
    "lookup_customer", "send_sms_confirmation", "reschedule_appointment", "create_ticket"
  };
  private static final String[] AGENT_LINES = {
    "Thanks for calling, this is Ava, how can I help you today?",
    "Let me check that for you, it will only take a moment.",
    "I can see your account here and everything looks in order.",
    "I have a few options available on Thursday morning and Friday afternoon.",
    "Your confirmation number has been sent to the phone number on file.",
    "I'm sorry about the delay, the carrier shows the package is on its way.",
    "Is there anything else I can help you with today?",
    "I've refunded the shipping fee as store credit to your account.",
  };
  private static final String[] USER_LINES = {
    "Hi, I'd like to book a cleaning, ideally sometime next week if you have anything.",
    "Yes, that works for me. The name is Maria Garcia.",
    "My order still hasn't arrived and it was supposed to be here on Monday.",
    "Can you text me the confirmation instead of emailing it?",
    "No, that's all, thank you so much for your help.",
    "I need to move my appointment, something came up at work.",
    "The order number is NW-20931, I think, let me double check.",
    "Sure, my date of birth is the fourth of March, nineteen eighty-two.",
  };

  private final CallGenerator.Topics topics;
  private final long seed;
  private final double simulatedFraction;
  private final int poisonEvery;
  private final List<Hostile> hostile;

  SyntheticCalls(TopicNames topics, long seed, double simulatedFraction, int poisonEvery) {
    this(topics, seed, simulatedFraction, poisonEvery, List.of());
  }

  /** With {@code hostile} not empty, the poison records are these kinds, in turn. */
  SyntheticCalls(
      TopicNames topics,
      long seed,
      double simulatedFraction,
      int poisonEvery,
      List<Hostile> hostile) {
    this.topics =
        new CallGenerator.Topics(topics.toolCalls(), topics.events(), topics.transcripts());
    this.seed = seed;
    this.simulatedFraction = simulatedFraction;
    this.poisonEvery = poisonEvery;
    this.hostile = List.copyOf(hostile);
  }

  /** The {@code index}-th call, its records spread over {@code lengthMs} of wall-clock time. */
  Call call(long index, long lengthMs) {
    return call(index, lengthMs, 0, true);
  }

  /**
   * As {@link #call(long, long)}, with {@code records} records (0: 20-50 drawn; at least 4, 3
   * without the end event), tool calls and events in the same proportions, and without the
   * end-of-call event when {@code endEvent} is false (its place goes to one more transcript turn).
   */
  Call call(long index, long lengthMs, int records, boolean endEvent) {
    Random random = new Random(seed * 1_000_003L + index);
    String callId = new UUID(random.nextLong(), random.nextLong()).toString();
    String agent = AGENTS[random.nextInt(AGENTS.length)];
    String simulation =
        random.nextDouble() < simulatedFraction ? String.valueOf(1_000_000 + index) : null;
    int total = 20 + random.nextInt(31);
    int tools = 3 + random.nextInt(6);
    int events = 2 + random.nextInt(3); // call started, a few in between, call ended
    if (records > 0) {
      // At least one transcript turn besides a tool call and the two events.
      int last = endEvent ? 1 : 0;
      if (records < 3 + last) {
        throw new IllegalArgumentException("a call has at least " + (3 + last) + " records");
      }
      tools = (int) Math.max(1, Math.min(records - 3, Math.round(tools * records / 35.0)));
      events =
          (int)
              Math.max(
                  2,
                  Math.min(records - tools - 1 + (1 - last), Math.round(events * records / 35.0)));
      total = records;
    }
    int turns = total - tools - events + (endEvent ? 0 : 1);

    // The kinds of record in conversation order: started, then turns with tools and events mixed
    // in, then the end-of-call event.
    List<Character> kinds = new ArrayList<>();
    for (int i = 0; i < turns; i++) {
      kinds.add('T');
    }
    for (int i = 0; i < tools; i++) {
      kinds.add(1 + random.nextInt(kinds.size()), 'C');
    }
    for (int i = 0; i < events - 2; i++) {
      kinds.add(1 + random.nextInt(kinds.size()), 'E');
    }

    List<Part> parts = new ArrayList<>();
    long cursor = 300 + random.nextInt(700); // call time, ms
    List<long[]> timeline = new ArrayList<>(); // call-time start of each part
    parts.add(event(callId, agent, simulation, "call started", cursor, null, false, random));
    timeline.add(new long[] {cursor});
    boolean agentSpeaks = true;
    for (char kind : kinds) {
      long start = cursor;
      switch (kind) {
        case 'T' -> {
          String utterance = utterance(agentSpeaks ? AGENT_LINES : USER_LINES, random);
          long end = start + 55L * utterance.length() + random.nextInt(600);
          parts.add(turn(callId, agent, simulation, agentSpeaks, utterance, start, end));
          cursor = end + 200 + random.nextInt(900);
          agentSpeaks = !agentSpeaks;
        }
        case 'C' -> {
          parts.add(tool(callId, agent, simulation, start, random));
          cursor = start + 300 + random.nextInt(1_200);
        }
        default -> {
          parts.add(
              event(callId, agent, simulation, "intent detected", start, null, false, random));
          cursor = start + 50;
        }
      }
      timeline.add(new long[] {start});
    }
    cursor += 200;
    if (endEvent) {
      parts.add(event(callId, agent, simulation, "call ended", cursor, cursor, true, random));
      timeline.add(new long[] {cursor});
    }

    if (poisonEvery > 0 && (index + 1) % poisonEvery == 0) {
      int turn = (int) ((index + 1) / poisonEvery - 1);
      int at = 1 + random.nextInt(parts.size() - 2);
      String poisonId = "poison-" + seed + "-" + index;
      if (hostile.isEmpty()) {
        CallGenerator.Poison[] poisons = CallGenerator.Poison.values();
        CallGenerator.Poison kind = poisons[turn % poisons.length];
        parts.add(at, poison(kind, poisonId, callId, agent, simulation));
      } else {
        Hostile kind = hostile.get(turn % hostile.size());
        parts.add(at, hostile(kind, poisonId, callId, agent, simulation));
      }
      timeline.add(at, new long[] {timeline.get(at)[0]});
    }

    // Call time to wall time: the whole call plays in lengthMs.
    double scale = cursor == 0 ? 0 : (double) lengthMs / cursor;
    List<Part> scheduled = new ArrayList<>(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      Part p = parts.get(i);
      scheduled.add(p.at(Math.round(timeline.get(i)[0] * scale)));
    }
    return new Call(callId, simulation, scheduled);
  }

  private static String utterance(String[] lines, Random random) {
    int target = 60 + random.nextInt(141);
    StringBuilder text = new StringBuilder(lines[random.nextInt(lines.length)]);
    while (text.length() < target) {
      text.append(' ').append(lines[random.nextInt(lines.length)]);
    }
    if (text.length() > 200) {
      text.setLength(200);
    }
    return text.toString().strip();
  }

  private Part turn(
      String callId,
      String agent,
      String simulation,
      boolean agentSpeaks,
      String utterance,
      long start,
      long end) {
    return new Part(
        0,
        topics.transcripts(),
        callId,
        occurredAt ->
            TranscriptTurn.newBuilder()
                .setCallId(callId)
                .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                .setAgentId(agent)
                .setSimulationResultId(simulation)
                .setSpeaker(agentSpeaks ? Speaker.AGENT : Speaker.USER)
                .setUtterance(utterance)
                .setStartOffsetMs(start)
                .setEndOffsetMs(end)
                .setFillerUtterance(null)
                .build(),
        null,
        null,
        null);
  }

  private Part tool(String callId, String agent, String simulation, long start, Random random) {
    String name = TOOLS[random.nextInt(TOOLS.length)];
    String order = "NW-" + (10_000 + random.nextInt(90_000));
    String customer = "cus_" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
    // ~100 bytes
    String parameters =
        String.format(
            Locale.ROOT,
            "{\"order_id\":\"%s\",\"customer_id\":\"%s\",\"include_items\":true,\"locale\":\"en-US\"}",
            order,
            customer);
    // ~300 bytes
    String output =
        String.format(
            Locale.ROOT,
            "{\"order_id\":\"%s\",\"status\":\"in_transit\",\"carrier\":\"UPS\","
                + "\"tracking_number\":\"1Z%016X\",\"estimated_delivery\":\"2026-11-2%d\","
                + "\"items\":[{\"sku\":\"JKT-%d\",\"quantity\":%d,\"price\":%d.95}],"
                + "\"customer\":{\"id\":\"%s\",\"tier\":\"gold\",\"since\":\"2021-03-04\"},"
                + "\"notes\":\"left the warehouse on time; no exceptions reported\"}",
            order,
            random.nextLong(),
            random.nextInt(10),
            100 + random.nextInt(900),
            1 + random.nextInt(3),
            10 + random.nextInt(90),
            customer);
    return new Part(
        0,
        topics.toolCalls(),
        callId,
        occurredAt ->
            ToolCall.newBuilder()
                .setCallId(callId)
                .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                .setAgentId(agent)
                .setSimulationResultId(simulation)
                .setName(name)
                .setStartOffsetMs(start)
                .setDescription("Looks up or changes something for the caller")
                .setParametersJson(parameters)
                .setOutputJson(output)
                .build(),
        null,
        null,
        null);
  }

  private Part event(
      String callId,
      String agent,
      String simulation,
      String title,
      long start,
      Long end,
      boolean endsCall,
      Random random) {
    String callMetadata =
        endsCall
            ? "{\"outcome\":\"resolved\",\"duration_s\":" + (start / 1_000) + "}"
            : "{\"channel\":\"phone\",\"language\":\"en-US\",\"agent_version\":\"2026.11."
                + (1 + random.nextInt(4))
                + "\"}";
    List<String> callTags = endsCall ? List.of("resolved") : List.of("inbound");
    return new Part(
        0,
        topics.events(),
        callId,
        occurredAt ->
            CallEvent.newBuilder()
                .setCallId(callId)
                .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                .setAgentId(agent)
                .setSimulationResultId(simulation)
                .setTitle(title)
                .setStartOffsetMs(start)
                .setEndOffsetMs(end)
                .setDescription(endsCall ? "The caller hung up" : null)
                .setTags(List.of())
                .setMetadataJson(null)
                .setCallMetadataJson(callMetadata)
                .setCallTags(callTags)
                .setEndsCall(endsCall)
                .build(),
        null,
        null,
        null);
  }

  private Part hostile(
      Hostile kind, String poisonId, String callId, String agent, String simulation) {
    String reason = kind.reason();
    return switch (kind) {
      case DEEP_JSON ->
          new Part(
              0,
              topics.toolCalls(),
              callId,
              occurredAt ->
                  hostileTool(callId, agent, simulation, occurredAt, deepJson(DEEP_JSON_DEPTH)),
              null,
              poisonId,
              reason);
      case AVRO_BOMB ->
          new Part(
              0,
              topics.toolCalls(),
              callId,
              occurredAt -> hostileTool(callId, agent, simulation, occurredAt, "{\"x\":1}"),
              null,
              poisonId,
              reason,
              null,
              true);
      case FAR_FUTURE ->
          new Part(
              0,
              topics.transcripts(),
              callId,
              occurredAt ->
                  TranscriptTurn.newBuilder()
                      .setCallId(callId)
                      .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                      .setAgentId(agent)
                      .setSimulationResultId(simulation)
                      .setSpeaker(Speaker.USER)
                      .setUtterance("I am calling from the year 9999.")
                      .setStartOffsetMs(14_000)
                      .setEndOffsetMs(15_500)
                      .setFillerUtterance(null)
                      .build(),
              null,
              poisonId,
              reason,
              Instant.parse("9999-12-31T23:59:59Z").toEpochMilli(),
              false);
      case FAR_PAST ->
          new Part(
              0,
              topics.events(),
              callId,
              occurredAt ->
                  CallEvent.newBuilder()
                      .setCallId(callId)
                      .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                      .setAgentId(agent)
                      .setSimulationResultId(simulation)
                      .setTitle("sentiment changed")
                      .setStartOffsetMs(14_100)
                      .setEndOffsetMs(null)
                      .setDescription(null)
                      .setTags(List.of())
                      .setMetadataJson(null)
                      .setCallMetadataJson(null)
                      .setCallTags(List.of())
                      .setEndsCall(false)
                      .build(),
              null,
              poisonId,
              reason,
              Instant.parse("1971-01-01T00:00:00Z").toEpochMilli(),
              false);
      case BEFORE_EPOCH ->
          new Part(
              0,
              topics.toolCalls(),
              callId,
              occurredAt -> hostileTool(callId, agent, simulation, occurredAt, "{\"y\":1000}"),
              null,
              poisonId,
              reason,
              Instant.parse("1000-01-01T00:00:00Z").toEpochMilli(),
              false);
    };
  }

  private static ToolCall hostileTool(
      String callId, String agent, String simulation, long occurredAt, String parameters) {
    return ToolCall.newBuilder()
        .setCallId(callId)
        .setOccurredAt(Instant.ofEpochMilli(occurredAt))
        .setAgentId(agent)
        .setSimulationResultId(simulation)
        .setName("hostile_tool")
        .setStartOffsetMs(14_200)
        .setDescription(null)
        .setParametersJson(parameters)
        .setOutputJson(null)
        .build();
  }

  /** A JSON object nested {@code depth} objects deep: {@code {"a":{"a":...{}...}}}. */
  static String deepJson(int depth) {
    StringBuilder json = new StringBuilder(depth * 6);
    for (int i = 1; i < depth; i++) {
      json.append("{\"a\":");
    }
    json.append("{}");
    for (int i = 1; i < depth; i++) {
      json.append('}');
    }
    return json.toString();
  }

  private Part poison(
      CallGenerator.Poison kind, String poisonId, String callId, String agent, String simulation) {
    CallGenerator.PoisonRecord broken =
        kind.record(topics, callId, agent, simulation, Instant.EPOCH);
    // An Avro value gets its occurred_at when it is sent, as the valid records do.
    LongFunction<SpecificRecord> value =
        broken.value() == null
            ? null
            : occurredAt ->
                kind.record(topics, callId, agent, simulation, Instant.ofEpochMilli(occurredAt))
                    .value();
    return new Part(0, broken.topic(), broken.key(), value, broken.raw(), poisonId, kind.reason());
  }
}
