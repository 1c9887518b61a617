package dev.bluejaybridge.breaks;

import static dev.bluejaybridge.breaks.LivePipeline.now;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.testkit.KafkaTestCluster;
import dev.bluejaybridge.testkit.ProgressWait;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 8 (a backlog is not silence), tried from outside: undecodable records on one input
 * move its end offset while no processor ever sees them (they go to the input DLQ). The task must
 * still count them as read, or an idle call on it would never close by the wall clock. (Held.)
 */
class PoisonTrickleBreakIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path stateDir;

  /**
   * A producer that writes values the bridge cannot decode to one input partition, every half
   * second, while a call on the same task falls silent. The call should close one inactivity gap (2
   * s) after its record, within a second.
   */
  @Test
  void undecodableRecordsTricklingIntoAnotherInputDoNotHoldAnIdleCall() throws Exception {
    try (LivePipeline live = LivePipeline.start(kafka, "brk-poison", stateDir);
        KafkaProducer<String, byte[]> broken =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "0"),
                new StringSerializer(),
                new ByteArraySerializer())) {
      // Warm up: the pipeline reads and closes a call by inactivity (control: its latency)
      live.producer
          .send(new ProducerRecord<>(live.toolCalls, "warm", now(toolCall("warm", "t", 0))))
          .get();
      ProgressWait.forCount(1, "warm-up call closed").until(live::handedOn);
      ClosedCall warm = live.closes("warm").get(0);

      // Given a call that falls silent after one record
      live.producer
          .send(new ProducerRecord<>(live.toolCalls, "idle", now(toolCall("idle", "t0", 0))))
          .get();
      // When a broken producer writes undecodable values to the events input, every half second
      // for 10 s (the scenario's real-time pace)
      for (int i = 0; i < 20; i++) {
        broken.send(new ProducerRecord<>(live.events, "junk-" + i, new byte[] {1, 2, 3})).get();
        Thread.sleep(500);
      }
      ProgressWait.forCount(1, "idle call closed").until(() -> live.closes("idle").size());

      // Then the idle call closed within its gap + 1 s, as the warm-up call did
      ClosedCall idle = live.closes("idle").get(0);
      assertThat(warm.closedAt() - warm.firstSeenAt())
          .as("control: warm-up call's close latency")
          .isLessThanOrEqualTo(3_000);
      assertThat(idle.closedAt() - idle.firstSeenAt())
          .as("idle call's close latency (ms) with undecodable records trickling into events")
          .isLessThanOrEqualTo(3_000);
    }
  }
}
