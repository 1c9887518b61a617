package dev.bluejaybridge.cli.bluejay;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The Bluejay commands' one mapper: strict when reading files, pretty when printing. */
final class Json {
  /** Duplicate keys and trailing text in a file are mistakes worth reporting, not guessing at. */
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private Json() {}

  /**
   * Reads a JSON file; a problem naming the file (and the line, for a syntax error) when it cannot.
   */
  static Optional<JsonNode> readFile(Path file, String label, List<String> problems) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      problems.add(label + ": no such file " + file);
      return Optional.empty();
    } catch (IOException e) {
      problems.add(label + ": cannot read " + file + ": " + e.getMessage());
      return Optional.empty();
    }
    try {
      JsonNode json = MAPPER.readTree(text);
      if (json == null || json.isMissingNode()) {
        problems.add(label + ": " + file + " is empty");
        return Optional.empty();
      }
      return Optional.of(json);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      problems.add(
          label + ": " + file + " is not valid JSON" + where + ": " + e.getOriginalMessage());
      return Optional.empty();
    }
  }

  static byte[] bytes(JsonNode json) {
    try {
      return MAPPER.writeValueAsBytes(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialize", e);
    }
  }

  static String pretty(JsonNode json) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialize", e);
    }
  }

  /** Parses a 2xx answer; an answer that is not a JSON object is a runtime failure. */
  static JsonNode answer(String body, String what) {
    try {
      JsonNode json = MAPPER.readTree(body);
      if (json != null && json.isObject()) {
        return json;
      }
    } catch (JsonProcessingException e) {
      // reported below
    }
    throw new UnexpectedAnswerException(
        what + ": Bluejay's answer is not a JSON object: " + shorten(body, 300));
  }

  /** Text of a scalar; null when absent or JSON null. */
  static String text(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode() || node.isContainerNode()
        ? null
        : node.asText();
  }

  static String shorten(String text, int max) {
    String oneLine = text == null ? "" : text.strip().replaceAll("\\s+", " ");
    if (oneLine.isEmpty()) {
      return "(empty)";
    }
    return oneLine.length() <= max ? oneLine : oneLine.substring(0, max) + "...";
  }

  static String quoted(String text) {
    return "'" + text + "'";
  }
}
