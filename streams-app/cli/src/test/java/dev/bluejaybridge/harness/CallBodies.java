package dev.bluejaybridge.harness;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;

/**
 * The bodies Bluejay must receive for a call, rebuilt from the records the harness produced by the
 * rules of {@code docs/bluejay-requests.md} (update-log and update-simulation-result), written here
 * again rather than taken from the bridge, so that the harness judges the bridge's bodies instead
 * of repeating them; and the matching of a body Bluejay holds against those records ({@link
 * #match}): which records it holds, which it lacks, and whether its content is exactly what those
 * records make.
 */
final class CallBodies {
  static final ObjectMapper JSON =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(100_000).build())
              .streamWriteConstraints(
                  StreamWriteConstraints.builder().maxNestingDepth(100_000).build())
              .build());

  private static final List<String> ARRAYS = List.of("tool_calls", "events", "recorded_transcript");

  private CallBodies() {}

  /**
   * What identifies one record inside a body: its kind ({@code tool}, {@code event}, {@code turn}),
   * start offset, and name, title or utterance.
   */
  record Item(String kind, long startOffsetMs, String label) implements Comparable<Item> {
    @Override
    public int compareTo(Item o) {
      return Comparator.comparing(Item::kind)
          .thenComparingLong(Item::startOffsetMs)
          .thenComparing(Item::label)
          .compare(this, o);
    }

    @Override
    public String toString() {
      String text = label.length() > 24 ? label.substring(0, 24) + "…" : label;
      return kind + "@" + startOffsetMs + " '" + text + "'";
    }
  }

  static Item item(SpecificRecord record) {
    if (record instanceof ToolCall t) {
      return new Item("tool", t.getStartOffsetMs(), t.getName());
    }
    if (record instanceof CallEvent e) {
      return new Item("event", e.getStartOffsetMs(), e.getTitle());
    }
    TranscriptTurn turn = (TranscriptTurn) record;
    return new Item("turn", turn.getStartOffsetMs(), turn.getUtterance());
  }

  /**
   * The item of a late record as the delivery DLQ shows it ({@code request_body.late_record}, the
   * record's Avro fields as JSON), or null when it is none of the three.
   */
  static Item itemOfLateRecord(JsonNode record) {
    long start = record.path("start_offset_ms").asLong(Long.MIN_VALUE);
    if (record.hasNonNull("name")) {
      return new Item("tool", start, record.get("name").asText());
    }
    if (record.hasNonNull("title")) {
      return new Item("event", start, record.get("title").asText());
    }
    if (record.hasNonNull("utterance")) {
      return new Item("turn", start, record.get("utterance").asText());
    }
    return null;
  }

  /**
   * The body of a call made of {@code records} (in arrival order): update-log's when {@code
   * simulationResultId} is null, else update-simulation-result's; normalized ({@link #canonical}).
   */
  static JsonNode body(List<SpecificRecord> records, String simulationResultId) {
    List<ToolCall> tools = new ArrayList<>();
    List<CallEvent> events = new ArrayList<>();
    List<TranscriptTurn> turns = new ArrayList<>();
    for (SpecificRecord r : records) {
      if (r instanceof ToolCall t) {
        tools.add(t);
      } else if (r instanceof CallEvent e) {
        events.add(e);
      } else {
        turns.add((TranscriptTurn) r);
      }
    }
    tools.sort(Comparator.comparingLong(ToolCall::getStartOffsetMs));
    events.sort(Comparator.comparingLong(CallEvent::getStartOffsetMs));
    turns.sort(Comparator.comparingLong(TranscriptTurn::getStartOffsetMs));

    ObjectNode body = JSON.createObjectNode();
    if (simulationResultId != null) {
      body.put("simulation_result_id", simulationResultId);
    }
    ArrayNode toolCalls = body.putArray("tool_calls");
    for (ToolCall t : tools) {
      ObjectNode node = toolCalls.addObject();
      node.put("name", t.getName());
      node.put("start_offset_ms", t.getStartOffsetMs());
      if (t.getDescription() != null) {
        node.put("description", t.getDescription());
      }
      if (t.getParametersJson() != null) {
        node.set("parameters", parse(t.getParametersJson()));
      }
      if (t.getOutputJson() != null) {
        node.set("output", parse(t.getOutputJson()));
      }
    }
    ArrayNode eventNodes = body.putArray("events");
    Map<String, JsonNode> metadata = new LinkedHashMap<>();
    Set<String> tags = new LinkedHashSet<>();
    for (CallEvent e : events) {
      ObjectNode node = eventNodes.addObject();
      node.put("title", e.getTitle());
      node.put("start_offset_ms", e.getStartOffsetMs());
      if (e.getEndOffsetMs() != null) {
        node.put("end_offset_ms", e.getEndOffsetMs());
      }
      if (e.getDescription() != null) {
        node.put("description", e.getDescription());
      }
      ArrayNode eventTags = node.putArray("tags");
      e.getTags().forEach(eventTags::add);
      if (e.getMetadataJson() != null) {
        node.set("metadata", parse(e.getMetadataJson()));
      }
      if (e.getCallMetadataJson() != null) {
        parse(e.getCallMetadataJson())
            .fields()
            .forEachRemaining(f -> metadata.put(f.getKey(), f.getValue()));
      }
      tags.addAll(e.getCallTags());
    }
    ObjectNode meta = JSON.createObjectNode();
    metadata.forEach(meta::set);
    if (simulationResultId != null) {
      ArrayNode transcript = body.putArray("recorded_transcript");
      for (TranscriptTurn turn : turns) {
        ObjectNode node = transcript.addObject();
        node.put("speaker", turn.getSpeaker().name());
        node.put("utterance", turn.getUtterance());
        node.put("start_offset_ms", turn.getStartOffsetMs());
        node.put("end_offset_ms", turn.getEndOffsetMs());
        if (turn.getFillerUtterance() != null) {
          node.put("filler_utterance", turn.getFillerUtterance());
        }
      }
      ArrayNode tagNodes = body.putArray("tags");
      tags.forEach(tagNodes::add);
      body.set("metadata", meta);
    } else {
      long agent = 0;
      long user = 0;
      for (TranscriptTurn turn : turns) {
        long talk = Math.max(0, turn.getEndOffsetMs() - turn.getStartOffsetMs());
        if (turn.getSpeaker() == dev.bluejaybridge.telemetry.Speaker.AGENT) {
          agent += talk;
        } else {
          user += talk;
        }
      }
      meta.put("transcript_turns", turns.size());
      meta.put("agent_talk_ms", agent);
      meta.put("user_talk_ms", user);
      if (!tags.isEmpty()) {
        ArrayNode tagNodes = meta.putArray("tags");
        tags.forEach(tagNodes::add);
      }
      body.set("metadata", meta);
      body.put("reevaluate", true);
    }
    return canonical(body);
  }

  /**
   * {@code body} with every number in the parser's own form and the three arrays sorted by start
   * offset then text, so that two bodies with the same content compare equal (ties in start offset
   * may come in either order; keys are compared regardless of order).
   */
  static JsonNode canonical(JsonNode body) {
    try {
      JsonNode copy = JSON.readTree(JSON.writeValueAsBytes(body));
      if (copy instanceof ObjectNode object) {
        for (String name : ARRAYS) {
          if (object.get(name) instanceof ArrayNode array) {
            List<JsonNode> items = new ArrayList<>();
            array.forEach(items::add);
            items.sort(
                Comparator.comparingLong((JsonNode n) -> n.path("start_offset_ms").asLong())
                    .thenComparing(JsonNode::toString));
            ArrayNode sorted = JSON.createArrayNode();
            items.forEach(sorted::add);
            object.set(name, sorted);
          }
        }
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }

  static JsonNode parse(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * How one body Bluejay holds (or a dead letter's {@code request_body}) stands against the records
   * produced for its call.
   *
   * @param included indexes (into the records produced) of the records the body holds
   * @param missing records produced, not stragglers, that the body lacks: it is a fragment
   * @param unexpected items in the body that no produced record accounts for (doubled, foreign)
   * @param exact whether the body is exactly what the records it holds make
   * @param difference where it first differs from that, when not exact
   */
  record Match(
      Set<Integer> included,
      List<String> missing,
      List<String> unexpected,
      boolean exact,
      String difference) {

    boolean fragment() {
      return !missing.isEmpty();
    }
  }

  /**
   * Matches {@code body} against {@code produced} (the call's valid records in send order). Which
   * records a production body holds is read from its tool calls and events; its transcript turns
   * only show in {@code metadata.transcript_turns}, so the turns it holds are taken to be the
   * non-straggler ones then the stragglers, or the stragglers then the others, in send order up to
   * that count, whichever explains the body exactly.
   */
  static Match match(JsonNode body, List<Ledger.Produced> produced, String simulationResultId) {
    boolean simulated = simulationResultId != null;
    Map<Item, Integer> held = new HashMap<>();
    for (String name : ARRAYS) {
      for (JsonNode node : body.path(name)) {
        Item item = itemOfBody(name, node);
        held.merge(item, 1, Integer::sum);
      }
    }
    Set<Integer> included = new TreeSet<>();
    List<String> missing = new ArrayList<>();
    List<Integer> turnIndexes = new ArrayList<>();
    for (int i = 0; i < produced.size(); i++) {
      Ledger.Produced p = produced.get(i);
      if (!simulated && p.value() instanceof TranscriptTurn) {
        turnIndexes.add(i);
        continue;
      }
      Item item = item(p.value());
      Integer count = held.get(item);
      if (count != null && count > 0) {
        held.put(item, count - 1);
        included.add(i);
      } else if (!p.straggler()) {
        missing.add(item.toString());
      }
    }
    List<String> unexpected = new ArrayList<>();
    held.forEach(
        (item, count) -> {
          for (int i = 0; i < count; i++) {
            unexpected.add(item.toString());
          }
        });
    JsonNode actual = canonical(body);
    if (simulated) {
      return judged(actual, included, missing, unexpected, produced, simulationResultId);
    }
    // Which turns a production body holds shows only in its figures: try the regular turns first,
    // then the stragglers first (a body made of stragglers alone), and keep the one that explains
    // the body exactly, if either does.
    int turnsHeld = body.path("metadata").path("transcript_turns").asInt(-1);
    List<Integer> regularTurns =
        turnIndexes.stream().filter(i -> !produced.get(i).straggler()).toList();
    List<Integer> lateTurns =
        turnIndexes.stream().filter(i -> produced.get(i).straggler()).toList();
    Match best = null;
    for (boolean stragglersFirst : List.of(false, true)) {
      List<Integer> ordered = new ArrayList<>(stragglersFirst ? lateTurns : regularTurns);
      ordered.addAll(stragglersFirst ? regularTurns : lateTurns);
      int take = Math.max(0, Math.min(turnsHeld, ordered.size()));
      Set<Integer> withTurns = new TreeSet<>(included);
      withTurns.addAll(ordered.subList(0, take));
      List<String> lacking = new ArrayList<>(missing);
      long regularHeld = ordered.subList(0, take).stream().filter(regularTurns::contains).count();
      if (regularHeld < regularTurns.size()) {
        lacking.add("transcript turns: " + regularHeld + " of " + regularTurns.size());
      }
      Match m = judged(actual, withTurns, lacking, unexpected, produced, null);
      if (best == null || (m.exact() && !best.exact())) {
        best = m;
      }
    }
    return best;
  }

  private static Match judged(
      JsonNode actual,
      Set<Integer> included,
      List<String> missing,
      List<String> unexpected,
      List<Ledger.Produced> produced,
      String simulationResultId) {
    List<SpecificRecord> records = new ArrayList<>();
    for (int i : included) {
      records.add(produced.get(i).value());
    }
    JsonNode expected = body(records, simulationResultId);
    String difference = actual.equals(expected) ? null : difference("", expected, actual);
    return new Match(included, missing, unexpected, difference == null, difference);
  }

  private static Item itemOfBody(String array, JsonNode node) {
    long start = node.path("start_offset_ms").asLong(Long.MIN_VALUE);
    return switch (array) {
      case "tool_calls" -> new Item("tool", start, node.path("name").asText());
      case "events" -> new Item("event", start, node.path("title").asText());
      default -> new Item("turn", start, node.path("utterance").asText());
    };
  }

  /** The first place where {@code actual} differs from {@code expected}, as a short text. */
  static String difference(String path, JsonNode expected, JsonNode actual) {
    if (expected == null || actual == null) {
      return (path.isEmpty() ? "/" : path)
          + ": expected "
          + shorten(expected)
          + ", got "
          + shorten(actual);
    }
    if (expected.isObject() && actual.isObject()) {
      Set<String> names = new TreeSet<>();
      expected.fieldNames().forEachRemaining(names::add);
      actual.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode e = expected.get(name);
        JsonNode a = actual.get(name);
        if (e == null || a == null || !e.equals(a)) {
          return difference(path + "/" + name, e, a);
        }
      }
      return null;
    }
    if (expected.isArray() && actual.isArray()) {
      if (expected.size() != actual.size()) {
        return path + ": " + expected.size() + " items expected, " + actual.size() + " held";
      }
      Iterator<JsonNode> e = expected.elements();
      Iterator<JsonNode> a = actual.elements();
      for (int i = 0; e.hasNext(); i++) {
        JsonNode en = e.next();
        JsonNode an = a.next();
        if (!en.equals(an)) {
          return difference(path + "/" + i, en, an);
        }
      }
      return null;
    }
    return expected.equals(actual)
        ? null
        : path + ": expected " + shorten(expected) + ", got " + shorten(actual);
  }

  private static String shorten(JsonNode node) {
    if (node == null) {
      return "(absent)";
    }
    String text = node.toString();
    return text.length() > 80 ? text.substring(0, 80) + "…" : text;
  }
}
