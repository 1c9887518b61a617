package dev.bluejaybridge.bluejay;

import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** How every kind of failure comes out of the client: the one decoder's classification. */
class BluejayErrorsTest {

  static final String KEY = "bj-secret-key-4f2a9c";
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

  static BluejayStandIn bluejay;
  static BluejayClient client;

  @BeforeAll
  static void start() {
    bluejay = new BluejayStandIn();
    client = client(bluejay.baseUrl(), TIMEOUT);
  }

  @AfterAll
  static void stop() {
    client.close();
    bluejay.close();
  }

  @AfterEach
  void resetStandIn() {
    bluejay.reset();
  }

  static BluejayClient client(URI baseUrl, Duration timeout) {
    return BluejayClient.create(
        baseUrl, () -> Secret.of(KEY), timeout, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  static BluejayException updateLogFailure() {
    return catchThrowableOfType(BluejayException.class, () -> client.updateLog("c-1", BODY));
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 502, 503, 504, 408, 429})
  void classifiesServerErrorsTimeoutAndRateLimitAsRetryable(int status) {
    bluejay.stubServerError(UPDATE_LOG, status);

    BluejayException e = updateLogFailure();

    assertThat(e).isInstanceOf(RetryableException.class);
    RetryableException retryable = (RetryableException) e;
    assertThat(retryable.status()).isEqualTo(status);
    // Issue 13 item 3: a 5xx may come after Bluejay applied the request; a 408 or 429 refused it.
    assertThat(retryable.outcomeUnknown()).isEqualTo(status >= 500);
    assertThat(retryable.notConnected()).isFalse();
    assertThat(retryable.retryAfter()).isEmpty();
    assertThat(retryable.method()).isEqualTo("PUT");
    assertThat(retryable.path()).isEqualTo("/v1/update-log/c-1");
    assertThat(retryable.responseBody())
        .isEqualTo("{\"detail\":\"stand-in answered " + status + "\"}");
    assertThat(retryable)
        .hasMessage(
            "HTTP "
                + status
                + " PUT /v1/update-log/c-1: {\"detail\":\"stand-in answered "
                + status
                + "\"}");
  }

  @Test
  void readsRetryAfterInSeconds() {
    bluejay.stubRateLimited(UPDATE_LOG, "2");

    RetryableException e = (RetryableException) updateLogFailure();

    assertThat(e.status()).isEqualTo(429);
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(2));
  }

  @Test
  void readsRetryAfterAsHttpDateRelativeToClock() {
    bluejay.stubRateLimited(UPDATE_LOG, "Mon, 23 Nov 2026 10:00:30 GMT");

    RetryableException e = (RetryableException) updateLogFailure();

    assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
  }

  @Test
  void readsRetryAfterOn503() {
    bluejay.stub(UPDATE_LOG, BluejayStandIn.status(503).withHeader("Retry-After", "120"));

    RetryableException e = (RetryableException) updateLogFailure();

    assertThat(e.retryAfter()).contains(Duration.ofMinutes(2));
  }

  @Test
  void parsesEveryRetryAfterForm() {
    BluejayErrorDecoder decoder =
        new BluejayErrorDecoder(BluejayClient.JSON, Clock.fixed(NOW, ZoneOffset.UTC));

    assertThat(decoder.retryAfter("0")).contains(Duration.ZERO);
    assertThat(decoder.retryAfter(" 7 ")).contains(Duration.ofSeconds(7));
    assertThat(decoder.retryAfter("Mon, 23 Nov 2026 10:01:00 GMT")).contains(Duration.ofMinutes(1));
    assertThat(decoder.retryAfter("Monday, 23-Nov-26 10:01:00 GMT"))
        .contains(Duration.ofMinutes(1));
    assertThat(decoder.retryAfter("Mon Nov 23 10:01:00 2026")).contains(Duration.ofMinutes(1));
    // A date already past means "now", never a negative wait.
    assertThat(decoder.retryAfter("Mon, 23 Nov 2026 09:00:00 GMT")).contains(Duration.ZERO);
    assertThat(decoder.retryAfter("soon")).isEmpty();
    assertThat(decoder.retryAfter("-5")).isEmpty();
    // Overflowing or far-future: as long as a wait can be (issue 13 item 5; see BluejayBoundsTest).
    assertThat(decoder.retryAfter("99999999999999999999999"))
        .contains(RetryableException.MAX_RETRY_AFTER);
    assertThat(decoder.retryAfter("9223372036854775807"))
        .contains(RetryableException.MAX_RETRY_AFTER);
    assertThat(decoder.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT"))
        .contains(RetryableException.MAX_RETRY_AFTER);
  }

  @Test
  void ignoresUnparseableRetryAfter() {
    bluejay.stubRateLimited(UPDATE_LOG, "in a while");

    RetryableException e = (RetryableException) updateLogFailure();

    assertThat(e.retryAfter()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {401, 403})
  void classifiesRefusedKeyAsAuth(int status) {
    bluejay.stubServerError(UPDATE_LOG, status);

    BluejayException e = updateLogFailure();

    assertThat(e).isInstanceOf(AuthException.class);
    assertThat(e.status()).isEqualTo(status);
    assertThat(e.getMessage()).startsWith("HTTP " + status + " PUT /v1/update-log/c-1: ");
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 404, 405, 409, 410, 413, 418, 451, 302})
  void classifiesOtherClientErrorsAsRejected(int status) {
    bluejay.stubServerError(UPDATE_LOG, status);

    BluejayException e = updateLogFailure();

    assertThat(e).isInstanceOf(RejectedException.class);
    RejectedException rejected = (RejectedException) e;
    assertThat(rejected.status()).isEqualTo(status);
    assertThat(rejected.notFound()).isEqualTo(status == 404);
    assertThat(rejected.details()).isEmpty();
  }

  @Test
  void keepsValidationDetailsOf422() {
    bluejay.stub(
        UPDATE_LOG,
        WireMock.aResponse()
            .withStatus(422)
            .withHeader("Content-Type", "application/json")
            .withBody(
                """
                {"detail": [
                  {"loc": ["body", "tool_calls", 0, "name"], "msg": "Field required",
                   "type": "missing"},
                  {"loc": ["body", "reevaluate"], "msg": "Input should be a valid boolean",
                   "type": "bool_parsing", "input": "yes"}
                ]}
                """));

    RejectedException e = (RejectedException) updateLogFailure();

    assertThat(e.status()).isEqualTo(422);
    assertThat(e.details())
        .containsExactly(
            new ValidationDetail(
                List.of("body", "tool_calls", "0", "name"), "Field required", "missing"),
            new ValidationDetail(
                List.of("body", "reevaluate"), "Input should be a valid boolean", "bool_parsing"));
    assertThat(e.getMessage())
        .startsWith("HTTP 422 PUT /v1/update-log/c-1: {\"detail\": [ {\"loc\": [\"body\"");
  }

  @Test
  void keepsEveryValidationDetailOfLong422() {
    StringBuilder body = new StringBuilder("{\"detail\":[");
    for (int i = 0; i < 200; i++) {
      body.append(i == 0 ? "" : ",")
          .append("{\"loc\":[\"body\",\"tool_calls\",")
          .append(i)
          .append(",\"name\"],\"msg\":\"Field required\",\"type\":\"missing\"}");
    }
    bluejay.stub(UPDATE_LOG, WireMock.aResponse().withStatus(422).withBody(body + "]}"));

    RejectedException e = (RejectedException) updateLogFailure();

    assertThat(e.details()).hasSize(200);
    assertThat(e.details().get(199).loc()).containsExactly("body", "tool_calls", "199", "name");
    assertThat(e.responseBody()).endsWith("...(truncated)");
  }

  @Test
  void toleratesMalformedValidationDetails() {
    bluejay.stub(
        UPDATE_LOG,
        WireMock.aResponse()
            .withStatus(422)
            .withBody("{\"detail\": [{\"msg\": \"odd\"}, 7, {\"loc\": [\"body\", {\"x\": 1}]}]}"));

    RejectedException e = (RejectedException) updateLogFailure();

    assertThat(e.details())
        .containsExactly(
            new ValidationDetail(List.of(), "odd", ""),
            new ValidationDetail(List.of("body", "{\"x\":1}"), "", ""));
  }

  @Test
  void keepsNoDetailsFromNonJsonErrorBody() {
    bluejay.stub(
        UPDATE_LOG, WireMock.aResponse().withStatus(400).withBody("<html>Bad Request</html>"));

    RejectedException e = (RejectedException) updateLogFailure();

    assertThat(e.details()).isEmpty();
    assertThat(e.responseBody()).isEqualTo("<html>Bad Request</html>");
  }

  @Test
  void truncatesLongResponseBodyTo4KiB() {
    // 'é' is two bytes in UTF-8: the cut at 4096 bytes must not split one.
    String longBody = "x" + "é".repeat(5_000);
    bluejay.stub(UPDATE_LOG, WireMock.aResponse().withStatus(500).withBody(longBody));

    BluejayException e = updateLogFailure();

    assertThat(e.responseBody()).endsWith("...(truncated)");
    String kept = e.responseBody().substring(0, e.responseBody().length() - 14);
    assertThat(kept.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
    assertThat(kept).isEqualTo("x" + "é".repeat(2_047));
    assertThat(e.getMessage().length()).isLessThan(4_200);
  }

  @Test
  void reportsEmptyErrorBody() {
    bluejay.stub(UPDATE_LOG, WireMock.aResponse().withStatus(502));

    BluejayException e = updateLogFailure();

    assertThat(e.responseBody()).isEmpty();
    assertThat(e).hasMessage("HTTP 502 PUT /v1/update-log/c-1: (empty body)");
  }

  @Test
  void classifiesReadTimeoutAsRetryableWithUnknownOutcome() {
    bluejay.stubDelay(UPDATE_LOG, Duration.ofSeconds(3));

    try (BluejayClient impatient = client(bluejay.baseUrl(), Duration.ofMillis(200))) {
      RetryableException e =
          catchThrowableOfType(RetryableException.class, () -> impatient.updateLog("c-1", BODY));

      assertThat(e.status()).isEqualTo(-1);
      assertThat(e.outcomeUnknown()).isTrue();
      assertThat(e.method()).isEqualTo("PUT");
      assertThat(e.path()).isEqualTo("/v1/update-log/c-1");
      assertThat(e.getMessage()).startsWith("I/O error PUT /v1/update-log/c-1: ");
      assertThat(e.getMessage()).containsIgnoringCase("timed out");
    }
  }

  @Test
  void classifiesConnectionRefusedAsRetryableNotSent() {
    try (BluejayClient unreachable = client(closedPort(), TIMEOUT)) {
      RetryableException e =
          catchThrowableOfType(RetryableException.class, () -> unreachable.updateLog("c-1", BODY));

      assertThat(e.status()).isEqualTo(-1);
      assertThat(e.outcomeUnknown()).isFalse();
      assertThat(e.retryAfter()).isEmpty();
      assertThat(e.getMessage()).startsWith("I/O error PUT /v1/update-log/c-1: ConnectException");
    }
  }

  @Test
  void classifiesConnectionResetAfterSendingAsUnknownOutcome() {
    bluejay.stub(UPDATE_SIMULATION_RESULT, BluejayStandIn.connectionReset());

    RetryableException e =
        catchThrowableOfType(
            RetryableException.class, () -> client.updateSimulationResult(simulationBody("sim-1")));

    assertThat(e.status()).isEqualTo(-1);
    assertThat(e.outcomeUnknown()).isTrue();
    assertThat(e.method()).isEqualTo("POST");
  }

  @Test
  void classifiesErrorsOfEveryEndpoint() {
    bluejay.stubServerError(UPDATE_SIMULATION_RESULT, 404);
    bluejay.stubServerError(RETRIEVE_SIMULATION_RESULT, 404);

    RejectedException post =
        catchThrowableOfType(
            RejectedException.class, () -> client.updateSimulationResult(simulationBody("9")));
    RejectedException get =
        catchThrowableOfType(RejectedException.class, () -> client.retrieveSimulationResult("9"));

    assertThat(post.notFound()).isTrue();
    assertThat(post).hasMessageStartingWith("HTTP 404 POST /v1/update-simulation-result: ");
    assertThat(get.notFound()).isTrue();
    assertThat(get).hasMessageStartingWith("HTTP 404 GET /v1/retrieve-simulation-result/9: ");
  }

  @Test
  void failsWithAuthWithoutSendingWhenThereIsNoKey() {
    List<Supplier<Secret>> unusable =
        List.of(
            () -> null,
            () -> Secret.of(""),
            () -> Secret.of("line\nbreak"),
            () -> {
              throw new IllegalStateException("key file says line\nbreak");
            });
    for (Supplier<Secret> key : unusable) {
      try (BluejayClient keyless = BluejayClient.create(bluejay.baseUrl(), key, TIMEOUT)) {
        assertThatThrownBy(() -> keyless.updateLog("c-1", BODY))
            .isInstanceOf(AuthException.class)
            .hasMessageStartingWith("no request sent PUT /v1/update-log/c-1: ")
            .hasMessageNotContaining("break");
      }
    }
    assertThat(bluejay.requests()).isEmpty();
  }

  @Test
  void neverShowsTheKeyInExceptionsOrLogs() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger ours = (Logger) LoggerFactory.getLogger("dev.bluejaybridge");
    Level previous = ours.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    ours.setLevel(Level.DEBUG);
    List<Throwable> failures = new ArrayList<>();
    try {
      // A server that echoes the key it was sent, in every kind of failure.
      bluejay.stubSequence(
          UPDATE_LOG,
          WireMock.aResponse().withStatus(401).withBody("{\"detail\":\"bad key " + KEY + "\"}"),
          WireMock.aResponse()
              .withStatus(422)
              .withBody(
                  "{\"detail\":[{\"loc\":[\"header\",\""
                      + KEY
                      + "\"],\"msg\":\""
                      + KEY
                      + "\",\"type\":\"x\"}]}"),
          WireMock.aResponse().withStatus(500).withBody(KEY),
          WireMock.aResponse().withStatus(429).withHeader("Retry-After", KEY),
          BluejayStandIn.connectionReset(),
          BluejayStandIn.ok(UPDATE_LOG));
      for (int i = 0; i < 5; i++) {
        failures.add(updateLogFailure());
      }
      client.updateLog("c-1", BODY);
      try (BluejayClient unreachable = client(closedPort(), TIMEOUT)) {
        failures.add(
            catchThrowableOfType(BluejayException.class, () -> unreachable.updateLog("c-1", BODY)));
      }
      bluejay.stubDelay(UPDATE_LOG, Duration.ofSeconds(3));
      try (BluejayClient impatient = client(bluejay.baseUrl(), Duration.ofMillis(200))) {
        failures.add(
            catchThrowableOfType(BluejayException.class, () -> impatient.updateLog("c-1", BODY)));
      }
    } finally {
      root.detachAppender(logs);
      ours.setLevel(previous);
    }

    assertThat(failures).hasSize(7).doesNotContainNull();
    for (Throwable failure : failures) {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        assertThat(t.toString()).doesNotContain(KEY);
        assertThat(String.valueOf(t.getMessage())).doesNotContain(KEY);
      }
      if (failure instanceof BluejayException e) {
        assertThat(e.responseBody()).doesNotContain(KEY);
      }
      if (failure instanceof RejectedException e) {
        assertThat(e.details().toString()).doesNotContain(KEY);
      }
    }
    assertThat(logs.list).isNotEmpty();
    assertThat(logs.list)
        .allSatisfy(
            event -> {
              assertThat(event.getFormattedMessage()).doesNotContain(KEY);
              if (event.getThrowableProxy() != null) {
                assertThat(event.getThrowableProxy().getMessage()).doesNotContain(KEY);
              }
            });
    assertThat(logs.list)
        .anySatisfy(event -> assertThat(event.getFormattedMessage()).contains("status=401"));
  }

  static byte[] simulationBody(String simulationResultId) {
    return ("{\"simulation_result_id\":\"" + simulationResultId + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** A URL on which nothing listens: connecting is refused at once. */
  static URI closedPort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
