package dev.bluejaybridge.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Prometheus text exposition, parsed into samples: name, labels, value. */
public final class PrometheusText {
  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  /** Parses the text format; comment lines and lines it cannot read are skipped. */
  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      try {
        int brace = line.indexOf('{');
        int space;
        String name;
        Map<String, String> labels = new LinkedHashMap<>();
        if (brace >= 0 && brace < line.indexOf(' ')) {
          name = line.substring(0, brace);
          int close = line.indexOf('}', brace);
          parseLabels(line.substring(brace + 1, close), labels);
          space = close + 1;
        } else {
          space = line.indexOf(' ');
          name = line.substring(0, space);
        }
        String[] rest = line.substring(space).trim().split("\\s+");
        samples.add(new Sample(name, labels, Double.parseDouble(rest[0])));
      } catch (RuntimeException e) {
        // Not a sample line this parser knows.
      }
    }
    return new PrometheusText(samples);
  }

  private static void parseLabels(String text, Map<String, String> labels) {
    int i = 0;
    while (i < text.length()) {
      int eq = text.indexOf('=', i);
      if (eq < 0) {
        return;
      }
      String key = text.substring(i, eq).trim();
      if (key.startsWith(",")) {
        key = key.substring(1).trim();
      }
      int start = text.indexOf('"', eq) + 1;
      StringBuilder value = new StringBuilder();
      int j = start;
      while (j < text.length() && text.charAt(j) != '"') {
        if (text.charAt(j) == '\\' && j + 1 < text.length()) {
          j++;
        }
        value.append(text.charAt(j));
        j++;
      }
      labels.put(key, value.toString());
      i = j + 1;
    }
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The sum of every sample of {@code name} whose labels include {@code labels}. */
  public double sum(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name))
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value)
        .sum();
  }

  /** The sum of every sample of {@code name}. */
  public double sum(String name) {
    return sum(name, Map.of());
  }
}
