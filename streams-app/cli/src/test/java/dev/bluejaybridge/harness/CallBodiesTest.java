package dev.bluejaybridge.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * The content audit of the chaos harness (issue 13): a body is matched against the records
 * produced, and a fragment, a doubled POST or a wrong field is told apart from the whole call.
 */
class CallBodiesTest {
  private static final SyntheticCalls CALLS = new SyntheticCalls(TopicNames.defaults(), 3, 0, 0);

  @Test
  void theWholeCallMatchesExactly() {
    List<Ledger.Produced> produced = produced(0, null);

    CallBodies.Match match = CallBodies.match(body(produced, null), produced, null);

    assertThat(match.exact()).as(match.difference()).isTrue();
    assertThat(match.missing()).isEmpty();
    assertThat(match.unexpected()).isEmpty();
    assertThat(match.included()).hasSize(produced.size());
  }

  @Test
  void aBodyWithoutTheLastRecordsIsAFragment() {
    List<Ledger.Produced> produced = produced(1, null);
    List<Ledger.Produced> firstHalf = produced.subList(0, produced.size() / 2);

    CallBodies.Match match = CallBodies.match(body(firstHalf, null), produced, null);

    assertThat(match.fragment()).isTrue();
    assertThat(match.exact()).isTrue(); // exactly what the records it holds make
  }

  @Test
  void aMissingStragglerIsNoFragment() {
    List<Ledger.Produced> produced = new ArrayList<>(produced(2, "7"));
    ToolCall late =
        ToolCall.newBuilder((ToolCall) first(produced, ToolCall.class))
            .setName("late_lookup")
            .setStartOffsetMs(9_999_999)
            .build();
    List<Ledger.Produced> before = List.copyOf(produced);
    produced.add(new Ledger.Produced(late, true));

    CallBodies.Match match = CallBodies.match(body(before, "7"), produced, "7");

    assertThat(match.fragment()).isFalse();
    assertThat(match.included()).hasSize(before.size());
  }

  @Test
  void aProductionBodyOfAStragglerTurnAloneIsAFragmentHoldingTheStraggler() {
    List<Ledger.Produced> produced = new ArrayList<>(produced(5, null));
    TranscriptTurn late =
        TranscriptTurn.newBuilder((TranscriptTurn) first(produced, TranscriptTurn.class))
            .setUtterance("a late line")
            .setStartOffsetMs(9_999_999)
            .setEndOffsetMs(10_001_499)
            .build();
    produced.add(new Ledger.Produced(late, true));

    CallBodies.Match match =
        CallBodies.match(body(List.of(produced.get(produced.size() - 1)), null), produced, null);

    assertThat(match.fragment()).isTrue();
    assertThat(match.exact()).as(match.difference()).isTrue();
    assertThat(match.included()).containsExactly(produced.size() - 1);
  }

  @Test
  void toolCallsPostedTwiceAreUnexpected() {
    List<Ledger.Produced> produced = produced(3, "8");
    ObjectNode body = (ObjectNode) body(produced, "8");
    ArrayNode tools = (ArrayNode) body.get("tool_calls");
    tools.addAll(tools.deepCopy());

    CallBodies.Match match = CallBodies.match(body, produced, "8");

    assertThat(match.unexpected()).isNotEmpty();
  }

  @Test
  void aChangedFieldIsADifference() {
    List<Ledger.Produced> produced = produced(4, null);
    ObjectNode body = (ObjectNode) body(produced, null);
    ((ObjectNode) body.get("tool_calls").get(0)).put("parameters", "{}");

    CallBodies.Match match = CallBodies.match(body, produced, null);

    assertThat(match.exact()).isFalse();
    assertThat(match.fragment()).isFalse();
    assertThat(match.difference()).startsWith("/tool_calls/0/parameters");
  }

  private static List<Ledger.Produced> produced(long index, String simulationResultId) {
    List<Ledger.Produced> produced = new ArrayList<>();
    for (SyntheticCalls.Part part : CALLS.call(index, 1_000).parts()) {
      SpecificRecord value = part.value().apply(1_000 + index);
      if (simulationResultId != null) {
        value.put(value.getSchema().getField("simulation_result_id").pos(), simulationResultId);
      }
      produced.add(new Ledger.Produced(value, false));
    }
    return produced;
  }

  private static JsonNode body(List<Ledger.Produced> records, String simulationResultId) {
    return CallBodies.body(
        records.stream().map(Ledger.Produced::value).toList(), simulationResultId);
  }

  private static SpecificRecord first(List<Ledger.Produced> produced, Class<?> type) {
    return produced.stream()
        .map(Ledger.Produced::value)
        .filter(type::isInstance)
        .findFirst()
        .orElseThrow();
  }
}
