package dev.bluejaybridge.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with its usual command line ({@code org.openjdk.jmh.Main}'s options), then prints the
 * ratios each benchmark is about, from the results of the same run: our deserialize and serialize
 * against plain Avro, the payload cost per record at 50 and at 1000 records, the aggregation's
 * throughput per record at 1000 and at 10 records. A ratio whose two sides did not both run is left
 * out.
 */
public final class BenchMain {

  private static final String PACKAGE = BenchMain.class.getPackageName() + ".";

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions options = new CommandLineOptions(args);
    if (options.shouldHelp()
        || options.shouldList()
        || options.shouldListWithParams()
        || options.shouldListProfilers()
        || options.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    Collection<RunResult> results = new Runner(options).run();
    List<String> lines = ratios(results);
    if (!lines.isEmpty()) {
      System.out.println();
      System.out.println("Ratios (from this run):");
      lines.forEach(line -> System.out.println("  " + line));
    }
  }

  /** One score, as nanoseconds per operation, whatever the benchmark's mode and unit. */
  record Score(String benchmark, Map<String, String> params, double nanosPerOp) {}

  static List<String> ratios(Collection<RunResult> results) {
    List<Score> scores = new ArrayList<>();
    for (RunResult result : results) {
      var params = result.getParams();
      Map<String, String> values = new java.util.TreeMap<>();
      params.getParamsKeys().forEach(key -> values.put(key, params.getParam(key)));
      double nanos =
          nanosPerOp(
              result.getPrimaryResult().getScore(), result.getPrimaryResult().getScoreUnit());
      scores.add(new Score(params.getBenchmark().replace(PACKAGE, ""), values, nanos));
    }
    List<String> lines = new ArrayList<>();
    codec(scores, lines);
    payload(scores, lines);
    aggregation(scores, lines);
    return lines;
  }

  private static void codec(List<Score> scores, List<String> lines) {
    for (String type : values(scores, "CodecBenchmark.deserialize", "type")) {
      Map<String, String> params = Map.of("type", type);
      double deserialize = find(scores, "CodecBenchmark.deserialize", params);
      double avroDecode = find(scores, "CodecBenchmark.avroDecode", params);
      if (!Double.isNaN(avroDecode)) {
        lines.add(
            String.format(
                Locale.ROOT,
                "codec %-14s deserialize %,8.0f ns = %5.2f x plain Avro decode (%,.0f ns)",
                type,
                deserialize,
                deserialize / avroDecode,
                avroDecode));
      }
    }
    for (String type : values(scores, "CodecBenchmark.serialize", "type")) {
      Map<String, String> params = Map.of("type", type);
      double serialize = find(scores, "CodecBenchmark.serialize", params);
      double avroEncode = find(scores, "CodecBenchmark.avroEncode", params);
      if (!Double.isNaN(avroEncode)) {
        lines.add(
            String.format(
                Locale.ROOT,
                "codec %-14s serialize   %,8.0f ns = %5.2f x plain Avro encode (%,.0f ns)",
                type,
                serialize,
                serialize / avroEncode,
                avroEncode));
      }
    }
    double frame = find(scores, "CodecBenchmark.wireFormatEncode", Map.of());
    double unframe = find(scores, "CodecBenchmark.wireFormatDecode", Map.of());
    if (!Double.isNaN(frame) || !Double.isNaN(unframe)) {
      lines.add(
          String.format(
              Locale.ROOT,
              "codec wire format alone: frame %,.1f ns, read header %,.1f ns (a ~500-byte tool call)",
              frame,
              unframe));
    }
  }

  private static void payload(List<Score> scores, List<String> lines) {
    for (String method : List.of("updateLogBody", "updateSimulationBody")) {
      String benchmark = "PayloadBenchmark." + method;
      double small = find(scores, benchmark, Map.of("recordsPerCall", "50")) / 50;
      double large = find(scores, benchmark, Map.of("recordsPerCall", "1000")) / 1000;
      if (!Double.isNaN(small) && !Double.isNaN(large)) {
        lines.add(
            String.format(
                Locale.ROOT,
                "payload %-20s per record: %,.0f ns at 50, %,.0f ns at 1000 records (1000/50 ="
                    + " %.2f)",
                method,
                small,
                large,
                large / small));
      }
    }
  }

  private static void aggregation(List<Score> scores, List<String> lines) {
    double small = find(scores, "AggregationBenchmark.oneRecord", Map.of("recordsPerCall", "10"));
    double large = find(scores, "AggregationBenchmark.oneRecord", Map.of("recordsPerCall", "1000"));
    if (!Double.isNaN(small) && !Double.isNaN(large)) {
      lines.add(
          String.format(
              Locale.ROOT,
              "aggregation per record: %,.0f ns at 10, %,.0f ns at 1000 records; throughput"
                  + " 1000/10 = %.2f (target >= 0.8)",
              small,
              large,
              small / large));
    }
  }

  private static TreeSet<String> values(List<Score> scores, String benchmark, String param) {
    TreeSet<String> values = new TreeSet<>();
    scores.stream()
        .filter(score -> score.benchmark().equals(benchmark))
        .map(score -> score.params().get(param))
        .filter(Objects::nonNull)
        .forEach(values::add);
    return values;
  }

  /** The score of {@code benchmark} whose params include {@code params}, or NaN. */
  private static double find(List<Score> scores, String benchmark, Map<String, String> params) {
    return scores.stream()
        .filter(score -> score.benchmark().equals(benchmark))
        .filter(score -> score.params().entrySet().containsAll(params.entrySet()))
        .mapToDouble(Score::nanosPerOp)
        .findFirst()
        .orElse(Double.NaN);
  }

  /** {@code ns/op}, {@code us/op}, … or {@code ops/s}, {@code ops/ms}, … as ns per operation. */
  static double nanosPerOp(double score, String unit) {
    String[] parts = unit.split("/");
    if (parts.length != 2) {
      return Double.NaN;
    }
    if (parts[1].equals("op")) {
      return score * nanos(parts[0]);
    }
    if (parts[0].equals("ops")) {
      return nanos(parts[1]) / score;
    }
    return Double.NaN;
  }

  private static double nanos(String unit) {
    return switch (unit) {
      case "ns" -> 1;
      case "us" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      case "min" -> 60e9;
      default -> Double.NaN;
    };
  }
}
