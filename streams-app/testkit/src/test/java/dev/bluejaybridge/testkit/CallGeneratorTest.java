package dev.bluejaybridge.testkit;

import static java.util.stream.Collectors.groupingBy;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.Speaker;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.CallGenerator.Emission;
import dev.bluejaybridge.testkit.CallGenerator.Plan;
import dev.bluejaybridge.testkit.CallGenerator.PlannedCall;
import dev.bluejaybridge.testkit.CallGenerator.Poison;
import dev.bluejaybridge.testkit.CallGenerator.Settings;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class CallGeneratorTest {
  private static final CallGenerator.Topics TOPICS =
      new CallGenerator.Topics("calls.tool-calls", "calls.events", "calls.transcripts");

  /** The demo's end grace at speed 1. */
  private static final long END_GRACE_MILLIS = 300;

  private static final Instant START = Instant.parse("2026-11-23T10:00:00Z");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static Plan plan(int calls, long seed) {
    return CallGenerator.plan(new Settings(calls, 20, 1, true, seed, START), TOPICS);
  }

  private static Map<String, List<Emission>> recordsByCall(Plan plan) {
    return plan.emissions().stream()
        .filter(e -> e.poison() == null)
        .collect(groupingBy(Emission::callId));
  }

  private static List<Emission> valid(Plan plan) {
    return plan.emissions().stream().filter(e -> e.poison() == null).toList();
  }

  @Test
  void theSameSeedGivesTheSamePlan() {
    Plan first = plan(30, 42);
    Plan second = plan(30, 42);

    assertThat(second.calls()).isEqualTo(first.calls());
    assertThat(second.emissions()).hasSameSizeAs(first.emissions());
    for (int i = 0; i < first.emissions().size(); i++) {
      Emission a = first.emissions().get(i);
      Emission b = second.emissions().get(i);
      assertThat(b.atMillis()).isEqualTo(a.atMillis());
      assertThat(b.topic()).isEqualTo(a.topic());
      assertThat(b.key()).isEqualTo(a.key());
      assertThat(b.value()).isEqualTo(a.value());
      assertThat(Arrays.equals(b.raw(), a.raw())).isTrue();
      assertThat(b.poison()).isEqualTo(a.poison());
    }
  }

  @Test
  void anotherSeedGivesOtherCalls() {
    Set<String> first =
        plan(30, 1).calls().stream().map(PlannedCall::callId).collect(Collectors.toSet());
    Set<String> second =
        plan(30, 2).calls().stream().map(PlannedCall::callId).collect(Collectors.toSet());

    assertThat(first).doesNotContainAnyElementsOf(second);
  }

  @Test
  void everyCallHasOneEndOfCallEventOrIsMarkedToEndByInactivity() {
    Plan plan = plan(60, 7);
    Map<String, List<Emission>> byCall = recordsByCall(plan);

    for (PlannedCall call : plan.calls()) {
      long ends =
          byCall.get(call.callId()).stream()
              .filter(e -> e.value() instanceof CallEvent event && event.getEndsCall())
              .count();
      assertThat(ends)
          .as("end-of-call events of %s", call)
          .isEqualTo(call.endsByInactivity() ? 0 : 1);
    }
    assertThat(plan.calls()).filteredOn(PlannedCall::endsByInactivity).hasSize(5);
  }

  @Test
  void aCallsRecordsAreAllSentBeforeItsEndGraceRunsOut() {
    Plan plan = plan(60, 8);

    recordsByCall(plan)
        .forEach(
            (callId, records) ->
                records.stream()
                    .filter(e -> e.value() instanceof CallEvent event && event.getEndsCall())
                    .findFirst()
                    .ifPresent(
                        end ->
                            assertThat(records)
                                .allSatisfy(
                                    e ->
                                        assertThat(e.atMillis())
                                            .isLessThan(end.atMillis() + END_GRACE_MILLIS / 2))));
  }

  @Test
  void jsonFieldsHoldValidJson() throws IOException {
    for (Emission emission : valid(plan(40, 9))) {
      if (emission.value() instanceof ToolCall toolCall) {
        assertThat(JSON.readTree(toolCall.getParametersJson()).isObject()).isTrue();
        assertThat(JSON.readTree(toolCall.getOutputJson()).isMissingNode()).isFalse();
      } else if (emission.value() instanceof CallEvent event) {
        for (String text : new String[] {event.getMetadataJson(), event.getCallMetadataJson()}) {
          if (text != null) {
            assertThat(JSON.readTree(text).isObject()).as(text).isTrue();
          }
        }
      }
    }
  }

  @Test
  void everyValidRecordIsKeyedByItsCallId() {
    for (Emission emission : valid(plan(40, 10))) {
      assertThat(emission.key()).isEqualTo(emission.callId());
      assertThat(field(emission.value(), "call_id")).hasToString(emission.callId());
    }
  }

  @Test
  void callsAreConversationsWithToolCallsEventsAndBothSpeakers() {
    Plan plan = plan(20, 11);

    recordsByCall(plan)
        .forEach(
            (callId, records) -> {
              List<SpecificRecord> values = records.stream().map(Emission::value).toList();
              assertThat(values).hasAtLeastOneElementOfType(ToolCall.class);
              assertThat(values).hasAtLeastOneElementOfType(CallEvent.class);
              List<TranscriptTurn> turns =
                  values.stream()
                      .filter(TranscriptTurn.class::isInstance)
                      .map(TranscriptTurn.class::cast)
                      .toList();
              assertThat(turns)
                  .extracting(TranscriptTurn::getSpeaker)
                  .contains(Speaker.AGENT, Speaker.USER);
              assertThat(turns)
                  .allSatisfy(
                      t -> assertThat(t.getEndOffsetMs()).isGreaterThan(t.getStartOffsetMs()));
              assertThat(values)
                  .filteredOn(CallEvent.class::isInstance)
                  .map(CallEvent.class::cast)
                  .anySatisfy(e -> assertThat(e.getCallMetadataJson()).isNotNull())
                  .anySatisfy(e -> assertThat(e.getCallTags()).isNotEmpty());
            });
  }

  @Test
  void aboutOneCallInFourIsSimulatedAndAllItsRecordsSayWhich() {
    Plan plan = plan(400, 12);
    Map<String, PlannedCall> calls =
        plan.calls().stream().collect(Collectors.toMap(PlannedCall::callId, c -> c));

    long simulated = plan.calls().stream().filter(PlannedCall::simulated).count();
    assertThat(simulated).isBetween(90L, 110L);
    for (Emission emission : valid(plan)) {
      assertThat(field(emission.value(), "simulation_result_id"))
          .isEqualTo(calls.get(emission.callId()).simulationResultId());
    }
  }

  @Test
  void againstTheRealApiNoCallIsSimulated() {
    Plan plan = CallGenerator.plan(new Settings(40, 20, 1, false, 13, START), TOPICS);

    assertThat(plan.calls()).noneMatch(PlannedCall::simulated);
  }

  @Test
  void callsStartAtTheRequestedRateAndSpeedCompressesThem() {
    Plan normal = CallGenerator.plan(new Settings(10, 5, 1, true, 14, START), TOPICS);
    Plan fast = CallGenerator.plan(new Settings(10, 5, 2, true, 14, START), TOPICS);

    List<Emission> normalCall = recordsByCall(normal).get(normal.calls().get(9).callId());
    long firstOfLastCall = normalCall.stream().mapToLong(Emission::atMillis).min().orElseThrow();
    assertThat(firstOfLastCall).isBetween(9 * 200L, 10 * 200L + 1_000);
    long normalSpan = span(normalCall);
    long fastSpan = span(recordsByCall(fast).get(fast.calls().get(9).callId()));
    assertThat(fastSpan).isBetween(normalSpan / 2 - 2, normalSpan / 2 + 2);
  }

  private static long span(List<Emission> records) {
    return records.stream().mapToLong(Emission::atMillis).max().orElseThrow()
        - records.stream().mapToLong(Emission::atMillis).min().orElseThrow();
  }

  @Test
  void eventTimeFollowsTheCompressedClockSoRecordsAreInTimestampOrderAsTheyAreSent() {
    for (Emission emission : valid(plan(40, 15))) {
      long sentAt = START.toEpochMilli() + emission.atMillis();
      long occurredAt = ((Instant) field(emission.value(), "occurred_at")).toEpochMilli();
      // At most the longest turn (about 7 s of speech) compressed 60 times, plus recognition.
      assertThat(sentAt - occurredAt).isBetween(0L, 150L);
    }
  }

  @Test
  void poisonRecordsOfEveryKindAreInThePlanAndCounted() {
    Plan plan = plan(100, 16);

    List<Emission> poison = plan.emissions().stream().filter(e -> e.poison() != null).toList();
    assertThat(poison).hasSize(CallGenerator.poisonCount(100));
    assertThat(poison.stream().map(Emission::poison).collect(Collectors.toSet()))
        .isEqualTo(EnumSet.allOf(Poison.class));
    assertThat(poison).allSatisfy(e -> assertThat(e.value() == null).isNotEqualTo(e.raw() == null));
    assertThat(plan.poisonByReason().values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(plan.poisonCount());
  }

  @Test
  void theTimelineIsInOrder() {
    List<Emission> emissions = plan(50, 17).emissions();

    assertThat(emissions).isSortedAccordingTo((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
  }

  private static Object field(SpecificRecord record, String name) {
    Object value = ((GenericRecord) record).get(name);
    return value instanceof CharSequence text ? text.toString() : value;
  }
}
