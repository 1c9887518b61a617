package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.testkit.Telemetry.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.aggregate.CloseReason;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.telemetry.TelemetryValidator;
import dev.bluejaybridge.telemetry.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Breaker: "every closed call reaches Bluejay once and whole" (issue 13), with JSON fields at the
 * number limit the bridge states ({@code TelemetryValidator.MAX_JSON_NUMBER_LENGTH}, 1000
 * characters: longer is {@code decode-limit}, shorter is taken). The tool call's parameters below
 * pass validation, yet the body sent to Bluejay carries other values: JSON floats are read as
 * {@code double}, so {@code 1e400} becomes the string {@code "Infinity"} and a 40-digit amount
 * loses its digits.
 */
class PayloadsBreakTest {
  private static final ObjectMapper EXACT =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  @Test
  void numbersWithinTheValidatedLimitReachBluejayUnchanged() throws Exception {
    String parameters =
        "{\"amount\":12345678901234567890.12345678901234567890,\"limit\":1e400,\"tiny\":1e-400}";
    ToolCall call = toolCall("c-1", "charge", 1_000).setParametersJson(parameters).build();
    TelemetryValidator.validate("c-1", call); // taken: no PoisonRecordException

    byte[] body =
        Payloads.updateLogBody(
            new ClosedCall(
                "c-1",
                null,
                "agent-7",
                CloseReason.END_OF_CALL,
                0,
                1_000L,
                2_000L,
                false,
                List.of(call),
                List.of(),
                List.of(),
                List.of()),
            true);

    JsonNode sent = EXACT.readTree(body).get("tool_calls").get(0).get("parameters");
    assertThat(sent.toString())
        .as("the parameters Bluejay receives")
        .isEqualTo(EXACT.readTree(parameters).toString());
  }
}
