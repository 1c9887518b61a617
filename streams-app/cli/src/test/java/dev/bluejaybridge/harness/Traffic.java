package dev.bluejaybridge.harness;

import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.serde.AvroSerializer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces realistic call telemetry to the three input topics, Avro in the Confluent wire format
 * through the project's {@link AvroSerializer} and the given registry (the one {@link
 * RegistryServer} serves), and writes down what it sent in a {@link Ledger}.
 *
 * <p>Each call is 20-50 records (transcript turns, tool calls, events; the last event ends the
 * call); a share of calls is simulated; every {@code poisonEvery}-th call carries one poison record
 * with a {@code harness.poison-id} header (kept by the input DLQ). {@code occurred_at} never goes
 * back from one record sent to the next, across topics, so Kafka Streams' timestamp order over a
 * task's partitions never splits a call.
 *
 * <ul>
 *   <li>{@link #startPaced}: calls start at a rate, each played over {@link Settings#callLength()},
 *       in a background thread; {@code occurred_at} is the send time.
 *   <li>{@link #preload}: as fast as the producer goes (large batches, async sends), calls
 *       interleaved 16 at a time; {@code occurred_at} is a synthetic clock 1 ms per record.
 * </ul>
 *
 * Call indices continue across both, so calls never repeat within one {@code Traffic}.
 */
public final class Traffic implements AutoCloseable {
  /** The header that names a poison record; the input DLQ keeps the original headers. */
  public static final String POISON_HEADER = "harness.poison-id";

  private static final int PRELOAD_INTERLEAVE = 16;

  /**
   * What to produce.
   *
   * @param seed the same seed gives the same calls
   * @param simulatedFraction the share of calls with a simulation_result_id, 0..1
   * @param poisonEvery one poison record every this many calls; 0 for none
   * @param callLength how long a paced call plays, wall clock (each call 0.5x-1.5x of it)
   */
  public record Settings(
      long seed,
      double simulatedFraction,
      int poisonEvery,
      Duration callLength,
      List<SyntheticCalls.Hostile> hostile) {
    public Settings {
      Objects.requireNonNull(callLength, "callLength");
      hostile = List.copyOf(hostile);
      if (simulatedFraction < 0 || simulatedFraction > 1) {
        throw new IllegalArgumentException("simulatedFraction must be in [0, 1]");
      }
    }

    /** The testkit's poison kinds in turn. */
    public Settings(long seed, double simulatedFraction, int poisonEvery, Duration callLength) {
      this(seed, simulatedFraction, poisonEvery, callLength, List.of());
    }

    /** The same, with the hostile kinds ({@link SyntheticCalls.Hostile}) as poison, in turn. */
    Settings hostile(List<SyntheticCalls.Hostile> kinds) {
      return new Settings(seed, simulatedFraction, poisonEvery, callLength, kinds);
    }

    /** Seed 42, a quarter simulated, a poison record every 50 calls, calls of about 4 s. */
    public static Settings defaults() {
      return new Settings(42, 0.25, 50, Duration.ofSeconds(4));
    }
  }

  /**
   * The shape of the calls a run produces.
   *
   * @param recordsPerCall records per call; 0 for 20-50 drawn per call
   * @param endEvent whether the last record is an end-of-call event
   */
  public record Shape(int recordsPerCall, boolean endEvent) {
    /** 20-50 records, ending with an end-of-call event. */
    public static final Shape DEFAULT = new Shape(0, true);
  }

  /**
   * One record the broker acknowledged (for latency measurements).
   *
   * @param endsCall whether it is an end-of-call event
   * @param sentAtMillis when it was handed to the producer (wall clock)
   * @param ackedAtMillis when the broker's acknowledgement arrived (wall clock)
   */
  public record Acked(
      String callId, String topic, boolean endsCall, long sentAtMillis, long ackedAtMillis) {}

  private final TopicNames topics;
  private final Settings settings;
  private final SyntheticCalls calls;
  private final AvroSerializer<SpecificRecord> serializer;
  private final SchemaRegistry registry;
  private final KafkaProducer<String, byte[]> producer;
  private final Ledger ledger;
  private final Map<String, Integer> bombSchemaIds = new java.util.concurrent.ConcurrentHashMap<>();
  private final AtomicLong nextIndex = new AtomicLong();
  private final AtomicLong lastOccurredAt = new AtomicLong();
  private final List<Paced> paced = new ArrayList<>();
  private volatile java.util.function.Consumer<Acked> onAcked;

  private Traffic(
      String bootstrapServers,
      TopicNames topics,
      SchemaRegistry registry,
      Settings settings,
      Ledger ledger) {
    this.topics = topics;
    this.settings = settings;
    this.ledger = ledger;
    this.calls =
        new SyntheticCalls(
            topics,
            settings.seed(),
            settings.simulatedFraction(),
            settings.poisonEvery(),
            settings.hostile());
    this.registry = registry;
    this.serializer = new AvroSerializer<>(registry, true);
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // Survive a broker restart: keep retrying for minutes rather than give up.
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
    this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * A producer of calls to {@code topics} on {@code bootstrapServers}, registering the schemas in
   * {@code registry} (subject {@code <topic>-value}).
   */
  public static Traffic create(
      String bootstrapServers, TopicNames topics, SchemaRegistry registry, Settings settings) {
    return new Traffic(bootstrapServers, topics, registry, settings, new Ledger());
  }

  /**
   * As {@link #create(String, TopicNames, SchemaRegistry, Settings)}, writing into {@code ledger}
   * (shared with other producers of one run: give each its own seed, or the calls repeat).
   */
  public static Traffic create(
      String bootstrapServers,
      TopicNames topics,
      SchemaRegistry registry,
      Settings settings,
      Ledger ledger) {
    return new Traffic(bootstrapServers, topics, registry, settings, ledger);
  }

  /** What was produced so far. */
  public Ledger ledger() {
    return ledger;
  }

  public TopicNames topics() {
    return topics;
  }

  /**
   * Calls {@code listener} (on the producer's I/O thread: keep it short) for every record the
   * broker acknowledges from now on; null to stop.
   */
  public void onAcked(java.util.function.Consumer<Acked> listener) {
    this.onAcked = listener;
  }

  /**
   * Starts {@code count} calls at {@code callsPerSecond} in a background thread; returns at once.
   */
  public Paced startPaced(int count, double callsPerSecond) {
    return startPaced(count, callsPerSecond, Shape.DEFAULT);
  }

  /** As {@link #startPaced(int, double)}, with calls of {@code shape}. */
  public Paced startPaced(int count, double callsPerSecond, Shape shape) {
    if (!(callsPerSecond > 0)) {
      throw new IllegalArgumentException("callsPerSecond must be positive");
    }
    Paced run = new Paced(count, callsPerSecond, shape);
    synchronized (paced) {
      paced.add(run);
    }
    run.thread.start();
    return run;
  }

  /**
   * Produces {@code count} calls as fast as possible and waits until the broker acknowledged every
   * record.
   *
   * @return the number of records sent
   */
  public long preload(int count) {
    return preload(count, Shape.DEFAULT);
  }

  /** As {@link #preload(int)}, with calls of {@code shape}. */
  public long preload(int count, Shape shape) {
    long before = ledger.records();
    record Due(long at, SyntheticCalls.Call call, SyntheticCalls.Part part) {}
    long clock = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
    for (int done = 0; done < count; done += PRELOAD_INTERLEAVE) {
      int batch = Math.min(PRELOAD_INTERLEAVE, count - done);
      List<Due> due = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        SyntheticCalls.Call call =
            calls.call(
                nextIndex.getAndIncrement(), 4_000, shape.recordsPerCall(), shape.endEvent());
        ledger.call(call.callId(), call.simulationResultId());
        long start = i * 250L;
        for (SyntheticCalls.Part part : call.parts()) {
          due.add(new Due(start + part.offsetMs(), call, part));
        }
      }
      due.sort(Comparator.comparingLong(Due::at));
      for (Due d : due) {
        send(d.call(), d.part(), ++clock);
      }
    }
    producer.flush();
    return ledger.records() - before;
  }

  /** Waits until every record handed over so far was acknowledged (or failed for good). */
  public void flush() {
    producer.flush();
  }

  /** Stops paced runs, flushes and closes the producer. */
  @Override
  public void close() {
    synchronized (paced) {
      paced.forEach(Paced::stop);
    }
    producer.close(Duration.ofSeconds(30));
  }

  private void send(SyntheticCalls.Call call, SyntheticCalls.Part part, long sendTime) {
    // A hostile occurred_at goes in the value only: the broker would refuse it as a timestamp.
    long occurredAt = part.occurredAt() != null ? part.occurredAt() : sendTime;
    SpecificRecord record = part.raw() != null ? null : part.value().apply(occurredAt);
    byte[] value =
        record == null
            ? part.raw()
            : part.bomb()
                ? avroBomb(part.topic(), record)
                : serializer.serialize(part.topic(), record);
    boolean endsCall =
        record instanceof dev.bluejaybridge.telemetry.CallEvent event && event.getEndsCall();
    long sentAt = System.currentTimeMillis();
    RecordHeaders headers = new RecordHeaders();
    if (part.poisonId() != null) {
      headers.add(POISON_HEADER, part.poisonId().getBytes(StandardCharsets.UTF_8));
      ledger.poison(part.poisonId(), part.poisonReason());
    } else if (record != null) {
      ledger.produced(call.callId(), record, false);
    }
    ledger.sent(value.length);
    producer.send(
        new ProducerRecord<>(part.topic(), null, sendTime, part.key(), value, headers),
        (metadata, exception) -> {
          if (exception == null) {
            ledger.ack();
            java.util.function.Consumer<Acked> listener = onAcked;
            if (listener != null) {
              listener.accept(
                  new Acked(
                      call.callId(), part.topic(), endsCall, sentAt, System.currentTimeMillis()));
            }
          } else {
            ledger.failed(call.callId() + " " + part.topic() + ": " + exception);
          }
        });
  }

  /**
   * The {@code index}-th call these settings make (the first call a paced run or a preload starts
   * is index 0, then on), without sending anything: its call_id and simulation_result_id, to aim a
   * fault at it before it is produced.
   */
  public SyntheticCalls.Call preview(long index) {
    return calls.call(index, 1_000);
  }

  /**
   * Sends one more record of call {@code callId} now, after the call ended: a straggler (a late
   * record, on purpose). A tool call ({@code late_lookup}) when {@code n} is even, a transcript
   * turn when odd, starting 5 s after the call's last record; the ledger marks it as a straggler.
   * Needs a ledger that keeps content.
   *
   * @return what was sent, for a log line
   */
  public String sendStraggler(String callId, int n) {
    List<Ledger.Produced> content = ledger.content(callId);
    if (content.isEmpty()) {
      throw new IllegalStateException("the ledger kept no records of call " + callId);
    }
    SpecificRecord first = content.get(0).value();
    String agent = (String) first.get(first.getSchema().getField("agent_id").pos());
    String simulation =
        (String) first.get(first.getSchema().getField("simulation_result_id").pos());
    long start =
        content.stream().mapToLong(p -> CallBodies.item(p.value()).startOffsetMs()).max().orElse(0)
            + 5_000;
    long occurredAt = lastOccurredAt.accumulateAndGet(System.currentTimeMillis(), Math::max);
    SpecificRecord record;
    String topic;
    if (n % 2 == 0) {
      topic = topics.toolCalls();
      record =
          dev.bluejaybridge.telemetry.ToolCall.newBuilder()
              .setCallId(callId)
              .setOccurredAt(java.time.Instant.ofEpochMilli(occurredAt))
              .setAgentId(agent)
              .setSimulationResultId(simulation)
              .setName("late_lookup")
              .setStartOffsetMs(start)
              .setDescription("Looked up after the caller hung up")
              .setParametersJson("{\"straggler\":" + n + "}")
              .setOutputJson("{\"found\":true}")
              .build();
    } else {
      topic = topics.transcripts();
      record =
          dev.bluejaybridge.telemetry.TranscriptTurn.newBuilder()
              .setCallId(callId)
              .setOccurredAt(java.time.Instant.ofEpochMilli(occurredAt))
              .setAgentId(agent)
              .setSimulationResultId(simulation)
              .setSpeaker(dev.bluejaybridge.telemetry.Speaker.AGENT)
              .setUtterance("A late line of the transcript, number " + n + ".")
              .setStartOffsetMs(start)
              .setEndOffsetMs(start + 1_500)
              .setFillerUtterance(null)
              .build();
    }
    byte[] value = serializer.serialize(topic, record);
    ledger.produced(callId, record, true);
    ledger.sent(value.length);
    producer.send(
        new ProducerRecord<>(topic, null, occurredAt, callId, value, new RecordHeaders()),
        (metadata, exception) -> {
          if (exception == null) {
            ledger.ack();
          } else {
            ledger.failed(callId + " " + topic + " (straggler): " + exception);
          }
        });
    return CallBodies.item(record).toString();
  }

  /**
   * {@code record}'s Avro bytes in the wire format, under a writer schema with one more field: an
   * array of nulls (each zero bytes) whose one block claims 2^50 items. The bytes are a few dozen;
   * walking them item by item takes days.
   */
  private byte[] avroBomb(String topic, SpecificRecord record) {
    int id =
        bombSchemaIds.computeIfAbsent(
            topic, t -> registry.register(t + "-value", bombSchema(record.getSchema())));
    byte[] normal = serializer.serialize(topic, record);
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(normal.length + 16);
      out.write(0);
      out.write(java.nio.ByteBuffer.allocate(4).putInt(id).array());
      out.write(normal, 5, normal.length - 5);
      org.apache.avro.io.BinaryEncoder encoder =
          org.apache.avro.io.EncoderFactory.get().directBinaryEncoder(out, null);
      encoder.writeLong(1L << 50); // one block of 2^50 items, none of which takes a byte
      encoder.writeLong(0); // the end of the array
      encoder.flush();
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** {@code schema} with a last field {@code padding}: an array of nulls, default empty. */
  static org.apache.avro.Schema bombSchema(org.apache.avro.Schema schema) {
    List<org.apache.avro.Schema.Field> fields = new ArrayList<>();
    for (org.apache.avro.Schema.Field f : schema.getFields()) {
      fields.add(new org.apache.avro.Schema.Field(f, f.schema()));
    }
    fields.add(
        new org.apache.avro.Schema.Field(
            "padding",
            org.apache.avro.Schema.createArray(
                org.apache.avro.Schema.create(org.apache.avro.Schema.Type.NULL)),
            "zero-width items (a hostile writer)",
            List.of()));
    return org.apache.avro.Schema.createRecord(
        schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  /** A paced run in its own thread. */
  public final class Paced implements AutoCloseable {
    private final int count;
    private final double callsPerSecond;
    private final Shape shape;
    private final Thread thread;
    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean stopped;
    private volatile Throwable failure;

    private Paced(int count, double callsPerSecond, Shape shape) {
      this.count = count;
      this.callsPerSecond = callsPerSecond;
      this.shape = shape;
      this.thread = new Thread(this::run, "traffic-paced");
      thread.setDaemon(true);
    }

    /** How many calls have started (their first record was sent). */
    public int started() {
      return started.get();
    }

    /** Whether every record of every call was handed to the producer (or the run stopped). */
    public boolean isDone() {
      return !thread.isAlive();
    }

    /**
     * Waits until the run is done, then flushes the producer.
     *
     * @throws IllegalStateException if it is not done within {@code timeout}, or it failed
     */
    public void awaitDone(Duration timeout) {
      try {
        thread.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (thread.isAlive()) {
        throw new IllegalStateException("paced traffic not done within " + timeout);
      }
      if (failure != null) {
        throw new IllegalStateException("paced traffic failed", failure);
      }
      producer.flush();
    }

    /** Stops starting calls and sending records (records not sent yet are dropped). */
    public void stop() {
      stopped = true;
      thread.interrupt();
    }

    @Override
    public void close() {
      stop();
    }

    private void run() {
      record Due(long atNanos, long seq, SyntheticCalls.Call call, SyntheticCalls.Part part) {}
      PriorityQueue<Due> queue =
          new PriorityQueue<>(Comparator.comparingLong(Due::atNanos).thenComparingLong(Due::seq));
      long begin = System.nanoTime();
      long spacing = (long) (1_000_000_000L / callsPerSecond);
      long seq = 0;
      int next = 0;
      java.util.Random lengths = new java.util.Random(settings.seed());
      try {
        while (!stopped && (next < count || !queue.isEmpty())) {
          long now = System.nanoTime();
          long nextCallAt = begin + next * spacing;
          if (next < count && nextCallAt - now <= 0) {
            long length =
                Math.round(settings.callLength().toMillis() * (0.5 + lengths.nextDouble()));
            SyntheticCalls.Call call =
                calls.call(
                    nextIndex.getAndIncrement(), length, shape.recordsPerCall(), shape.endEvent());
            ledger.call(call.callId(), call.simulationResultId());
            for (SyntheticCalls.Part part : call.parts()) {
              queue.add(new Due(nextCallAt + part.offsetMs() * 1_000_000L, seq++, call, part));
            }
            next++;
            started.incrementAndGet();
            continue;
          }
          Due head = queue.peek();
          if (head != null && head.atNanos() - now <= 0) {
            queue.poll();
            long occurredAt =
                lastOccurredAt.accumulateAndGet(System.currentTimeMillis(), Math::max);
            send(head.call(), head.part(), occurredAt);
            continue;
          }
          long wake = head == null ? nextCallAt : head.atNanos();
          if (next < count) {
            wake = Math.min(wake, nextCallAt);
          }
          Poll.pause(Duration.ofNanos(Math.max(100_000, wake - now)));
        }
      } catch (IllegalStateException e) {
        if (!stopped) {
          failure = e;
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }
  }
}
