package dev.bluejaybridge.demo;

import dev.bluejaybridge.app.BridgeApp;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigKeys;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.config.Durations;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.CallGenerator;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded demo: an in-process KRaft broker in a temporary directory, the in-memory schema
 * registry ({@code mock://demo}), the real pipeline started through {@link BridgeApp} (exactly
 * once), synthetic calls from {@link CallGenerator} with a few poison records, and a local Bluejay
 * receiver ({@link BluejayStandIn}, writing the bodies it accepts to a folder) — or the real
 * Bluejay API when {@code BLUEJAY_API_KEY} is set.
 *
 * <p>It prints a progress line about once a second and, once every call is delivered or
 * dead-lettered and every poison record is in the input DLQ (all read from the output topics, read
 * committed), a summary. Exit code 0 when everything is accounted for, 1 when {@link
 * Options#timeout()} expired first. The broker's and Kafka Streams' directories are removed on
 * exit, also on Ctrl-C.
 */
public final class Demo {
  /** The in-memory registry the demo's producer and pipeline share. */
  static final String REGISTRY = "demo";

  static final Duration END_GRACE = Duration.ofMillis(300);
  static final Duration INACTIVITY_GAP = Duration.ofSeconds(3);
  private static final Duration MIN_END_GRACE = Duration.ofMillis(100);
  private static final Duration MIN_INACTIVITY_GAP = Duration.ofSeconds(1);

  /** With the local receiver, the rate limit is not what the demo is about. */
  static final int LOCAL_RATE_LIMIT_PER_MINUTE = 60_000;

  static final int INPUT_PARTITIONS = 3;
  private static final String API_KEY_ENV = "BLUEJAY_API_KEY";
  private static final String LOCAL_API_KEY = "demo-local-key";
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
  private static final int ADMIN_PORT = 8080;
  private static final Duration SIGNAL_WAIT = Duration.ofSeconds(20);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
  private static final int INTERRUPTED = 130;

  private static final Logger LOGGER = LoggerFactory.getLogger(Demo.class);

  /**
   * What to run.
   *
   * @param calls how many calls to produce, at least 1
   * @param callsPerSecond how many calls start per second
   * @param speed divides the gaps within calls, the end grace and the inactivity gap
   * @param timeout how long to wait for every call to be accounted for
   * @param keepRunning after the summary, keep everything up until Ctrl-C
   * @param out the folder for request bodies; empty: a new temporary folder (kept)
   * @param seed the generator's seed; empty: a random one (printed)
   * @param verbose log the bridge at INFO
   */
  public record Options(
      int calls,
      double callsPerSecond,
      double speed,
      Duration timeout,
      boolean keepRunning,
      Optional<Path> out,
      OptionalLong seed,
      boolean verbose) {

    /**
     * @throws IllegalArgumentException naming the first value out of range
     */
    public Options {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(seed, "seed");
      if (calls < 1) {
        throw new IllegalArgumentException("--calls must be at least 1, not " + calls);
      }
      if (!(callsPerSecond > 0) || Double.isInfinite(callsPerSecond)) {
        throw new IllegalArgumentException(
            "--rate must be a positive number, not " + callsPerSecond);
      }
      if (!(speed > 0) || Double.isInfinite(speed)) {
        throw new IllegalArgumentException("--speed must be a positive number, not " + speed);
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("--timeout must be positive");
      }
    }
  }

  private final Options options;
  private final PrintWriter out;
  private final Map<String, String> env;
  private final boolean interactive;

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final CountDownLatch finished = new CountDownLatch(1);
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final AtomicReference<KafkaConsumer<byte[], byte[]>> monitor = new AtomicReference<>();
  private final AtomicInteger sendFailures = new AtomicInteger();
  private volatile boolean stopping;

  /**
   * A demo run.
   *
   * @param out where the progress and the summary go
   * @param env the environment ({@code BLUEJAY_API_KEY}, {@code BRIDGE_BLUEJAY_BASE_URL})
   * @param interactive whether {@code out} is a terminal: the progress line is then rewritten in
   *     place
   */
  public Demo(Options options, PrintWriter out, Map<String, String> env, boolean interactive) {
    this.options = Objects.requireNonNull(options, "options");
    this.out = Objects.requireNonNull(out, "out");
    this.env = Map.copyOf(env);
    this.interactive = interactive;
  }

  /**
   * Runs the demo to its summary (and, with {@code keepRunning}, until Ctrl-C).
   *
   * @return 0 when every call and poison record is accounted for, 1 on timeout, 130 when stopped
   */
  public int run() throws Exception {
    Thread hook = new Thread(this::stopOnSignal, "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    QuietLogs logs = QuietLogs.apply(options.verbose());
    try {
      return runDemo();
    } catch (WakeupException e) {
      if (!stopping) {
        throw e;
      }
      return INTERRUPTED;
    } finally {
      closeAll();
      logs.close();
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down: the hook is running.
      }
    }
  }

  private int runDemo() throws Exception {
    long startNanos = System.nanoTime();
    long seed = options.seed().orElseGet(() -> new Random().nextInt(1_000_000));
    String apiKey = env.getOrDefault(API_KEY_ENV, "").trim();
    boolean real = !apiKey.isEmpty();
    out.printf(
        Locale.ROOT,
        "bluejay-bridge demo: %d calls at %s calls/s, speed %s, seed %d%n",
        options.calls(),
        number(options.callsPerSecond()),
        number(options.speed()),
        seed);
    if (real) {
      printRealApiBanner();
    }
    out.println(
        "  starting an in-process Kafka broker, the in-memory schema registry, "
            + (real ? "" : "a local Bluejay receiver, ")
            + "and the pipeline ...");
    out.flush();

    Services services = startServices(real ? Optional.of(apiKey) : Optional.empty());
    BridgeConfig.Topics topics = services.config().topics();
    CallGenerator.Plan plan =
        CallGenerator.plan(
            new CallGenerator.Settings(
                options.calls(),
                options.callsPerSecond(),
                options.speed(),
                !real,
                seed,
                Instant.now()),
            new CallGenerator.Topics(topics.toolCalls(), topics.events(), topics.transcripts()));
    printServices(services);

    KafkaProducer<String, byte[]> producer =
        register(
            new KafkaProducer<>(
                Map.of(
                    "bootstrap.servers",
                    services.kafka().bootstrapServers(),
                    "acks",
                    "all",
                    "linger.ms",
                    "5"),
                new StringSerializer(),
                new ByteArraySerializer()));
    KafkaConsumer<byte[], byte[]> consumer = register(outputReader(services));
    awaitReady(services.app(), producer, consumer, topics);

    List<String> callIds = plan.calls().stream().map(CallGenerator.PlannedCall::callId).toList();
    DemoProgress progress = new DemoProgress(topics, callIds);
    LongSupplier requests =
        services.receiver().isPresent()
            ? services.receiver().get()::requestCount
            : progress::attemptsReported;
    boolean done = produceAndWatch(plan, producer, consumer, progress, requests);

    DemoSummary summary =
        new DemoSummary(
            progress.producedCount(),
            (int) plan.calls().stream().filter(CallGenerator.PlannedCall::simulated).count(),
            (int) plan.calls().stream().filter(CallGenerator.PlannedCall::endsByInactivity).count(),
            progress.deliveredByEndpoint(),
            progress.deadLetteredByReason(),
            progress.deliveredWithDeadLetters(),
            plan.poisonByReason(),
            progress.inputDlqByReason(),
            topics.inputDlq(),
            requests.getAsLong(),
            Duration.ofNanos(System.nanoTime() - startNanos),
            services.bodies(),
            services.receiver().map(BluejayStandIn::bodyFiles).orElse(0),
            progress.unaccounted(callIds));
    summary.print(out);
    if (sendFailures.get() > 0) {
      out.printf(Locale.ROOT, "  %d records could not be produced%n", sendFailures.get());
    }
    if (stopping) {
      out.println("Stopped (Ctrl-C) before every call was accounted for.");
      out.flush();
      return INTERRUPTED;
    }
    if (!done) {
      summary.printMissing(out, options.timeout());
      return 1;
    }
    if (options.keepRunning()) {
      out.printf(
          Locale.ROOT,
          "%nStill running (--keep-running): Kafka at %s, Bluejay at %s, topics as above."
              + " The schema registry (%s%s) lives in this process. Metrics and status:"
              + " http://localhost:%d/metrics and /status. Ctrl-C stops everything and removes"
              + " the temporary directories.%n",
          services.kafka().bootstrapServers(),
          services.baseUrl(),
          SchemaRegistries.MOCK_SCHEME,
          REGISTRY,
          services.app().adminPort());
      out.flush();
      stopRequested.await();
    }
    return 0;
  }

  /**
   * What the demo started: broker, receiver and its folder of request bodies (none against the real
   * API), pipeline.
   */
  private record Services(
      KafkaTestCluster kafka,
      Optional<BluejayStandIn> receiver,
      Optional<Path> bodies,
      BridgeApp app,
      BridgeConfig config,
      String baseUrl) {}

  /**
   * Starts the broker (in a temporary directory), the receiver (unless {@code realApiKey} is
   * given), creates the topics and starts the pipeline through {@link BridgeApp}, as {@code run}
   * does.
   */
  private Services startServices(Optional<String> realApiKey) throws Exception {
    Path work = Files.createTempDirectory("bluejay-bridge-demo-");
    register(() -> deleteRecursively(work));
    KafkaTestCluster kafka = register(KafkaTestCluster.start(work.resolve("kafka")));
    Optional<BluejayStandIn> receiver = Optional.empty();
    Optional<Path> bodies = Optional.empty();
    if (realApiKey.isEmpty()) {
      bodies =
          Optional.of(
              options.out().isPresent()
                  ? Files.createDirectories(options.out().get())
                  : Files.createTempDirectory("bluejay-bridge-demo-requests-"));
      receiver = Optional.of(register(new BluejayStandIn()).writeBodiesTo(bodies.get()));
    }
    String baseUrl =
        receiver
            .map(r -> r.baseUrl().toString())
            .orElseGet(
                () ->
                    env.getOrDefault(
                        ConfigKeys.BLUEJAY_BASE_URL.envName(),
                        ConfigKeys.BLUEJAY_BASE_URL.defaultText().orElseThrow()));

    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    settings.put("kafka.application.id", "bluejay-bridge-demo");
    settings.put("kafka.processing.guarantee", "exactly_once_v2");
    settings.put("kafka.state.dir", work.resolve("state").toString());
    settings.put("schema.registry.url", SchemaRegistries.MOCK_SCHEME + REGISTRY);
    settings.put("call.end-grace", scaled(END_GRACE, MIN_END_GRACE).toMillis() + "ms");
    settings.put(
        "call.inactivity-gap", scaled(INACTIVITY_GAP, MIN_INACTIVITY_GAP).toMillis() + "ms");
    settings.put("bluejay.base-url", baseUrl);
    settings.put("bluejay.api-key", realApiKey.orElse(LOCAL_API_KEY));
    if (realApiKey.isEmpty()) {
      settings.put("delivery.rate-limit-per-minute", String.valueOf(LOCAL_RATE_LIMIT_PER_MINUTE));
    }
    // The admin server: on the usual port when the demo keeps running (to look at /metrics and
    // /status), on any free port otherwise.
    settings.put("admin.port", options.keepRunning() ? String.valueOf(ADMIN_PORT) : "0");
    BridgeConfig config = ConfigLoader.parse(settings);

    BridgeConfig.Topics topics = config.topics();
    Map<String, Integer> partitions = new LinkedHashMap<>();
    partitions.put(topics.toolCalls(), INPUT_PARTITIONS);
    partitions.put(topics.events(), INPUT_PARTITIONS);
    partitions.put(topics.transcripts(), INPUT_PARTITIONS);
    partitions.put(topics.inputDlq(), 1);
    partitions.put(topics.deliveryDlq(), 1);
    topics.deliveryReceipts().ifPresent(receipts -> partitions.put(receipts, 1));
    kafka.createTopics(partitions);

    register(() -> SchemaRegistries.dropMock(REGISTRY));
    BridgeApp app =
        register(
            BridgeApp.start(
                config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Clock.systemUTC()));
    return new Services(kafka, receiver, bodies, app, config, baseUrl);
  }

  private void printServices(Services services) {
    BridgeConfig config = services.config();
    BridgeConfig.Topics topics = config.topics();
    out.printf(
        Locale.ROOT,
        "  Kafka     %s (in-process KRaft broker)%n",
        services.kafka().bootstrapServers());
    out.printf(
        Locale.ROOT, "  registry  %s%s (in-process)%n", SchemaRegistries.MOCK_SCHEME, REGISTRY);
    out.printf(
        Locale.ROOT,
        "  Bluejay   %s%s%n",
        services.baseUrl(),
        services.receiver().isPresent() ? " (local receiver)" : " (REAL API)");
    out.printf(
        Locale.ROOT,
        "  pipeline  exactly-once, end grace %s, inactivity gap %s, rate limit %d/min%n",
        Durations.format(config.calls().endGrace()),
        Durations.format(config.calls().inactivityGap()),
        config.delivery().rateLimitPerMinute());
    out.printf(
        Locale.ROOT,
        "  topics    %s, %s, %s (%d partitions); %s, %s, %s%n",
        topics.toolCalls(),
        topics.events(),
        topics.transcripts(),
        INPUT_PARTITIONS,
        topics.inputDlq(),
        topics.deliveryDlq(),
        topics.deliveryReceipts().orElse("(no receipts)"));
    out.println();
    out.flush();
  }

  /** Reads the receipts and both DLQs from the start, read committed, without a group. */
  private KafkaConsumer<byte[], byte[]> outputReader(Services services) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                services.kafka().bootstrapServers(),
                "isolation.level",
                "read_committed",
                "enable.auto.commit",
                "false"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    monitor.set(consumer);
    BridgeConfig.Topics topics = services.config().topics();
    List<TopicPartition> outputs = new ArrayList<>();
    outputs.add(new TopicPartition(topics.inputDlq(), 0));
    outputs.add(new TopicPartition(topics.deliveryDlq(), 0));
    topics.deliveryReceipts().ifPresent(r -> outputs.add(new TopicPartition(r, 0)));
    consumer.assign(outputs);
    consumer.seekToBeginning(outputs);
    return consumer;
  }

  /**
   * The main loop: sends each planned record when it is due, reads the output topics, prints the
   * progress line once a second, until every call and poison record is accounted for (true), or the
   * timeout or a signal comes first (false).
   */
  private boolean produceAndWatch(
      CallGenerator.Plan plan,
      KafkaProducer<String, byte[]> producer,
      KafkaConsumer<byte[], byte[]> consumer,
      DemoProgress progress,
      LongSupplier requests) {
    AvroSerializer<SpecificRecord> avro =
        new AvroSerializer<>(
            SchemaRegistries.create(
                SchemaRegistries.MOCK_SCHEME + REGISTRY, Optional.empty(), Duration.ofSeconds(10)),
            true);
    List<String> callIds = plan.calls().stream().map(CallGenerator.PlannedCall::callId).toList();
    Map<String, Integer> poison = plan.poisonByReason();
    List<CallGenerator.Emission> emissions = plan.emissions();
    long start = System.nanoTime();
    long deadline = start + options.timeout().toNanos();
    long every = PROGRESS_EVERY.toMillis();
    long nextProgress = every;
    int next = 0;
    boolean flushed = false;
    while (!stopping) {
      long now = millisSince(start);
      while (next < emissions.size() && emissions.get(next).atMillis() <= now) {
        send(producer, avro, emissions.get(next++), progress);
      }
      if (next == emissions.size() && !flushed) {
        producer.flush();
        flushed = true;
      }
      if (now >= nextProgress) {
        progress(
            progress.line(
                now, callIds.size(), progress.requestsPerMinute(now, requests.getAsLong())));
        nextProgress = (now / every + 1) * every;
      }
      if (flushed && progress.unaccounted(callIds).isEmpty() && poisonArrived(progress, poison)) {
        break;
      }
      if (System.nanoTime() - deadline >= 0) {
        break;
      }
      long untilNext =
          next < emissions.size() ? emissions.get(next).atMillis() - now : Long.MAX_VALUE;
      long wait = Math.max(0, Math.min(Math.min(untilNext, nextProgress - now), 100));
      // Polling the output topics is also how the loop waits for the next record to send.
      try {
        consumer.poll(Duration.ofMillis(wait)).forEach(progress::accept);
      } catch (WakeupException e) {
        if (!stopping) {
          throw e;
        }
      }
    }
    long now = millisSince(start);
    progress(
        progress.line(now, callIds.size(), progress.requestsPerMinute(now, requests.getAsLong())));
    if (interactive) {
      out.println();
    }
    return flushed && progress.unaccounted(callIds).isEmpty() && poisonArrived(progress, poison);
  }

  private void send(
      KafkaProducer<String, byte[]> producer,
      AvroSerializer<SpecificRecord> avro,
      CallGenerator.Emission emission,
      DemoProgress progress) {
    byte[] value =
        emission.raw() != null
            ? emission.raw()
            : avro.serialize(emission.topic(), emission.value());
    producer.send(
        new ProducerRecord<>(emission.topic(), emission.key(), value),
        (metadata, exception) -> {
          if (exception != null) {
            sendFailures.incrementAndGet();
            LOGGER.warn("cannot produce record error=\"{}\"", exception.getMessage());
          }
        });
    if (emission.poison() == null) {
      progress.produced(emission.callId());
    }
  }

  /**
   * Waits until the producer knows every input partition's leader and Kafka Streams is RUNNING, so
   * that the first calls do not meet start-up effects (a partition whose first records wait for
   * metadata while another's are processed) that would make their records look late.
   */
  private void awaitReady(
      BridgeApp app,
      KafkaProducer<String, byte[]> producer,
      KafkaConsumer<byte[], byte[]> consumer,
      BridgeConfig.Topics topics) {
    for (String topic : List.of(topics.toolCalls(), topics.events(), topics.transcripts())) {
      producer.partitionsFor(topic);
    }
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (!stopping && app.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() - deadline >= 0) {
        throw new IllegalStateException(
            "Kafka Streams is not RUNNING after "
                + STARTUP_TIMEOUT.toSeconds()
                + "s (state "
                + app.state()
                + ")");
      }
      // Nothing is produced yet, so the output topics are empty: the poll only paces this wait.
      consumer.poll(Duration.ofMillis(100));
    }
  }

  private static boolean poisonArrived(DemoProgress progress, Map<String, Integer> planned) {
    Map<String, Integer> found = progress.inputDlqByReason();
    return planned.entrySet().stream()
        .allMatch(e -> found.getOrDefault(e.getKey(), 0) >= e.getValue());
  }

  private void progress(String line) {
    if (interactive) {
      out.print("\r" + line + "   ");
    } else {
      out.println(line);
    }
    out.flush();
  }

  private void printRealApiBanner() {
    String bar = "!".repeat(78);
    out.println(bar);
    out.println("!! BLUEJAY_API_KEY is set: the demo sends to the REAL Bluejay API,");
    out.println(
        "!!   "
            + env.getOrDefault(
                ConfigKeys.BLUEJAY_BASE_URL.envName(),
                ConfigKeys.BLUEJAY_BASE_URL.defaultText().orElseThrow())
            + ", at the default rate limit of "
            + ConfigKeys.DELIVERY_RATE_LIMIT_PER_MINUTE.defaultText().orElseThrow()
            + " requests/min.");
    out.println("!! Only production calls are generated (PUT /v1/update-log/{call_id}): simulated");
    out.println("!! calls would need simulation result ids that exist in your Bluejay account.");
    out.println("!! Bluejay may refuse synthetic call ids (e.g. 404); refused calls are");
    out.println("!! dead-lettered and counted. Request bodies are not recorded in this mode.");
    out.println("!! Unset BLUEJAY_API_KEY to use the local receiver instead.");
    out.println(bar);
    out.flush();
  }

  /** Called by the JVM on Ctrl-C or SIGTERM: lets the main loop stop, then closes everything. */
  private void stopOnSignal() {
    stopping = true;
    stopRequested.countDown();
    KafkaConsumer<byte[], byte[]> consumer = monitor.get();
    if (consumer != null) {
      consumer.wakeup();
    }
    try {
      if (!finished.await(SIGNAL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        closeAll();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T extends AutoCloseable> T register(T resource) {
    synchronized (resources) {
      resources.push(resource);
    }
    return resource;
  }

  /** Closes what was started, newest first; each failure is logged and the rest still closed. */
  private void closeAll() {
    synchronized (resources) {
      while (!resources.isEmpty()) {
        AutoCloseable resource = resources.pop();
        try {
          resource.close();
        } catch (Exception e) {
          LOGGER.warn("cannot close {}: {}", resource.getClass().getSimpleName(), e.toString());
        }
      }
    }
  }

  private Duration scaled(Duration base, Duration floor) {
    Duration scaled = Duration.ofMillis(Math.round(base.toMillis() / options.speed()));
    return scaled.compareTo(floor) < 0 ? floor : scaled;
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  private static String number(double value) {
    return value == Math.rint(value)
        ? String.valueOf((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
