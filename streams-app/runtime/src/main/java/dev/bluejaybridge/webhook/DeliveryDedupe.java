package dev.bluejaybridge.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code X-Bluejay-Delivery} dedupe that every instance shares and that survives restarts: a Kafka
 * Streams step from {@code topics.webhook-deliveries} (keyed by delivery id, written by {@link
 * WebhookReceiver}) to {@code topics.webhook-events} (keyed by the call or result id), which drops
 * a delivery whose id it has seen within {@code webhooks.dedupe-retention}.
 *
 * <pre>
 * POST ─► receiver (any instance) ─► webhook-deliveries ─► dedupe ─► webhook-events
 *                                    key: delivery id      (webhook-delivery-ids)
 * </pre>
 *
 * <p>Why a state store keyed by delivery id, and not a compacted topic of seen ids that every
 * instance reads: the same delivery id always lands on the same partition of {@code
 * webhook-deliveries}, so one task, on one instance at a time, decides for it, in record order; two
 * instances that receive the same delivery at once, or an instance that received it before a
 * restart, cannot both let it through. Under {@code exactly_once_v2} the seen id, the event and the
 * consumed offset commit in one transaction: a crash between them replays the delivery, and the
 * replay finds nothing or everything. A topic of seen ids read by every receiver would race (both
 * check before either writes), would need the event and the seen id written atomically from an HTTP
 * thread, and would keep every id in every instance's memory.
 *
 * <p>Bounded: the ids live in a persistent window store whose retention is {@code
 * webhooks.dedupe-retention}; RocksDB drops whole segments as stream time (the time deliveries were
 * received) passes it, with no scan, and the changelog keeps them the same time plus a day. The
 * store's memory is RocksDB's bounded block cache; its disk, about 100 bytes per delivery of the
 * retention.
 *
 * <p>A delivery without {@code X-Bluejay-Delivery} (Bluejay always sends one) cannot be
 * deduplicated and passes through.
 */
public final class DeliveryDedupe {
  static final String SOURCE = "webhook-deliveries";
  static final String PROCESSOR = "webhook-dedupe";
  static final String SINK = "webhook-events";
  static final String STORE = "webhook-delivery-ids";

  private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryDedupe.class);

  private DeliveryDedupe() {}

  /**
   * The whole step as a topology of its own.
   *
   * @param deliveries {@code topics.webhook-deliveries}
   * @param events {@code topics.webhook-events}
   * @param retention {@code webhooks.dedupe-retention}
   */
  public static Topology topology(String deliveries, String events, Duration retention) {
    Topology topology = new Topology();
    addTo(topology, deliveries, events, retention);
    return topology;
  }

  /** Adds the step (source, processor, store, sink) to {@code topology}. */
  public static void addTo(
      Topology topology, String deliveries, String events, Duration retention) {
    topology.addSource(
        AutoOffsetReset.earliest(),
        SOURCE,
        new UsePartitionTimeOnInvalidTimestamp(),
        new StringDeserializer(),
        new ByteArrayDeserializer(),
        deliveries);
    topology.addProcessor(PROCESSOR, () -> new Dedupe(retention), SOURCE);
    topology.addStateStore(store(retention), PROCESSOR);
    topology.addSink(SINK, events, new StringSerializer(), new ByteArraySerializer(), PROCESSOR);
  }

  static StoreBuilder<WindowStore<String, Long>> store(Duration retention) {
    return Stores.windowStoreBuilder(
        Stores.persistentWindowStore(STORE, retention, retention, false),
        Serdes.String(),
        Serdes.Long());
  }

  /** Forwards a delivery the first time its id is seen; the id's value is when it was received. */
  static final class Dedupe implements Processor<String, byte[], String, byte[]> {
    private final long retentionMs;
    private ProcessorContext<String, byte[]> context;
    private WindowStore<String, Long> seen;

    Dedupe(Duration retention) {
      this.retentionMs = retention.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
      this.context = context;
      this.seen = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      String delivery = record.key();
      long received = record.timestamp();
      if (delivery != null) {
        if (seenAround(delivery, received)) {
          LOGGER.info(
              "webhook delivery already stored; not written again delivery_id={}", delivery);
          return;
        }
        seen.put(delivery, received, received);
      }
      Headers headers = new RecordHeaders(record.headers().toArray());
      Header key = headers.lastHeader(WebhookReceiver.EVENT_KEY_HEADER);
      headers.remove(WebhookReceiver.EVENT_KEY_HEADER);
      context.forward(
          new Record<>(
              key == null ? null : new String(key.value(), StandardCharsets.UTF_8),
              record.value(),
              received,
              headers));
    }

    /**
     * Seen within the retention either side: two instances' clocks may differ, so a retry can carry
     * an earlier time than the first delivery.
     */
    private boolean seenAround(String delivery, long received) {
      long from = Math.max(0, received - retentionMs);
      long to = received > Long.MAX_VALUE - retentionMs ? Long.MAX_VALUE : received + retentionMs;
      try (WindowStoreIterator<Long> found = seen.fetch(delivery, from, to)) {
        return found.hasNext();
      }
    }
  }
}
