package dev.bluejaybridge.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static dev.bluejaybridge.registry.WireMockSupport.error;
import static dev.bluejaybridge.registry.WireMockSupport.schemaJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.bluejaybridge.serde.AvroDeserializer;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.serde.TelemetryDecodeException;
import dev.bluejaybridge.serde.WireFormat;
import dev.bluejaybridge.telemetry.ToolCall;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13 item 10: what the deserializer throws when the registry fails, through the real REST
 * client. Only a registry's definitive "not found" makes a record poison ({@code
 * unknown-schema-id}); an unreachable or failing registry, or an answer that is not a registry's,
 * is the registry's problem and never a decode failure of the record.
 */
class RegistryFailureClassificationTest {
  private static final String TOPIC = "calls.tool-calls";
  private static final int ID = 41;

  @RegisterExtension static WireMockExtension registry = WireMockSupport.server();

  private final byte[] value = toolCallWithSchemaId(ID);

  private AvroDeserializer<ToolCall> deserializer(String url) {
    return new AvroDeserializer<>(
        new CachingSchemaRegistry(
            new RestSchemaRegistry(List.of(url), Optional.empty(), Duration.ofSeconds(2))),
        ToolCall.class);
  }

  @Test
  void registryAnswering503IsUnavailableNotPoisonAndTheSameRecordDecodesOnceItAnswers() {
    registry.stubFor(get("/schemas/ids/" + ID).willReturn(error(503, 50003, "overloaded")));
    AvroDeserializer<ToolCall> deserializer = deserializer(registry.baseUrl());

    assertThat(catchThrowable(() -> deserializer.deserialize(TOPIC, value)))
        .isInstanceOf(RegistryUnavailableException.class)
        .isNotInstanceOf(TelemetryDecodeException.class);

    registry.stubFor(get("/schemas/ids/" + ID).willReturn(schemaJson(ToolCall.SCHEMA$)));
    assertThat(deserializer.deserialize(TOPIC, value).getName()).isEqualTo("lookup_order");
  }

  @Test
  void registryRefusingConnectionsIsUnavailableNotPoison() {
    assertThat(
            catchThrowable(
                () -> deserializer(WireMockSupport.closedPortUrl()).deserialize(TOPIC, value)))
        .isInstanceOf(RegistryUnavailableException.class);
  }

  @Test
  void bare404WithoutARegistryErrorCodeIsNotUnknownSchemaId() {
    // e.g. a proxy's page, or a base URL missing the registry's path: says nothing of the id
    registry.stubFor(
        get("/schemas/ids/" + ID)
            .willReturn(aResponse().withStatus(404).withBody("<html>Not Found</html>")));

    Throwable thrown =
        catchThrowable(() -> deserializer(registry.baseUrl()).deserialize(TOPIC, value));

    assertThat(thrown)
        .isInstanceOf(RegistryException.class)
        .isNotInstanceOf(UnknownSchemaException.class)
        .isNotInstanceOf(TelemetryDecodeException.class);
  }

  @Test
  void refusedCredentialsAreNotPoison() {
    registry.stubFor(get("/schemas/ids/" + ID).willReturn(error(401, 40101, "unauthorized")));

    assertThat(catchThrowable(() -> deserializer(registry.baseUrl()).deserialize(TOPIC, value)))
        .isInstanceOf(RegistryException.class)
        .isNotInstanceOf(TelemetryDecodeException.class);
  }

  @Test
  void registrysDefinitiveNotFoundIsUnknownSchemaId() {
    registry.stubFor(
        get("/schemas/ids/" + ID).willReturn(error(404, 40403, "Schema " + ID + " not found")));

    assertThat(catchThrowable(() -> deserializer(registry.baseUrl()).deserialize(TOPIC, value)))
        .isInstanceOfSatisfying(
            TelemetryDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo("unknown-schema-id"));
  }

  private static byte[] toolCallWithSchemaId(int id) {
    ToolCall call =
        ToolCall.newBuilder()
            .setCallId("c1")
            .setOccurredAt(Instant.parse("2026-11-23T10:00:00Z"))
            .setName("lookup_order")
            .setStartOffsetMs(0)
            .build();
    byte[] framed =
        new AvroSerializer<ToolCall>(new InMemorySchemaRegistry(), true).serialize(TOPIC, call);
    return WireFormat.encode(id, WireFormat.decode(framed).payload());
  }
}
