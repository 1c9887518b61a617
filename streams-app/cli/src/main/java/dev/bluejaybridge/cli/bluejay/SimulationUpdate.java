package dev.bluejaybridge.cli.bluejay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The body of {@code PUT /v1/simulation/{simulation_id}} ({@code UpdateSimulationRequest}): a
 * partial update, so only the fields given are sent. Fields come from a JSON file and from options
 * (an option wins over the file), and every documented constraint is checked before anything is
 * sent: types, UUID formats, {@code max_concurrent} 1–500, custom-metric thresholds 0–100, outcome
 * thresholds 0–99 / 1–100, {@code runs_per_digital_human} &gt; 0, units {@code minutes|seconds}.
 * Every problem is collected; the body is sent only when there are none.
 */
public final class SimulationUpdate {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private enum Kind {
    STRING,
    UUID,
    INTEGER,
    BOOLEAN,
    UNITS,
    OBJECT,
    UUID_LIST,
    STRING_LIST
  }

  /** One field of UpdateSimulationRequest: its JSON type and documented range (null: none). */
  private record Field(String name, Kind kind, Long min, Long max) {
    Field(String name, Kind kind) {
      this(name, kind, null, null);
    }
  }

  /** Every field of the request, in the spec's order (the body keeps this order). */
  private static final Map<String, Field> FIELDS = fields();

  private static Map<String, Field> fields() {
    Map<String, Field> fields = new LinkedHashMap<>();
    for (Field field :
        List.of(
            new Field("bluejay_as_code_id", Kind.UUID),
            new Field("name", Kind.STRING),
            new Field("description", Kind.STRING),
            new Field("prompt_id", Kind.UUID),
            new Field("knowledge_base_id", Kind.UUID),
            new Field("max_concurrent", Kind.INTEGER, 1L, 500L),
            new Field("hangup_on_transfer", Kind.BOOLEAN),
            new Field("max_call_duration", Kind.INTEGER),
            new Field("max_call_duration_units", Kind.UNITS),
            new Field("max_turns", Kind.INTEGER),
            new Field("ringing_timeout", Kind.INTEGER),
            new Field("digital_humans_settings", Kind.OBJECT),
            new Field("selected_custom_metrics", Kind.UUID_LIST),
            new Field("custom_metrics_failing_threshold", Kind.INTEGER, 0L, 100L),
            new Field("custom_metrics_passing_threshold", Kind.INTEGER, 0L, 100L),
            new Field("outcome_failing_threshold", Kind.INTEGER, 0L, 99L),
            new Field("outcome_passing_threshold", Kind.INTEGER, 1L, 100L),
            new Field("runs_per_digital_human", Kind.INTEGER, 1L, null),
            new Field("tags", Kind.STRING_LIST),
            new Field("pinned", Kind.BOOLEAN))) {
      fields.put(field.name(), field);
    }
    return java.util.Collections.unmodifiableMap(fields);
  }

  private final ObjectNode body;
  private final List<String> problems;

  private SimulationUpdate(ObjectNode body, List<String> problems) {
    this.body = body;
    this.problems = List.copyOf(problems);
  }

  /** The body to send; meaningful only when {@link #problems()} is empty. */
  public ObjectNode body() {
    return body.deepCopy();
  }

  /** The body as JSON bytes, keys in the spec's order. */
  public byte[] bodyBytes() {
    return Json.bytes(body);
  }

  /**
   * Bluejay's answer (the updated {@code SimulationPydantic}) as indented JSON; as it came when it
   * is not JSON (the update still went through).
   */
  public static String describeAnswer(String answer) {
    try {
      return Json.pretty(Json.MAPPER.readTree(answer));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return answer;
    }
  }

  /** Every problem found, each naming the option or file field; empty when the body can be sent. */
  public List<String> problems() {
    return problems;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects fields from a file and from options; {@link #build()} checks them all. */
  public static final class Builder {
    /** Field name to value, and to where it came from (an option, or the file). */
    private final Map<String, JsonNode> values = new LinkedHashMap<>();

    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    private Builder() {}

    /**
     * Reads a JSON object of UpdateSimulationRequest fields. Options given afterwards win; unknown
     * fields are problems (Bluejay would silently ignore them).
     */
    public Builder fromFile(Path file) {
      String label = "--from-file";
      Optional<JsonNode> json = Json.readFile(file, label, problems);
      if (json.isEmpty()) {
        return this;
      }
      if (!json.get().isObject()) {
        problems.add(label + ": " + file + " must hold a JSON object of simulation fields");
        return this;
      }
      for (Map.Entry<String, JsonNode> entry : json.get().properties()) {
        String name = entry.getKey();
        if (!FIELDS.containsKey(name)) {
          problems.add(
              label
                  + ": unknown field "
                  + Json.quoted(name)
                  + " (UpdateSimulationRequest has "
                  + String.join(", ", FIELDS.keySet())
                  + ")");
          continue;
        }
        values.put(name, entry.getValue());
        sources.put(name, file.getFileName() + ": " + name);
      }
      return this;
    }

    /** A text field ({@code name}, {@code description}). */
    public Builder text(String field, String option, String value) {
      if (value != null) {
        set(field, option, NODES.textNode(value));
      }
      return this;
    }

    /** A UUID field ({@code prompt_id}, {@code knowledge_base_id}); the format is checked later. */
    public Builder uuid(String field, String option, String value) {
      return text(field, option, value);
    }

    /** An integer given as text, so that every malformed number can be listed at once. */
    public Builder integer(String field, String option, String value) {
      if (value == null) {
        return this;
      }
      try {
        set(field, option, NODES.numberNode(Long.parseLong(value.trim())));
      } catch (NumberFormatException e) {
        problems.add(option + ": " + Json.quoted(value) + " is not a whole number");
        values.remove(field);
      }
      return this;
    }

    public Builder bool(String field, String option, Boolean value) {
      if (value != null) {
        set(field, option, NODES.booleanNode(value));
      }
      return this;
    }

    /**
     * A repeatable option ({@code --tag}, {@code --custom-metric}); {@code clear} sends {@code []}.
     */
    public Builder list(String field, String option, List<String> items, boolean clear) {
      boolean given = items != null && !items.isEmpty();
      if (given && clear) {
        problems.add(option + " and its --clear- option contradict each other: give one");
        return this;
      }
      if (given || clear) {
        ArrayNode array = NODES.arrayNode();
        if (given) {
          items.forEach(array::add);
        }
        set(field, option, array);
      }
      return this;
    }

    private void set(String field, String option, JsonNode value) {
      if (!FIELDS.containsKey(field)) {
        throw new IllegalArgumentException("not an UpdateSimulationRequest field: " + field);
      }
      values.put(field, value);
      sources.put(field, option);
    }

    /** Checks every field given and returns the body with the problems found. */
    public SimulationUpdate build() {
      List<String> all = new ArrayList<>(problems);
      ObjectNode body = NODES.objectNode();
      for (Field field : FIELDS.values()) {
        JsonNode value = values.get(field.name());
        if (value == null) {
          continue;
        }
        check(field, value, sources.get(field.name()), all);
        body.set(field.name(), value);
      }
      if (body.isEmpty() && all.isEmpty()) {
        all.add("nothing to update: give at least one field option or --from-file");
      }
      return new SimulationUpdate(body, all);
    }
  }

  private static void check(Field field, JsonNode value, String source, List<String> problems) {
    String where = source.endsWith(field.name()) ? source : source + " (" + field.name() + ")";
    if (value.isNull()) {
      return; // every field is nullable
    }
    switch (field.kind()) {
      case STRING -> {
        if (!value.isTextual()) {
          problems.add(where + ": must be a string, not " + value);
        }
      }
      case UUID -> checkUuid(where, value, problems);
      case BOOLEAN -> {
        if (!value.isBoolean()) {
          problems.add(where + ": must be true or false, not " + value);
        }
      }
      case UNITS -> {
        if (!value.isTextual()
            || !(value.asText().equals("minutes") || value.asText().equals("seconds"))) {
          problems.add(where + ": must be minutes or seconds, not " + value);
        }
      }
      case OBJECT -> {
        if (!value.isObject()) {
          problems.add(where + ": must be a JSON object, not " + value);
        }
      }
      case INTEGER -> checkInteger(field, where, value, problems);
      case UUID_LIST, STRING_LIST -> {
        if (!value.isArray()) {
          problems.add(where + ": must be a list, not " + value);
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          JsonNode item = value.get(i);
          String itemWhere = where + " item " + (i + 1);
          if (field.kind() == Kind.UUID_LIST) {
            checkUuid(itemWhere, item, problems);
          } else if (!item.isTextual()) {
            problems.add(itemWhere + ": must be a string, not " + item);
          }
        }
      }
    }
  }

  private static void checkUuid(String where, JsonNode value, List<String> problems) {
    if (!value.isTextual() || !UUID.matcher(value.asText()).matches()) {
      problems.add(
          where
              + ": "
              + (value.isTextual() ? Json.quoted(value.asText()) : value.toString())
              + " is not a UUID (8-4-4-4-12 hex digits)");
    }
  }

  private static void checkInteger(
      Field field, String where, JsonNode value, List<String> problems) {
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      problems.add(where + ": must be a whole number, not " + value);
      return;
    }
    long number = value.asLong();
    Long min = field.min();
    Long max = field.max();
    if ((min != null && number < min) || (max != null && number > max)) {
      String range =
          max == null ? "must be at least " + min : "must be between " + min + " and " + max;
      problems.add(where + ": " + number + " is out of range: " + range);
    }
  }

  @Override
  public String toString() {
    return "SimulationUpdate" + body + (problems.isEmpty() ? "" : " problems=" + problems);
  }
}
