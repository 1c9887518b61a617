package dev.bluejaybridge.cli.bluejay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RetryableException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a failed Bluejay request into lines for a person: what went wrong in words, then Bluejay's
 * own {@code detail} (a string, or FastAPI's list of {@code loc}/{@code msg} entries, one per
 * line). The exception's texts are already free of the API key.
 */
public final class ApiErrors {

  private ApiErrors() {}

  /**
   * The lines to print for a failed request.
   *
   * @param subject what the request was about, e.g. {@code workflow 3f0c…} or {@code simulation
   *     42}; used for a 404
   */
  public static List<String> describe(BluejayException e, String subject) {
    List<String> lines = new ArrayList<>();
    String request = e.method() + " " + e.path();
    int status = e.status();
    if (status < 0) {
      if (e instanceof AuthException) {
        lines.add("error: " + e.getMessage());
      } else {
        lines.add("error: could not reach Bluejay (" + request + "): " + e.getMessage());
        if (e instanceof RetryableException retryable && retryable.outcomeUnknown()) {
          lines.add("  the request may have reached Bluejay: check before sending it again");
        }
      }
      return lines;
    }
    lines.add(
        "error: Bluejay answered HTTP "
            + status
            + " to "
            + request
            + ": "
            + meaning(status, subject));
    lines.addAll(details(e.responseBody()));
    return lines;
  }

  private static String meaning(int status, String subject) {
    return switch (status) {
      case 400 -> "the request is invalid";
      case 401 ->
          "the API key was refused (check bluejay.api-key, bluejay.api-key-file or BLUEJAY_API_KEY)";
      case 403 -> "this API key may not do that";
      case 404 -> subject + " does not exist, or this API key cannot access it";
      case 408 -> "Bluejay timed out; try again";
      case 409 -> "the request conflicts with the current state";
      case 422 -> "the request body was rejected";
      case 429 -> "rate limited (100 requests per minute per route); try again later";
      default ->
          status >= 500
              ? "Bluejay failed (server error); try again later"
              : "the request was refused";
    };
  }

  /** Bluejay's {@code detail}, or the body itself when it is not the documented JSON. */
  static List<String> details(String body) {
    if (body == null || body.isBlank()) {
      return List.of();
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      return List.of("  " + Json.shorten(body, 500));
    }
    JsonNode detail = json == null ? null : json.get("detail");
    if (detail == null || detail.isNull()) {
      return List.of("  " + Json.shorten(body, 500));
    }
    if (detail.isTextual()) {
      return List.of("  detail: " + detail.asText());
    }
    if (!detail.isArray()) {
      return List.of("  detail: " + detail);
    }
    List<String> lines = new ArrayList<>();
    for (JsonNode item : detail) {
      lines.add("  - " + detailItem(item));
    }
    return lines;
  }

  private static String detailItem(JsonNode item) {
    if (item.isTextual()) {
      return item.asText();
    }
    if (!item.isObject() || !item.has("msg")) {
      return item.toString();
    }
    List<String> loc = new ArrayList<>();
    for (JsonNode part : item.path("loc")) {
      loc.add(part.asText());
    }
    String type = Json.text(item.get("type"));
    return (loc.isEmpty() ? "" : String.join(".", loc) + ": ")
        + item.get("msg").asText()
        + (type == null || type.isEmpty() ? "" : " (" + type + ")");
  }
}
