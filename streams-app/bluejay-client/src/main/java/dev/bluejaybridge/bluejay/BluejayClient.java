package dev.bluejaybridge.bluejay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.http.BoundedHttpClient;
import dev.bluejaybridge.http.HttpUrls;
import dev.bluejaybridge.http.ResponseTooLargeException;
import dev.bluejaybridge.http.Secret;
import feign.Feign;
import feign.FeignException;
import feign.Request;
import feign.RequestInterceptor;
import feign.RequestTemplate;
import feign.Retryer;
import feign.Util;
import feign.codec.Decoder;
import feign.codec.Encoder;
import feign.micrometer.MicrometerCapability;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Bluejay API client: update-log, update-simulation-result and retrieve-simulation-result for
 * the pipeline; update-simulation, queue-simulation-run, get-simulation-runs and the workflow
 * (scenario) update for the Bluejay commands. On Feign with pooled HTTP/1.1 connections ({@link
 * java.net.http.HttpClient}), each request bounded in time (one deadline, whole answer included)
 * and in memory (the body read is capped: {@link BoundedHttpClient}).
 *
 * <p>Calls are synchronous and thread-safe; the caller runs them on its own executor. A 2xx answer
 * returns; anything else throws a {@link BluejayException} (retryable, auth or rejected), decided
 * in one place. The client never retries: retries, backoff and {@code Retry-After} are the
 * caller's. The API key is read from its supplier on every request, so a rotated key file takes
 * effect at once, and is sent as {@code X-API-Key}; it never appears in a message or log line.
 */
public final class BluejayClient implements AutoCloseable {

  private static final Logger LOGGER = LoggerFactory.getLogger(BluejayClient.class);

  /** The longest 2xx answer read unless told otherwise ({@code delivery.max-response-bytes}). */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

  private final String baseUrl;
  private final HttpClient http;
  private final BluejayApi api;
  private volatile boolean closed;

  /**
   * A 2xx answer.
   *
   * @param latencyMs from sending the request to reading the whole answer
   * @param requestBytes the size of the request body
   */
  public record Response(int status, String body, long latencyMs, int requestBytes) {}

  private BluejayClient(String baseUrl, HttpClient http, BluejayApi api) {
    this.baseUrl = baseUrl;
    this.http = http;
    this.api = api;
  }

  /**
   * A client for the Bluejay API at {@code baseUrl}.
   *
   * @param baseUrl e.g. {@code https://api.getbluejay.ai}; the {@code /v1/...} paths go below it
   * @param apiKey read on every request; while it yields null, an empty key or one an HTTP header
   *     cannot carry, requests fail with an {@link AuthException} without being sent
   * @param requestTimeout how long one request may take, whole answer included
   * @throws IllegalArgumentException if the URL or the timeout is invalid
   */
  public static BluejayClient create(
      URI baseUrl, Supplier<Secret> apiKey, Duration requestTimeout) {
    return create(baseUrl, apiKey, requestTimeout, Clock.systemUTC());
  }

  /**
   * As {@link #create(URI, Supplier, Duration)}, with the clock that turns a {@code Retry-After}
   * HTTP-date into a delay.
   */
  public static BluejayClient create(
      URI baseUrl, Supplier<Secret> apiKey, Duration requestTimeout, Clock clock) {
    return create(baseUrl, apiKey, requestTimeout, clock, null);
  }

  /**
   * As above, with Feign's own request metrics ({@code http_client_requests_seconds…} by method,
   * status and route template; never the key) recorded in {@code meters} when it is not null.
   */
  public static BluejayClient create(
      URI baseUrl,
      Supplier<Secret> apiKey,
      Duration requestTimeout,
      Clock clock,
      MeterRegistry meters) {
    return create(baseUrl, apiKey, requestTimeout, clock, meters, null);
  }

  /**
   * As above, with the TLS context for HTTPS (null: the JVM's default, which verifies the
   * certificate against its CAs and the hostname).
   */
  public static BluejayClient create(
      URI baseUrl,
      Supplier<Secret> apiKey,
      Duration requestTimeout,
      Clock clock,
      MeterRegistry meters,
      SSLContext tls) {
    return create(baseUrl, apiKey, requestTimeout, clock, meters, tls, DEFAULT_MAX_RESPONSE_BYTES);
  }

  /**
   * As above, reading at most {@code maxResponseBytes} of a 2xx answer's body: a longer answer
   * fails with a {@link RetryableException} whose {@link RetryableException#answerTooLarge()} is
   * true (an error answer's body is cut to its first 256 KiB instead).
   *
   * @param requestTimeout how long one request may take, from connecting to the answer's last byte
   *     (a server that trickles its answer cannot hold a request longer)
   * @throws IllegalArgumentException if the URL, the timeout or the limit is invalid
   */
  public static BluejayClient create(
      URI baseUrl,
      Supplier<Secret> apiKey,
      Duration requestTimeout,
      Clock clock,
      MeterRegistry meters,
      SSLContext tls,
      int maxResponseBytes) {
    Objects.requireNonNull(apiKey, "apiKey");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(clock, "clock");
    String base = checkedBaseUrl(baseUrl);
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException(
          "Bluejay request timeout must be positive: " + requestTimeout);
    }
    if (maxResponseBytes < 1) {
      throw new IllegalArgumentException(
          "the largest Bluejay answer must be positive: " + maxResponseBytes);
    }
    HttpClient.Builder httpBuilder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(requestTimeout);
    if (tls != null) {
      httpBuilder.sslContext(tls);
    }
    HttpClient http = httpBuilder.build();
    Feign.Builder builder = Feign.builder();
    if (meters != null) {
      builder.addCapability(new MicrometerCapability(meters));
    }
    BluejayApi api =
        builder
            // One deadline for the whole exchange and bounded bodies (Feign's Options would time
            // each read only, and read any body whole).
            .client(
                new BoundedHttpClient(
                    http,
                    requestTimeout,
                    maxResponseBytes,
                    Math.min(maxResponseBytes, BluejayErrorDecoder.MAX_PARSED_BYTES)))
            .encoder(new Encoder.Default())
            .decoder(RAW_ANSWER)
            .errorDecoder(new BluejayErrorDecoder(JSON, clock))
            .retryer(Retryer.NEVER_RETRY)
            .requestInterceptor(new ApiKeyInterceptor(apiKey))
            .target(BluejayApi.class, base);
    return new BluejayClient(base, http, api);
  }

  /**
   * {@code PUT /v1/update-log/{call_id}} with a JSON body (the caller builds it). The bridge
   * re-sends a call whole, as a PUT replaces (Bluejay documents no append or replace semantics for
   * it).
   *
   * @param callId any text: it is percent-encoded into one path segment
   * @throws BluejayException unless Bluejay answers 2xx
   */
  public Response updateLog(String callId, byte[] jsonBody) {
    Objects.requireNonNull(jsonBody, "jsonBody");
    String segment = encodePathSegment(callId);
    return send(
        "PUT", "/v1/update-log/" + segment, jsonBody, () -> api.updateLog(segment, jsonBody));
  }

  /**
   * {@code POST /v1/update-simulation-result} with a JSON body (built by the caller). Bluejay
   * appends, so a second successful POST doubles the tool calls: after a {@link
   * RetryableException#outcomeUnknown()} failure, check with {@link #retrieveSimulationResult}
   * before sending again.
   *
   * @throws BluejayException unless Bluejay answers 2xx
   */
  public Response updateSimulationResult(byte[] jsonBody) {
    Objects.requireNonNull(jsonBody, "jsonBody");
    return send(
        "POST",
        "/v1/update-simulation-result",
        jsonBody,
        () -> api.updateSimulationResult(jsonBody));
  }

  /**
   * {@code GET /v1/retrieve-simulation-result/{id}}: the result's status and actual tool calls.
   *
   * @throws BluejayException unless Bluejay answers 2xx with a JSON object
   */
  public SimulationResultView retrieveSimulationResult(String simulationResultId) {
    String segment = encodePathSegment(simulationResultId);
    String path = "/v1/retrieve-simulation-result/" + segment;
    Response response = send("GET", path, new byte[0], () -> api.retrieveSimulationResult(segment));
    try {
      return simulationResultView(JSON.readTree(response.body()));
    } catch (IOException | IllegalArgumentException e) {
      // A 2xx that is not Bluejay's JSON: most likely a proxy's page; another try may do better.
      String text =
          BluejayErrorDecoder.truncatedText(response.body().getBytes(StandardCharsets.UTF_8));
      String message =
          "HTTP "
              + response.status()
              + " GET "
              + path
              + ": unreadable answer: "
              + BluejayErrorDecoder.printable(text);
      throw new RetryableException(
          message, response.status(), "GET", path, text, Optional.empty(), false, null);
    }
  }

  /**
   * {@code PUT /v1/simulation/{simulation_id}}: a partial update, only the fields in the body
   * change. The answer is the updated simulation ({@code SimulationPydantic}).
   *
   * @param jsonBody an {@code UpdateSimulationRequest} object
   * @throws BluejayException unless Bluejay answers 2xx
   */
  public Response updateSimulation(long simulationId, byte[] jsonBody) {
    Objects.requireNonNull(jsonBody, "jsonBody");
    String segment = encodePathSegment(Long.toString(simulationId));
    return send(
        "PUT",
        "/v1/simulation/" + segment,
        jsonBody,
        () -> api.updateSimulation(segment, jsonBody));
  }

  /**
   * {@code POST /v1/queue-simulation-run} with {@code {"simulation_id": "..."}} (or a {@code
   * bluejay_as_code_id}) and optional overrides. The answer names the run and its results ({@code
   * simulation_run_id}, {@code simulation_result_ids}). Not idempotent: each success queues a run.
   *
   * @throws BluejayException unless Bluejay answers 2xx
   */
  public Response queueSimulationRun(byte[] jsonBody) {
    Objects.requireNonNull(jsonBody, "jsonBody");
    return send(
        "POST", "/v1/queue-simulation-run", jsonBody, () -> api.queueSimulationRun(jsonBody));
  }

  /**
   * {@code GET /v1/get-simulation-runs/{simulation_id}}: every run of one simulation ({@code
   * {"simulation_runs": [...]}}) with status and test counts.
   *
   * @throws BluejayException unless Bluejay answers 2xx
   */
  public Response getSimulationRuns(String simulationId) {
    String segment = encodePathSegment(simulationId);
    return send(
        "GET",
        "/v1/get-simulation-runs/" + segment,
        new byte[0],
        () -> api.getSimulationRuns(segment));
  }

  /**
   * {@code PUT /v1/workflow/{workflow_id}} (workflows v2): a partial update; {@code agent_ids},
   * when present, replaces the links and {@code definition} replaces the whole graph. The answer is
   * the workflow, with {@code dh_sync_summary} when the definition changed.
   *
   * @param workflowId a UUID; percent-encoded into one path segment
   * @throws BluejayException unless Bluejay answers 2xx (400 invalid definition, 404 not found)
   */
  public Response updateWorkflow(String workflowId, byte[] jsonBody) {
    Objects.requireNonNull(jsonBody, "jsonBody");
    String segment = encodePathSegment(workflowId);
    return send(
        "PUT", "/v1/workflow/" + segment, jsonBody, () -> api.updateWorkflow(segment, jsonBody));
  }

  /**
   * {@code PUT /v1/scenario/{workflow_id}}: the same update under the route's newer name (workflows
   * were renamed scenarios in May 2026); body and answers as {@link #updateWorkflow}.
   *
   * @throws BluejayException unless Bluejay answers 2xx
   */
  public Response updateScenario(String workflowId, byte[] jsonBody) {
    Objects.requireNonNull(jsonBody, "jsonBody");
    String segment = encodePathSegment(workflowId);
    return send(
        "PUT", "/v1/scenario/" + segment, jsonBody, () -> api.updateScenario(segment, jsonBody));
  }

  /** The base URL requests go to, without a trailing slash. */
  public String baseUrl() {
    return baseUrl;
  }

  /** Closes the connection pool (on Java 21+, after in-flight requests finish). */
  @Override
  public void close() {
    closed = true;
    if (http instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOGGER.debug("Closing the Bluejay HTTP client failed error=\"{}\"", e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "BluejayClient[" + baseUrl + "]";
  }

  private Response send(
      String method, String path, byte[] body, Supplier<BluejayApi.RawAnswer> call) {
    if (closed) {
      throw new IllegalStateException("the Bluejay client is closed");
    }
    long start = System.nanoTime();
    try {
      BluejayApi.RawAnswer answer = call.get();
      long latencyMs = (System.nanoTime() - start) / 1_000_000;
      LOGGER.debug(
          "Bluejay request method={} path={} status={} latency_ms={} request_bytes={}",
          method,
          path,
          answer.status(),
          latencyMs,
          body.length);
      return new Response(answer.status(), answer.body(), latencyMs, body.length);
    } catch (BluejayException e) {
      throw logged(e, start);
    } catch (feign.RetryableException e) {
      // No answer (Feign wraps the client's IOException). Keep only the cause: Feign's exception
      // holds the request, whose headers carry the key.
      Request request = e.request();
      IOException cause =
          e.getCause() instanceof IOException io ? io : new IOException(e.getClass().getName());
      if (cause instanceof ResponseTooLargeException tooLarge) {
        throw logged(tooLarge(method, path, tooLarge), start);
      }
      throw logged(
          BluejayErrorDecoder.ioFailure(
              request == null ? method : request.httpMethod().name(),
              request == null ? path : BluejayErrorDecoder.path(request.url()),
              request == null ? Optional.empty() : BluejayErrorDecoder.sentKey(request),
              cause),
          start);
    } catch (FeignException e) {
      // Not expected: bodies are bytes and answers are read raw. Classified, never leaked.
      String message =
          (e.status() > 0 ? "HTTP " + e.status() : "error")
              + " "
              + method
              + " "
              + path
              + ": "
              + e.getClass().getSimpleName();
      throw logged(
          new RetryableException(
              message,
              e.status() > 0 ? e.status() : -1,
              method,
              path,
              "",
              Optional.empty(),
              e.status() <= 0,
              null),
          start);
    }
  }

  /**
   * Bluejay answered 2xx, so it took the request, but with a body over the limit: not read. The
   * outcome is unknown to the caller (it was applied; what it answered is not known).
   */
  private static RetryableException tooLarge(
      String method, String path, ResponseTooLargeException e) {
    String message =
        "HTTP "
            + e.status()
            + " "
            + method
            + " "
            + path
            + ": answer over the limit of "
            + e.limit()
            + " bytes (delivery.max-response-bytes); not read";
    return new RetryableException(
        message, e.status(), method, path, "", Optional.empty(), true, true, e);
  }

  private static BluejayException logged(BluejayException e, long start) {
    LOGGER.debug(
        "Bluejay request failed method={} path={} status={} latency_ms={} error=\"{}\"",
        e.method(),
        e.path(),
        e.status(),
        (System.nanoTime() - start) / 1_000_000,
        e.getMessage());
    return e;
  }

  static SimulationResultView simulationResultView(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    JsonNode result = json.path("simulation_result");
    String status =
        result.path("status").isValueNode() && !result.path("status").isNull()
            ? result.path("status").asText()
            : null;
    List<SimulationResultView.ActualToolCall> actual = new ArrayList<>();
    for (JsonNode group : result.path("tool_calls")) {
      JsonNode name = group.path("name");
      String toolName = name.isTextual() ? name.asText() : null;
      for (JsonNode invocation : group.path("actual")) {
        JsonNode offset = invocation.path("start_offset_ms");
        actual.add(
            new SimulationResultView.ActualToolCall(
                toolName, offset.canConvertToLong() ? offset.asLong() : null));
      }
    }
    return new SimulationResultView(status, actual);
  }

  /**
   * Percent-encodes {@code value} as one URL path segment: every byte of its UTF-8 form except RFC
   * 3986 unreserved characters, so '/', '%', '?', '#' and spaces stay inside the segment; and
   * {@code .} or {@code ..} alone become {@code %2E} / {@code %2E%2E}, so no dot-segment can move
   * the request to another path.
   *
   * @throws IllegalArgumentException if {@code value} is null or empty
   */
  static String encodePathSegment(String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("an id in a Bluejay path must not be empty");
    }
    return HttpUrls.encodePathSegment(value);
  }

  /** Validates the base URL and drops trailing slashes. */
  static String checkedBaseUrl(URI uri) {
    Objects.requireNonNull(uri, "baseUrl");
    String shown = uri.getRawUserInfo() == null ? uri.toString() : "(URL with credentials)";
    return HttpUrls.checkedBaseUrl(
        uri, "Bluejay base URL", shown, "credentials in the URL are not supported");
  }

  /** Reads Bluejay's answers (error details, simulation results); the bodies come ready. */
  static final ObjectMapper JSON = new ObjectMapper();

  private static final Decoder RAW_ANSWER =
      (response, type) -> {
        String body = "";
        if (response.body() != null) {
          try (InputStream in = response.body().asInputStream()) {
            body = new String(Util.toByteArray(in), StandardCharsets.UTF_8);
          } catch (IOException e) {
            LOGGER.debug(
                "Bluejay answer body unreadable status={} error=\"{}\"",
                response.status(),
                HttpUrls.describe(e));
          }
        }
        return new BluejayApi.RawAnswer(response.status(), body);
      };

  /**
   * Sends the current key. A missing or unsendable key is an auth failure: like a 401, it lasts
   * until the key changes.
   */
  private record ApiKeyInterceptor(Supplier<Secret> apiKey) implements RequestInterceptor {
    @Override
    public void apply(RequestTemplate template) {
      String key;
      try {
        Secret secret = apiKey.get();
        key = secret == null ? "" : secret.reveal();
      } catch (RuntimeException e) {
        // Only the type: a key source's message may quote what it read.
        throw notSent(template, "the API key could not be read: " + e.getClass().getSimpleName());
      }
      if (key.isEmpty()) {
        throw notSent(template, "no API key");
      }
      if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw notSent(template, "the API key has characters an HTTP header cannot carry");
      }
      template.header(BluejayErrorDecoder.API_KEY_HEADER, key);
    }

    private static AuthException notSent(RequestTemplate template, String problem) {
      String method = template.method();
      String path = template.path();
      return new AuthException(
          "no request sent " + method + " " + path + ": " + problem, -1, method, path, "");
    }
  }
}
