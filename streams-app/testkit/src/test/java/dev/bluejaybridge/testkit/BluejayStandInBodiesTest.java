package dev.bluejaybridge.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BluejayStandIn#writeBodiesTo}: the demo's folder of request bodies. */
class BluejayStandInBodiesTest {
  private static final String UPDATE_LOG =
      """
      {"tool_calls": [{"name": "lookup", "start_offset_ms": 10}],
       "events": [{"title": "t", "start_offset_ms": 0, "tags": []}],
       "metadata": {"k": "v"}, "reevaluate": true}
      """;
  private static final String UPDATE_SIMULATION =
      """
      {"simulation_result_id": "7", "tool_calls": [{"name": "t", "start_offset_ms": 1}]}
      """;

  private final HttpClient http = HttpClient.newHttpClient();
  private final BluejayStandIn bluejay = new BluejayStandIn();
  @TempDir Path folder;

  @AfterEach
  void stop() {
    bluejay.close();
  }

  private int send(String method, String path, String body) throws Exception {
    return http.send(
            HttpRequest.newBuilder(bluejay.baseUrl().resolve(path))
                .header("X-API-Key", "k")
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private String[] files() throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  @Test
  void acceptedBodiesAreFiledUnderTheCallIdOrTheSimulationResultId() throws Exception {
    bluejay.writeBodiesTo(folder);

    assertThat(send("PUT", "/v1/update-log/c%2F1", UPDATE_LOG)).isEqualTo(200);
    assertThat(send("PUT", "/v1/update-log/c%2F1", UPDATE_LOG)).isEqualTo(200);
    assertThat(send("POST", "/v1/update-simulation-result", UPDATE_SIMULATION)).isEqualTo(200);

    assertThat(files()).containsExactly("7.json", "c_1.2.json", "c_1.json");
    assertThat(bluejay.bodyFiles()).isEqualTo(3);
    assertThat(Files.readString(folder.resolve("7.json")))
        .contains("\"simulation_result_id\" : \"7\"");
    assertThat(bluejay.requestCount()).isEqualTo(3);
  }

  @Test
  void refusedBodiesAndFaultsAreNotFiled() throws Exception {
    bluejay.writeBodiesTo(folder);
    bluejay.stubUpdateLog("c-2", BluejayStandIn.status(503));

    assertThat(send("PUT", "/v1/update-log/c-1", "{\"tool_calls\": 3}")).isEqualTo(422);
    assertThat(send("PUT", "/v1/update-log/c-2", UPDATE_LOG)).isEqualTo(503);

    assertThat(files()).isEmpty();
    assertThat(bluejay.requestCount()).isEqualTo(2);
  }

  @Test
  void withoutAFolderNothingIsWritten() throws Exception {
    assertThat(send("PUT", "/v1/update-log/c-1", UPDATE_LOG)).isEqualTo(200);

    assertThat(files()).isEmpty();
    assertThat(bluejay.bodyFiles()).isZero();
  }
}
