package dev.bluejaybridge.delivery;

import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.pipeline.DeliveryStage;
import dev.bluejaybridge.support.PipelineDriver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The whole topology with the real delivery stage in a TopologyTestDriver, sending over real HTTP
 * to a Bluejay stand-in. Wall-clock time is the driver's, shared with the rate limiter; HTTP
 * outcomes arrive on real threads and are applied at the next punctuation, so tests wait for them
 * with {@link #runUntil}, which only moves the mock wall clock in {@link OutboxProcessor#TICK}
 * steps.
 */
final class DeliveryHarness implements AutoCloseable {
  final PipelineDriver driver;
  final Dispatcher dispatcher;
  final BluejayClient client;
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final TestOutputTopic<String, byte[]> receipts;
  final TestOutputTopic<String, byte[]> deliveryDlq;
  final AtomicReference<Secret> apiKey;
  private final List<TestRecord<String, byte[]>> receiptLog = new java.util.ArrayList<>();
  private final List<TestRecord<String, byte[]>> dlqLog = new java.util.ArrayList<>();

  /** What the test hands the outbox directly, as the aggregation would (taken at each tick). */
  final Queue<CallUpdate> feed = new ConcurrentLinkedQueue<>();

  /** The commits the outbox sees ({@link CommitWatch}); the driver's own are not counted. */
  final AtomicLong commits = new AtomicLong(CommitWatch.UNKNOWN);

  DeliveryHarness(URI baseUrl, Map<String, String> settings, ApiKeySource keys) {
    Map<String, String> all = new HashMap<>();
    all.put("delivery.rate-limit-per-minute", "100000");
    all.put("delivery.request-timeout", "2s");
    all.put("bluejay.base-url", baseUrl.toString());
    all.putAll(settings);
    this.apiKey = new AtomicReference<>(Secret.of("bj-test-key-0001"));
    ApiKeySource source = keys != null ? keys : ApiKeySource.fixed(apiKey.get());
    AtomicReference<Dispatcher> created = new AtomicReference<>();
    AtomicReference<BluejayClient> createdClient = new AtomicReference<>();
    this.driver =
        new PipelineDriver(
            all,
            pipeline -> {
              BridgeConfig config = pipeline.config;
              BluejayClient bluejay =
                  BluejayClient.create(baseUrl, source, config.delivery().requestTimeout());
              createdClient.set(bluejay);
              RateShare rate =
                  new RateShare(config.delivery().rateLimitPerMinute(), pipeline.clock);
              rate.setTotalPartitions(1); // the driver has one partition per topic
              Dispatcher dispatcher =
                  new Dispatcher(bluejay, source, rate, config.delivery().maxInFlight());
              created.set(dispatcher);
              DeliveryStage stage =
                  DeliveryTopology.stage(
                      config,
                      dispatcher,
                      new DeliveryMetrics(meters, dispatcher, pipeline.clock),
                      context -> commits::get);
              return new DeliveryStage(
                  () -> new Feeding(stage.processor().get(), feed),
                  stage.stores(),
                  stage.sinks(),
                  stage.partitionCount());
            });
    this.dispatcher = created.get();
    this.client = createdClient.get();
    this.receipts = driver.output(driver.config.topics().deliveryReceipts().orElseThrow());
    this.deliveryDlq = driver.output(driver.config.topics().deliveryDlq());
  }

  /** Hands {@code update} to the outbox at the next tick, as if the aggregation forwarded it. */
  void feed(CallUpdate update) {
    feed.add(update);
  }

  /** The outbox processor, also taking what {@link #feed} was given at each tick. */
  @SuppressWarnings("unchecked")
  private static final class Feeding implements Processor<String, CallUpdate, Object, Object> {
    private final Processor<String, CallUpdate, Object, Object> inner;
    private final Queue<CallUpdate> feed;
    private ProcessorContext<Object, Object> context;

    Feeding(Processor<String, CallUpdate, ?, ?> inner, Queue<CallUpdate> feed) {
      this.inner = (Processor<String, CallUpdate, Object, Object>) inner;
      this.feed = feed;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
      this.context = context;
      inner.init(context);
      context.schedule(
          OutboxProcessor.TICK,
          PunctuationType.WALL_CLOCK_TIME,
          now -> {
            CallUpdate update;
            while ((update = feed.poll()) != null) {
              inner.process(new Record<>(update.callId(), update, now));
            }
          });
    }

    @Override
    public void process(Record<String, CallUpdate> record) {
      inner.process(record);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /** Moves wall-clock time in small steps until {@code condition} holds (bounded in real time). */
  void runUntil(BooleanSupplier condition) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              driver.advanceWallClock(OutboxProcessor.TICK);
              return condition.getAsBoolean();
            });
  }

  List<TestRecord<String, byte[]>> receipts() {
    receiptLog.addAll(receipts.readRecordsToList());
    return receiptLog;
  }

  List<TestRecord<String, byte[]>> deadLetters() {
    dlqLog.addAll(deliveryDlq.readRecordsToList());
    return dlqLog;
  }

  @Override
  public void close() {
    try {
      driver.close();
    } finally {
      dispatcher.close();
      client.close();
    }
  }
}
