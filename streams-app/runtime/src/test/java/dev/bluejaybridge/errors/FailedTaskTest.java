package dev.bluejaybridge.errors;

import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.pipeline.DeliveryStage;
import dev.bluejaybridge.support.PipelineDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 1, through the whole topology: a failure after a call was closed (here the delivery
 * stage throws while taking the closed call, in the aggregation's punctuation) fails the task, so
 * that exactly-once rolls the close back, instead of being swallowed with the call marked closed
 * and never delivered; nothing goes to the input DLQ.
 */
class FailedTaskTest {

  @Test
  void failureAfterACallWasClosedFailsTheTaskInsteadOfLosingTheCall() {
    List<CallUpdate> taken = new ArrayList<>();
    try (PipelineDriver driver =
        new PipelineDriver(Map.of(), d -> DeliveryStage.of(() -> new FailsOnce(taken)))) {
      driver.toolCalls.pipeInput("c1", toolCall("c1", "lookup_order", 0).build());

      assertThatThrownBy(() -> driver.advanceWallClock(Duration.ofSeconds(31)))
          .isInstanceOf(StreamsException.class)
          .hasStackTraceContaining("cannot serialize the request body");
      assertThat(driver.inputDlq.isEmpty()).isTrue();
    }
  }

  /** A delivery stage that fails on the first closed call it is handed, as a bug would. */
  private static final class FailsOnce implements Processor<String, CallUpdate, Void, Void> {
    private final List<CallUpdate> taken;

    FailsOnce(List<CallUpdate> taken) {
      this.taken = taken;
    }

    @Override
    public void process(Record<String, CallUpdate> record) {
      if (record.value() instanceof ClosedCall && taken.isEmpty()) {
        taken.add(record.value());
        throw new IllegalStateException("cannot serialize the request body");
      }
      taken.add(record.value());
    }
  }
}
