package dev.bluejaybridge.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one bench run: each with its runs, median and spread (min..max), and, where the
 * issue sets one, the target and whether it was met. Written as Markdown and JSON.
 */
final class Results {
  /** How a figure is judged against its target. */
  enum Goal {
    NONE,
    AT_LEAST,
    AT_MOST
  }

  /**
   * One figure.
   *
   * @param runs the value of each run (one value for figures that are a single measurement)
   */
  record Figure(
      String scenario,
      String name,
      String unit,
      List<Double> runs,
      Goal goal,
      double target,
      String note) {

    double median() {
      return Stats.median(runs);
    }

    String verdict() {
      if (goal == Goal.NONE) {
        return "";
      }
      double m = median();
      boolean ok = goal == Goal.AT_LEAST ? m >= target : m <= target;
      return ok ? "PASS" : "MISS";
    }

    String targetText() {
      return switch (goal) {
        case NONE -> "";
        case AT_LEAST -> ">= " + format(target);
        case AT_MOST -> "<= " + format(target);
      };
    }
  }

  private final List<Figure> figures = new ArrayList<>();
  private final Map<String, List<String>> notes = new LinkedHashMap<>();
  private final Map<String, String> environment = new LinkedHashMap<>();
  private final Instant started = Instant.now();

  synchronized Figure add(
      String scenario, String name, String unit, List<Double> runs, Goal goal, double target) {
    return add(scenario, name, unit, runs, goal, target, "");
  }

  synchronized Figure add(
      String scenario,
      String name,
      String unit,
      List<Double> runs,
      Goal goal,
      double target,
      String note) {
    Figure figure = new Figure(scenario, name, unit, List.copyOf(runs), goal, target, note);
    figures.add(figure);
    System.out.println("[bench] " + line(figure));
    return figure;
  }

  synchronized Figure info(String scenario, String name, String unit, List<Double> runs) {
    return add(scenario, name, unit, runs, Goal.NONE, Double.NaN, "");
  }

  synchronized void note(String scenario, String text) {
    notes.computeIfAbsent(scenario, s -> new ArrayList<>()).add(text);
    System.out.println("[bench] " + scenario + ": " + text);
  }

  synchronized void environment(String key, String value) {
    environment.put(key, value);
  }

  synchronized List<Figure> figures() {
    return List.copyOf(figures);
  }

  /** Writes {@code results.md} and {@code results.json} into {@code dir}. */
  synchronized void write(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("results.md"), markdown(), StandardCharsets.UTF_8);
      List<Map<String, Object>> json = new ArrayList<>();
      for (Figure f : figures) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", f.scenario());
        m.put("name", f.name());
        m.put("unit", f.unit());
        m.put("runs", f.runs());
        m.put("median", f.median());
        m.put("min", Stats.min(f.runs()));
        m.put("max", Stats.max(f.runs()));
        m.put("target", f.targetText());
        m.put("verdict", f.verdict());
        m.put("note", f.note());
        json.add(m);
      }
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("started", started.toString());
      root.put("environment", environment);
      root.put("figures", json);
      root.put("notes", notes);
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(dir.resolve("results.json").toFile(), root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  synchronized String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Bench results\n\nStarted ").append(started).append("\n\n");
    environment.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
    String scenario = null;
    for (Figure f : figures) {
      if (!f.scenario().equals(scenario)) {
        scenario = f.scenario();
        md.append("\n## ").append(scenario).append("\n\n");
        md.append("| figure | median | min..max | runs | target | verdict |\n");
        md.append("|---|---|---|---|---|---|\n");
      }
      md.append("| ")
          .append(f.name())
          .append(f.note().isEmpty() ? "" : " (" + f.note() + ")")
          .append(" | ")
          .append(format(f.median()))
          .append(' ')
          .append(f.unit())
          .append(" | ")
          .append(format(Stats.min(f.runs())))
          .append("..")
          .append(format(Stats.max(f.runs())))
          .append(" | ")
          .append(runsText(f))
          .append(" | ")
          .append(f.targetText())
          .append(" | ")
          .append(f.verdict())
          .append(" |\n");
    }
    if (!notes.isEmpty()) {
      md.append("\n## Notes\n\n");
      notes.forEach(
          (s, list) ->
              list.forEach(n -> md.append("- ").append(s).append(": ").append(n).append('\n')));
    }
    return md.toString();
  }

  /** The count of runs, then each run's value when there are several (per-run ratios). */
  static String runsText(Figure f) {
    if (f.runs().size() < 2) {
      return String.valueOf(f.runs().size());
    }
    StringBuilder text = new StringBuilder().append(f.runs().size()).append(": ");
    for (int i = 0; i < f.runs().size(); i++) {
      text.append(i == 0 ? "" : ", ").append(format(f.runs().get(i)));
    }
    return text.toString();
  }

  static String line(Figure f) {
    return String.format(
        Locale.ROOT,
        "%s %s: median %s %s (%s..%s, %d runs)%s",
        f.scenario(),
        f.name(),
        format(f.median()),
        f.unit(),
        format(Stats.min(f.runs())),
        format(Stats.max(f.runs())),
        f.runs().size(),
        f.goal() == Goal.NONE ? "" : " target " + f.targetText() + " " + f.verdict());
  }

  static String format(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    double abs = Math.abs(value);
    if (abs >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", value);
    }
    if (abs >= 10) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    return String.format(Locale.ROOT, "%.3f", value);
  }
}
