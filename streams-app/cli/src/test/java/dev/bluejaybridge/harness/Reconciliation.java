package dev.bluejaybridge.harness;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The exact account of a run: calls produced ({@link Ledger}) = calls delivered (a 2xx at the
 * {@link Receiver}, by call_id; simulated calls by their simulation_result_id) + calls in the
 * delivery DLQ; and every poison record in the input DLQ with the reason it must have. It follows
 * the delivery DLQ, the input DLQ and the receipts topic (committed records) incrementally, so
 * {@link #snapshot()} is cheap to call in a loop.
 */
public final class Reconciliation implements AutoCloseable {
  /** The header that carries a dead letter's reason, in both DLQs. */
  public static final String REASON_HEADER = "bridge.error.reason";

  private static final Duration RECEIPT_GRACE = Duration.ofSeconds(15);

  private final Ledger ledger;
  private final Receiver receiver;
  private final TopicTail deliveryDlq;
  private final TopicTail inputDlq;
  private final TopicTail receipts;

  /** call_id → the reasons it was dead-lettered for (a call can be there more than once). */
  private final Map<String, List<String>> deadLetters = new HashMap<>();

  /** poison id → the reason the input DLQ gave it. */
  private final Map<String, String> poisonFound = new HashMap<>();

  private final Map<String, Integer> inputDlqWithoutPoisonId = new TreeMap<>();
  private final Set<String> receiptCalls = new HashSet<>();
  private long receiptRecords;

  private Reconciliation(
      String bootstrapServers, TopicNames topics, Ledger ledger, Receiver receiver) {
    this.ledger = ledger;
    this.receiver = receiver;
    this.deliveryDlq = new TopicTail(bootstrapServers, topics.deliveryDlq());
    this.inputDlq = new TopicTail(bootstrapServers, topics.inputDlq());
    this.receipts = new TopicTail(bootstrapServers, topics.receipts());
  }

  /** Reconciles what {@code ledger} says was produced with {@code receiver} and the DLQs. */
  public static Reconciliation of(
      String bootstrapServers, TopicNames topics, Ledger ledger, Receiver receiver) {
    return new Reconciliation(bootstrapServers, topics, ledger, receiver);
  }

  /**
   * The account as of now.
   *
   * @param produced calls produced
   * @param delivered calls with at least one successful request at the receiver
   * @param deadLettered calls in the delivery DLQ (distinct call_ids)
   * @param deadLetteredByReason delivery-DLQ records by {@code bridge.error.reason}
   * @param deliveredAndDeadLettered calls both delivered and dead-lettered (e.g. {@code late})
   * @param duplicates successful requests beyond the first per call
   * @param duplicateSimulationPosts of those, update-simulation-result POSTs (Bluejay appends)
   * @param lost calls neither delivered nor dead-lettered
   * @param lostSample up to 10 of them
   * @param unknownDeliveries successful requests for ids the harness never produced
   * @param poisonProduced poison records sent
   * @param poisonFound of those, in the input DLQ with the expected reason
   * @param poisonMissing poison ids not (yet) in the input DLQ
   * @param poisonWrongReason poison ids in the input DLQ under another reason
   * @param inputDlqUnexpected input-DLQ records that are not harness poison, by reason
   * @param requests every request the receiver got
   * @param requestsByStatus by status answered
   * @param receiptCalls calls with a receipt in the receipts topic
   * @param sendFailures records the producer failed to send
   * @param deliveredWithoutReceipt calls delivered at the receiver without a receipt (yet)
   * @param duplicatedSample up to 10 calls delivered more than once, simulated ones first, as
   *     {@code call_id (simulation_result_id) xN}
   */
  public record Report(
      int produced,
      int delivered,
      int deadLettered,
      Map<String, Integer> deadLetteredByReason,
      int deliveredAndDeadLettered,
      int duplicates,
      int duplicateSimulationPosts,
      int lost,
      List<String> lostSample,
      int unknownDeliveries,
      int poisonProduced,
      int poisonFound,
      List<String> poisonMissing,
      List<String> poisonWrongReason,
      Map<String, Integer> inputDlqUnexpected,
      int requests,
      Map<Integer, Integer> requestsByStatus,
      int receiptCalls,
      long sendFailures,
      int deliveredWithoutReceipt,
      List<String> duplicatedSample) {

    /** Nothing lost, every poison record found with its reason, no producer send failed. */
    public boolean exact() {
      return lost == 0
          && poisonMissing.isEmpty()
          && poisonWrongReason.isEmpty()
          && sendFailures == 0;
    }

    /** A few lines for a console or a Markdown file. */
    public String summary() {
      StringBuilder text = new StringBuilder();
      text.append(
          String.format(
              Locale.ROOT,
              "produced %d calls; delivered %d; dead-lettered %d %s; lost %d%s%n",
              produced,
              delivered,
              deadLettered,
              deadLetteredByReason,
              lost,
              lost == 0 ? "" : " e.g. " + lostSample));
      text.append(
          String.format(
              Locale.ROOT,
              "duplicates %d (of which simulation POSTs %d); delivered and dead-lettered %d;"
                  + " unknown ids delivered %d%n",
              duplicates,
              duplicateSimulationPosts,
              deliveredAndDeadLettered,
              unknownDeliveries));
      text.append(
          String.format(
              Locale.ROOT,
              "poison %d produced, %d found%s%s; other input-DLQ records %s%n",
              poisonProduced,
              poisonFound,
              poisonMissing.isEmpty() ? "" : ", missing " + poisonMissing,
              poisonWrongReason.isEmpty() ? "" : ", wrong reason " + poisonWrongReason,
              inputDlqUnexpected));
      text.append(
          String.format(
              Locale.ROOT,
              "receiver requests %d by status %s; receipts for %d calls (%d delivered without);"
                  + " producer send failures %d%n",
              requests,
              requestsByStatus,
              receiptCalls,
              deliveredWithoutReceipt,
              sendFailures));
      return text.toString();
    }
  }

  /** Reads what is new in the DLQs and receipts, and accounts for every call. */
  public synchronized Report snapshot() {
    readTopics();
    Map<String, Optional<String>> calls = ledger.calls();

    Map<String, Integer> successes = new HashMap<>();
    Map<Integer, Integer> byStatus = new TreeMap<>();
    int duplicateSimulationPosts = 0;
    int unknown = 0;
    List<Receiver.Exchange> exchanges = receiver.exchanges();
    for (Receiver.Exchange e : exchanges) {
      byStatus.merge(e.status(), 1, Integer::sum);
      if (!e.delivered()) {
        continue;
      }
      String callId =
          e.endpoint() == Receiver.Endpoint.UPDATE_SIMULATION_RESULT
              ? ledger.callOfSimulation(e.id()).orElse(null)
              : e.id();
      if (callId == null || !calls.containsKey(callId)) {
        unknown++;
        continue;
      }
      int seen = successes.merge(callId, 1, Integer::sum);
      if (seen > 1 && e.endpoint() == Receiver.Endpoint.UPDATE_SIMULATION_RESULT) {
        duplicateSimulationPosts++;
      }
    }
    int duplicates = successes.values().stream().mapToInt(n -> n - 1).sum();
    List<String> duplicated =
        successes.entrySet().stream()
            .filter(e -> e.getValue() > 1)
            .sorted(
                java.util.Comparator.comparing(
                    (Map.Entry<String, Integer> e) -> calls.get(e.getKey()).isEmpty()))
            .limit(10)
            .map(
                e ->
                    e.getKey()
                        + calls.get(e.getKey()).map(id -> " (" + id + ")").orElse("")
                        + " x"
                        + e.getValue())
            .toList();

    Map<String, Integer> byReason = new TreeMap<>();
    deadLetters.values().forEach(rs -> rs.forEach(r -> byReason.merge(r, 1, Integer::sum)));
    int both = 0;
    int lost = 0;
    List<String> lostSample = new ArrayList<>();
    for (String callId : calls.keySet()) {
      boolean delivered = successes.containsKey(callId);
      boolean dead = deadLetters.containsKey(callId);
      if (delivered && dead) {
        both++;
      }
      if (!delivered && !dead) {
        lost++;
        if (lostSample.size() < 10) {
          lostSample.add(callId);
        }
      }
    }

    Map<String, String> poison = ledger.poison();
    List<String> missing = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    int found = 0;
    for (Map.Entry<String, String> p : poison.entrySet()) {
      String got = poisonFound.get(p.getKey());
      if (got == null) {
        missing.add(p.getKey() + " (" + p.getValue() + ")");
      } else if (!got.equals(p.getValue())) {
        wrong.add(p.getKey() + " (" + got + ", expected " + p.getValue() + ")");
      } else {
        found++;
      }
    }
    int deadCalls = (int) deadLetters.keySet().stream().filter(calls::containsKey).count();
    return new Report(
        calls.size(),
        successes.size(),
        deadCalls,
        byReason,
        both,
        duplicates,
        duplicateSimulationPosts,
        lost,
        lostSample,
        unknown,
        poison.size(),
        found,
        missing,
        wrong,
        Map.copyOf(inputDlqWithoutPoisonId),
        exchanges.size(),
        byStatus,
        receiptCalls.size(),
        ledger.failures().size(),
        (int) successes.keySet().stream().filter(c -> !receiptCalls.contains(c)).count(),
        duplicated);
  }

  /**
   * Polls {@link #snapshot()} until it is {@link Report#exact() exact} or {@code timeout} passes. A
   * broker that is briefly unreachable only delays it.
   *
   * @return the last report, exact or not
   */
  public Report awaitExact(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long receiptsDeadline = Long.MAX_VALUE;
    Report last = null;
    while (true) {
      try {
        last = snapshot();
        if (last.exact()) {
          // A receipt is committed a moment after its 2xx: give the last ones a few seconds.
          if (receiptsDeadline == Long.MAX_VALUE) {
            receiptsDeadline = System.nanoTime() + RECEIPT_GRACE.toNanos();
          }
          if (last.deliveredWithoutReceipt() == 0 || System.nanoTime() - receiptsDeadline >= 0) {
            return last;
          }
        }
      } catch (RuntimeException e) {
        // The broker restarting, say: try again on the next round.
      }
      if (System.nanoTime() - deadline >= 0) {
        return last != null ? last : snapshot();
      }
      Poll.pause(Duration.ofSeconds(1));
    }
  }

  @Override
  public void close() {
    deliveryDlq.close();
    inputDlq.close();
    receipts.close();
  }

  private void readTopics() {
    for (ConsumerRecord<byte[], byte[]> r : deliveryDlq.readNew()) {
      String callId = r.key() == null ? "(no key)" : new String(r.key(), StandardCharsets.UTF_8);
      deadLetters.computeIfAbsent(callId, k -> new ArrayList<>()).add(header(r, REASON_HEADER));
    }
    for (ConsumerRecord<byte[], byte[]> r : inputDlq.readNew()) {
      String poisonId = header(r, Traffic.POISON_HEADER);
      String reason = header(r, REASON_HEADER);
      if (poisonId == null) {
        inputDlqWithoutPoisonId.merge(String.valueOf(reason), 1, Integer::sum);
      } else {
        poisonFound.put(poisonId, String.valueOf(reason));
      }
    }
    for (ConsumerRecord<byte[], byte[]> r : receipts.readNew()) {
      receiptRecords++;
      if (r.key() != null) {
        receiptCalls.add(new String(r.key(), StandardCharsets.UTF_8));
      }
    }
  }

  /** Receipt records read so far (a call re-sent after a crash may have two). */
  public synchronized long receiptRecords() {
    return receiptRecords;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header header = r.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
