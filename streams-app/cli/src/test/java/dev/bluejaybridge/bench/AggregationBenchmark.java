package dev.bluejaybridge.bench;

import dev.bluejaybridge.aggregate.Aggregation;
import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.testkit.Telemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-record cost of the aggregation step (validate + aggregate, real RocksDB stores, closing
 * included) for calls of 10 records and of 1000 records. The ratio of the two throughputs shows
 * whether a record's cost grows with its call's length (target: 1000-record calls at ≥ 0.8 of
 * 10-record calls).
 *
 * <p>Values skip Avro decoding (the source hands out pre-built records), so the figure is the
 * aggregation's own cost. Every call ends with an end-of-call event and closes at the next
 * punctuation; wall-clock time moves 250 ms every 1000 records, so closing and assembling are
 * measured too.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class AggregationBenchmark {
  private static final int POOL = 50_000;

  @Param({"10", "1000"})
  public int recordsPerCall;

  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> input;
  private Path stateDir;
  private String[] keys;
  private long counter;

  /** Pre-built records, looked up by the 4-byte index the benchmark pipes as the value. */
  static SpecificRecord[] records;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    records = new SpecificRecord[POOL];
    keys = new String[POOL];
    for (int i = 0; i < POOL; i++) {
      int call = i / recordsPerCall;
      int index = i % recordsPerCall;
      String callId = "call-" + recordsPerCall + "-" + call;
      keys[i] = callId;
      records[i] =
          index == recordsPerCall - 1
              ? Telemetry.endOfCall(callId, index * 100L).build()
              : switch (index % 3) {
                case 0 -> Telemetry.toolCall(callId, "lookup_order", index * 100L).build();
                case 1 -> Telemetry.event(callId, "intent detected", index * 100L).build();
                default ->
                    Telemetry.turn(
                            callId,
                            dev.bluejaybridge.telemetry.Speaker.AGENT,
                            "Your order shipped yesterday.",
                            index * 100L)
                        .build();
              };
    }
    BridgeConfig.Calls calls =
        new BridgeConfig.Calls(
            Duration.ofSeconds(30),
            Duration.ZERO,
            Duration.ofHours(4),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            10_000,
            BridgeConfig.Calls.DEFAULT_MAX_RECORD_BYTES);
    AggregationMetrics metrics = new AggregationMetrics(new SimpleMeterRegistry());
    Topology topology = new Topology();
    topology.addSource("source", new StringDeserializer(), new PrebuiltDeserializer(), "calls");
    topology.addProcessor("validate", Aggregation.validate(metrics), "source");
    topology.addProcessor("aggregate", Aggregation.aggregate(calls, metrics), "validate");
    Aggregation.stores(calls).forEach(store -> topology.addStateStore(store, "aggregate"));
    topology.addProcessor("deliver", () -> new Discard(), "aggregate");
    stateDir = Files.createTempDirectory("bridge-bench");
    Properties properties = new Properties();
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench");
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "bench:9092");
    properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(topology, properties, Telemetry.T0.plusSeconds(2 * 3600));
    input = driver.createInputTopic("calls", new StringSerializer(), new ByteArraySerializer());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    driver.close();
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Benchmark
  public void oneRecord() {
    int i = (int) (counter % POOL);
    // A fresh call id on each pass over the pool, so that no record is ever late.
    String key = keys[i] + "-" + (counter / POOL);
    input.pipeInput(key, ByteBuffer.allocate(12).putInt(i).putLong(counter / POOL).array());
    counter++;
    if (counter % 1_000 == 0) {
      driver.advanceWallClockTime(Duration.ofMillis(250));
    }
  }

  /** Hands out {@link #records}, with the call id of the pass the value names. */
  public static final class PrebuiltDeserializer implements Deserializer<SpecificRecord> {
    @Override
    public SpecificRecord deserialize(String topic, byte[] data) {
      ByteBuffer buffer = ByteBuffer.wrap(data);
      SpecificRecord template = records[buffer.getInt()];
      long pass = buffer.getLong();
      SpecificRecordBase record =
          (SpecificRecordBase) SpecificData.get().deepCopy(template.getSchema(), template);
      record.put("call_id", record.get("call_id") + "-" + pass);
      return record;
    }
  }

  private static final class Discard implements Processor<String, Object, Void, Void> {
    @Override
    public void process(Record<String, Object> record) {}
  }
}
