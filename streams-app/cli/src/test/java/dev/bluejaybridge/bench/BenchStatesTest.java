package dev.bluejaybridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The benchmarks measure what they claim: their states build valid, realistic inputs. */
class BenchStatesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"ToolCall", "TranscriptTurn", "CallEvent"})
  void codecDeserializesWhatItSerializedAndTheBaselineDecodesTheSameBytes(String type)
      throws IOException {
    CodecBenchmark benchmark = new CodecBenchmark();
    CodecBenchmark.Records records = new CodecBenchmark.Records();
    records.type = type;
    records.setUp();

    for (int i = 0; i < CodecBenchmark.POOL; i++) {
      Object value = records.values[i];
      records.next = i;
      assertThat(benchmark.deserialize(records)).isEqualTo(value);
      records.next = i;
      assertThat(benchmark.avroDecode(records)).isEqualTo(value);
      records.next = i;
      assertThat(benchmark.serialize(records)).isEqualTo(records.framed[i]);
      records.next = i;
      assertThat(benchmark.avroEncode(records)).isEqualTo(records.payloads[i]);
    }
  }

  @Test
  void codecValuesHaveRealisticSizes() {
    BenchData data = new BenchData(1);
    String callId = data.callId();
    for (int i = 0; i < 200; i++) {
      TranscriptTurn turn = data.turn(callId, null, i);
      assertThat(turn.getUtterance().length()).isBetween(60, 200);
      ToolCall toolCall = data.toolCall(callId, null, i);
      assertThat(toolCall.getParametersJson().length()).isBetween(80, 120);
      assertThat(toolCall.getOutputJson().length()).isBetween(270, 330);
    }
  }

  @Test
  void wireFormatBaselineFramesTheSameBytes() {
    CodecBenchmark benchmark = new CodecBenchmark();
    CodecBenchmark.Framing framing = new CodecBenchmark.Framing();
    framing.setUp();

    assertThat(benchmark.wireFormatEncode(framing)).isEqualTo(framing.framed);
    assertThat(benchmark.wireFormatDecode(framing).payload()).isEqualTo(framing.payload);
    assertThat(framing.framed.length).isBetween(400, 700);
  }

  @ParameterizedTest
  @ValueSource(ints = {50, 1000})
  void payloadBodiesAreValidBluejayRequestsWithEveryRecord(int recordsPerCall) throws IOException {
    PayloadBenchmark benchmark = new PayloadBenchmark();
    benchmark.recordsPerCall = recordsPerCall;
    benchmark.setUp();

    byte[] updateLog = benchmark.updateLogBody();
    byte[] updateSimulation = benchmark.updateSimulationBody();

    assertThat(BluejayStandIn.validate(BluejayStandIn.UPDATE_LOG_SCHEMA, updateLog)).isEmpty();
    assertThat(BluejayStandIn.validate(BluejayStandIn.UPDATE_SIMULATION_SCHEMA, updateSimulation))
        .isEmpty();
    JsonNode log = JSON.readTree(updateLog);
    JsonNode simulation = JSON.readTree(updateSimulation);
    assertThat(log.path("tool_calls").size() + log.path("events").size())
        .isEqualTo(recordsPerCall - log.path("metadata").path("transcript_turns").asInt());
    assertThat(
            simulation.path("tool_calls").size()
                + simulation.path("events").size()
                + simulation.path("recorded_transcript").size())
        .isEqualTo(recordsPerCall);
    assertThat(log.path("metadata").path("transcript_turns").asInt()).isEqualTo(recordsPerCall / 2);
    assertThat(List.of(log.path("tool_calls").get(0).path("output").path("status").asText()))
        .containsExactly("shipped");
  }
}
