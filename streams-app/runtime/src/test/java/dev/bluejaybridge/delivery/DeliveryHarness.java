package dev.bluejaybridge.delivery;

import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.support.PipelineDriver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.TestOutputTopic;
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
              return DeliveryTopology.stage(
                  config, dispatcher, new DeliveryMetrics(meters, dispatcher, pipeline.clock));
            });
    this.dispatcher = created.get();
    this.client = createdClient.get();
    this.receipts = driver.output(driver.config.topics().deliveryReceipts().orElseThrow());
    this.deliveryDlq = driver.output(driver.config.topics().deliveryDlq());
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
