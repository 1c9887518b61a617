package dev.bluejaybridge.demo;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ServeEventListener;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's local Bluejay: a WireMock server on 127.0.0.1 that accepts what the bridge sends
 * (update-log, update-simulation-result, retrieve-simulation-result) with Bluejay's success
 * answers, and writes every request body it receives to a folder, one file per request: {@code
 * <call_id>.json} for update-log, {@code <simulation_result_id>.json} for update-simulation-result,
 * a numbered suffix when the same id comes again.
 */
final class LocalBluejay implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(LocalBluejay.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UPDATE_LOG_PREFIX = "/v1/update-log/";

  private final WireMockServer server;
  private final Path bodies;
  private final AtomicLong requests = new AtomicLong();
  private final Map<String, AtomicInteger> requestsByPath = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> filesById = new ConcurrentHashMap<>();
  private final AtomicInteger files = new AtomicInteger();

  private LocalBluejay(Path bodies) {
    this.bodies = bodies;
    this.server =
        new WireMockServer(
            wireMockConfig()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .jettyAcceptors(1)
                .disableRequestJournal()
                .extensionScanningEnabled(false)
                .notifier(new Slf4jNotifier(false))
                .extensions(new Recorder()));
  }

  /** Starts the receiver; request bodies go to {@code bodies}, which must exist. */
  static LocalBluejay start(Path bodies) {
    LocalBluejay bluejay = new LocalBluejay(bodies);
    bluejay.server.start();
    bluejay.server.stubFor(
        put(urlPathMatching("/v1/update-log/[^/]+"))
            .willReturn(json("{\"message\":\"ok\",\"status\":\"200\"}")));
    bluejay.server.stubFor(
        post(urlPathEqualTo("/v1/update-simulation-result"))
            .willReturn(json("{\"status\":\"success\",\"message\":null}")));
    bluejay.server.stubFor(
        get(urlPathMatching("/v1/retrieve-simulation-result/[^/]+"))
            .willReturn(
                json(
                    "{\"simulation_result\":{\"status\":\"COMPLETED\",\"tool_calls\":[]},"
                        + "\"status\":\"200\"}")));
    return bluejay;
  }

  private static ResponseDefinitionBuilder json(String body) {
    return aResponse()
        .withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody(body);
  }

  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.port());
  }

  /** Every request received so far, whatever its path. */
  long requests() {
    return requests.get();
  }

  /** Requests received so far by endpoint ({@code PUT /v1/update-log}, ...). */
  Map<String, Integer> requestsByEndpoint() {
    Map<String, Integer> counts = new TreeMap<>();
    requestsByPath.forEach((endpoint, count) -> counts.put(endpoint, count.get()));
    return counts;
  }

  /** How many request bodies were written to {@link #bodies()}. */
  int bodyFiles() {
    return files.get();
  }

  Path bodies() {
    return bodies;
  }

  @Override
  public void close() {
    server.stop();
  }

  private static String endpoint(Request request) {
    String path = URI.create(request.getUrl()).getRawPath();
    if (path.startsWith(UPDATE_LOG_PREFIX)) {
      return request.getMethod().getName() + " " + UPDATE_LOG_PREFIX + "{call_id}";
    }
    if (path.startsWith("/v1/retrieve-simulation-result/")) {
      return request.getMethod().getName() + " /v1/retrieve-simulation-result/{id}";
    }
    return request.getMethod().getName() + " " + path;
  }

  /** The id a request body is filed under, or null when it has no body worth keeping. */
  private static String fileId(Request request) {
    byte[] body = request.getBody();
    if (body == null || body.length == 0) {
      return null;
    }
    String path = URI.create(request.getUrl()).getRawPath();
    if (path.startsWith(UPDATE_LOG_PREFIX)) {
      return URLDecoder.decode(path.substring(UPDATE_LOG_PREFIX.length()), StandardCharsets.UTF_8);
    }
    try {
      JsonNode id = JSON.readTree(body).get("simulation_result_id");
      if (id != null && !id.isNull()) {
        return id.asText();
      }
    } catch (IOException e) {
      // Not JSON: filed under "request".
    }
    return "request";
  }

  private void record(Request request) {
    requests.incrementAndGet();
    requestsByPath.computeIfAbsent(endpoint(request), e -> new AtomicInteger()).incrementAndGet();
    String id = fileId(request);
    if (id == null) {
      return;
    }
    String safe = id.replaceAll("[^A-Za-z0-9._-]", "_");
    int seen = filesById.computeIfAbsent(safe, s -> new AtomicInteger()).incrementAndGet();
    Path file = bodies.resolve(seen == 1 ? safe + ".json" : safe + "." + seen + ".json");
    try {
      Files.write(file, pretty(request.getBody()));
      files.incrementAndGet();
    } catch (IOException e) {
      LOGGER.warn("cannot write request body file={} error=\"{}\"", file, e.getMessage());
    }
  }

  private static byte[] pretty(byte[] body) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(JSON.readTree(body));
    } catch (IOException e) {
      return body;
    }
  }

  /** Sees every request before its answer goes out, so its file exists before its receipt. */
  private final class Recorder implements ServeEventListener {
    @Override
    public String getName() {
      return "demo-request-recorder";
    }

    @Override
    public void beforeResponseSent(ServeEvent serveEvent, Parameters parameters) {
      record(serveEvent.getRequest());
    }
  }
}
