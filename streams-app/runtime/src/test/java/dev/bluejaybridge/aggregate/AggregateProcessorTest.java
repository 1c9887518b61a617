package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 8, one processor on in-memory stores: a task starting on state reads the number of
 * open calls from one entry instead of counting them, and a punctuation stops when its time is
 * spent.
 */
class AggregateProcessorTest {
  private static final long NOW = Instant.parse("2026-11-23T12:00:00Z").toEpochMilli();

  private final MockProcessorContext<String, CallUpdate> context = new MockProcessorContext<>();
  private final Stores stores = new Stores(context);
  private final KeyValueStore<String, CallState> calls = stores.calls;
  private final KeyValueStore<Bytes, byte[]> timers = stores.timers;
  private final AggregationMetrics metrics = new AggregationMetrics(new SimpleMeterRegistry());

  AggregateProcessorTest() {
    context.setCurrentSystemTimeMs(NOW);
  }

  /** The aggregation's stores, in memory, added to a mock context. */
  static final class Stores {
    final KeyValueStore<String, CallState> calls;
    final KeyValueStore<Bytes, byte[]> timers;

    Stores(MockProcessorContext<String, CallUpdate> context) {
      calls = store(context, CallStores.CALLS, Serdes.String(), CallStores.callStateSerde());
      timers = store(context, CallStores.TIMERS, Serdes.Bytes(), Serdes.ByteArray());
      store(context, CallStores.PARTS, Serdes.Bytes(), CallStores.callPartSerde());
      store(context, CallStores.DELIVERED, Serdes.String(), CallStores.deliveredCallSerde());
    }
  }

  @Test
  void aTaskStartingOnStateReadsTheCountOfOpenCallsWithoutCountingThem() {
    // Given state whose kept count says 7 open calls (the calls themselves not read)
    CallStores.openCalls(timers, 7);

    // When the task starts, and then opens one more
    AggregateProcessor processor = new AggregateProcessor(settings(), metrics);
    processor.init(context);
    assertThat(metrics.openCalls()).isEqualTo(7);
    processor.process(new Record<>("c1", (SpecificRecord) toolCall("c1", "t", 0).build(), NOW));

    // Then the count moves on from it, in the gauge and in the store
    assertThat(metrics.openCalls()).isEqualTo(8);
    assertThat(CallStores.openCalls(timers)).isEqualTo(8);
    processor.close();
    assertThat(metrics.openCalls()).isZero();
  }

  @Test
  void aPunctuationStopsClosingOnceItsTimeIsSpent() {
    // Given 30 calls due, and each look at the clock finding 60 ms passed
    AtomicLong nanos = new AtomicLong();
    AggregateProcessor processor =
        new AggregateProcessor(settings(), metrics, () -> nanos.addAndGet(60_000_000));
    processor.init(context);
    for (int i = 0; i < 30; i++) {
      processor.process(
          new Record<>("c" + i, (SpecificRecord) toolCall("c" + i, "t", 0).build(), NOW));
    }
    // When one punctuation runs as they fall due
    punctuate(NOW + 30_000);

    // Then it closed only the least it must, the rest wait for the next ticks
    assertThat(context.forwarded()).hasSize(AggregateProcessor.MIN_CLOSES_PER_TICK);
    punctuate(NOW + 30_100);
    punctuate(NOW + 30_200);
    assertThat(context.forwarded()).hasSize(30);
    assertThat(calls.get("c0").getStatus()).isEqualTo(CallStatus.CLOSED);
    assertThat(metrics.openCalls()).isZero();
  }

  private void punctuate(long at) {
    context.setCurrentSystemTimeMs(at);
    List<MockProcessorContext.CapturedPunctuator> punctuators = context.scheduledPunctuators();
    punctuators.get(0).getPunctuator().punctuate(at);
  }

  private static BridgeConfig.Calls settings() {
    return BridgeConfig.Calls.defaults();
  }

  private static <K, V> KeyValueStore<K, V> store(
      MockProcessorContext<String, CallUpdate> context,
      String name,
      Serde<K> keys,
      Serde<V> values) {
    KeyValueStore<K, V> store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name), keys, values)
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), (StateStore) store);
    context.addStateStore(store);
    return store;
  }
}
