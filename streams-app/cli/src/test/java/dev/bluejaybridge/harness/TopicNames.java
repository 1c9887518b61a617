package dev.bluejaybridge.harness;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge's topics as one set of names, and the {@code topics.*} config keys that point the app
 * at them.
 */
public record TopicNames(
    String toolCalls,
    String events,
    String transcripts,
    String inputDlq,
    String deliveryDlq,
    String receipts) {

  /**
   * The contract's default names ({@code calls.tool-calls}, ..., {@code calls.delivery-receipts}).
   */
  public static TopicNames defaults() {
    return withPrefix("calls");
  }

  /**
   * {@code <prefix>.tool-calls}, {@code <prefix>.events}, ..., {@code <prefix>.delivery-receipts}.
   */
  public static TopicNames withPrefix(String prefix) {
    return new TopicNames(
        prefix + ".tool-calls",
        prefix + ".events",
        prefix + ".transcripts",
        prefix + ".input-dlq",
        prefix + ".delivery-dlq",
        prefix + ".delivery-receipts");
  }

  /** The three input topics. */
  public List<String> inputs() {
    return List.of(toolCalls, events, transcripts);
  }

  /**
   * Every topic with its partition count: the inputs with {@code inputPartitions}, the DLQs and
   * receipts with {@code outputPartitions}.
   */
  public Map<String, Integer> partitions(int inputPartitions, int outputPartitions) {
    Map<String, Integer> all = new LinkedHashMap<>();
    inputs().forEach(t -> all.put(t, inputPartitions));
    all.put(inputDlq, outputPartitions);
    all.put(deliveryDlq, outputPartitions);
    all.put(receipts, outputPartitions);
    return all;
  }

  /** The app's {@code topics.*} config keys for these names. */
  public Map<String, String> config() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("topics.tool-calls", toolCalls);
    config.put("topics.events", events);
    config.put("topics.transcripts", transcripts);
    config.put("topics.input-dlq", inputDlq);
    config.put("topics.delivery-dlq", deliveryDlq);
    config.put("topics.delivery-receipts", receipts);
    return config;
  }
}
