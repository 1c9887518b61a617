package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.pipeline.DeliveryStage;
import dev.bluejaybridge.state.CallState;
import dev.bluejaybridge.state.CallStatus;
import dev.bluejaybridge.support.PipelineDriver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.errors.internals.FailedProcessingException;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 1, on the aggregation's side: a close that fails half-way leaves nothing half-done.
 * When the delivery stage fails on a closed call, the processing exception handler fails the task
 * (thrown here as the {@link FailedProcessingException} Kafka Streams makes of a handler's FAIL),
 * and under exactly-once the transaction is aborted. TopologyTestDriver aborts nothing, so this
 * shows the order within a close: the call is marked closed only after it was handed on, so the
 * failure leaves it open in the store, and the next punctuation (of the task that takes over)
 * closes it once, whole.
 */
class ClosingFailureTest {

  @Test
  void aCallWhoseHandOverFailsIsNotMarkedClosed() {
    List<CallUpdate> received = new ArrayList<>();
    AtomicInteger failures = new AtomicInteger(1);
    try (PipelineDriver driver =
        new PipelineDriver(
            Map.of(), d -> DeliveryStage.of(() -> new FailingStage(received, failures)))) {
      Instant now = PipelineDriver.START;
      driver.toolCalls.pipeInput("c1", toolCall("c1", "lookup", 1_000).setOccurredAt(now).build());
      driver.events.pipeInput("c1", endOfCall("c1", 9_000).setOccurredAt(now).build());

      // When the delivery stage fails on the call the punctuation hands it
      Throwable failure = catchThrowable(() -> driver.advanceWallClock(Duration.ofSeconds(6)));

      // Then the task fails, and the call is not marked closed
      assertThat(failure).isNotNull();
      assertThat(failures.get()).as("the stage failed once").isZero();
      assertThat(received).isEmpty();
      KeyValueStore<String, CallState> calls = driver.driver().getKeyValueStore(CallStores.CALLS);
      assertThat(calls.get("c1").getStatus()).as("failure %s", failure).isEqualTo(CallStatus.OPEN);

      // and its timer is still due: the task that takes over closes it (next test)
      assertThat(calls.get("c1").getTimerAt()).isLessThanOrEqualTo(driver.clock.millis());
    }
  }

  @Test
  void aCallWhoseForwardFailedClosesOnceAndWholeAtTheNextPunctuation() {
    long now = PipelineDriver.START.toEpochMilli();
    FailingOnceContext context = new FailingOnceContext();
    AggregateProcessorTest.Stores stores = new AggregateProcessorTest.Stores(context);
    context.setCurrentSystemTimeMs(now);
    AggregateProcessor processor =
        new AggregateProcessor(
            BridgeConfig.Calls.defaults(), new AggregationMetrics(new SimpleMeterRegistry()));
    processor.init(context);
    processor.process(new Record<>("c1", (SpecificRecord) toolCall("c1", "t", 0).build(), now));
    processor.process(new Record<>("c1", (SpecificRecord) endOfCall("c1", 9).build(), now));

    context.setCurrentSystemTimeMs(now + 6_000);
    Throwable failure = catchThrowable(() -> context.punctuate(now + 6_000));
    assertThat(failure).isNotNull();
    assertThat(stores.calls.get("c1").getStatus()).isEqualTo(CallStatus.OPEN);
    assertThat(context.forwarded()).isEmpty();

    context.setCurrentSystemTimeMs(now + 6_100);
    context.punctuate(now + 6_100);
    context.setCurrentSystemTimeMs(now + 6_200);
    context.punctuate(now + 6_200);
    assertThat(context.forwarded())
        .singleElement()
        .satisfies(
            forward ->
                assertThat(forward.record().value())
                    .isInstanceOfSatisfying(
                        ClosedCall.class, call -> assertThat(call.size()).isEqualTo(2)));
    assertThat(stores.calls.get("c1").getStatus()).isEqualTo(CallStatus.CLOSED);
  }

  /** A context whose first forward fails, as a failing delivery stage would. */
  private static final class FailingOnceContext extends MockProcessorContext<String, CallUpdate> {
    private boolean failed;

    @Override
    public <K extends String, V extends CallUpdate> void forward(Record<K, V> record) {
      if (!failed) {
        failed = true;
        throw new FailedProcessingException(
            "deliver", new IllegalStateException("the delivery stage failed"));
      }
      super.forward(record);
    }

    void punctuate(long at) {
      scheduledPunctuators().get(0).getPunctuator().punctuate(at);
    }
  }

  /** Fails on the first {@code failures} updates, then keeps what it is given. */
  private static final class FailingStage implements Processor<String, CallUpdate, Void, Void> {
    private final List<CallUpdate> received;
    private final AtomicInteger failures;

    FailingStage(List<CallUpdate> received, AtomicInteger failures) {
      this.received = received;
      this.failures = failures;
    }

    @Override
    public void process(Record<String, CallUpdate> record) {
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new FailedProcessingException(
            "deliver", new IllegalStateException("the delivery stage failed"));
      }
      received.add(record.value());
    }
  }
}
