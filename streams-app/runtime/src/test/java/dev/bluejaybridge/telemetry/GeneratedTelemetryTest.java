package dev.bluejaybridge.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.bluejaybridge.errors.PoisonRecordException;
import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.serde.AvroDeserializer;
import dev.bluejaybridge.serde.TelemetryDecodeException;
import dev.bluejaybridge.testkit.CallGenerator;
import dev.bluejaybridge.testkit.CallGenerator.Emission;
import dev.bluejaybridge.testkit.CallGenerator.Plan;
import dev.bluejaybridge.testkit.CallGenerator.Settings;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The testkit's generated calls as the bridge's input checks see them. */
class GeneratedTelemetryTest {
  private static final CallGenerator.Topics TOPICS =
      new CallGenerator.Topics("calls.tool-calls", "calls.events", "calls.transcripts");
  private static final Instant START = Instant.parse("2026-11-23T10:00:00Z");

  private static Plan plan(int calls, long seed) {
    return CallGenerator.plan(new Settings(calls, 20, 1, true, seed, START), TOPICS);
  }

  @Test
  void everyValidRecordPassesTheBridgesChecks() {
    for (Emission emission : plan(40, 10).emissions()) {
      if (emission.poison() == null) {
        assertThat(emission.key()).isEqualTo(Telemetry.callId(emission.value()));
        TelemetryValidator.validate(emission.key(), emission.value());
      }
    }
  }

  @Test
  void poisonRecordsOfEveryKindFailWithTheReasonTheInputDlqWillShow() {
    AvroDeserializer<ToolCall> decoder =
        new AvroDeserializer<>(new InMemorySchemaRegistry(), ToolCall.class);
    List<Emission> poison =
        plan(100, 16).emissions().stream().filter(e -> e.poison() != null).toList();

    assertThat(poison).isNotEmpty();
    for (Emission emission : poison) {
      String reason = emission.poison().reason();
      if (emission.raw() != null) {
        TelemetryDecodeException failure =
            catchThrowableOfType(
                TelemetryDecodeException.class,
                () -> decoder.deserialize(emission.topic(), emission.raw()));
        assertThat(failure.reason()).isEqualTo(reason);
      } else {
        assertThatThrownBy(() -> TelemetryValidator.validate(emission.key(), emission.value()))
            .isInstanceOfSatisfying(
                PoisonRecordException.class, e -> assertThat(e.reason()).isEqualTo(reason));
      }
    }
  }
}
