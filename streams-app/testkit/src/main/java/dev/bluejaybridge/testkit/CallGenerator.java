package dev.bluejaybridge.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.avro.specific.SpecificRecord;

/**
 * The synthetic call generator (the demo's traffic, and the poison kinds every test shares). Plans
 * synthetic traffic: calls of voice agents booking appointments, checking orders and rescheduling,
 * each a conversation of transcript turns, tool calls with JSON parameters and output, and events,
 * plus a few poison records. The plan is a timeline of records to produce, in wall-clock
 * milliseconds from the start; the same seed gives the same plan.
 *
 * <p>Calls run in compressed time: {@value #COMPRESSION} seconds of conversation pass in one
 * wall-clock second at speed 1. Each record is produced when it would become available in a real
 * system (a transcript turn when its speech recognition is done, a tool call when it returned), so
 * the last transcript turn may arrive just after the end-of-call event, within the end grace.
 *
 * <p>Event time ({@code occurred_at}) runs on the same compressed clock: the moment a thing
 * happened, never after its record is sent, and in about the order records are sent, across all
 * calls and topics. That matters: in a backlog, Kafka Streams takes a task's records in timestamp
 * order across its partitions, and with calls minutes apart in event time one topic's records of a
 * call would be processed seconds after another's, after the end grace had closed the call.
 */
public final class CallGenerator {
  /** Seconds of conversation played per wall-clock second at speed 1. */
  public static final int COMPRESSION = 60;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every how many calls one ends by inactivity instead of an end-of-call event. */
  private static final int INACTIVITY_EVERY = 12;

  /** Every how many calls one is a simulation (when simulations are on). */
  private static final int SIMULATED_EVERY = 4;

  private static final List<String> FIRST_NAMES =
      List.of(
          "Maria", "James", "Priya", "Chen", "Olivia", "Mateo", "Aisha", "Noah", "Sofia", "Liam",
          "Fatima", "Ethan", "Hana", "Lucas");
  private static final List<String> LAST_NAMES =
      List.of(
          "Garcia", "Smith", "Patel", "Wang", "Johnson", "Rossi", "Okafor", "Kim", "Novak",
          "Haddad", "Larsen", "Moreau");
  private static final List<String> SERVICES =
      List.of("cleaning", "check-up", "filling", "whitening consultation");
  private static final List<String> REGIONS = List.of("US-TX", "US-CA", "US-NY", "US-IL", "US-WA");
  private static final List<String> CARRIERS = List.of("UPS", "FedEx", "USPS");

  /** How a poison record is broken, and the input DLQ reason it must get. */
  public enum Poison {
    /** A tool call whose {@code parameters_json} the model cut off mid-object. */
    INVALID_JSON("invalid-json"),
    /** A producer that keys by agent id instead of call id. */
    KEY_MISMATCH("key-mismatch"),
    /** A producer that wrote JSON text instead of Avro. */
    NOT_AVRO("bad-magic-byte"),
    /** Wire format, but a schema id that the registry never issued. */
    UNKNOWN_SCHEMA("unknown-schema-id"),
    /** A transcript turn with clock skew: it starts before the call did. */
    NEGATIVE_OFFSET("negative-offset");

    private final String reason;

    Poison(String reason) {
      this.reason = reason;
    }

    /** The {@code bridge.error.reason} header the input DLQ record must carry. */
    public String reason() {
      return reason;
    }

    /**
     * A record broken this way, in call {@code callId} of agent {@code agentId} ({@code
     * simulationResultId} null for a production call), happening at {@code occurredAt}.
     */
    public PoisonRecord record(
        Topics topics,
        String callId,
        String agentId,
        String simulationResultId,
        Instant occurredAt) {
      return switch (this) {
        case INVALID_JSON ->
            new PoisonRecord(
                topics.toolCalls(),
                callId,
                ToolCall.newBuilder()
                    .setCallId(callId)
                    .setOccurredAt(occurredAt)
                    .setAgentId(agentId)
                    .setSimulationResultId(simulationResultId)
                    .setName("get_order_status")
                    .setStartOffsetMs(12_400)
                    .setParametersJson("{\"order_id\": \"NW-20931\", \"include_items\": tru")
                    .setOutputJson(null)
                    .build(),
                null);
        case KEY_MISMATCH ->
            new PoisonRecord(
                topics.transcripts(),
                agentId,
                TranscriptTurn.newBuilder()
                    .setCallId(callId)
                    .setOccurredAt(occurredAt)
                    .setAgentId(agentId)
                    .setSimulationResultId(simulationResultId)
                    .setSpeaker(Speaker.AGENT)
                    .setUtterance("Is there anything else I can help with?")
                    .setStartOffsetMs(30_000)
                    .setEndOffsetMs(32_100)
                    .build(),
                null);
        case NOT_AVRO ->
            new PoisonRecord(
                topics.events(),
                callId,
                null,
                ("{\"call_id\":\""
                        + callId
                        + "\",\"title\":\"sentiment changed\",\"start_offset_ms\":15000}")
                    .getBytes(StandardCharsets.UTF_8));
        case UNKNOWN_SCHEMA ->
            new PoisonRecord(
                topics.toolCalls(),
                callId,
                null,
                ByteBuffer.allocate(13).put((byte) 0).putInt(424_242).putLong(42L).array());
        case NEGATIVE_OFFSET ->
            new PoisonRecord(
                topics.transcripts(),
                callId,
                TranscriptTurn.newBuilder()
                    .setCallId(callId)
                    .setOccurredAt(occurredAt)
                    .setAgentId(agentId)
                    .setSimulationResultId(simulationResultId)
                    .setSpeaker(Speaker.USER)
                    .setUtterance("Hello? Hi.")
                    .setStartOffsetMs(-1_200)
                    .setEndOffsetMs(400)
                    .build(),
                null);
      };
    }
  }

  /**
   * A poison record: an Avro {@code value} that the bridge's checks refuse, or {@code raw} bytes
   * that do not decode (the other is null).
   */
  public record PoisonRecord(String topic, String key, SpecificRecord value, byte[] raw) {}

  /** The three input topics the generated records go to. */
  public record Topics(String toolCalls, String events, String transcripts) {}

  /** The kinds of conversation. */
  public enum Scenario {
    BOOK_APPOINTMENT,
    ORDER_STATUS,
    RESCHEDULE
  }

  /**
   * One planned call.
   *
   * @param simulationResultId null for a production call
   * @param endsByInactivity true when no record ends the call: it closes after the inactivity gap
   */
  public record PlannedCall(
      String callId,
      String agentId,
      Scenario scenario,
      String simulationResultId,
      boolean endsByInactivity,
      int records) {

    public boolean simulated() {
      return simulationResultId != null;
    }
  }

  /**
   * One record to produce at {@code atMillis} after the start: an Avro {@code value}, or {@code
   * raw} bytes (poison that is not Avro). {@code callId} is the call a valid record belongs to;
   * {@code poison} is null for valid records.
   */
  public record Emission(
      long atMillis,
      String topic,
      String key,
      SpecificRecord value,
      byte[] raw,
      String callId,
      Poison poison) {}

  /** The whole plan: calls, and the records to produce, in order of {@code atMillis}. */
  public record Plan(List<PlannedCall> calls, List<Emission> emissions) {

    /** How many poison records of each reason the plan holds. */
    public Map<String, Integer> poisonByReason() {
      Map<String, Integer> counts = new TreeMap<>();
      emissions.stream()
          .filter(e -> e.poison() != null)
          .forEach(e -> counts.merge(e.poison().reason(), 1, Integer::sum));
      return counts;
    }

    /** How many poison records the plan holds. */
    public int poisonCount() {
      return (int) emissions.stream().filter(e -> e.poison() != null).count();
    }
  }

  /**
   * What to plan.
   *
   * @param calls how many calls
   * @param callsPerSecond how many calls start per wall-clock second
   * @param speed compression of the gaps within a call: 2 plays a call twice as fast
   * @param simulations whether about one call in four is a simulation
   * @param seed the same seed gives the same plan
   * @param start the event time at which the run starts (wall-clock millisecond 0)
   */
  public record Settings(
      int calls,
      double callsPerSecond,
      double speed,
      boolean simulations,
      long seed,
      Instant start) {
    /**
     * @throws IllegalArgumentException naming the first value out of range
     */
    public Settings {
      if (calls < 1) {
        throw new IllegalArgumentException("calls must be at least 1: " + calls);
      }
      if (!(callsPerSecond > 0)) {
        throw new IllegalArgumentException("the call rate must be positive: " + callsPerSecond);
      }
      if (!(speed > 0)) {
        throw new IllegalArgumentException("speed must be positive: " + speed);
      }
    }
  }

  private final Settings settings;
  private final Topics topics;
  private final Random random;

  private CallGenerator(Settings settings, Topics topics) {
    this.settings = settings;
    this.topics = topics;
    this.random = new Random(settings.seed());
  }

  /** Plans the traffic for {@code settings}, written to the input topics of {@code topics}. */
  public static Plan plan(Settings settings, Topics topics) {
    return new CallGenerator(settings, topics).plan();
  }

  /** How many poison records a run of {@code calls} calls gets: every kind at least once. */
  public static int poisonCount(int calls) {
    return Math.max(Poison.values().length, Math.round(calls / 20f));
  }

  private Plan plan() {
    int calls = settings.calls();
    Set<Integer> inactive = pick(calls, Math.max(1, Math.round((float) calls / INACTIVITY_EVERY)));
    Set<Integer> simulated =
        settings.simulations()
            ? pick(calls, Math.round((float) calls / SIMULATED_EVERY))
            : Set.of();
    int firstSimulationResult = 200_000 + random.nextInt(700_000);
    double spacing = 1_000.0 / settings.callsPerSecond();

    List<PlannedCall> planned = new ArrayList<>();
    List<Emission> emissions = new ArrayList<>();
    List<Script> scripts = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      long wallStart = Math.round(i * spacing + random.nextDouble() * spacing / 2);
      String simulationResultId =
          simulated.contains(i) ? String.valueOf(firstSimulationResult + i) : null;
      Scenario scenario = Scenario.values()[random.nextInt(Scenario.values().length)];
      Script script =
          new Script(uuid(), agentFor(scenario), simulationResultId, inactive.contains(i));
      switch (scenario) {
        case BOOK_APPOINTMENT -> bookAppointment(script);
        case ORDER_STATUS -> orderStatus(script);
        case RESCHEDULE -> reschedule(script);
      }
      long callStart = settings.start().toEpochMilli() + wallStart;
      for (Script.Line line : script.lines) {
        emissions.add(
            new Emission(
                wallStart + wallMillis(line.availableAt()),
                line.topic(),
                script.callId,
                line.factory().build(callStart + wallMillis(line.startOffset())),
                null,
                script.callId,
                null));
      }
      planned.add(
          new PlannedCall(
              script.callId,
              script.agentId,
              scenario,
              simulationResultId,
              script.endsByInactivity,
              script.lines.size()));
      scripts.add(script);
    }
    int poison = poisonCount(calls);
    for (int p = 0; p < poison; p++) {
      int target = random.nextInt(calls);
      long at = Math.round(target * spacing) + random.nextInt(1 + wallMillis(20_000));
      emissions.add(poison(Poison.values()[p % Poison.values().length], scripts.get(target), at));
    }
    emissions.sort(Comparator.comparingLong(Emission::atMillis));
    return new Plan(List.copyOf(planned), List.copyOf(emissions));
  }

  private int wallMillis(long callMillis) {
    return (int) Math.round(callMillis / (COMPRESSION * settings.speed()));
  }

  private Set<Integer> pick(int from, int count) {
    List<Integer> indices = new ArrayList<>(IntStream.range(0, from).boxed().toList());
    Collections.shuffle(indices, random);
    return new HashSet<>(indices.subList(0, Math.min(count, from)));
  }

  private static String agentFor(Scenario scenario) {
    return scenario == Scenario.ORDER_STATUS ? "agent-order-support" : "agent-clinic-front-desk";
  }

  // ---------------------------------------------------------------- conversations

  private void bookAppointment(Script s) {
    String patient = oneOf(FIRST_NAMES) + " " + oneOf(LAST_NAMES);
    String service = oneOf(SERVICES);
    LocalDate date = settings.start().atZone(ZoneOffset.UTC).toLocalDate().plusDays(1 + below(9));
    String day = date.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
    List<String> slots = slots();
    String slot = oneOf(slots);
    String confirmation = "MSD-" + (10_000 + random.nextInt(90_000));
    String phone = phone();

    s.callStarted("clinic", "book_appointment");
    s.agent("Thanks for calling Maple Street Dental, this is Ava. How can I help you today?");
    s.user("Hi, I'd like to book a " + service + ", ideally on " + day + " if you have anything.");
    s.intent("book_appointment");
    s.filler("Sure, let me check the schedule for you.");
    checkAvailability(s, service, date, slots);
    s.agent("On " + day + " I have " + String.join(", ", slots) + ". Which works best for you?");
    s.user(slot + " works. The name is " + patient + ".");
    s.tool(
        "book_appointment",
        "Books a slot for a patient",
        object(
            "patient_name",
            patient,
            "service",
            service,
            "date",
            date.toString(),
            "time",
            slot,
            "phone",
            phone),
        object("confirmation_id", confirmation, "status", "booked"));
    s.agent(
        "You're all set for "
            + day
            + " at "
            + slot
            + ". Your confirmation number is "
            + confirmation
            + ". Shall I text it to you?");
    s.user("Yes please, to this number.");
    s.tool(
        "send_sms_confirmation",
        "Texts the booking confirmation to the caller",
        object("phone", phone, "confirmation_id", confirmation),
        object("delivered", true, "provider_message_id", "SM" + hex(16)));
    s.agent("Done. Is there anything else I can help with?");
    s.goodbye(
        "No, that's all. Thank you!", "You're welcome, see you on " + day + ". Goodbye!", "booked");
  }

  private static void checkAvailability(
      Script s, String service, LocalDate date, List<String> slots) {
    s.tool(
        "check_availability",
        "Lists open appointment slots for a service on a day",
        object("service", service, "date", date.toString(), "location", "maple-street"),
        object("date", date.toString(), "slots", slots, "timezone", "America/Chicago"));
  }

  private void orderStatus(Script s) {
    String order = "NW-" + (10_000 + random.nextInt(90_000));
    String customer = oneOf(FIRST_NAMES) + " " + oneOf(LAST_NAMES);
    String carrier = oneOf(CARRIERS);
    boolean delayed = random.nextInt(3) == 0;
    LocalDate eta =
        settings.start().atZone(ZoneOffset.UTC).toLocalDate().plusDays(delayed ? 4 : 1 + below(2));
    String etaDay = eta.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);

    s.callStarted("retail", "order_status");
    s.agent("Hi, you've reached Northwind Outfitters. I'm Sam, your virtual assistant.");
    s.user("Hi, I'm calling about my order. It still hasn't arrived.");
    s.intent("order_status");
    s.agent("I can help with that. Could you read me your order number?");
    s.user("Sure, it's " + order + ".");
    s.filler("One moment while I pull that up.");
    ObjectNode orderOutput =
        object(
            "order_id",
            order,
            "customer_name",
            customer,
            "status",
            delayed ? "delayed" : "in_transit",
            "carrier",
            carrier,
            "tracking_number",
            "1Z" + hex(16).toUpperCase(Locale.ROOT),
            "estimated_delivery",
            eta.toString());
    ArrayNode items = orderOutput.putArray("items");
    items.add(object("sku", "JKT-" + (100 + random.nextInt(900)), "quantity", 1));
    s.tool(
        "get_order_status",
        "Looks up an order and its shipment",
        object("order_id", order, "include_items", true),
        orderOutput);
    if (delayed) {
      s.agent(
          "I'm sorry, "
              + customer.split(" ")[0]
              + ". Your package is delayed with "
              + carrier
              + " and should arrive on "
              + etaDay
              + ".");
      s.user("That's really late. Can you at least refund the shipping?");
      s.tool(
          "issue_store_credit",
          "Issues store credit to the customer's account",
          object("order_id", order, "amount", 7.95, "currency", "USD", "reason", "late_delivery"),
          object("credit_id", "CR-" + hex(8), "amount", 7.95, "status", "issued"));
      s.agent("I've refunded the $7.95 shipping as store credit. It shows up within the hour.");
    } else {
      s.agent("Good news: it shipped with " + carrier + " and should arrive on " + etaDay + ".");
    }
    s.goodbye(
        "Okay, thanks for checking.",
        "My pleasure. Have a great day!",
        delayed ? "credit_issued" : "informed");
  }

  private void reschedule(Script s) {
    String patient = oneOf(FIRST_NAMES) + " " + oneOf(LAST_NAMES);
    String service = oneOf(SERVICES);
    LocalDate today = settings.start().atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate old = today.plusDays(1 + below(3));
    LocalDate wanted = old.plusDays(2 + below(5));
    String oldDay = old.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
    String wantedDay = wanted.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
    String appointment = "apt_" + hex(10);
    List<String> slots = slots();
    String slot = oneOf(slots);
    String birthDate =
        LocalDate.of(1950 + random.nextInt(50), 1 + random.nextInt(12), 1 + random.nextInt(28))
            .toString();

    s.callStarted("clinic", "reschedule");
    s.agent("Thanks for calling Maple Street Dental, this is Ava. How can I help you today?");
    s.user("Hi, I need to move my appointment on " + oldDay + ".");
    s.intent("reschedule");
    s.agent("No problem. Can I have your full name and date of birth?");
    s.user(patient + ", born " + birthDate + ".");
    s.tool(
        "find_appointment",
        "Finds a patient's upcoming appointment",
        object("patient_name", patient, "date_of_birth", birthDate),
        object(
            "appointment_id",
            appointment,
            "service",
            service,
            "date",
            old.toString(),
            "time",
            oneOf(slots())));
    s.agent("I see your " + service + " on " + oldDay + ". When would you like to come instead?");
    s.user("Do you have anything on " + wantedDay + "?");
    s.filler("Let me look.");
    checkAvailability(s, service, wanted, slots);
    s.agent("On " + wantedDay + " I have " + String.join(", ", slots) + ".");
    s.user("Let's do " + slot + ".");
    s.tool(
        "reschedule_appointment",
        "Moves an appointment to a new slot",
        object("appointment_id", appointment, "new_date", wanted.toString(), "new_time", slot),
        object("appointment_id", appointment, "status", "rescheduled"));
    s.agent("Done: you're now booked for " + wantedDay + " at " + slot + ".");
    s.goodbye("Perfect, thanks.", "Thank you for calling. Goodbye!", "rescheduled");
  }

  // ---------------------------------------------------------------- poison

  private Emission poison(Poison kind, Script call, long at) {
    PoisonRecord broken =
        kind.record(
            topics,
            call.callId,
            call.agentId,
            call.simulationResultId,
            Instant.ofEpochMilli(settings.start().toEpochMilli()));
    return new Emission(at, broken.topic(), broken.key(), broken.value(), broken.raw(), null, kind);
  }

  // ---------------------------------------------------------------- helpers

  private int below(int bound) {
    return random.nextInt(bound);
  }

  private <T> T oneOf(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private List<String> slots() {
    List<String> all =
        new ArrayList<>(List.of("08:30", "09:15", "10:00", "11:30", "13:00", "14:45", "16:15"));
    Collections.shuffle(all, random);
    List<String> three = new ArrayList<>(all.subList(0, 3));
    Collections.sort(three);
    return three;
  }

  private String phone() {
    return "+1-555-01" + (10 + random.nextInt(90));
  }

  private String hex(int digits) {
    StringBuilder text = new StringBuilder(digits);
    for (int i = 0; i < digits; i++) {
      text.append(Character.forDigit(random.nextInt(16), 16));
    }
    return text.toString();
  }

  /** A random (version 4) UUID drawn from the seeded generator. */
  private String uuid() {
    long most = (random.nextLong() & ~0xF000L) | 0x4000L;
    long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(most, least).toString();
  }

  /** A JSON object from alternating keys and values (strings, numbers, booleans, lists). */
  private static ObjectNode object(Object... keysAndValues) {
    ObjectNode node = JSON.createObjectNode();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      node.set((String) keysAndValues[i], JSON.valueToTree(keysAndValues[i + 1]));
    }
    return node;
  }

  /**
   * One call's conversation as it is written: a cursor in call time moves on with every turn and
   * tool call; each line is a record with the call-time offset at which it becomes available.
   */
  private final class Script {
    /** One record of the call, built once its event time is known. */
    private record Line(long availableAt, String topic, long startOffset, RecordFactory factory) {}

    private interface RecordFactory {
      SpecificRecord build(long occurredAt);
    }

    final String callId;
    final String agentId;
    final String simulationResultId;
    final boolean endsByInactivity;
    final List<Line> lines = new ArrayList<>();
    long cursor = 200 + random.nextInt(800);

    Script(String callId, String agentId, String simulationResultId, boolean endsByInactivity) {
      this.callId = callId;
      this.agentId = agentId;
      this.simulationResultId = simulationResultId;
      this.endsByInactivity = endsByInactivity;
    }

    private void add(long availableAt, String topic, long startOffset, RecordFactory factory) {
      lines.add(new Line(availableAt, topic, startOffset, factory));
    }

    void agent(String utterance) {
      turn(Speaker.AGENT, utterance, null);
    }

    void filler(String utterance) {
      turn(Speaker.AGENT, utterance, true);
    }

    void user(String utterance) {
      turn(Speaker.USER, utterance, null);
    }

    private void turn(Speaker speaker, String utterance, Boolean filler) {
      long words = utterance.split("\\s+").length;
      long start = cursor;
      long end = start + 320 * words + random.nextInt(500);
      // Speech recognition finishes a little after the speaker does.
      long available = end + 150 + random.nextInt(600);
      add(
          available,
          topics.transcripts(),
          start,
          occurredAt ->
              TranscriptTurn.newBuilder()
                  .setCallId(callId)
                  .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                  .setAgentId(agentId)
                  .setSimulationResultId(simulationResultId)
                  .setSpeaker(speaker)
                  .setUtterance(utterance)
                  .setStartOffsetMs(start)
                  .setEndOffsetMs(end)
                  .setFillerUtterance(filler)
                  .build());
      cursor = end + 250 + random.nextInt(700);
    }

    void tool(String name, String description, ObjectNode parameters, JsonNode output) {
      long start = cursor;
      long latency = 250 + random.nextInt(1_200);
      String parametersJson = parameters.toString();
      String outputJson = output.toString();
      add(
          start + latency,
          topics.toolCalls(),
          start,
          occurredAt ->
              ToolCall.newBuilder()
                  .setCallId(callId)
                  .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                  .setAgentId(agentId)
                  .setSimulationResultId(simulationResultId)
                  .setName(name)
                  .setStartOffsetMs(start)
                  .setDescription(description)
                  .setParametersJson(parametersJson)
                  .setOutputJson(outputJson)
                  .build());
      cursor = start + latency + 100 + random.nextInt(300);
    }

    private void event(
        String title,
        String description,
        Long endOffset,
        List<String> tags,
        ObjectNode metadata,
        ObjectNode callMetadata,
        List<String> callTags,
        boolean endsCall) {
      long start = cursor;
      String metadataJson = metadata == null ? null : metadata.toString();
      String callMetadataJson = callMetadata == null ? null : callMetadata.toString();
      add(
          start,
          topics.events(),
          start,
          occurredAt ->
              CallEvent.newBuilder()
                  .setCallId(callId)
                  .setOccurredAt(Instant.ofEpochMilli(occurredAt))
                  .setAgentId(agentId)
                  .setSimulationResultId(simulationResultId)
                  .setTitle(title)
                  .setStartOffsetMs(start)
                  .setEndOffsetMs(endOffset)
                  .setDescription(description)
                  .setTags(tags)
                  .setMetadataJson(metadataJson)
                  .setCallMetadataJson(callMetadataJson)
                  .setCallTags(callTags)
                  .setEndsCall(endsCall)
                  .build());
    }

    void callStarted(String line, String expectedIntent) {
      ObjectNode callMetadata =
          object(
              "channel",
              "phone",
              "direction",
              "inbound",
              "language",
              "en-US",
              "caller_region",
              oneOf(REGIONS),
              "agent_version",
              "2026.11." + (1 + random.nextInt(4)),
              "business_line",
              line);
      List<String> callTags = new ArrayList<>(List.of("inbound", line));
      if (simulationResultId != null) {
        callMetadata.put("expected_intent", expectedIntent);
        callTags.add("simulation");
      }
      event(
          "call started",
          "Inbound call connected",
          null,
          List.of(),
          null,
          callMetadata,
          callTags,
          false);
    }

    void intent(String intent) {
      double confidence = 0.80 + random.nextInt(20) / 100.0;
      event(
          "intent detected",
          "The caller's intent was classified",
          null,
          List.of("nlu"),
          object("intent", intent, "confidence", confidence),
          object("intent", intent),
          List.of(),
          false);
    }

    /**
     * The end of a resolved call: the caller's and the agent's last lines and the end-of-call
     * event, or, for a call that ends by inactivity, silence instead.
     */
    void goodbye(String userLine, String agentLine, String outcome) {
      if (endsByInactivity) {
        silence("abandoned");
        return;
      }
      user(userLine);
      agent(agentLine);
      callEnded(outcome, "resolved");
    }

    /** The caller goes quiet and never hangs up: nothing ends the call but inactivity. */
    void silence(String outcome) {
      long silenceMs = 8_000 + random.nextInt(6_000);
      cursor += silenceMs;
      turn(Speaker.AGENT, "Hello? Are you still there?", null);
      event(
          "caller silent",
          "No speech from the caller; the line stayed open",
          cursor,
          List.of("silence"),
          object("silence_ms", silenceMs),
          object("outcome", outcome),
          List.of("no-hangup"),
          false);
    }

    void callEnded(String outcome, String resolution) {
      cursor += 200;
      long end = cursor;
      event(
          "call ended",
          "The caller hung up",
          end,
          List.of("hangup"),
          null,
          object("outcome", outcome, "resolution", resolution, "duration_s", end / 1_000),
          List.of(outcome),
          true);
    }
  }
}
