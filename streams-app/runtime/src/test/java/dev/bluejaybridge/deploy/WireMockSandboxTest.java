package dev.bluejaybridge.deploy;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Bluejay sandbox of docker-compose answers as its mappings say (the same WireMock, here). */
class WireMockSandboxTest {
  private static WireMockServer sandbox;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    sandbox =
        new WireMockServer(
            wireMockConfig()
                .dynamicPort()
                .usingFilesUnderDirectory(
                    DeployFiles.repoRoot().resolve("docker/wiremock").toString()));
    sandbox.start();
  }

  @AfterAll
  static void stop() {
    sandbox.stop();
  }

  private static HttpResponse<String> send(String method, String path, String key, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(sandbox.baseUrl() + path))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      request.header("X-API-Key", key);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return DeployFiles.JSON.readTree(response.body());
  }

  @Test
  void acceptsUpdateLogAndSimulationResults() throws Exception {
    HttpResponse<String> log =
        send("PUT", "/v1/update-log/call-1", "sandbox-key", "{\"tool_calls\":[]}");
    HttpResponse<String> simulation =
        send(
            "POST",
            "/v1/update-simulation-result",
            "sandbox-key",
            "{\"simulation_result_id\":\"42\"}");
    HttpResponse<String> retrieve =
        send("GET", "/v1/retrieve-simulation-result/42", "sandbox-key", null);

    assertThat(log.statusCode()).isEqualTo(200);
    assertThat(json(log).path("message").asText()).isEqualTo("ok");
    assertThat(simulation.statusCode()).isEqualTo(200);
    assertThat(json(simulation).path("status").asText()).isEqualTo("success");
    assertThat(retrieve.statusCode()).isEqualTo(200);
    assertThat(json(retrieve).path("simulation_result").path("status").asText())
        .isEqualTo("COMPLETED");
    assertThat(json(retrieve).path("simulation_result").path("tool_calls").isArray()).isTrue();
  }

  @Test
  void refusesRejectCallsRevokedKeysMissingKeysAndUnknownPaths() throws Exception {
    HttpResponse<String> rejected = send("PUT", "/v1/update-log/reject-1", "sandbox-key", "{}");
    HttpResponse<String> revoked =
        send("PUT", "/v1/update-log/call-1", "sandbox-revoked-key", "{}");
    HttpResponse<String> noKey = send("PUT", "/v1/update-log/call-1", null, "{}");
    HttpResponse<String> unknown = send("GET", "/v1/nothing-here", "sandbox-key", null);

    assertThat(rejected.statusCode()).isEqualTo(422);
    assertThat(json(rejected).path("detail").get(0).path("loc").toString()).contains("body");
    assertThat(revoked.statusCode()).isEqualTo(401);
    assertThat(noKey.statusCode()).isEqualTo(422);
    assertThat(unknown.statusCode()).isEqualTo(404);
  }
}
