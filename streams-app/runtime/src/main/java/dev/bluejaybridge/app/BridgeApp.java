package dev.bluejaybridge.app;

import dev.bluejaybridge.aggregate.AggregationMetrics;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.delivery.ApiKeySource;
import dev.bluejaybridge.delivery.DeliveryMetrics;
import dev.bluejaybridge.delivery.DeliveryTopology;
import dev.bluejaybridge.delivery.Dispatcher;
import dev.bluejaybridge.delivery.RateShare;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.ops.AdminServer;
import dev.bluejaybridge.pipeline.Pipeline;
import dev.bluejaybridge.pipeline.StreamsProperties;
import dev.bluejaybridge.pipeline.TopicLayout;
import dev.bluejaybridge.registry.CachingSchemaRegistry;
import dev.bluejaybridge.registry.SchemaRegistries;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.webhook.WebhookServer;
import dev.bluejaybridge.webhook.Webhooks;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The whole application wired from a config: registry, Bluejay client, dispatcher, topology, Kafka
 * Streams. {@code run}, the integration tests and the demo all start it here, so they run the same
 * thing.
 */
public final class BridgeApp implements AutoCloseable {
  private static final Duration REGISTRY_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final SchemaRegistry registry;
  private final BluejayClient client;
  private final Dispatcher dispatcher;
  private final Pipeline pipeline;
  private final AdminServer admin;
  private final Optional<Webhooks> webhooks;
  private final Duration drainTimeout;

  private BridgeApp(
      SchemaRegistry registry,
      BluejayClient client,
      Dispatcher dispatcher,
      Pipeline pipeline,
      AdminServer admin,
      Optional<Webhooks> webhooks,
      Duration drainTimeout) {
    this.webhooks = webhooks;
    this.registry = registry;
    this.client = client;
    this.dispatcher = dispatcher;
    this.pipeline = pipeline;
    this.admin = admin;
    this.drainTimeout = drainTimeout;
  }

  /**
   * Starts everything.
   *
   * @throws ConfigException when no API key is configured
   */
  public static BridgeApp start(BridgeConfig config, MeterRegistry meters, Clock clock) {
    ApiKeySource keys;
    try {
      keys = ApiKeySource.from(config.bluejay(), clock);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(List.of(e.getMessage()));
    }
    SchemaRegistry registry =
        SchemaRegistries.create(
            config.registry().urls(),
            config.registry().basicAuth().map(secret -> secret.reveal()),
            REGISTRY_TIMEOUT);
    if (registry instanceof CachingSchemaRegistry caching) {
      caching.caches().forEach((name, cache) -> CaffeineCacheMetrics.monitor(meters, cache, name));
    }
    BluejayClient client =
        BluejayClient.create(
            config.bluejay().baseUrl(),
            keys,
            config.delivery().requestTimeout(),
            clock,
            meters,
            config.bluejay().tls().orElse(null),
            config.delivery().maxResponseBytes());
    Dispatcher dispatcher =
        new Dispatcher(
            client,
            keys,
            new RateShare(config.delivery().rateLimitPerMinute(), clock),
            config.delivery().maxInFlight());
    AggregationMetrics aggregation = new AggregationMetrics(meters);
    Pipeline pipeline = null;
    Optional<Webhooks> webhooks = Optional.empty();
    try {
      pipeline =
          Pipeline.start(
              config,
              registry,
              DeliveryTopology.stage(
                  config, dispatcher, new DeliveryMetrics(meters, dispatcher, clock)),
              aggregation,
              meters);
      webhooks = webhooks(config, meters, clock);
      Pipeline started = pipeline;
      AdminServer admin =
          AdminServer.start(
              config.admin().port(),
              () -> started.state() == KafkaStreams.State.RUNNING,
              scrape(meters),
              () -> status(started, dispatcher, aggregation, clock));
      return new BridgeApp(
          registry,
          client,
          dispatcher,
          pipeline,
          admin,
          webhooks,
          config.delivery().requestTimeout().plusSeconds(1));
    } catch (RuntimeException e) {
      // nothing started may outlive a failed start (a running Kafka Streams keeps the JVM up)
      webhooks.ifPresent(Webhooks::close);
      if (pipeline != null) {
        pipeline.close();
      }
      dispatcher.close();
      client.close();
      registry.close();
      throw e;
    }
  }

  /**
   * The webhook receiver and its dedupe step, when a signing secret is configured: its own HTTP
   * server on {@code webhooks.port}, apart from the admin server.
   *
   * @throws TopicLayout.TopicLayoutException when a webhook topic does not exist
   */
  private static Optional<Webhooks> webhooks(
      BridgeConfig config, MeterRegistry meters, Clock clock) {
    if (!config.webhooks().enabled()) {
      return Optional.empty();
    }
    Map<String, Object> clientProperties = StreamsProperties.clientProperties(config);
    try (Admin admin = Admin.create(clientProperties)) {
      TopicLayout.requireExist(
          admin,
          List.of(config.topics().webhookDeliveries(), config.topics().webhookEvents()),
          ADMIN_TIMEOUT);
    }
    return Optional.of(
        Webhooks.start(
            config,
            WebhookServer.Settings.of(config.webhooks()),
            signingSecret(config.webhooks(), clock).orElseThrow(),
            clientProperties,
            StreamsProperties.from(config, meters),
            meters,
            clock));
  }

  /** The webhook signing secret, when the receiver is switched on. */
  static Optional<Supplier<Secret>> signingSecret(BridgeConfig.Webhooks webhooks, Clock clock) {
    if (webhooks.signingSecret().isPresent()) {
      Secret secret = webhooks.signingSecret().get();
      return Optional.of(() -> secret);
    }
    return webhooks.signingSecretFile().map(file -> ApiKeySource.reloading(file, clock));
  }

  private static java.util.function.Supplier<String> scrape(MeterRegistry meters) {
    if (meters instanceof PrometheusMeterRegistry prometheus) {
      return prometheus::scrape;
    }
    return () -> "";
  }

  /** What {@code GET /status} answers: never a secret. */
  static Map<String, Object> status(
      Pipeline pipeline, Dispatcher dispatcher, AggregationMetrics aggregation, Clock clock) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("streams_state", pipeline.state().name());
    status.put("calls_open", aggregation.openCalls());
    Map<String, Object> outbox = new LinkedHashMap<>();
    outbox.put("size", dispatcher.outboxSize());
    outbox.put("oldest_age_seconds", dispatcher.outboxOldestAgeSeconds(clock.millis()));
    status.put("outbox", outbox);
    Map<String, Object> delivery = new LinkedHashMap<>();
    Dispatcher.State state = dispatcher.state();
    delivery.put("state", state.name());
    delivery.put(
        "paused_since", state.since() == 0 ? null : Instant.ofEpochMilli(state.since()).toString());
    delivery.put("reason", state.reason());
    delivery.put("in_flight", dispatcher.inFlight());
    delivery.put("rate_share_per_minute", dispatcher.rate().perMinute());
    status.put("delivery", delivery);
    return status;
  }

  /** The port the admin server listens on (the configured one, or the one picked for 0). */
  public int adminPort() {
    return admin.port();
  }

  /** The port the webhook receiver listens on; empty when webhooks are off. */
  public OptionalInt webhookPort() {
    return webhooks.map(w -> OptionalInt.of(w.port())).orElse(OptionalInt.empty());
  }

  public KafkaStreams.State state() {
    return pipeline.state();
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  /** Blocks until Kafka Streams stops; true if it stopped in error. */
  public boolean awaitStop() throws InterruptedException {
    return pipeline.awaitStop();
  }

  /**
   * Closes without draining, as a second shutdown signal does: requests in flight are abandoned and
   * their calls sent again after a restart (a simulated call is looked up first), as after a crash.
   */
  public void halt() {
    closeAll();
  }

  /**
   * Drains delivery (no new attempts; requests in flight end and their outcomes are recorded, up to
   * the request timeout and a second), then closes Kafka Streams, which commits them.
   */
  @Override
  public void close() {
    try {
      dispatcher.drain(drainTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeAll();
  }

  private void closeAll() {
    try {
      // no webhook is taken that could not be stored
      webhooks.ifPresent(Webhooks::close);
    } finally {
      closeRest();
    }
  }

  private void closeRest() {
    try {
      pipeline.close();
    } finally {
      admin.close();
      dispatcher.close();
      client.close();
      registry.close();
    }
  }
}
