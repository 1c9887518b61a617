package dev.bluejaybridge.webhook;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.http.Secret;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook side of an instance, started and closed as one: the receiver's HTTP server ({@link
 * WebhookServer}) with its producer, and the dedupe step ({@link DeliveryDedupe}) in a Kafka
 * Streams application of its own ({@code kafka.application.id} + {@value #APPLICATION_ID_SUFFIX}),
 * apart from the call pipeline: its tasks, rebalances and failures never touch the calls', and the
 * call pipeline's never hold webhooks back.
 */
public final class Webhooks implements AutoCloseable {
  static final String APPLICATION_ID_SUFFIX = "-webhooks";

  /** Room for the record's headers, key and batch overhead beside the largest body. */
  static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

  private static final Logger LOGGER = LoggerFactory.getLogger(Webhooks.class);

  private final WebhookServer server;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaStreams dedupe;
  private final KafkaStreamsMetrics dedupeMetrics;

  private Webhooks(
      WebhookServer server,
      KafkaProducer<String, byte[]> producer,
      KafkaStreams dedupe,
      KafkaStreamsMetrics dedupeMetrics) {
    this.server = server;
    this.producer = producer;
    this.dedupe = dedupe;
    this.dedupeMetrics = dedupeMetrics;
  }

  /**
   * Starts the dedupe step, then the receiver. The two webhook topics must exist.
   *
   * @param signingSecret the webhook signing secret (re-read when it comes from a file)
   * @param clientProperties the {@code kafka.*} settings of a plain client (connection, security)
   * @param streamsProperties the pipeline's Kafka Streams settings; the dedupe step takes them with
   *     its own application id, one stream thread, and failing (not dead-lettering) on errors
   */
  public static Webhooks start(
      BridgeConfig config,
      WebhookServer.Settings settings,
      Supplier<Secret> signingSecret,
      Map<String, Object> clientProperties,
      Properties streamsProperties,
      MeterRegistry meters,
      Clock clock) {
    BridgeConfig.Topics topics = config.topics();
    KafkaStreams dedupe =
        new KafkaStreams(
            DeliveryDedupe.topology(
                topics.webhookDeliveries(),
                topics.webhookEvents(),
                config.webhooks().dedupeRetention()),
            dedupeProperties(streamsProperties));
    dedupe.setUncaughtExceptionHandler(
        exception -> {
          LOGGER.error("webhook dedupe thread failed; replacing it", exception);
          return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    dedupe.setStateListener(
        (now, before) -> LOGGER.info("webhook dedupe state={} previous={}", now, before));
    KafkaStreamsMetrics dedupeMetrics = new KafkaStreamsMetrics(dedupe);
    dedupeMetrics.bindTo(meters);
    KafkaProducer<String, byte[]> producer = null;
    try {
      dedupe.start();
      producer = producer(config, settings, clientProperties);
      WebhookServer server =
          WebhookServer.start(
              settings,
              new WebhookReceiver(signingSecret, producer, topics.webhookDeliveries(), clock));
      return new Webhooks(server, producer, dedupe, dedupeMetrics);
    } catch (RuntimeException e) {
      if (producer != null) {
        producer.close();
      }
      dedupe.close();
      dedupeMetrics.close();
      throw e;
    }
  }

  /** The pipeline's Kafka Streams settings, made the dedupe step's. */
  static Properties dedupeProperties(Properties streamsProperties) {
    Properties properties = new Properties();
    properties.putAll(streamsProperties);
    String applicationId = properties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId + APPLICATION_ID_SUFFIX);
    if (properties.containsKey(StreamsConfig.CLIENT_ID_CONFIG)) {
      properties.put(
          StreamsConfig.CLIENT_ID_CONFIG,
          properties.getProperty(StreamsConfig.CLIENT_ID_CONFIG) + APPLICATION_ID_SUFFIX);
    }
    properties.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    // A delivery is not poison input: what fails here is infrastructure. Fail the task (the
    // transaction rolls back, the thread is replaced, the delivery is read again); never the
    // input DLQ.
    properties.remove(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    properties.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndFailExceptionHandler.class.getName());
    properties.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndFailProcessingExceptionHandler.class.getName());
    return properties;
  }

  private static KafkaProducer<String, byte[]> producer(
      BridgeConfig config, WebhookServer.Settings settings, Map<String, Object> clientProperties) {
    Map<String, Object> properties = new HashMap<>(clientProperties);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    properties.put(
        ProducerConfig.CLIENT_ID_CONFIG, config.kafka().applicationId() + APPLICATION_ID_SUFFIX);
    // the largest body must fit in a request (the default, 1 MiB, is the default body limit
    // without room for the headers)
    properties.put(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxBodyBytes() + RECORD_OVERHEAD_BYTES);
    // send() must not block past Bluejay's 5 s answer budget while Kafka is away (default 60 s)
    properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, WebhookReceiver.PRODUCE_TIMEOUT.toMillis());
    return new KafkaProducer<>(properties, new StringSerializer(), new ByteArraySerializer());
  }

  /** The port the receiver listens on. */
  public int port() {
    return server.port();
  }

  /** The dedupe step's Kafka Streams state. */
  public KafkaStreams.State dedupeState() {
    return dedupe.state();
  }

  /** Stops taking webhooks, then closes the producer and the dedupe step. */
  @Override
  public void close() {
    try {
      server.close();
    } finally {
      try {
        producer.close();
      } finally {
        dedupe.close(
            CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(java.time.Duration.ofSeconds(30)));
        dedupeMetrics.close();
      }
    }
  }
}
