package dev.bluejaybridge.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.bluejaybridge.registry.WireMockSupport.CONTENT_TYPE;
import static dev.bluejaybridge.registry.WireMockSupport.json;
import static dev.bluejaybridge.registry.WireMockSupport.schemaJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RestSchemaRegistryTest {

  static final Schema SCHEMA =
      SchemaBuilder.record("Ping")
          .namespace("dev.bluejaybridge.test")
          .fields()
          .requiredString("id")
          .optionalLong("at")
          .endRecord();
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  @RegisterExtension static WireMockExtension primary = WireMockSupport.server();
  @RegisterExtension static WireMockExtension secondary = WireMockSupport.server();

  static final String closedPortUrl = WireMockSupport.closedPortUrl();

  static RestSchemaRegistry registry(String... urls) {
    return new RestSchemaRegistry(List.of(urls), Optional.empty(), TIMEOUT);
  }

  @Test
  void fetchesSchemaById() {
    primary.stubFor(get("/schemas/ids/7").willReturn(schemaJson(SCHEMA)));

    Schema schema = registry(primary.baseUrl()).schemaById(7);

    assertThat(schema).isEqualTo(SCHEMA);
    primary.verify(
        getRequestedFor(urlEqualTo("/schemas/ids/7"))
            .withHeader(
                "Accept",
                com.github.tomakehurst.wiremock.client.WireMock.containing(CONTENT_TYPE)));
  }

  @Test
  void acceptsExplicitAvroSchemaType() {
    primary.stubFor(
        get("/schemas/ids/7")
            .willReturn(json(200, Map.of("schema", SCHEMA.toString(), "schemaType", "AVRO"))));

    assertThat(registry(primary.baseUrl()).schemaById(7)).isEqualTo(SCHEMA);
  }

  @Test
  void rejectsNonAvroSchemaAsPermanentError() {
    primary.stubFor(
        get("/schemas/ids/8")
            .willReturn(
                json(200, Map.of("schema", "syntax = \"proto3\";", "schemaType", "PROTOBUF"))));

    assertThatThrownBy(() -> registry(primary.baseUrl()).schemaById(8))
        .isExactlyInstanceOf(RegistryException.class)
        .hasMessageContaining("schema id 8")
        .hasMessageContaining("PROTOBUF");
  }

  @Test
  void schemaNotFoundIsUnknownSchemaExceptionNamingTheId() {
    primary.stubFor(
        get("/schemas/ids/1")
            .willReturn(json(404, Map.of("error_code", 40403, "message", "Schema 1 not found"))));

    UnknownSchemaException e =
        catchThrowableOfType(
            UnknownSchemaException.class, () -> registry(primary.baseUrl()).schemaById(1));

    assertThat(e)
        .hasMessageContaining("schema id 1")
        .hasMessageContaining("40403")
        .hasMessageContaining("Schema 1 not found");
    assertThat(e.httpStatus()).isEqualTo(OptionalInt.of(404));
    assertThat(e.errorCode()).isEqualTo(OptionalInt.of(40403));
  }

  @Test
  void notFoundIsNotTriedOnTheNextUrl() {
    primary.stubFor(
        get("/schemas/ids/1")
            .willReturn(json(404, Map.of("error_code", 40403, "message", "Schema 1 not found"))));
    secondary.stubFor(get("/schemas/ids/1").willReturn(schemaJson(SCHEMA)));

    assertThatThrownBy(() -> registry(primary.baseUrl(), secondary.baseUrl()).schemaById(1))
        .isInstanceOf(UnknownSchemaException.class);
    secondary.verify(0, getRequestedFor(urlEqualTo("/schemas/ids/1")));
  }

  @Test
  void serverErrorOnFirstUrlFailsOverToSecond() {
    primary.stubFor(
        get("/schemas/ids/3")
            .willReturn(
                json(503, Map.of("error_code", 50003, "message", "Error while forwarding"))));
    secondary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA)));

    assertThat(registry(primary.baseUrl(), secondary.baseUrl()).schemaById(3)).isEqualTo(SCHEMA);
  }

  @Test
  void closedPortFailsOverToSecondUrl() {
    secondary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA)));

    assertThat(registry(closedPortUrl, secondary.baseUrl()).schemaById(3)).isEqualTo(SCHEMA);
  }

  @Test
  void timeoutFailsOverToSecondUrl() {
    primary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA).withFixedDelay(2_000)));
    secondary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA)));
    RestSchemaRegistry registry =
        new RestSchemaRegistry(
            List.of(primary.baseUrl(), secondary.baseUrl()),
            Optional.empty(),
            Duration.ofMillis(200));

    assertThat(registry.schemaById(3)).isEqualTo(SCHEMA);
  }

  /**
   * A registry that sends its head at once and then trickles the body never holds a schema lookup
   * past the timeout: one deadline covers the whole answer, not each read (issue 13 item 5, the
   * registry's sibling of the Bluejay client's bound).
   */
  @Test
  void aTricklingAnswerEndsAtTheTimeoutAndFailsOver() {
    primary.stubFor(
        get("/schemas/ids/3").willReturn(schemaJson(SCHEMA).withChunkedDribbleDelay(40, 8_000)));
    secondary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA)));
    RestSchemaRegistry registry =
        new RestSchemaRegistry(
            List.of(primary.baseUrl(), secondary.baseUrl()),
            Optional.empty(),
            Duration.ofMillis(500));

    long started = System.nanoTime();
    assertThat(registry.schemaById(3)).isEqualTo(SCHEMA);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void rateLimitFailsOverToSecondUrl() {
    primary.stubFor(get("/schemas/ids/3").willReturn(aResponse().withStatus(429)));
    secondary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA)));

    assertThat(registry(primary.baseUrl(), secondary.baseUrl()).schemaById(3)).isEqualTo(SCHEMA);
  }

  @Test
  void urlThatAnsweredIsTriedFirstNextTime() {
    primary.stubFor(get("/schemas/ids/3").willReturn(aResponse().withStatus(500)));
    secondary.stubFor(get("/schemas/ids/3").willReturn(schemaJson(SCHEMA)));
    RestSchemaRegistry registry = registry(primary.baseUrl(), secondary.baseUrl());

    registry.schemaById(3);
    registry.schemaById(3);

    primary.verify(1, getRequestedFor(urlEqualTo("/schemas/ids/3")));
    secondary.verify(2, getRequestedFor(urlEqualTo("/schemas/ids/3")));
  }

  @Test
  void everyUrlFailingIsRegistryUnavailableListingEachUrlAndWhatHappened() {
    primary.stubFor(
        get("/schemas/ids/3")
            .willReturn(
                json(503, Map.of("error_code", 50003, "message", "Error while forwarding"))
                    .withHeader("Retry-After", "5")));

    RegistryUnavailableException e =
        catchThrowableOfType(
            RegistryUnavailableException.class,
            () -> registry(primary.baseUrl(), closedPortUrl).schemaById(3));

    assertThat(e)
        .hasMessageContaining("schema id 3")
        .hasMessageContaining(primary.baseUrl() + " -> HTTP 503 error_code=50003")
        .hasMessageContaining("retry_after=5")
        .hasMessageContaining(closedPortUrl + " -> ")
        .hasMessageContaining("ConnectException");
    assertThat(e.getMessage().indexOf(primary.baseUrl()))
        .isLessThan(e.getMessage().indexOf(closedPortUrl));
  }

  @Test
  void htmlErrorPageIsShownTruncatedOnOneLine() {
    primary.stubFor(
        get("/schemas/ids/3")
            .willReturn(
                aResponse()
                    .withStatus(502)
                    .withBody("<html>\n<body>" + "x".repeat(5_000) + "</body></html>")));

    RegistryUnavailableException e =
        catchThrowableOfType(
            RegistryUnavailableException.class, () -> registry(primary.baseUrl()).schemaById(3));

    assertThat(e.getMessage()).hasSizeLessThan(600).doesNotContain("\n").contains("HTTP 502");
  }

  @Test
  void registerPostsSchemaToSubjectVersions() {
    primary.stubFor(
        post("/subjects/calls.tool-calls-value/versions").willReturn(json(200, Map.of("id", 21))));

    int id = registry(primary.baseUrl()).register("calls.tool-calls-value", SCHEMA);

    assertThat(id).isEqualTo(21);
    primary.verify(
        postRequestedFor(urlEqualTo("/subjects/calls.tool-calls-value/versions"))
            .withHeader("Content-Type", equalTo(CONTENT_TYPE))
            .withRequestBody(equalToJson(WireMockSupport.schemaBody(SCHEMA))));
  }

  @Test
  void subjectWithSpecialCharactersIsPathEncoded() {
    String encoded = "/subjects/a%2Fb%20c%3Fd%25e%23f%3Ag/versions";
    primary.stubFor(post(urlEqualTo(encoded)).willReturn(json(200, Map.of("id", 4))));

    int id = registry(primary.baseUrl()).register("a/b c?d%e#f:g", SCHEMA);

    assertThat(id).isEqualTo(4);
    primary.verify(1, postRequestedFor(urlEqualTo(encoded)));
  }

  @Test
  void subjectThatLooksPercentEncodedIsEncodedAgain() {
    String encoded = "/subjects/x%252Fy/versions/latest";
    primary.stubFor(
        get(urlEqualTo(encoded))
            .willReturn(
                json(
                    200,
                    Map.of(
                        "subject", "x%2Fy", "id", 1, "version", 1, "schema", SCHEMA.toString()))));

    RegisteredSchema latest = registry(primary.baseUrl()).latest("x%2Fy");

    assertThat(latest.subject()).isEqualTo("x%2Fy");
    primary.verify(1, getRequestedFor(urlEqualTo(encoded)));
  }

  @Test
  void incompatibleSchemaIsPermanentRegistryExceptionWithStatusAndCode() {
    primary.stubFor(
        post("/subjects/s-value/versions")
            .willReturn(
                json(
                    409,
                    Map.of(
                        "error_code",
                        409,
                        "message",
                        "Schema being registered is incompatible with an earlier schema"))));
    secondary.stubFor(post("/subjects/s-value/versions").willReturn(json(200, Map.of("id", 1))));

    RegistryException e =
        catchThrowableOfType(
            RegistryException.class,
            () -> registry(primary.baseUrl(), secondary.baseUrl()).register("s-value", SCHEMA));

    assertThat(e).isExactlyInstanceOf(RegistryException.class);
    assertThat(e)
        .hasMessageContaining("subject 's-value'")
        .hasMessageContaining("HTTP 409")
        .hasMessageContaining("incompatible");
    assertThat(e.httpStatus()).isEqualTo(OptionalInt.of(409));
    assertThat(e.errorCode()).isEqualTo(OptionalInt.of(409));
    secondary.verify(0, postRequestedFor(urlEqualTo("/subjects/s-value/versions")));
  }

  @Test
  void idOfPostsSchemaToSubjectLookup() {
    primary.stubFor(
        post("/subjects/s-value")
            .willReturn(
                json(
                    200,
                    Map.of(
                        "subject",
                        "s-value",
                        "id",
                        12,
                        "version",
                        3,
                        "schema",
                        SCHEMA.toString()))));

    int id = registry(primary.baseUrl()).idOf("s-value", SCHEMA);

    assertThat(id).isEqualTo(12);
    primary.verify(
        postRequestedFor(urlEqualTo("/subjects/s-value"))
            .withHeader("Content-Type", equalTo(CONTENT_TYPE))
            .withRequestBody(equalToJson(WireMockSupport.schemaBody(SCHEMA))));
  }

  @Test
  void idOfUnregisteredSchemaIsUnknownSchemaExceptionNamingTheSubject() {
    primary.stubFor(
        post("/subjects/s-value")
            .willReturn(json(404, Map.of("error_code", 40403, "message", "Schema not found"))));

    assertThatThrownBy(() -> registry(primary.baseUrl()).idOf("s-value", SCHEMA))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("subject 's-value'")
        .hasMessageContaining("Schema not found");
  }

  @Test
  void idOfInUnknownSubjectIsUnknownSchemaException() {
    primary.stubFor(
        post("/subjects/nope-value")
            .willReturn(
                json(
                    404,
                    Map.of("error_code", 40401, "message", "Subject 'nope-value' not found."))));

    assertThatThrownBy(() -> registry(primary.baseUrl()).idOf("nope-value", SCHEMA))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("nope-value")
        .hasMessageContaining("40401");
  }

  @Test
  void latestGetsLatestVersionOfSubject() {
    primary.stubFor(
        get("/subjects/s-value/versions/latest")
            .willReturn(
                json(
                    200,
                    Map.of(
                        "subject",
                        "s-value",
                        "id",
                        12,
                        "version",
                        3,
                        "schema",
                        SCHEMA.toString()))));

    RegisteredSchema latest = registry(primary.baseUrl()).latest("s-value");

    assertThat(latest).isEqualTo(new RegisteredSchema("s-value", 3, 12, SCHEMA));
  }

  @Test
  void answerThatIsNotJsonIsPermanentRegistryException() {
    primary.stubFor(
        get("/schemas/ids/3").willReturn(aResponse().withStatus(200).withBody("<html>hi</html>")));

    assertThatThrownBy(() -> registry(primary.baseUrl()).schemaById(3))
        .isExactlyInstanceOf(RegistryException.class)
        .hasMessageContaining("schema id 3")
        .hasMessageContaining("unreadable answer");
  }

  @Test
  void sendsBasicAuthAndNeverShowsThePassword() {
    String password = "s3cr3t-pa55";
    String expected = "Basic " + Base64.getEncoder().encodeToString(("bob:" + password).getBytes());
    primary.stubFor(get("/schemas/ids/1").willReturn(schemaJson(SCHEMA)));
    primary.stubFor(
        get("/schemas/ids/2")
            .willReturn(
                json(401, Map.of("error_code", 401, "message", "bad password " + password))));
    primary.stubFor(
        get("/schemas/ids/3")
            .willReturn(json(503, Map.of("error_code", 50301, "message", "down, " + password))));
    primary.stubFor(
        get("/schemas/ids/4")
            .willReturn(json(404, Map.of("error_code", 40403, "message", "no " + password))));
    RestSchemaRegistry registry =
        new RestSchemaRegistry(
            List.of(primary.baseUrl(), closedPortUrl), Optional.of("bob:" + password), TIMEOUT);
    RestSchemaRegistry closedPortFirst =
        new RestSchemaRegistry(
            List.of(closedPortUrl, primary.baseUrl()), Optional.of("bob:" + password), TIMEOUT);

    assertThat(registry.schemaById(1)).isEqualTo(SCHEMA);
    primary.verify(
        getRequestedFor(urlEqualTo("/schemas/ids/1"))
            .withHeader("Authorization", equalTo(expected)));
    for (int id = 2; id <= 7; id++) {
      int failing = id % 3 + 2;
      RestSchemaRegistry client = id <= 4 ? registry : closedPortFirst;
      assertThatThrownBy(() -> client.schemaById(failing))
          .isInstanceOf(RegistryException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(password).contains("****"))
          .satisfies(
              e -> {
                for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                  assertThat(String.valueOf(cause.getMessage())).doesNotContain(password);
                }
              });
    }
    assertThat(registry.toString()).doesNotContain(password);
  }

  /**
   * Found from outside: with a short password the mask replaced its letters in the URL and the
   * exception names too ("htt****://", "ConnectExce****tion"), which shows what the password is.
   */
  @Test
  void ourOwnPartsOfAMessageAreNeverMasked() {
    RestSchemaRegistry registry =
        new RestSchemaRegistry(List.of(closedPortUrl), Optional.of("u:p"), TIMEOUT);

    assertThatThrownBy(() -> registry.schemaById(1))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining(closedPortUrl)
        .hasMessageNotContaining("****");
  }

  @Test
  void basicAuthWithoutColonIsRejectedWithoutEchoingIt() {
    assertThatThrownBy(
            () ->
                new RestSchemaRegistry(
                    List.of(primary.baseUrl()), Optional.of("justasecret"), TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("justasecret");
  }

  @Test
  void encodesEverythingButUnreservedCharactersInPathSegments() {
    assertThat(RestSchemaRegistry.encodePathSegment("calls.tool-calls-value_~"))
        .isEqualTo("calls.tool-calls-value_~");
    assertThat(RestSchemaRegistry.encodePathSegment("a/b c?d%e#f"))
        .isEqualTo("a%2Fb%20c%3Fd%25e%23f");
    assertThat(RestSchemaRegistry.encodePathSegment("é")).isEqualTo("%C3%A9");
  }
}
