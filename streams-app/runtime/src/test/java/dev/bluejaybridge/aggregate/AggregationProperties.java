package dev.bluejaybridge.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.support.PipelineDriver;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.Telemetry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.avro.specific.SpecificRecord;

/**
 * For random interleavings of many calls' records over the three topics, with wall-clock time
 * moving in between (so that some calls close early and take late records), every call ends up
 * holding exactly its own records: none lost, none duplicated, none from another call; and each
 * revision names as stragglers exactly the records it has beyond the previous one (issue 13 item
 * 2). Records carry the wall-clock time they are piped at as their {@code occurred_at}, as
 * producers on time would.
 */
class AggregationProperties {

  @Property(tries = 40)
  void eachClosedCallHoldsExactlyItsOwnRecords(
      @ForAll @IntRange(min = 1, max = 12) int callCount,
      @ForAll @IntRange(min = 1, max = 15) int maxRecordsPerCall,
      @ForAll long seed) {
    Random random = new Random(seed);
    Map<String, List<String>> expected = new LinkedHashMap<>();
    Map<String, String> simulationIds = new HashMap<>();
    List<SpecificRecord> stream = new ArrayList<>();
    for (int c = 0; c < callCount; c++) {
      String callId = "call-" + c + "-" + Long.toHexString(random.nextLong());
      String simulationId = random.nextInt(3) == 0 ? String.valueOf(1000 + c) : null;
      simulationIds.put(callId, simulationId);
      int records = 1 + random.nextInt(maxRecordsPerCall);
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        String token = callId + "#" + i;
        tokens.add(token);
        long offset = random.nextInt(5_000);
        SpecificRecord record =
            switch (random.nextInt(3)) {
              case 0 ->
                  Telemetry.toolCall(callId, token, offset)
                      .setSimulationResultId(simulationId)
                      .build();
              case 1 ->
                  Telemetry.event(callId, token, offset)
                      .setSimulationResultId(simulationId)
                      .setEndsCall(random.nextInt(8) == 0)
                      .build();
              default ->
                  Telemetry.turn(
                          callId,
                          random.nextBoolean() ? Speaker.AGENT : Speaker.USER,
                          token,
                          offset)
                      .setSimulationResultId(simulationId)
                      .build();
            };
        stream.add(record);
      }
      expected.put(callId, tokens);
    }
    Collections.shuffle(stream, random);

    try (PipelineDriver driver = PipelineDriver.create()) {
      for (SpecificRecord record : stream) {
        pipe(driver, record, driver.clock.millis());
        driver.advanceWallClock(Duration.ofMillis(random.nextInt(2_000)));
      }
      driver.advanceWallClock(Duration.ofSeconds(31));
      for (int tick = 0; tick < 5; tick++) {
        driver.advanceWallClock(AggregateProcessor.TICK); // should a tick have run out of time
      }

      Map<String, List<String>> received = new HashMap<>();
      for (ClosedCall call : driver.closedCalls()) {
        // A call closed again by late records is handed on whole: the last one counts.
        List<String> before = received.getOrDefault(call.callId(), List.of());
        List<String> stragglers = call.stragglers().stream().map(r -> token(r)).toList();
        List<String> now = tokens(call);
        assertThat(now).as("a revision holds its predecessor").containsAll(before);
        List<String> added = new ArrayList<>(now);
        before.forEach(added::remove);
        assertThat(stragglers)
            .as(call.callId() + " revision " + call.revision() + ": stragglers")
            .containsExactlyInAnyOrderElementsOf(call.revision() == 0 ? List.of() : added);
        received.put(call.callId(), now);
      }
      assertThat(driver.lateRecords()).as("no call was forgotten").isEmpty();
      assertThat(received.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      expected.forEach(
          (callId, tokens) ->
              assertThat(received.get(callId))
                  .as(callId)
                  .containsExactlyInAnyOrderElementsOf(tokens));
      assertThat(driver.inputDlq.isEmpty()).isTrue();
    }
  }

  private static void pipe(PipelineDriver driver, SpecificRecord record, long occurredAt) {
    Instant at = Instant.ofEpochMilli(occurredAt);
    if (record instanceof ToolCall toolCall) {
      toolCall.setOccurredAt(at);
      driver.toolCalls.pipeInput(toolCall.getCallId(), toolCall);
    } else if (record instanceof CallEvent event) {
      event.setOccurredAt(at);
      driver.events.pipeInput(event.getCallId(), event);
    } else if (record instanceof TranscriptTurn turn) {
      turn.setOccurredAt(at);
      driver.transcripts.pipeInput(turn.getCallId(), turn);
    }
  }

  private static List<String> tokens(ClosedCall call) {
    List<String> tokens = new ArrayList<>();
    call.toolCalls().forEach(t -> tokens.add(t.getName()));
    call.events().forEach(e -> tokens.add(e.getTitle()));
    call.transcript().forEach(t -> tokens.add(t.getUtterance()));
    return tokens;
  }

  private static String token(SpecificRecord record) {
    if (record instanceof ToolCall toolCall) {
      return toolCall.getName();
    } else if (record instanceof CallEvent event) {
      return event.getTitle();
    }
    return ((TranscriptTurn) record).getUtterance();
  }
}
