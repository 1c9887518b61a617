package dev.bluejaybridge.bench;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.harness.Poll;
import dev.bluejaybridge.harness.Rig;
import dev.bluejaybridge.harness.TopicNames;
import dev.bluejaybridge.pipeline.StreamsProperties;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.telemetry.TelemetryTopics;
import dev.bluejaybridge.telemetry.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * P1's baseline (c): the least a Kafka Streams app does with the bridge's input (issue 14 item 1).
 * The three input topics, each value decoded with the project's Avro serdes (as the bridge reads
 * them, through the registry server), one count per key (call id) in a cached, changelogged RocksDB
 * store shared by the three topics' processors, under the bridge's Kafka settings: its {@code
 * kafka.*} keys (so {@code exactly_once_v2} and whatever the bench passes with {@code
 * --app-property kafka.X=...}) and the commit interval the bridge's {@link StreamsProperties} end
 * up with (Kafka Streams' default under exactly-once, 100 ms, unless set).
 *
 * <p>It runs as a process of its own ({@link #main}), like the pipeline: its own JVM, heap, JIT and
 * garbage collector, started fresh each run, nothing of the bench JVM (the receiver, the metrics
 * polling) sharing its heap. It prints when it processed its first record, the warm-up load's count
 * and the whole count ({@code BASELINE <event> <epoch millis> <count>}); {@link #run} reads those
 * lines and waits until the group's committed offsets reach the topics' ends.
 */
final class StreamsBaseline {
  static final String STORE = "counts";
  static final String MARK = "BASELINE ";

  /**
   * What one run measured (epoch millis, one clock).
   *
   * @param commitIntervalMs the commit interval the app ran with
   * @param startedAt the process start
   * @param firstRecordAt the first record processed
   * @param warmedAt the warm-up load's count of records processed (or the first record without one)
   * @param processedAt every record processed
   * @param committedAt when the bench first saw the committed offsets at the topics' ends (polled)
   */
  record Result(
      long records,
      long warmupRecords,
      long commitIntervalMs,
      long startedAt,
      long firstRecordAt,
      long warmedAt,
      long processedAt,
      long committedAt) {

    /** The second load's records over its time, warm-up boundary to every record processed. */
    double steadyRecordsPerSecond() {
      return (records - warmupRecords) * 1000.0 / Math.max(1, processedAt - warmedAt);
    }

    /** Every record over the time from the first record processed to the last. */
    double recordsPerSecondFromFirstRecord() {
      return records * 1000.0 / Math.max(1, processedAt - firstRecordAt);
    }
  }

  private StreamsBaseline() {}

  // ------------------------------------------------------------------ the bench's side

  /**
   * Runs the baseline in a new process over {@code topics} ({@code records} records, the first
   * {@code warmupRecords} of them the warm-up load) until every record was processed and the
   * group's committed offsets reached the ends, then stops it and deletes its state and topics.
   *
   * @param properties the pipeline's config keys over the rig's (its kafka.* keys reach the app)
   */
  static Result run(
      Rig rig,
      String name,
      TopicNames topics,
      Map<String, String> properties,
      long records,
      long warmupRecords,
      String heap,
      Duration timeout) {
    String applicationId = "bench-" + name;
    Path dir = rig.dir().resolve(name);
    Path config = dir.resolve("baseline.properties");
    Path log = dir.resolve("baseline.log");
    Map<String, String> props = new LinkedHashMap<>();
    props.put("kafka.bootstrap.servers", rig.broker().bootstrapServers());
    props.put("schema.registry.url", rig.registry().url());
    props.putAll(topics.config());
    props.putAll(properties);
    props.put("kafka.application.id", applicationId);
    props.put("kafka.state.dir", dir.resolve("state").toString());
    try {
      PipelineRun.Files.deleteQuietly(dir);
      Files.createDirectories(dir);
      List<String> lines = new ArrayList<>();
      props.forEach((k, v) -> lines.add(k + "=" + v));
      Files.write(config, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx" + heap,
            "-cp",
            System.getProperty("java.class.path"),
            StreamsBaseline.class.getName(),
            config.toString(),
            String.valueOf(warmupRecords),
            String.valueOf(records));
    long startedAt = System.currentTimeMillis();
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread reaper = new Thread(process::destroyForcibly, "baseline-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    try (Admin admin = rig.broker().admin()) {
      Map<TopicPartition, Long> ends = endOffsets(admin, topics.inputs());
      long deadline = System.nanoTime() + timeout.toNanos();
      Map<String, long[]> marks = Map.of();
      long committedAt = 0;
      while (committedAt == 0) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(name + ": not done in " + timeout + "; see " + log);
        }
        if (!process.isAlive()) {
          throw new IllegalStateException(
              name + " exited with " + process.exitValue() + "; see " + log);
        }
        marks = marks(log);
        if (marks.containsKey("processed") && committedToEnd(admin, applicationId, ends)) {
          committedAt = System.currentTimeMillis();
        } else {
          Poll.pause(Duration.ofMillis(100));
        }
      }
      long first = marks.get("first")[0];
      return new Result(
          records,
          warmupRecords,
          marks.get("commit-interval-ms")[1],
          startedAt,
          first,
          marks.getOrDefault("warmed", new long[] {first})[0],
          marks.get("processed")[0],
          committedAt);
    } finally {
      Runtime.getRuntime().removeShutdownHook(reaper);
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      PipelineRun.cleanUpTopics(rig, applicationId);
      PipelineRun.Files.deleteQuietly(dir.resolve("state"));
    }
  }

  /** The {@code BASELINE} lines of {@code log}: event to {epoch millis, count}. */
  private static Map<String, long[]> marks(Path log) {
    Map<String, long[]> marks = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.startsWith(MARK)) {
          String[] parts = line.substring(MARK.length()).trim().split("\\s+");
          marks.put(parts[0], new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])});
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return marks;
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, List<String> topics) {
    try {
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      for (var description :
          admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
        description
            .partitions()
            .forEach(
                p ->
                    latest.put(
                        new TopicPartition(description.name(), p.partition()),
                        OffsetSpec.latest()));
      }
      Map<TopicPartition, Long> ends = new LinkedHashMap<>();
      admin
          .listOffsets(latest)
          .all()
          .get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    } catch (Exception e) {
      throw new IllegalStateException("end offsets of " + topics, e);
    }
  }

  /** Whether {@code group} committed every partition of {@code ends} at (or past) its end. */
  static boolean committedToEnd(Admin admin, String group, Map<TopicPartition, Long> ends) {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
      for (var end : ends.entrySet()) {
        OffsetAndMetadata at = committed.get(end.getKey());
        // Under exactly-once the end offset is one past the last transaction marker.
        if (end.getValue() > 0 && (at == null || at.offset() < end.getValue())) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ the baseline process

  /**
   * {@code StreamsBaseline <config file> <warm-up records> <records>}: the bridge's config file
   * (only its kafka.*, schema.registry.url and topics.* keys are used).
   */
  public static void main(String[] args) throws Exception {
    BridgeConfig config = ConfigLoader.load(Optional.of(Path.of(args[0])), Map.of());
    long warmup = Long.parseLong(args[1]);
    long records = Long.parseLong(args[2]);

    // The commit interval the bridge runs with: its Streams properties, as Kafka Streams reads
    // them.
    long commitInterval =
        new StreamsConfig(StreamsProperties.from(config))
            .getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    Properties properties = new Properties();
    properties.putAll(config.kafka().properties());
    properties.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval);
    mark("commit-interval-ms", System.currentTimeMillis(), commitInterval);

    SchemaRegistry registry =
        SchemaRegistries.create(
            config.registry().urls(),
            config.registry().basicAuth().map(secret -> secret.reveal()),
            Duration.ofSeconds(10));
    TelemetryTopics topics =
        TelemetryTopics.create(config.topics(), registry, false, config.calls().maxRecordBytes());

    Topology topology = topology(topics, new AtomicLong(), warmup, records);
    KafkaStreams streams = new KafkaStreams(topology, properties);
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(10)), "close"));
    streams.start();
    // Until the bench stops it; never outlives the bench (a killed bench leaves no baseline
    // behind).
    Optional<ProcessHandle> bench = ProcessHandle.current().parent();
    while (bench.map(ProcessHandle::isAlive).orElse(false)) {
      Poll.pause(Duration.ofSeconds(1));
    }
    System.exit(0);
  }

  /**
   * The three topics, each value decoded by its serde, counted per key in one cached, changelogged
   * RocksDB store; {@code processed} counts every record.
   */
  static Topology topology(
      TelemetryTopics topics, AtomicLong processed, long warmup, long records) {
    StreamsBuilder builder = new StreamsBuilder();
    StoreBuilder<KeyValueStore<String, Long>> store =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.Long())
            .withCachingEnabled(); // changelogged by default
    builder.addStateStore(store);
    count(builder, topics.toolCalls(), processed, warmup, records);
    count(builder, topics.events(), processed, warmup, records);
    count(builder, topics.transcripts(), processed, warmup, records);
    return builder.build();
  }

  private static <V extends SpecificRecord> void count(
      StreamsBuilder builder,
      Topic<String, V> topic,
      AtomicLong processed,
      long warmup,
      long records) {
    builder.stream(topic.name(), Consumed.with(topic.key(), topic.value()))
        .process(() -> new CountPerKey<V>(processed, warmup, records), STORE);
  }

  /** One count per key in the shared store; marks the first, the warm-up's and the last record. */
  static final class CountPerKey<V> implements Processor<String, V, Void, Void> {
    private final AtomicLong processed;
    private final long warmup;
    private final long records;
    private KeyValueStore<String, Long> counts;

    CountPerKey(AtomicLong processed, long warmup, long records) {
      this.processed = processed;
      this.warmup = warmup;
      this.records = records;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      counts = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, V> record) {
      Long count = counts.get(record.key());
      counts.put(record.key(), count == null ? 1 : count + 1);
      long n = processed.incrementAndGet();
      if (n == 1) {
        mark("first", System.currentTimeMillis(), n);
      }
      if (n == warmup) {
        mark("warmed", System.currentTimeMillis(), n);
      }
      if (n == records) {
        mark("processed", System.currentTimeMillis(), n);
      }
    }
  }

  private static void mark(String event, long at, long count) {
    System.out.println(MARK + event + " " + at + " " + count);
    System.out.flush();
  }
}
