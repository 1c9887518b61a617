package dev.bluejaybridge.demo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The table the demo ends with: calls produced, delivered (by endpoint), dead-lettered (by reason),
 * unaccounted, poison records produced versus found in the input DLQ (by reason), requests per
 * call, wall time and where the request bodies are.
 *
 * @param produced calls whose records were produced
 * @param requests HTTP requests Bluejay received (or, against the real API, attempts reported)
 * @param bodies the folder of request bodies; empty when none were recorded
 * @param unaccountedCalls calls neither delivered nor dead-lettered, for the failure message
 */
record DemoSummary(
    int produced,
    int simulated,
    int endedByInactivity,
    Map<String, Integer> deliveredByEndpoint,
    Map<String, Integer> deadLetteredByReason,
    int deliveredWithDeadLetters,
    Map<String, Integer> poisonProduced,
    Map<String, Integer> poisonInDlq,
    String inputDlqTopic,
    long requests,
    Duration wallTime,
    Optional<Path> bodies,
    int bodyFiles,
    List<String> unaccountedCalls) {

  private static final int LABEL = 34;

  int delivered() {
    return deliveredByEndpoint.values().stream().mapToInt(Integer::intValue).sum();
  }

  int deadLettered() {
    return deadLetteredByReason.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Produced − delivered − dead-lettered: must be 0. */
  int unaccounted() {
    return produced - delivered() - deadLettered();
  }

  int poisonProducedTotal() {
    return poisonProduced.values().stream().mapToInt(Integer::intValue).sum();
  }

  int poisonInDlqTotal() {
    return poisonInDlq.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Poison reasons with fewer records in the input DLQ than were produced. */
  Map<String, Integer> poisonMissing() {
    Map<String, Integer> missing = new TreeMap<>();
    poisonProduced.forEach(
        (reason, count) -> {
          int found = poisonInDlq.getOrDefault(reason, 0);
          if (found < count) {
            missing.put(reason, count - found);
          }
        });
    return missing;
  }

  /** Every call delivered or dead-lettered, and every poison record in the input DLQ. */
  boolean accountedFor() {
    return unaccounted() == 0 && unaccountedCalls.isEmpty() && poisonMissing().isEmpty();
  }

  void print(PrintWriter out) {
    out.println();
    out.println("Summary");
    row(
        out,
        "calls produced",
        produced,
        "(" + simulated + " simulated, " + endedByInactivity + " end by inactivity)");
    row(out, "delivered", delivered(), "");
    deliveredByEndpoint.forEach((endpoint, count) -> row(out, "  " + endpoint, count, ""));
    row(out, "dead-lettered", deadLettered(), "");
    deadLetteredByReason.forEach((reason, count) -> row(out, "  " + reason, count, ""));
    if (deliveredWithDeadLetters > 0) {
      row(out, "delivered, with late records dead-lettered", deliveredWithDeadLetters, "");
    }
    row(out, "unaccounted", unaccounted(), unaccounted() == 0 ? "" : "(must be 0)");
    out.printf(
        Locale.ROOT,
        "  %-" + LABEL + "s %8s %8s%n",
        "poison records (by reason)",
        "produced",
        "in DLQ");
    Map<String, Integer> reasons = new TreeMap<>(poisonProduced);
    poisonInDlq.keySet().forEach(reason -> reasons.putIfAbsent(reason, 0));
    reasons
        .keySet()
        .forEach(
            reason ->
                out.printf(
                    Locale.ROOT,
                    "  %-" + LABEL + "s %8d %8d%n",
                    "  " + reason,
                    poisonProduced.getOrDefault(reason, 0),
                    poisonInDlq.getOrDefault(reason, 0)));
    out.printf(
        Locale.ROOT,
        "  %-" + LABEL + "s %8d %8d   (%s)%n",
        "  total",
        poisonProducedTotal(),
        poisonInDlqTotal(),
        inputDlqTopic);
    int closed = delivered() + deadLettered();
    out.printf(
        Locale.ROOT,
        "  %-" + LABEL + "s %8s   (%d requests for %d calls)%n",
        "requests per call",
        closed == 0 ? "-" : String.format(Locale.ROOT, "%.2f", (double) requests / closed),
        requests,
        closed);
    out.printf(
        Locale.ROOT, "  %-" + LABEL + "s %8.1f s%n", "wall time", wallTime.toMillis() / 1000.0);
    out.printf(
        Locale.ROOT,
        "  %-" + LABEL + "s %s%n",
        "request bodies",
        bodies
            .map(dir -> dir.toAbsolutePath() + " (" + bodyFiles + " files)")
            .orElse("not recorded (sent to the real Bluejay API)"));
    out.flush();
  }

  /** What is missing, when the run did not account for everything. */
  void printMissing(PrintWriter out, Duration timeout) {
    out.println();
    out.printf(
        Locale.ROOT,
        "Timed out after %ds: not everything was accounted for.%n",
        timeout.toSeconds());
    if (!unaccountedCalls.isEmpty()) {
      out.printf(
          Locale.ROOT,
          "  %d calls neither delivered nor dead-lettered, e.g. %s%n",
          unaccountedCalls.size(),
          String.join(", ", unaccountedCalls.subList(0, Math.min(5, unaccountedCalls.size()))));
    }
    poisonMissing()
        .forEach(
            (reason, count) ->
                out.printf(
                    Locale.ROOT,
                    "  %d poison records (%s) not in %s%n",
                    count,
                    reason,
                    inputDlqTopic));
    out.flush();
  }

  private static void row(PrintWriter out, String label, long value, String note) {
    out.printf(
        Locale.ROOT,
        "  %-" + LABEL + "s %8d%s%n",
        label,
        value,
        note.isEmpty() ? "" : "   " + note);
  }
}
