package dev.bluejaybridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class AdminServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(AdminServer server, String path)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readinessFollowsTheStreamsStateWhileLivenessStaysUp() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    try (AdminServer server = AdminServer.start(0, running::get, () -> "", Map::of)) {
      assertThat(get(server, "/health/ready").statusCode()).isEqualTo(200);

      running.set(false);

      assertThat(get(server, "/health/ready").statusCode()).isEqualTo(503);
      assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void servesMetricsTextAndStatusJson() throws Exception {
    try (AdminServer server =
        AdminServer.start(
            0,
            () -> true,
            () -> "# TYPE bridge_calls_open gauge\nbridge_calls_open 3.0\n",
            () -> Map.of("streams_state", "RUNNING"))) {
      HttpResponse<String> metrics = get(server, "/metrics");
      HttpResponse<String> status = get(server, "/status");

      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      assertThat(metrics.body()).contains("bridge_calls_open 3.0");
      assertThat(status.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(status.body()).contains("\"streams_state\" : \"RUNNING\"");
    }
  }
}
