package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.bluejay.SimulationResultView;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.testkit.BluejayStandIn;
import dev.bluejaybridge.testkit.BluejayStandIn.RecordedRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BluejayClientTest {

  static final String KEY = "bj-key-0123456789abcdef";
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  static BluejayStandIn bluejay;
  static BluejayClient client;

  @BeforeAll
  static void start() {
    bluejay = new BluejayStandIn();
    client = BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), TIMEOUT);
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

  @Test
  void putsUpdateLogWithKeyAndJsonBody() {
    ClosedCall call = PayloadsTest.productionCall();
    byte[] body = Payloads.updateLogBody(call, true);

    BluejayClient.Response response = client.updateLog(call.callId(), body);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"message\":\"ok\",\"status\":\"200\"}");
    assertThat(response.requestBytes()).isEqualTo(body.length);
    assertThat(response.latencyMs()).isNotNegative();
    List<RecordedRequest> requests = bluejay.requests();
    assertThat(requests).hasSize(1);
    RecordedRequest request = requests.get(0);
    assertThat(request.method()).isEqualTo("PUT");
    assertThat(request.url()).isEqualTo("/v1/update-log/c-1");
    assertThat(request.header("X-API-Key")).contains(KEY);
    assertThat(request.header("Content-Type")).contains("application/json");
    assertThat(request.body()).isEqualTo(body);
    bluejay.assertAllRequestsValid();
  }

  @Test
  void postsUpdateSimulationResult() {
    ClosedCall production = PayloadsTest.productionCall();
    ClosedCall simulated =
        PayloadsTest.call(
            "13062", false, production.toolCalls(), production.events(), production.transcript());
    byte[] body = Payloads.updateSimulationBody(simulated);

    BluejayClient.Response response = client.updateSimulationResult(body);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"status\":\"success\",\"message\":null}");
    RecordedRequest request = bluejay.requestsTo("/v1/update-simulation-result").get(0);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.header("X-API-Key")).contains(KEY);
    assertThat(request.header("Content-Type")).contains("application/json");
    assertThat(request.body()).isEqualTo(body);
    bluejay.assertAllRequestsValid();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "../admin | ..%2Fadmin",
        "a/b      | a%2Fb",
        "a b      | a%20b",
        "ü?#      | %C3%BC%3F%23",
        ".        | %2E",
        "..       | %2E%2E",
        "100%     | 100%25",
        "a.b~c_d-e| a.b~c_d-e"
      })
  void encodesCallIdAsOnePathSegment(String callId, String segment) {
    client.updateLog(callId, "{}".getBytes(StandardCharsets.UTF_8));

    List<RecordedRequest> requests = bluejay.requests();
    assertThat(requests).hasSize(1);
    assertThat(requests.get(0).url()).isEqualTo("/v1/update-log/" + segment);
    assertThat(bluejay.requestsTo(UPDATE_LOG)).hasSize(1);
    bluejay.assertAllRequestsValid();
  }

  @Test
  void encodesSimulationResultIdAsOnePathSegment() {
    client.retrieveSimulationResult("../x");

    assertThat(bluejay.requests())
        .extracting(RecordedRequest::url)
        .containsExactly("/v1/retrieve-simulation-result/..%2Fx");
  }

  @Test
  void readsApiKeyFromSupplierOnEveryRequest() {
    AtomicReference<Secret> key = new AtomicReference<>(Secret.of("key-one"));
    try (BluejayClient rotating = BluejayClient.create(bluejay.baseUrl(), key::get, TIMEOUT)) {
      rotating.updateLog("c-1", "{}".getBytes(StandardCharsets.UTF_8));
      key.set(Secret.of("key-two"));
      rotating.updateLog("c-1", "{}".getBytes(StandardCharsets.UTF_8));
    }

    assertThat(bluejay.requests())
        .extracting(r -> r.header("X-API-Key").orElseThrow())
        .containsExactly("key-one", "key-two");
  }

  @Test
  void readsStatusAndActualToolCallsOfSimulationResult() {
    bluejay.stub(
        RETRIEVE_SIMULATION_RESULT,
        com.github.tomakehurst.wiremock.client.WireMock.okJson(
            """
            {"simulation_result": {"id": 13062, "digital_human_id": 3, "status": "COMPLETED",
              "tool_calls": [
                {"name": "lookup", "expected": [{"parameters": {}}],
                 "actual": [{"parameters": {"a": 1}, "output": "x", "start_offset_ms": 1200},
                            {"start_offset_ms": null}, {}]},
                {"expected": [], "actual": [{"start_offset_ms": 7}]},
                {"name": "never_called", "expected": [{}], "actual": []},
                {"name": "no_actual_key"}
              ]},
             "status": "200"}
            """));

    SimulationResultView view = client.retrieveSimulationResult("13062");

    assertThat(view.status()).isEqualTo("COMPLETED");
    assertThat(view.actualToolCalls())
        .containsExactly(
            new SimulationResultView.ActualToolCall("lookup", 1_200L),
            new SimulationResultView.ActualToolCall("lookup", null),
            new SimulationResultView.ActualToolCall("lookup", null),
            new SimulationResultView.ActualToolCall(null, 7L));
    assertThat(bluejay.requests().get(0).url()).isEqualTo("/v1/retrieve-simulation-result/13062");
    assertThat(bluejay.requests().get(0).header("X-API-Key")).contains(KEY);
  }

  @Test
  void toleratesSimulationResultWithoutFields() {
    bluejay.stub(
        RETRIEVE_SIMULATION_RESULT,
        com.github.tomakehurst.wiremock.client.WireMock.okJson("{\"status\": \"200\"}"));

    assertThat(client.retrieveSimulationResult("1"))
        .isEqualTo(new SimulationResultView(null, List.of()));
  }

  @Test
  void treatsUnreadableSimulationResultAsRetryable() {
    bluejay.stub(
        RETRIEVE_SIMULATION_RESULT,
        com.github.tomakehurst.wiremock.client.WireMock.ok("<html>maintenance</html>"));

    assertThatThrownBy(() -> client.retrieveSimulationResult("1"))
        .isInstanceOf(RetryableException.class)
        .hasMessage(
            "HTTP 200 GET /v1/retrieve-simulation-result/1: unreadable answer:"
                + " <html>maintenance</html>");
  }

  @Test
  void sendsRequestsBelowBasePathOfBaseUrl() {
    URI withPath = URI.create(bluejay.baseUrl() + "/proxy/bluejay/");
    try (BluejayClient proxied = BluejayClient.create(withPath, () -> Secret.of(KEY), TIMEOUT)) {
      assertThat(proxied.baseUrl()).isEqualTo(bluejay.baseUrl() + "/proxy/bluejay");
      assertThatThrownBy(() -> proxied.updateLog("c-1", "{}".getBytes(StandardCharsets.UTF_8)))
          .isInstanceOf(RejectedException.class)
          .hasMessageStartingWith("HTTP 404 PUT /proxy/bluejay/v1/update-log/c-1: ");
    }
    assertThat(bluejay.requests())
        .extracting(RecordedRequest::url)
        .containsExactly("/proxy/bluejay/v1/update-log/c-1");
  }

  @Test
  void rejectsInvalidBaseUrlsAndTimeouts() {
    for (String url :
        List.of(
            "ftp://host",
            "http:///path",
            "https://user:pw@host",
            "https://host?x=1",
            "https://host#f",
            "host:8080")) {
      assertThatThrownBy(() -> BluejayClient.create(URI.create(url), () -> Secret.of(KEY), TIMEOUT))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("invalid Bluejay base URL")
          .hasMessageNotContaining("pw");
    }
    assertThatThrownBy(
            () -> BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesEmptyIds() {
    assertThatThrownBy(() -> client.updateLog("", "{}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.retrieveSimulationResult(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(bluejay.requests()).isEmpty();
  }

  @Test
  void refusesRequestsOnceClosed() {
    BluejayClient closed = BluejayClient.create(bluejay.baseUrl(), () -> Secret.of(KEY), TIMEOUT);
    closed.close();

    assertThatThrownBy(() -> closed.updateLog("c-1", "{}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sendsKeyVerbatimEvenWithTemplateLikeCharacters() {
    try (BluejayClient braces =
        BluejayClient.create(bluejay.baseUrl(), () -> Secret.of("k{ey}%7B"), TIMEOUT)) {
      braces.updateLog("c-1", "{}".getBytes(StandardCharsets.UTF_8));
    }

    assertThat(bluejay.requests().get(0).header("X-API-Key")).contains("k{ey}%7B");
  }
}
