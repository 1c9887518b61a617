package dev.bluejaybridge.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one chaos scenario found: pass or fail with the reasons, its figures in order, the timeline
 * of what was done to the system, and the reconciliation.
 */
final class ScenarioResult {
  final String id;
  final String title;
  final Map<String, String> figures = new LinkedHashMap<>();
  final List<String> failures = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  final List<String> timeline = new ArrayList<>();
  Reconciliation.Report report;
  Duration duration = Duration.ZERO;

  ScenarioResult(String id, String title) {
    this.id = id;
    this.title = title;
  }

  boolean passed() {
    return failures.isEmpty();
  }

  void figure(String name, Object value) {
    figures.put(name, String.valueOf(value));
  }

  void fail(String why) {
    failures.add(why);
  }

  /** The reconciliation's own figures, and a failure for every way it is not exact. */
  void reconciled(Reconciliation.Report r) {
    this.report = r;
    figure("produced (calls)", r.produced());
    figure("delivered (calls, at the receiver)", r.delivered());
    figure(
        "dead-lettered (calls; DLQ records by reason)",
        r.deadLettered() + " " + r.deadLetteredByReason());
    figure("delivered and also dead-lettered (calls)", r.deliveredAndDeadLettered());
    figure("duplicates (2xx beyond the first per call)", r.duplicates());
    figure("  of which simulation POSTs", r.duplicateSimulationPosts());
    if (!r.duplicatedSample().isEmpty()) {
      figure("  e.g.", r.duplicatedSample());
    }
    figure("lost", r.lost());
    figure("poison produced / found in input DLQ", r.poisonProduced() + " / " + r.poisonFound());
    figure("other input-DLQ records", r.inputDlqUnexpected());
    figure("receiver requests by status", r.requestsByStatus());
    figure(
        "calls with a receipt (delivered without one)",
        r.receiptCalls() + " (" + r.deliveredWithoutReceipt() + ")");
    if (r.lost() != 0) {
      fail("lost " + r.lost() + " calls, e.g. " + r.lostSample());
    }
    if (!r.poisonMissing().isEmpty()) {
      fail("poison not in the input DLQ: " + r.poisonMissing());
    }
    if (!r.poisonWrongReason().isEmpty()) {
      fail("poison with the wrong reason: " + r.poisonWrongReason());
    }
    if (r.sendFailures() != 0) {
      fail("the producer failed to send " + r.sendFailures() + " records");
    }
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("## ")
        .append(id.toUpperCase(Locale.ROOT))
        .append(" ")
        .append(title)
        .append(": ")
        .append(passed() ? "PASS" : "FAIL")
        .append("\n\n");
    md.append("| figure | value |\n|---|---|\n");
    figures.forEach(
        (k, v) ->
            md.append("| ").append(k).append(" | ").append(v.replace("|", "\\|")).append(" |\n"));
    md.append("| duration | ").append(Chaos.format(duration)).append(" |\n\n");
    if (!failures.isEmpty()) {
      md.append("Failures:\n\n");
      failures.forEach(f -> md.append("- ").append(f).append('\n'));
      md.append('\n');
    }
    if (!notes.isEmpty()) {
      md.append("Notes:\n\n");
      notes.forEach(n -> md.append("- ").append(n).append('\n'));
      md.append('\n');
    }
    if (!timeline.isEmpty()) {
      md.append("Timeline:\n\n```\n");
      timeline.forEach(t -> md.append(t).append('\n'));
      md.append("```\n\n");
    }
    return md.toString();
  }
}
