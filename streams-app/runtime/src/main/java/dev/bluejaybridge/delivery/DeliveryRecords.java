package dev.bluejaybridge.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
    return entry.getEndpoint() == Endpoint.UPDATE_LOG
        ? "/v1/update-log/" + entry.getCallId()
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
    return write(receipt);
  }

  public static byte[] deadLetter(OutboxEntry entry, String reason, RejectedException rejected) {
    ObjectNode value = JSON.createObjectNode();
    value.put("endpoint", endpointName(entry.getEndpoint()));
    value.put("method", method(entry.getEndpoint()));
    value.put("path", path(entry));
    value.set("request_body", parse(Dispatcher.bytes(entry.getRequestBody())));
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
    return write(value);
  }

  /** A call whose request body is over the outbox's limit: named, not sent, its body left out. */
  static byte[] tooLarge(
      dev.bluejaybridge.aggregate.ClosedCall call, boolean simulated, int requestBytes, long now) {
    ObjectNode value = JSON.createObjectNode();
    Endpoint endpoint = simulated ? Endpoint.UPDATE_SIMULATION_RESULT : Endpoint.UPDATE_LOG;
    value.put("endpoint", endpointName(endpoint));
    value.put("method", method(endpoint));
    value.put(
        "path", simulated ? "/v1/update-simulation-result" : "/v1/update-log/" + call.callId());
    value.putNull("request_body");
    value.put("request_bytes", requestBytes);
    value.put("records", call.size());
    value.putNull("status");
    value.putNull("response_body");
    value.put("reason", "request-too-large");
    value.put("attempts", 0);
    value.putNull("first_attempt_at");
    value.put("last_attempt_at", Instant.ofEpochMilli(now).toString());
    return write(value);
  }

  /** A late record of a simulated call: it can never be sent, Bluejay would append it twice. */
  static byte[] lateRecord(String simulationResultId, String recordJson, long receivedAt) {
    ObjectNode value = JSON.createObjectNode();
    value.put("endpoint", "update-simulation-result");
    value.put("method", "POST");
    value.put("path", "/v1/update-simulation-result");
    ObjectNode body = value.putObject("request_body");
    body.put("simulation_result_id", simulationResultId);
    body.set("late_record", parse(recordJson.getBytes(StandardCharsets.UTF_8)));
    value.putNull("status");
    value.putNull("response_body");
    value.put("reason", "late");
    value.put("attempts", 0);
    value.putNull("first_attempt_at");
    value.put("last_attempt_at", Instant.ofEpochMilli(receivedAt).toString());
    return write(value);
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
    } catch (IOException e) {
      return JSON.getNodeFactory().textNode(new String(json, StandardCharsets.UTF_8));
    }
  }

  private static byte[] write(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write delivery record", e);
    }
  }
}
