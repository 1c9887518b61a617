package dev.bluejaybridge.breaks;

import static dev.bluejaybridge.breaks.LivePipeline.now;
import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 8, tried from outside: closing by the wall clock waits for a broker snapshot taken
 * after the call's deadline, so the beat of the snapshots adds to every close. At a half-second
 * beat 3 of 20 end-of-call closes went over {@code call.end-grace} + 0.5 s; the beat is now a
 * quarter second.
 */
class CloseLatencyBreakIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path stateDir;

  /**
   * Steady state, nothing behind: calls that end (one end-of-call event) and calls that fall silent
   * (one tool call), their records sent at phases spread over the beat of the broker's offsets.
   * Bounds: an end-of-call close within call.end-grace + 0.5 s, an idle close within
   * call.inactivity-gap + 1 s, both on the bridge's own clock (first record read to close).
   */
  @Test
  void closesStayWithinTheirBoundsWhateverThePhaseOfTheOffsetsBeat() throws Exception {
    int calls = 20;
    Random phases = new Random(13);
    try (LivePipeline live = LivePipeline.start(kafka, "brk-latency", stateDir)) {
      live.producer
          .send(new ProducerRecord<>(live.toolCalls, "warm", now(toolCall("warm", "t", 0))))
          .get();
      ProgressWait.forCount(1, "warm-up call closed").until(live::handedOn);

      for (int i = 0; i < calls; i++) {
        live.producer.send(
            new ProducerRecord<>(live.events, "end-" + i, now(endOfCall("end-" + i, 0))));
        live.producer.send(
            new ProducerRecord<>(live.toolCalls, "idle-" + i, now(toolCall("idle-" + i, "t", 0))));
        live.producer.flush();
        Thread.sleep(200 + phases.nextInt(1_300)); // phases of the sends (the scenario)
      }
      ProgressWait.forCount(1L + 2 * calls, "calls closed").until(live::handedOn);

      Map<String, Long> endLatency = new TreeMap<>();
      Map<String, Long> idleLatency = new TreeMap<>();
      for (ClosedCall call : live.closes()) {
        long latency = call.closedAt() - call.firstSeenAt();
        if (call.callId().startsWith("end-")) {
          endLatency.put(call.callId(), latency);
        } else if (call.callId().startsWith("idle-")) {
          idleLatency.put(call.callId(), latency);
        }
      }
      assertThat(idleLatency).hasSize(calls);
      assertThat(endLatency).hasSize(calls);
      // The bounds hold for 90 % of the calls; every call within a second more, so that a loaded
      // machine (a GC pause, a slow Admin answer) does not fail the test, but a design that waits
      // a whole beat or tick too long does.
      assertThat(ninetieth(idleLatency.values()))
          .as("idle close latency (ms) %s, bound call.inactivity-gap + 1 s", idleLatency)
          .isLessThanOrEqualTo(3_000);
      assertThat(ninetieth(endLatency.values()))
          .as("end-of-call close latency (ms) %s, bound call.end-grace + 0.5 s", endLatency)
          .isLessThanOrEqualTo(1_000);
      assertThat(idleLatency.values()).allSatisfy(ms -> assertThat(ms).isLessThanOrEqualTo(4_000));
      assertThat(endLatency.values()).allSatisfy(ms -> assertThat(ms).isLessThanOrEqualTo(2_000));
    }
  }

  private static long ninetieth(Collection<Long> millis) {
    List<Long> sorted = millis.stream().sorted().toList();
    return sorted.get((int) Math.ceil(sorted.size() * 0.9) - 1);
  }
}
