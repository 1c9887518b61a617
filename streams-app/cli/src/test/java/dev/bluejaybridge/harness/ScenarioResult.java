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

  /**
   * The reconciliation's own figures, and a failure for every way it is not exact: a call lost, a
   * poison record missing or with the wrong reason, a send failed, a simulated call POSTed twice, a
   * call split or delivered with content that is not the call's.
   */
  void reconciled(Reconciliation.Report r) {
    this.report = r;
    figure("produced (calls)", r.produced());
    figure("delivered (calls, applied at the receiver)", r.delivered());
    figure(
        "dead-lettered (calls; DLQ records by reason)",
        r.deadLettered() + " " + r.deadLetteredByReason());
    figure("delivered and also dead-lettered (calls)", r.deliveredAndDeadLettered());
    figure("duplicates (applied writes beyond the first per call)", r.duplicates());
    figure("  of which simulation POSTs (must be 0)", r.duplicateSimulationPosts());
    figure("  of which production re-sends (PUT)", r.productionResends());
    figure("applied but unseen by the bridge (a fault after the apply)", r.appliedUnseen());
    if (!r.duplicatedSample().isEmpty()) {
      figure("  e.g.", r.duplicatedSample());
    }
    Reconciliation.Content c = r.content();
    if (c == null) {
      figure("content audit", "not done");
    } else {
      figure(
          "content: calls checked / whole / split / wrong",
          c.checked() + " / " + c.whole() + " / " + c.split() + " / " + c.wrong());
      figure("content: fragment PUTs (a PUT lacking records of its call)", c.fragmentPuts());
      if (c.stragglersHeld() + c.stragglersLate() > 0) {
        figure(
            "stragglers held by Bluejay / dead-lettered as late",
            c.stragglersHeld() + " / " + c.stragglersLate());
      }
    }
    figure("lost", r.lost());
    figure("poison produced / found in input DLQ", r.poisonProduced() + " / " + r.poisonFound());
    figure("other input-DLQ records", r.inputDlqUnexpected());
    figure("receiver requests by status (-1: no answer)", r.requestsByStatus());
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
    if (r.duplicateSimulationPosts() != 0) {
      fail(
          r.duplicateSimulationPosts()
              + " simulation POSTs beyond the first (Bluejay appends: their content doubled), e.g. "
              + r.duplicatedSample().stream().filter(d -> d.contains(" (")).toList());
    }
    if (c != null && c.split() != 0) {
      fail(c.split() + " calls split, e.g. " + c.splitSample());
    }
    if (c != null && c.wrong() != 0) {
      fail(c.wrong() + " calls whose delivered content is not the call's, e.g. " + c.wrongSample());
    }
  }

  /**
   * Fails when the production re-sends exceed {@code bound}, explained by {@code why} (e.g. {@code
   * "16 in flight x 5 kills"}).
   */
  void resendBound(int bound, String why) {
    figure("production re-send bound (" + why + ")", bound);
    if (report != null && report.productionResends() > bound) {
      fail(
          report.productionResends()
              + " production re-sends, over the bound "
              + bound
              + " ("
              + why
              + ")");
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
