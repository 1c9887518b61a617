package dev.bluejaybridge.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The JSON of delivery receipts and delivery dead-letter records (docs/topics.md and
 * docs/failures.md), and the DLQ headers {@code bridge.error.reason}, {@code bridge.error.status},
 * {@code bridge.error.attempts}.
 */
public final class DeliveryRecords {
  static final String REASON_HEADER = "bridge.error.reason";
  static final String STATUS_HEADER = "bridge.error.status";
  static final String ATTEMPTS_HEADER = "bridge.error.attempts";

  private static final ObjectMapper JSON = new ObjectMapper();

  private DeliveryRecords() {}

  public static String endpointName(Endpoint endpoint) {
    return endpoint == Endpoint.UPDATE_LOG ? "update-log" : "update-simulation-result";
  }

  static String method(Endpoint endpoint) {
    return endpoint == Endpoint.UPDATE_LOG ? "PUT" : "POST";
  }

  static String path(OutboxEntry entry) {
    return path(entry.getEndpoint(), entry.getCallId());
  }

  static String path(Endpoint endpoint, String callId) {
    return endpoint == Endpoint.UPDATE_LOG
        ? "/v1/update-log/" + callId
        : "/v1/update-simulation-result";
  }

  public static byte[] receipt(
      OutboxEntry entry, int status, long latencyMs, long deliveredAt, int requestBytes) {
    ObjectNode receipt = JSON.createObjectNode();
    receipt.put("endpoint", endpointName(entry.getEndpoint()));
    receipt.put("status", status);
    receipt.put("attempts", entry.getAttempts());
    receipt.put("latency_ms", latencyMs);
    receipt.put("delivered_at", Instant.ofEpochMilli(deliveredAt).toString());
    receipt.put("request_bytes", requestBytes);
    receipt.put("simulation_result_id", entry.getSimulationResultId());
    return write(receipt, "receipt");
  }

  public static byte[] deadLetter(OutboxEntry entry, String reason, RejectedException rejected) {
    ObjectNode value = JSON.createObjectNode();
    value.put("endpoint", endpointName(entry.getEndpoint()));
    value.put("method", method(entry.getEndpoint()));
    value.put("path", path(entry));
    byte[] body = Dispatcher.bytes(entry.getRequestBody());
    value.set("request_body", parse(body));
    if (entry.getLastStatus() == null) {
      value.putNull("status");
    } else {
      value.put("status", entry.getLastStatus());
    }
    value.put("response_body", entry.getLastResponseBody());
    value.put("reason", reason);
    value.put("attempts", entry.getAttempts());
    value.put("first_attempt_at", instant(entry.getFirstAttemptAt()));
    value.put("last_attempt_at", instant(entry.getLastAttemptAt()));
    if (rejected != null && !rejected.details().isEmpty()) {
      ArrayNode details = value.putArray("detail");
      rejected
          .details()
          .forEach(
              d -> {
                ObjectNode item = details.addObject();
                ArrayNode loc = item.putArray("loc");
                d.loc().forEach(loc::add);
                item.put("msg", d.msg());
                item.put("type", d.type());
              });
    }
    if (entry.getLastError() != null) {
      value.put("error", entry.getLastError());
    }
    return write(value, reason, new String(body, StandardCharsets.UTF_8));
  }

  /** A call whose request body is over the outbox's limit: named, not sent, its body left out. */
  static byte[] tooLarge(ClosedCall call, boolean simulated, int requestBytes, long now) {
    ObjectNode value = JSON.createObjectNode();
    Endpoint endpoint = simulated ? Endpoint.UPDATE_SIMULATION_RESULT : Endpoint.UPDATE_LOG;
    value.put("endpoint", endpointName(endpoint));
    value.put("method", method(endpoint));
    value.put("path", path(endpoint, call.callId()));
    value.putNull("request_body");
    value.put("request_bytes", requestBytes);
    value.put("records", call.size());
    value.putNull("status");
    value.putNull("response_body");
    value.put("reason", "request-too-large");
    value.put("attempts", 0);
    value.putNull("first_attempt_at");
    value.put("last_attempt_at", Instant.ofEpochMilli(now).toString());
    return write(value, "request-too-large");
  }

  /**
   * A late record: it arrived after its call was sent (or dead-lettered) and cannot be sent alone
   * (a simulated call's POST would append it a second time; a production call's PUT would replace
   * the whole log by a fragment). {@code request_body} holds {@code late_record} (and {@code
   * simulation_result_id} of a simulated call), at most {@link #MAX_CONTENT_BYTES} of it.
   */
  static byte[] lateRecord(
      String callId, String simulationResultId, SpecificRecord record, long receivedAt) {
    ObjectNode value = JSON.createObjectNode();
    Endpoint endpoint =
        simulationResultId == null ? Endpoint.UPDATE_LOG : Endpoint.UPDATE_SIMULATION_RESULT;
    value.put("endpoint", endpointName(endpoint));
    value.put("method", method(endpoint));
    value.put("path", path(endpoint, callId));
    ObjectNode body = value.putObject("request_body");
    if (simulationResultId != null) {
      body.put("simulation_result_id", simulationResultId);
    }
    Content content = new Content(MAX_CONTENT_BYTES);
    body.set("late_record", content.record(record));
    if (content.truncated) {
      value.put("content_truncated", true);
    }
    value.putNull("status");
    value.putNull("response_body");
    value.put("reason", "late");
    value.put("attempts", 0);
    value.putNull("first_attempt_at");
    value.put("last_attempt_at", Instant.ofEpochMilli(receivedAt).toString());
    return write(value, "late");
  }

  /**
   * A closed call whose request body could not be built (e.g. JSON nested deeper than the JSON
   * writer takes): not sent; {@code request_body} is null and {@code records} holds the call's
   * records (as {@code late_record} does), at most {@link #MAX_CONTENT_BYTES} of them, the rest
   * counted in {@code records_omitted}.
   */
  static byte[] unserializable(ClosedCall call, Throwable error, long now) {
    ObjectNode value = JSON.createObjectNode();
    Endpoint endpoint = call.simulated() ? Endpoint.UPDATE_SIMULATION_RESULT : Endpoint.UPDATE_LOG;
    value.put("endpoint", endpointName(endpoint));
    value.put("method", method(endpoint));
    value.put("path", path(endpoint, call.callId()));
    value.putNull("request_body");
    if (call.simulated()) {
      value.put("simulation_result_id", call.simulationResultId());
    }
    value.put("revision", call.revision());
    Content content = new Content(MAX_CONTENT_BYTES);
    ArrayNode records = value.putArray("records");
    int omitted = 0;
    List<SpecificRecord> all = new ArrayList<>(call.size());
    all.addAll(call.toolCalls());
    all.addAll(call.events());
    all.addAll(call.transcript());
    for (SpecificRecord record : all) {
      if (content.full()) {
        omitted++;
      } else {
        records.add(content.record(record));
      }
    }
    value.put("records_omitted", omitted);
    if (content.truncated || omitted > 0) {
      value.put("content_truncated", true);
    }
    value.putNull("status");
    value.putNull("response_body");
    value.put("reason", "unserializable");
    value.put("attempts", 0);
    value.putNull("first_attempt_at");
    value.put("last_attempt_at", Instant.ofEpochMilli(now).toString());
    value.put("error", Content.text(describe(error), 1024));
    return write(value, "unserializable");
  }

  /** An error and its causes, one line each joined by "; caused by: ". */
  static String describe(Throwable error) {
    StringBuilder text = new StringBuilder(String.valueOf(error));
    Throwable cause = error.getCause();
    for (int depth = 0; cause != null && depth < 5; depth++, cause = cause.getCause()) {
      text.append("; caused by: ").append(cause);
    }
    return text.toString();
  }

  /** The most of a call's or a record's content one dead letter holds, in UTF-8 bytes. */
  static final int MAX_CONTENT_BYTES = 1024 * 1024;

  /** Records as JSON within a byte budget: what does not fit is cut (and said so). */
  private static final class Content {
    private int left;
    boolean truncated;

    Content(int budget) {
      this.left = budget;
    }

    boolean full() {
      return left <= 0;
    }

    /**
     * The record as a JSON object with its Avro field names (Avro's own JSON rendering, its {@code
     * *_json} fields as strings); as text cut to what is left when it does not fit or does not
     * parse.
     */
    JsonNode record(SpecificRecord record) {
      String text;
      try {
        text = String.valueOf(record);
      } catch (RuntimeException e) {
        text = "unprintable record: " + e;
      }
      int bytes = text.getBytes(StandardCharsets.UTF_8).length;
      if (bytes <= left) {
        left -= bytes;
        try {
          return JSON.readTree(text);
        } catch (IOException | RuntimeException e) {
          return JSON.getNodeFactory().textNode(text);
        }
      }
      truncated = true;
      String cut = text(text, Math.max(0, left));
      left = 0;
      return JSON.getNodeFactory().textNode(cut);
    }

    /** At most {@code maxBytes} of UTF-8 of {@code text}, never splitting a character. */
    static String text(String text, int maxBytes) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      if (bytes.length <= maxBytes) {
        return text;
      }
      int end = maxBytes;
      while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
        end--;
      }
      return new String(bytes, 0, end, StandardCharsets.UTF_8) + "...(truncated)";
    }
  }

  /**
   * Keeps on the entry what the attempt learnt (the last status, answer and error), which its
   * receipt or delivery DLQ record reports.
   */
  public static void lastAnswer(OutboxEntry entry, Outcome outcome) {
    if (outcome instanceof Outcome.Delivered delivered) {
      entry.setLastStatus(delivered.status());
    } else if (outcome instanceof Outcome.Failed failed) {
      BluejayException error = failed.error();
      entry.setLastStatus(error.status() < 0 ? null : error.status());
      entry.setLastResponseBody(error.responseBody());
      entry.setLastError(error.getMessage());
    } else if (outcome instanceof Outcome.Crashed crashed) {
      entry.setLastError(crashed.error().toString());
    }
  }

  public static Headers headers(String reason, Integer status, int attempts) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    if (status != null) {
      headers.add(STATUS_HEADER, String.valueOf(status).getBytes(StandardCharsets.UTF_8));
    }
    headers.add(ATTEMPTS_HEADER, String.valueOf(attempts).getBytes(StandardCharsets.UTF_8));
    return headers;
  }

  private static String instant(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis).toString();
  }

  private static JsonNode parse(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException | RuntimeException e) {
      return JSON.getNodeFactory().textNode(new String(json, StandardCharsets.UTF_8));
    }
  }

  private static byte[] write(ObjectNode node, String what) {
    return write(node, what, null);
  }

  /**
   * The value's bytes. Never throws: a value that does not write (a request body nested deeper than
   * the JSON writer takes, one level below the top) is written again with {@code rawBody} as the
   * text of {@code request_body}, then as a bare record naming {@code what} and the error, so a
   * dead letter is never lost to its own rendering.
   */
  private static byte[] write(ObjectNode node, String what, String rawBody) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException | RuntimeException e) {
      if (rawBody != null) {
        node.put("request_body", rawBody);
        try {
          return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException | RuntimeException again) {
          // the bare record below
        }
      }
      ObjectNode bare = JSON.createObjectNode();
      bare.put("reason", what);
      bare.put("error", "the record could not be written as JSON: " + e.getClass().getName());
      return bare.toString().getBytes(StandardCharsets.UTF_8);
    }
  }
}
