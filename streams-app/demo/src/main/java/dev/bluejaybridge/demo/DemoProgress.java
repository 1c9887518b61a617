package dev.bluejaybridge.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.errors.InputDlq;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * What the demo knows about its calls, from what it produced and from the pipeline's output topics
 * (receipts, delivery DLQ, input DLQ, read committed): which calls were delivered, which were
 * dead-lettered and why, which poison records reached the input DLQ. Single-threaded: the demo's
 * main loop feeds it.
 */
final class DemoProgress {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long RATE_WINDOW_MILLIS = 10_000;

  private final BridgeConfig.Topics topics;
  private final Set<String> planned;
  private final Set<String> produced = new HashSet<>();
  private final Map<String, String> deliveredEndpoint = new HashMap<>();
  private final Map<String, String> deadLetterReason = new HashMap<>();
  private final Map<String, Integer> inputDlqByReason = new TreeMap<>();
  private long attemptsReported;
  private final ArrayDeque<long[]> requestSamples = new ArrayDeque<>();

  DemoProgress(BridgeConfig.Topics topics, Collection<String> plannedCalls) {
    this.topics = topics;
    this.planned = Set.copyOf(plannedCalls);
  }

  /** The first record of a call was sent. */
  void produced(String callId) {
    produced.add(callId);
  }

  /** A record from one of the output topics. */
  void accept(ConsumerRecord<byte[], byte[]> record) {
    String topic = record.topic();
    if (topic.equals(topics.inputDlq())) {
      inputDlqByReason.merge(header(record, InputDlq.REASON_HEADER, "unknown"), 1, Integer::sum);
      return;
    }
    String callId = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    JsonNode value = json(record.value());
    attemptsReported += value.path("attempts").asLong(0);
    if (!planned.contains(callId)) {
      return;
    }
    if (topics.deliveryReceipts().map(topic::equals).orElse(false)) {
      deliveredEndpoint.putIfAbsent(callId, value.path("endpoint").asText("unknown"));
    } else if (topic.equals(topics.deliveryDlq())) {
      String reason =
          header(record, InputDlq.REASON_HEADER, value.path("reason").asText("unknown"));
      deadLetterReason.putIfAbsent(callId, reason);
    }
  }

  int producedCount() {
    return produced.size();
  }

  int deliveredCount() {
    return deliveredEndpoint.size();
  }

  /** Calls that went to the delivery DLQ and were never delivered. */
  int deadLetteredCount() {
    return (int)
        deadLetterReason.keySet().stream().filter(c -> !deliveredEndpoint.containsKey(c)).count();
  }

  /** Delivered calls that also had a record dead-lettered (a simulated call's late record). */
  int deliveredWithDeadLetters() {
    return (int) deadLetterReason.keySet().stream().filter(deliveredEndpoint::containsKey).count();
  }

  int closedCount() {
    return deliveredCount() + deadLetteredCount();
  }

  /** Produced calls that are neither delivered nor dead-lettered yet. */
  int openCount() {
    return Math.max(0, producedCount() - closedCount());
  }

  int inputDlqCount() {
    return inputDlqByReason.values().stream().mapToInt(Integer::intValue).sum();
  }

  Map<String, Integer> inputDlqByReason() {
    return new TreeMap<>(inputDlqByReason);
  }

  Map<String, Integer> deliveredByEndpoint() {
    Map<String, Integer> counts = new TreeMap<>();
    deliveredEndpoint.values().forEach(endpoint -> counts.merge(endpoint, 1, Integer::sum));
    return counts;
  }

  Map<String, Integer> deadLetteredByReason() {
    Map<String, Integer> counts = new TreeMap<>();
    deadLetterReason.forEach(
        (call, reason) -> {
          if (!deliveredEndpoint.containsKey(call)) {
            counts.merge(reason, 1, Integer::sum);
          }
        });
    return counts;
  }

  /** Attempts named by receipts and delivery dead letters: the requests, seen from Kafka. */
  long attemptsReported() {
    return attemptsReported;
  }

  /** The calls of {@code calls} that are neither delivered nor dead-lettered. */
  List<String> unaccounted(Collection<String> calls) {
    return calls.stream()
        .filter(c -> !deliveredEndpoint.containsKey(c) && !deadLetterReason.containsKey(c))
        .toList();
  }

  /** Requests per minute over the last ten seconds, given the request count at {@code now}. */
  double requestsPerMinute(long nowMillis, long requestsSoFar) {
    requestSamples.addLast(new long[] {nowMillis, requestsSoFar});
    while (requestSamples.size() > 2
        && requestSamples.peekFirst()[0] < nowMillis - RATE_WINDOW_MILLIS) {
      requestSamples.removeFirst();
    }
    long[] first = requestSamples.peekFirst();
    long span = nowMillis - first[0];
    return span <= 0 ? 0 : (requestsSoFar - first[1]) * 60_000.0 / span;
  }

  /** The live progress line. */
  String line(long elapsedMillis, int plannedCalls, double requestsPerMinute) {
    return String.format(
        Locale.ROOT,
        "%6.1fs  calls produced %d/%d · open %d · delivered %d · dead-lettered %d"
            + " · input DLQ %d · %,.0f req/min",
        elapsedMillis / 1000.0,
        producedCount(),
        plannedCalls,
        openCount(),
        deliveredCount(),
        deadLetteredCount(),
        inputDlqCount(),
        requestsPerMinute);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name, String absent) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null
        ? absent
        : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static JsonNode json(byte[] value) {
    if (value == null) {
      return JSON.missingNode();
    }
    try {
      JsonNode node = JSON.readTree(value);
      return node == null ? JSON.missingNode() : node;
    } catch (IOException e) {
      return JSON.missingNode();
    }
  }
}
