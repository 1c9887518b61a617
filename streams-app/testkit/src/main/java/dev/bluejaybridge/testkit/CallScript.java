package dev.bluejaybridge.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.telemetry.Speaker;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Deterministic calls for integration tests: for each call, the records to produce (over the three
 * topics, shuffled across calls) and what Bluejay must receive for it, so a run can be reconciled
 * exactly against what the stand-in saw.
 */
public final class CallScript {
  /** What one call must look like at Bluejay. */
  public record ExpectedCall(
      String callId,
      String simulationResultId,
      List<String> toolCalls,
      List<String> events,
      List<String> utterances) {}

  /** One record and the topic it goes to ("tool-calls", "events" or "transcripts"). */
  public record Planned(String topic, String callId, SpecificRecord value) {}

  private final Map<String, ExpectedCall> expected = new LinkedHashMap<>();
  private final List<Planned> records = new ArrayList<>();
  private final List<Planned> ends = new ArrayList<>();

  /**
   * {@code calls} calls named {@code prefix-N}; every 4th is simulated; each has 1–4 tool calls,
   * 1–2 events plus the end-of-call event, and 2–5 transcript turns, all with distinct offsets.
   */
  public static CallScript of(String prefix, int calls, long seed) {
    CallScript script = new CallScript();
    Random random = new Random(seed);
    for (int c = 0; c < calls; c++) {
      String callId = prefix + "-" + c;
      String simulation = c % 4 == 0 ? String.valueOf(seed % 10_000 * 100_000 + c) : null;
      script.add(callId, simulation, random);
    }
    // Calls interleave; each call's end-of-call event comes after its other records, so that none
    // of
    // them arrives after its call closed (which would be a late record, sent again).
    java.util.Collections.shuffle(script.records, random);
    java.util.Collections.shuffle(script.ends, random);
    script.records.addAll(script.ends);
    script.ends.clear();
    return script;
  }

  private void add(String callId, String simulation, Random random) {
    List<String> tools = new ArrayList<>();
    List<String> events = new ArrayList<>();
    List<String> utterances = new ArrayList<>();
    long offset = 0;
    int toolCount = 1 + random.nextInt(4);
    for (int i = 0; i < toolCount; i++) {
      offset += 100 + random.nextInt(900);
      String name = "tool_" + i;
      tools.add(name);
      records.add(
          new Planned(
              "tool-calls",
              callId,
              Telemetry.toolCall(callId, name, offset).setSimulationResultId(simulation).build()));
    }
    int eventCount = 1 + random.nextInt(2);
    for (int i = 0; i < eventCount; i++) {
      offset += 100 + random.nextInt(900);
      String title = "event_" + i;
      events.add(title);
      records.add(
          new Planned(
              "events",
              callId,
              Telemetry.event(callId, title, offset)
                  .setSimulationResultId(simulation)
                  .setCallMetadataJson("{\"step\":" + i + "}")
                  .build()));
    }
    int turns = 2 + random.nextInt(4);
    for (int i = 0; i < turns; i++) {
      offset += 100 + random.nextInt(900);
      String utterance = "utterance " + i + " of " + callId;
      utterances.add(utterance);
      records.add(
          new Planned(
              "transcripts",
              callId,
              Telemetry.turn(callId, i % 2 == 0 ? Speaker.AGENT : Speaker.USER, utterance, offset)
                  .setSimulationResultId(simulation)
                  .build()));
    }
    offset += 1_000;
    events.add("call ended");
    ends.add(
        new Planned(
            "events",
            callId,
            Telemetry.endOfCall(callId, offset).setSimulationResultId(simulation).build()));
    expected.put(callId, new ExpectedCall(callId, simulation, tools, events, utterances));
  }

  public Map<String, ExpectedCall> expected() {
    return expected;
  }

  public List<Planned> records() {
    return records;
  }

  /** Produces every planned record to {@code <topicPrefix>.<topic>}. */
  public void produce(KafkaProducer<String, SpecificRecord> producer, String topicPrefix) {
    produce(producer, topicPrefix, records);
  }

  public static void produce(
      KafkaProducer<String, SpecificRecord> producer, String topicPrefix, List<Planned> planned) {
    for (Planned p : planned) {
      producer.send(new ProducerRecord<>(topicPrefix + "." + p.topic(), p.callId(), p.value()));
    }
    producer.flush();
  }

  /**
   * Checks what the stand-in received against the script: every call exactly one successful
   * request, with its records, and no request for anything else. Returns a list of problems.
   */
  public List<String> reconcile(List<BluejayStandIn.RecordedRequest> requests) {
    List<String> problems = new ArrayList<>();
    Map<String, String> callBySimulation = new LinkedHashMap<>();
    expected.values().stream()
        .filter(e -> e.simulationResultId() != null)
        .forEach(e -> callBySimulation.put(e.simulationResultId(), e.callId()));
    Map<String, List<JsonNode>> bodies = new LinkedHashMap<>();
    for (BluejayStandIn.RecordedRequest request : requests) {
      String callId;
      if (request.path().startsWith("/v1/update-log/")) {
        callId =
            URLDecoder.decode(
                request.path().substring("/v1/update-log/".length()), StandardCharsets.UTF_8);
      } else if (request.path().equals("/v1/update-simulation-result")) {
        callId = callBySimulation.get(request.json().get("simulation_result_id").asText());
      } else {
        continue; // lookups of simulation results are not deliveries
      }
      if (callId == null || !expected.containsKey(callId)) {
        problems.add("request for an unknown call: " + request.method() + " " + request.url());
        continue;
      }
      bodies.computeIfAbsent(callId, id -> new ArrayList<>()).add(request.json());
    }
    for (ExpectedCall call : expected.values()) {
      List<JsonNode> got = bodies.getOrDefault(call.callId(), List.of());
      if (got.size() != 1) {
        problems.add(call.callId() + ": " + got.size() + " requests, expected exactly 1");
        continue;
      }
      problems.addAll(checkBody(call.callId(), got.get(0)));
    }
    return problems;
  }

  /** What is wrong with {@code body} as the request of call {@code callId}; empty when nothing. */
  public List<String> checkBody(String callId, JsonNode body) {
    List<String> problems = new ArrayList<>();
    ExpectedCall call = expected.get(callId);
    if (call == null) {
      problems.add("no such call in the script: " + callId);
      return problems;
    }
    check(
        problems,
        call.callId(),
        "tool_calls",
        names(body.get("tool_calls"), "name"),
        call.toolCalls());
    check(problems, call.callId(), "events", names(body.get("events"), "title"), call.events());
    if (call.simulationResultId() != null) {
      check(
          problems,
          call.callId(),
          "recorded_transcript",
          names(body.get("recorded_transcript"), "utterance"),
          call.utterances());
    } else if (body.path("metadata").path("transcript_turns").asInt(-1)
        != call.utterances().size()) {
      problems.add(
          call.callId()
              + ": metadata.transcript_turns "
              + body.path("metadata").path("transcript_turns"));
    }
    return problems;
  }

  /** The call a request key belongs to: a call id, or a simulated call's result id; else null. */
  public String callIdOf(String key) {
    if (expected.containsKey(key)) {
      return key;
    }
    return expected.values().stream()
        .filter(e -> key.equals(e.simulationResultId()))
        .map(ExpectedCall::callId)
        .findFirst()
        .orElse(null);
  }

  /**
   * The key Bluejay's update request of a call carries: its result id if simulated, else itself.
   */
  public String updateKeyOf(String callId) {
    ExpectedCall call = expected.get(callId);
    return call.simulationResultId() != null ? call.simulationResultId() : callId;
  }

  private static void check(
      List<String> problems, String callId, String field, List<String> got, List<String> want) {
    if (!got.equals(want)) {
      problems.add(callId + ": " + field + " " + got + ", expected " + want);
    }
  }

  private static List<String> names(JsonNode array, String field) {
    List<String> names = new ArrayList<>();
    if (array != null) {
      array.forEach(item -> names.add(item.path(field).asText()));
    }
    return names;
  }
}
