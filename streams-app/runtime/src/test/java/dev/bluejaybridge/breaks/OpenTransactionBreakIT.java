package dev.bluejaybridge.breaks;

import static dev.bluejaybridge.breaks.LivePipeline.now;
import static dev.bluejaybridge.testkit.Telemetry.endOfCall;
import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

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
 * Issue 13 item 8 (a backlog is not silence), tried from outside: records that are written and
 * committed, but wait behind another producer's open transaction (the last stable offset stands
 * still), are a backlog the bridge cannot read yet. Asked only for the read-committed end offset,
 * the bridge took the task as read to its end and closed the call by the wall clock (split: 1 tool
 * call, then 7); it now also asks for the high watermark.
 */
class OpenTransactionBreakIT {
  @RegisterExtension static final KafkaTestCluster kafka = KafkaTestCluster.extension();
  @TempDir Path stateDir;

  @Test
  void aCallWhoseRecordsWaitBehindAnotherProducersOpenTransactionIsNotSplit() throws Exception {
    String prefix = "brk-lso";
    try (LivePipeline live = LivePipeline.start(kafka, prefix, stateDir);
        KafkaProducer<String, byte[]> hanging =
            new KafkaProducer<>(
                Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    "transactional.id",
                    prefix + "-hanging",
                    "transaction.timeout.ms",
                    "60000"),
                new StringSerializer(),
                new ByteArraySerializer())) {
      hanging.initTransactions();
      // Warm up: the pipeline reads and closes a call.
      live.producer
          .send(new ProducerRecord<>(live.toolCalls, "warm", now(toolCall("warm", "t", 0))))
          .get();
      live.producer
          .send(new ProducerRecord<>(live.events, "warm", now(endOfCall("warm", 1))))
          .get();
      ProgressWait.forCount(1, "warm-up call closed").until(live::handedOn);

      // Given a call under way, its first record read
      live.producer
          .send(new ProducerRecord<>(live.toolCalls, "c", now(toolCall("c", "t0", 0))))
          .get();
      Thread.sleep(500); // the call's producer keeps its real-time pace (the scenario)

      // When another producer opens a transaction on the same partition and keeps it open
      hanging.beginTransaction();
      hanging.send(new ProducerRecord<>(live.toolCalls, "other", new byte[] {0})).get();

      // while the call's producer goes on, a record every second (never 2 s of silence), its
      // records written and acknowledged but behind the open transaction
      for (int second = 1; second <= 6; second++) {
        Thread.sleep(1_000); // real-time pace of the producer (the scenario)
        live.producer
            .send(
                new ProducerRecord<>(live.toolCalls, "c", now(toolCall("c", "t" + second, second))))
            .get();
      }
      Thread.sleep(1_000);
      // and then the transaction ends (aborted: its one record never counts) and the call ends
      hanging.abortTransaction();
      live.producer.send(new ProducerRecord<>(live.events, "c", now(endOfCall("c", 8_000)))).get();

      ProgressWait.forCount(1, "call c closed whole")
          .until(
              () ->
                  live.closes("c").stream()
                      .filter(call -> call.toolCalls().size() == 7 && call.events().size() == 1)
                      .count());

      // Then the call was handed to delivery once, whole: not a fragment first
      assertThat(live.closes("c"))
          .as("closes of call c (tool calls per close: a split shows 1 then 7)")
          .singleElement()
          .satisfies(call -> assertThat(call.revision()).isZero());
    }
  }
}
