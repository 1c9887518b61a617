package dev.bluejaybridge.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
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
 * The exact account of a run: calls produced ({@link Ledger}) = calls delivered (applied at the
 * {@link Receiver}, by call_id; simulated calls by their simulation_result_id) + calls in the
 * delivery DLQ; and every poison record in the input DLQ with the reason it must have. It follows
 * the delivery DLQ, the input DLQ and the receipts topic (committed records) incrementally, so
 * {@link #snapshot()} is cheap to call in a loop.
 *
 * <p>When the ledger keeps what was produced and the receiver every applied body (the chaos
 * scenarios), it also audits content ({@link Content}): each call's bodies are compared with the
 * whole call rebuilt from its records ({@link CallBodies}). A production call's every applied PUT
 * must hold every record that was not sent late on purpose (a straggler), and its last must hold
 * exactly the records not dead-lettered as {@code late}; a simulated call must be POSTed once,
 * holding every record but the stragglers dead-lettered as {@code late} (with their content), and
 * only stragglers may be so. A call that breaks this is <em>split</em> (a body lacks records the
 * call had, or records that were not late are dead-lettered as late) or <em>wrong</em> (a body
 * holds records twice or records never produced, a field differs, or a straggler is neither held
 * nor dead-lettered).
 */
public final class Reconciliation implements AutoCloseable {
  /** The header that carries a dead letter's reason, in both DLQs. */
  public static final String REASON_HEADER = "bridge.error.reason";

  private static final Duration RECEIPT_GRACE = Duration.ofSeconds(15);

  /** With the account complete, how long to wait for one more change before judging content. */
  private static final Duration SETTLE = Duration.ofSeconds(15);

  private static final int SAMPLE = 10;

  /** Wall-clock times in samples, to set against the scenario's timeline. */
  private static final java.time.format.DateTimeFormatter CLOCK =
      java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
          .withZone(java.time.ZoneOffset.UTC);

  private final Ledger ledger;
  private final Receiver receiver;
  private final TopicTail deliveryDlq;
  private final TopicTail inputDlq;
  private final TopicTail receipts;

  /** call_id → its delivery dead letters. */
  private final Map<String, List<DeadLetter>> deadLetters = new HashMap<>();

  /** poison id → the reason the input DLQ gave it. */
  private final Map<String, String> poisonFound = new HashMap<>();

  private final Map<String, Integer> inputDlqWithoutPoisonId = new TreeMap<>();
  private final Set<String> receiptCalls = new HashSet<>();
  private long receiptRecords;
  private long topicRecordsRead;

  /** One delivery-DLQ record: its reason and its value (null when not JSON). */
  record DeadLetter(String reason, JsonNode value) {}

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
   * The content audit.
   *
   * @param checked calls whose bodies were compared (produced, and delivered or dead-lettered)
   * @param whole of those, every body exactly the whole call
   * @param split calls split: a body lacks records of the call that were not late, or records that
   *     were not late are dead-lettered as late
   * @param splitSample up to 10, with what is missing
   * @param wrong calls whose body is not the call's: records doubled or foreign, a field differs,
   *     POSTed more than once, a straggler neither held nor dead-lettered
   * @param wrongSample up to 10, with the first difference
   * @param stragglersHeld stragglers Bluejay holds (in the last body)
   * @param stragglersLate stragglers in the delivery DLQ as {@code late} with their content
   * @param fragmentPuts applied PUTs that were fragments (each a split; the last may be whole)
   */
  public record Content(
      int checked,
      int whole,
      int split,
      List<String> splitSample,
      int wrong,
      List<String> wrongSample,
      int stragglersHeld,
      int stragglersLate,
      int fragmentPuts) {}

  /**
   * The account as of now.
   *
   * @param produced calls produced
   * @param delivered calls Bluejay took at least once (applied at the receiver)
   * @param deadLettered calls in the delivery DLQ (distinct call_ids)
   * @param deadLetteredByReason delivery-DLQ records by {@code bridge.error.reason}
   * @param deliveredAndDeadLettered calls both delivered and dead-lettered (e.g. {@code late})
   * @param duplicates applied writes beyond the first per call
   * @param duplicateSimulationPosts of those, update-simulation-result POSTs (Bluejay appends)
   * @param productionResends of those, update-log PUTs (PUT replaces: bounded, not forbidden)
   * @param appliedUnseen applied writes whose success the bridge never heard (a fault after the
   *     apply); each may cause one more PUT
   * @param lost calls neither delivered nor dead-lettered
   * @param lostSample up to 10 of them
   * @param unknownDeliveries applied writes for ids the harness never produced
   * @param poisonProduced poison records sent
   * @param poisonFound of those, in the input DLQ with the expected reason
   * @param poisonMissing poison ids not (yet) in the input DLQ
   * @param poisonWrongReason poison ids in the input DLQ under another reason
   * @param inputDlqUnexpected input-DLQ records that are not harness poison, by reason
   * @param requests every request the receiver got
   * @param requestsByStatus by status answered (-1: no answer)
   * @param receiptCalls calls with a receipt in the receipts topic
   * @param sendFailures records the producer failed to send
   * @param deliveredWithoutReceipt calls delivered at the receiver without a receipt (yet)
   * @param duplicatedSample up to 10 calls delivered more than once, simulated ones first, as
   *     {@code call_id (simulation_result_id) xN}
   * @param content the content audit; null when not done (the ledger or receiver keeps no content,
   *     or the account was not complete yet)
   */
  public record Report(
      int produced,
      int delivered,
      int deadLettered,
      Map<String, Integer> deadLetteredByReason,
      int deliveredAndDeadLettered,
      int duplicates,
      int duplicateSimulationPosts,
      int productionResends,
      int appliedUnseen,
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
      List<String> duplicatedSample,
      Content content) {

    /** Every call accounted for, every poison record found with its reason, no send failed. */
    public boolean complete() {
      return lost == 0
          && poisonMissing.isEmpty()
          && poisonWrongReason.isEmpty()
          && sendFailures == 0;
    }

    /**
     * {@link #complete()}, no simulated call POSTed twice, and (when audited) no call split or
     * delivered with content that is not the call's.
     */
    public boolean exact() {
      return complete()
          && duplicateSimulationPosts == 0
          && (content == null || (content.split() == 0 && content.wrong() == 0));
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
              "duplicates %d (simulation POSTs %d, production re-sends %d; applied but unseen %d);"
                  + " delivered and dead-lettered %d; unknown ids delivered %d%n",
              duplicates,
              duplicateSimulationPosts,
              productionResends,
              appliedUnseen,
              deliveredAndDeadLettered,
              unknownDeliveries));
      if (content != null) {
        text.append(
            String.format(
                Locale.ROOT,
                "content: %d calls checked, %d whole, %d split%s, %d wrong%s; stragglers held %d,"
                    + " dead-lettered late %d; fragment PUTs %d%n",
                content.checked(),
                content.whole(),
                content.split(),
                content.split() == 0 ? "" : " e.g. " + content.splitSample(),
                content.wrong(),
                content.wrong() == 0 ? "" : " e.g. " + content.wrongSample(),
                content.stragglersHeld(),
                content.stragglersLate(),
                content.fragmentPuts()));
      }
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

  /** Reads what is new in the DLQs and receipts, and accounts for every call, content included. */
  public synchronized Report snapshot() {
    return snapshot(true);
  }

  private synchronized Report snapshot(boolean audit) {
    readTopics();
    Map<String, Optional<String>> calls = ledger.calls();

    Map<String, Integer> successes = new HashMap<>();
    Map<Integer, Integer> byStatus = new TreeMap<>();
    int duplicateSimulationPosts = 0;
    int productionResends = 0;
    int appliedUnseen = 0;
    int unknown = 0;
    List<Receiver.Exchange> exchanges = receiver.exchanges();
    for (Receiver.Exchange e : exchanges) {
      byStatus.merge(e.status(), 1, Integer::sum);
      if (!e.delivered()) {
        continue;
      }
      if (e.appliedUnseen()) {
        appliedUnseen++;
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
      if (seen > 1) {
        if (e.endpoint() == Receiver.Endpoint.UPDATE_SIMULATION_RESULT) {
          duplicateSimulationPosts++;
        } else {
          productionResends++;
        }
      }
    }
    int duplicates = successes.values().stream().mapToInt(n -> n - 1).sum();
    List<String> duplicated =
        successes.entrySet().stream()
            .filter(e -> e.getValue() > 1)
            .sorted(
                Comparator.comparing(
                    (Map.Entry<String, Integer> e) -> calls.get(e.getKey()).isEmpty()))
            .limit(SAMPLE)
            .map(
                e ->
                    e.getKey()
                        + calls.get(e.getKey()).map(id -> " (" + id + ")").orElse("")
                        + " x"
                        + e.getValue())
            .toList();

    Map<String, Integer> byReason = new TreeMap<>();
    deadLetters
        .values()
        .forEach(
            ds -> ds.forEach(d -> byReason.merge(String.valueOf(d.reason()), 1, Integer::sum)));
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
        if (lostSample.size() < SAMPLE) {
          lostSample.add(callId);
        }
      }
    }

    Map<String, String> poison = ledger.poison();
    List<String> missing = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    int found = 0;
    for (Map.Entry<String, String> p : new TreeMap<>(poison).entrySet()) {
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
    Content content =
        audit && ledger.keepsContent() && receiver.memory() == Receiver.Memory.FULL
            ? audit(calls, successes)
            : null;
    return new Report(
        calls.size(),
        successes.size(),
        deadCalls,
        byReason,
        both,
        duplicates,
        duplicateSimulationPosts,
        productionResends,
        appliedUnseen,
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
        duplicated,
        content);
  }

  // ------------------------------------------------------------------ content

  /** What one call's audit found. */
  private static final class Verdict {
    final List<String> split = new ArrayList<>();
    final List<String> wrong = new ArrayList<>();
    int stragglersHeld;
    int stragglersLate;
    int fragmentPuts;
  }

  private Content audit(Map<String, Optional<String>> calls, Map<String, Integer> successes) {
    int checked = 0;
    int whole = 0;
    int split = 0;
    int wrong = 0;
    int held = 0;
    int late = 0;
    int fragmentPuts = 0;
    List<String> splitSample = new ArrayList<>();
    List<String> wrongSample = new ArrayList<>();
    for (Map.Entry<String, Optional<String>> call : new TreeMap<>(calls).entrySet()) {
      String callId = call.getKey();
      List<Ledger.Produced> produced = ledger.content(callId);
      if (produced.isEmpty()
          || (!successes.containsKey(callId) && !deadLetters.containsKey(callId))) {
        continue;
      }
      checked++;
      Verdict v = audit(callId, call.getValue().orElse(null), produced);
      held += v.stragglersHeld;
      late += v.stragglersLate;
      fragmentPuts += v.fragmentPuts;
      if (!v.split.isEmpty()) {
        split++;
        if (splitSample.size() < SAMPLE) {
          splitSample.add(callId + ": " + String.join("; ", v.split));
        }
      } else if (!v.wrong.isEmpty()) {
        wrong++;
        if (wrongSample.size() < SAMPLE) {
          wrongSample.add(callId + ": " + String.join("; ", v.wrong));
        }
      } else {
        whole++;
      }
    }
    return new Content(
        checked, whole, split, splitSample, wrong, wrongSample, held, late, fragmentPuts);
  }

  private Verdict audit(String callId, String simulationId, List<Ledger.Produced> produced) {
    Verdict v = new Verdict();
    List<DeadLetter> letters = deadLetters.getOrDefault(callId, List.of());

    // The records dead-lettered as late, matched to what was produced (each once).
    Set<Integer> lateIndexes = new HashSet<>();
    List<JsonNode> bodies = new ArrayList<>();
    for (DeadLetter d : letters) {
      JsonNode requestBody = d.value() == null ? null : d.value().get("request_body");
      if ("late".equals(d.reason())) {
        for (JsonNode record : lateRecords(requestBody)) {
          CallBodies.Item item = CallBodies.itemOfLateRecord(record);
          int index = indexOf(produced, item, lateIndexes);
          if (index < 0) {
            v.wrong.add("a late dead letter holds a record never produced: " + item);
          } else {
            lateIndexes.add(index);
          }
        }
      } else if (requestBody != null && requestBody.isObject()) {
        bodies.add(requestBody);
      }
    }
    List<String> notLate = new ArrayList<>();
    for (int i : lateIndexes) {
      if (produced.get(i).straggler()) {
        v.stragglersLate++;
      } else {
        notLate.add(CallBodies.item(produced.get(i).value()).toString());
      }
    }
    if (!notLate.isEmpty()) {
      v.split.add(
          notLate.size()
              + " records dead-lettered as late that were not late, e.g. "
              + notLate.subList(0, Math.min(3, notLate.size())));
    }

    List<Receiver.Applied> applied =
        simulationId == null
            ? receiver.applied(Receiver.Endpoint.UPDATE_LOG, callId)
            : receiver.applied(Receiver.Endpoint.UPDATE_SIMULATION_RESULT, simulationId);
    String what = simulationId == null ? "PUT" : "POST";
    CallBodies.Match last = null;
    for (int n = 0; n < applied.size(); n++) {
      JsonNode body = CallBodies.parse(applied.get(n).body());
      if (body == null) {
        v.wrong.add(what + " " + (n + 1) + " is not JSON");
        continue;
      }
      CallBodies.Match m = CallBodies.match(body, produced, simulationId);
      String which =
          what
              + " "
              + (n + 1)
              + "/"
              + applied.size()
              + " (at "
              + CLOCK.format(java.time.Instant.ofEpochMilli(applied.get(n).atMillis()))
              + ")";
      if (m.fragment()) {
        v.split.add(
            which + " lacks " + m.missing().size() + " records, e.g. " + first(m.missing()));
        if (simulationId == null) {
          v.fragmentPuts++;
        }
      }
      if (!m.unexpected().isEmpty()) {
        v.wrong.add(which + " holds records twice or never produced: " + first(m.unexpected()));
      } else if (!m.exact()) {
        v.wrong.add(which + " differs: " + m.difference());
      }
      last = m;
    }
    if (simulationId != null && applied.size() > 1) {
      v.wrong.add("POSTed " + applied.size() + " times: Bluejay appended each");
    }
    if (applied.isEmpty()) {
      // Not delivered: a whole-call dead letter must carry the call.
      for (JsonNode body : bodies) {
        CallBodies.Match m = CallBodies.match(body, produced, simulationId);
        if (m.fragment()) {
          v.split.add("the dead letter's body lacks " + m.missing().size() + " records");
        } else if (!m.unexpected().isEmpty() || !m.exact()) {
          v.wrong.add(
              "the dead letter's body is not the call's: "
                  + (m.unexpected().isEmpty() ? m.difference() : first(m.unexpected())));
        }
      }
      return v;
    }
    if (last != null && simulationId == null) {
      // What Bluejay holds at the end: every record, or the rest in the DLQ as late.
      checkHeld(v, produced, last.included(), lateIndexes);
    } else if (last != null) {
      Set<Integer> all = new HashSet<>();
      for (Receiver.Applied post : applied) {
        JsonNode body = CallBodies.parse(post.body());
        if (body != null) {
          all.addAll(CallBodies.match(body, produced, simulationId).included());
        }
      }
      checkHeld(v, produced, all, lateIndexes);
    }
    return v;
  }

  private static void checkHeld(
      Verdict v, List<Ledger.Produced> produced, Set<Integer> held, Set<Integer> lateIndexes) {
    List<String> neither = new ArrayList<>();
    for (int i = 0; i < produced.size(); i++) {
      boolean isHeld = held.contains(i);
      boolean isLate = lateIndexes.contains(i);
      if (produced.get(i).straggler() && isHeld) {
        v.stragglersHeld++;
      }
      if (isHeld && isLate) {
        v.wrong.add(
            "held and also dead-lettered as late: " + CallBodies.item(produced.get(i).value()));
      } else if (!isHeld && !isLate && produced.get(i).straggler()) {
        neither.add(CallBodies.item(produced.get(i).value()).toString());
      }
    }
    if (!neither.isEmpty()) {
      v.wrong.add(
          neither.size()
              + " stragglers neither held by Bluejay nor dead-lettered as late: "
              + first(neither));
    }
  }

  private static List<JsonNode> lateRecords(JsonNode requestBody) {
    List<JsonNode> records = new ArrayList<>();
    if (requestBody == null) {
      return records;
    }
    if (requestBody.get("late_record") != null && requestBody.get("late_record").isObject()) {
      records.add(requestBody.get("late_record"));
    }
    requestBody.path("late_records").forEach(records::add);
    return records;
  }

  private static int indexOf(
      List<Ledger.Produced> produced, CallBodies.Item item, Set<Integer> taken) {
    if (item == null) {
      return -1;
    }
    for (int i = 0; i < produced.size(); i++) {
      if (!taken.contains(i) && CallBodies.item(produced.get(i).value()).equals(item)) {
        return i;
      }
    }
    return -1;
  }

  private static String first(List<String> items) {
    return items.size() <= 3
        ? items.toString()
        : items.subList(0, 3) + " and " + (items.size() - 3) + " more";
  }

  // ------------------------------------------------------------------ waiting

  /**
   * As {@link #awaitSettled(Duration, Duration)} with a 90-second idle bound.
   *
   * @return the last report, exact or not
   */
  public Report awaitExact(Duration timeout) {
    return awaitSettled(Duration.ofSeconds(90), timeout);
  }

  /**
   * Polls until the account is {@link Report#exact() exact} (then gives the last receipts a few
   * seconds), or it is {@link Report#complete() complete} and nothing changed for 15 s (what is
   * still wrong will stay wrong), or nothing changed for {@code idle} (no request at the receiver,
   * no record in a DLQ or the receipts, no acknowledgement of the producer), or {@code max} passed.
   * Bounded by progress: a slow but moving system is waited for. A broker briefly away only delays
   * it.
   *
   * @return the last report, exact or not
   */
  public Report awaitSettled(Duration idle, Duration max) {
    return awaitSettled(idle, max, SETTLE);
  }

  /**
   * As {@link #awaitSettled(Duration, Duration)}, waiting {@code settle} without a change before
   * judging a complete account that is not exact: longer when the app still has work the account
   * cannot see (stragglers of calls already delivered wait for the app to close them again).
   */
  public Report awaitSettled(Duration idle, Duration max, Duration settle) {
    long start = System.nanoTime();
    long lastProgress = start;
    long fingerprint = -1;
    long receiptsDeadline = Long.MAX_VALUE;
    long auditedAt = -1;
    Report last = null;
    while (true) {
      try {
        Report cheap = snapshot(false);
        long now = System.nanoTime();
        long print = fingerprint();
        if (print != fingerprint) {
          fingerprint = print;
          lastProgress = now;
        }
        if (cheap.complete() && auditedAt != fingerprint) {
          last = snapshot(true);
          auditedAt = fingerprint;
        } else if (!cheap.complete()) {
          last = cheap;
        }
        if (last.exact()) {
          // A receipt is committed a moment after its 2xx: give the last ones a few seconds.
          if (receiptsDeadline == Long.MAX_VALUE) {
            receiptsDeadline = now + RECEIPT_GRACE.toNanos();
          }
          if (last.deliveredWithoutReceipt() == 0 || now - receiptsDeadline >= 0) {
            return last;
          }
        } else if (last.complete() && now - lastProgress >= settle.toNanos()) {
          return last;
        }
        if (now - lastProgress >= idle.toNanos() || now - start >= max.toNanos()) {
          return snapshot(true);
        }
      } catch (RuntimeException e) {
        // The broker restarting, say: try again on the next round.
        if (System.nanoTime() - start >= max.toNanos()) {
          return last != null ? last : snapshot(true);
        }
      }
      Poll.pause(Duration.ofSeconds(1));
    }
  }

  /** Changes whenever anything the account reads changes. */
  private synchronized long fingerprint() {
    return receiver.count() * 1_000_003L + topicRecordsRead * 31 + ledger.acked();
  }

  @Override
  public void close() {
    deliveryDlq.close();
    inputDlq.close();
    receipts.close();
  }

  private void readTopics() {
    for (ConsumerRecord<byte[], byte[]> r : deliveryDlq.readNew()) {
      topicRecordsRead++;
      String callId = r.key() == null ? "(no key)" : new String(r.key(), StandardCharsets.UTF_8);
      JsonNode value = r.value() == null ? null : CallBodies.parse(r.value());
      deadLetters
          .computeIfAbsent(callId, k -> new ArrayList<>())
          .add(new DeadLetter(header(r, REASON_HEADER), value));
    }
    for (ConsumerRecord<byte[], byte[]> r : inputDlq.readNew()) {
      topicRecordsRead++;
      String poisonId = header(r, Traffic.POISON_HEADER);
      String reason = header(r, REASON_HEADER);
      if (poisonId == null) {
        inputDlqWithoutPoisonId.merge(String.valueOf(reason), 1, Integer::sum);
      } else {
        poisonFound.put(poisonId, String.valueOf(reason));
      }
    }
    for (ConsumerRecord<byte[], byte[]> r : receipts.readNew()) {
      topicRecordsRead++;
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

  /** Delivery-DLQ records read so far for {@code callId}, by reason. */
  public synchronized List<String> deadLetterReasons(String callId) {
    return deadLetters.getOrDefault(callId, List.of()).stream().map(DeadLetter::reason).toList();
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header header = r.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
