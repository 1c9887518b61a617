package dev.bluejaybridge.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The harness' Bluejay fake is honest (issue 13, "tests that must become stricter"): a request it
 * applies and then answers with a fault is held all the same, and the lookups the bridge settles
 * ambiguous outcomes with answer from what is held.
 */
class ReceiverTest {
  private static final String POST_BODY =
      "{\"simulation_result_id\":\"42\",\"tool_calls\":[{\"name\":\"book\",\"start_offset_ms\":5}],"
          + "\"events\":[{\"title\":\"call ended\",\"start_offset_ms\":9,\"tags\":[]}],"
          + "\"recorded_transcript\":[],\"tags\":[],\"metadata\":{}}";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Receiver receiver =
      Receiver.start(Processes.freePort(), "key", 4, Receiver.Memory.FULL);

  @AfterEach
  void close() {
    receiver.close();
  }

  @Test
  void appliedThenServerErrorIsHeldAndFoundByTheLookup() throws Exception {
    receiver.script("42", Receiver.Fault.APPLIED_SERVER_ERROR, null);

    assertThat(post(POST_BODY).statusCode()).isEqualTo(503);

    assertThat(receiver.appliedPosts("42")).hasSize(1);
    JsonNode result = CallBodies.parse(get("/v1/retrieve-simulation-result/42").body());
    assertThat(result.at("/simulation_result/tool_calls/0/name").asText()).isEqualTo("book");
    assertThat(result.at("/simulation_result/tool_calls/0/actual/0/start_offset_ms").asLong())
        .isEqualTo(5);
    assertThat(result.at("/simulation_result/events/0/title").asText()).isEqualTo("call ended");
    Receiver.Exchange exchange = receiver.exchanges().get(0);
    assertThat(exchange.delivered()).isTrue();
    assertThat(exchange.appliedUnseen()).isTrue();
  }

  @Test
  void appliedThenResetClosesWithoutAnAnswerButIsHeld() {
    receiver.script("42", Receiver.Fault.APPLIED_RESET, null);

    assertThatThrownBy(() -> post(POST_BODY)).isInstanceOf(IOException.class);

    assertThat(receiver.appliedPosts("42")).hasSize(1);
    assertThat(receiver.exchanges().get(0).status()).isEqualTo(-1);
  }

  @Test
  void appliedThenTimeoutIsHeldWhileTheClientTimesOut() {
    receiver.faults(Receiver.FaultPlan.seeded(1).lateBy(Duration.ofSeconds(3)));
    receiver.script("42", Receiver.Fault.APPLIED_TIMEOUT, null);

    assertThatThrownBy(() -> post(POST_BODY, Duration.ofMillis(500)))
        .isInstanceOf(HttpTimeoutException.class);

    assertThat(receiver.appliedPosts("42")).hasSize(1);
  }

  @Test
  void aRefusalOrATimeoutWithoutApplyHoldsNothing() {
    receiver.faults(Receiver.FaultPlan.seeded(1).lateBy(Duration.ofSeconds(2)));
    receiver.script("42", Receiver.Fault.TIMEOUT, null);
    receiver.script("42", Receiver.Fault.TOO_MANY_REQUESTS, "9223372036854775807");

    assertThatThrownBy(() -> post(POST_BODY, Duration.ofMillis(500)))
        .isInstanceOf(HttpTimeoutException.class);
    HttpResponse<String> refused = send(POST_BODY);

    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("9223372036854775807");
    assertThat(receiver.appliedPosts("42")).isEmpty();
    assertThat(receiver.exchanges()).noneMatch(Receiver.Exchange::delivered);
  }

  @Test
  void putReplacesAndTheCallLogAnswersTheLastBody() throws Exception {
    put("c-1", "{\"tool_calls\":[],\"events\":[],\"metadata\":{\"v\":1},\"reevaluate\":true}");
    put("c-1", "{\"tool_calls\":[],\"events\":[],\"metadata\":{\"v\":2},\"reevaluate\":true}");

    assertThat(receiver.appliedLogs("c-1")).hasSize(2);
    JsonNode log = CallBodies.parse(get("/v1/retrieve-call-log/c-1").body());
    assertThat(log.at("/call_log/metadata/v").asInt()).isEqualTo(2);
    JsonNode unknown = CallBodies.parse(get("/v1/retrieve-call-log/c-2").body());
    assertThat(unknown.at("/call_log/tool_calls").size()).isZero();
  }

  @Test
  void aBodyThatIsNotJsonIsRefusedAndNotApplied() throws Exception {
    assertThat(put("c-1", "{\"tool_calls\": [").statusCode()).isEqualTo(422);

    assertThat(receiver.appliedLogs("c-1")).isEmpty();
  }

  @Test
  void eachClientHasItsOwnPortAndInFlightCount() throws Exception {
    receiver.latency(Duration.ofMillis(300));
    String base = receiver.baseUrl("app-2");
    var pending =
        http.sendAsync(
            request(base, "/v1/update-log/c-9")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"tool_calls\":[]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    Poll.require(
        Duration.ofSeconds(10),
        Duration.ofMillis(5),
        () -> receiver.inFlight("app-2") == 1,
        () -> "one request in flight from app-2");
    assertThat(receiver.appliedLogs("c-9")).hasSize(1); // applied before the answer
    assertThat(pending.get().statusCode()).isEqualTo(200);
    assertThat(receiver.exchanges().get(0).client()).isEqualTo("app-2");
  }

  private HttpResponse<String> post(String body) throws Exception {
    return post(body, Duration.ofSeconds(5));
  }

  private HttpResponse<String> post(String body, Duration timeout) throws Exception {
    return http.send(
        request(receiver.baseUrl(), "/v1/update-simulation-result")
            .timeout(timeout)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String body) {
    try {
      return post(body);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> put(String callId, String body) throws Exception {
    return http.send(
        request(receiver.baseUrl(), "/v1/update-log/" + callId)
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        request(receiver.baseUrl(), path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder request(String base, String path) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .header("X-API-Key", "key")
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(5));
  }
}
