package dev.bluejaybridge.testkit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.request;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.ScenarioMappingBuilder;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.matching.MatchResult;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * A local HTTP server playing Bluejay for tests (WireMock on 127.0.0.1, a free port).
 *
 * <p>Every request body to update-log and update-simulation-result is validated against the request
 * schemas of Bluejay's OpenAPI spec ({@link OpenApiSpecs.Spec#API}, on the test classpath, JSON
 * Schema 2020-12). An invalid body is answered 422 in FastAPI's shape and recorded as a {@link
 * ValidationFailure}, as is a request without {@code X-API-Key}, a body without {@code
 * Content-Type: application/json} and a request to a path Bluejay does not serve; {@link
 * #assertAllRequestsValid()} fails on any of them.
 *
 * <p>By default both updates answer 200 with the spec's response shapes and the retrieval answers
 * from what was applied: each simulation result's {@code actual} tool calls are those of every
 * applied POST for it, appended (as Bluejay does). Faults ({@code stub…}) take precedence over the
 * defaults until {@link #reset()}.
 *
 * <p>What Bluejay <em>holds</em> is kept apart from what it <em>answered</em>: a request is applied
 * when it is answered 2xx (even after the client gave up), or when its answer was marked {@link
 * #appliedThen} (applied, then a 5xx, a reset connection or an answer held past the client's
 * timeout, as real APIs do). {@link #applied()} lists the applied requests, {@link #heldCallLog}
 * the body an update-log PUT left (a PUT replaces), and {@code GET
 * /v1/retrieve-simulation-result/{id}} answers what the applied POSTs appended.
 *
 * <p>With {@link #writeBodiesTo(Path)}, every applied update body is also written to a folder, as
 * the demo shows them.
 */
public final class BluejayStandIn implements AutoCloseable {

  public static final String UPDATE_LOG_SCHEMA = "UpdateCallLogRequest";
  public static final String UPDATE_SIMULATION_SCHEMA =
      "src__api__update_simulation_result__UpdateSimulationRequest";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRANSFORMER = "bluejay-stand-in";

  /** The transformer parameter that marks an answer as given after the request was applied. */
  private static final String APPLIED_PARAMETER = "bluejay-stand-in-applied";

  private static final int FAULT_PRIORITY = 1;
  private static final int DEFAULT_PRIORITY = 5;
  private static final int FALLBACK_PRIORITY = 10;

  static {
    // Jetty logs every selector wake-up at DEBUG; without a logback-test.xml that is the default.
    // A level set before (a configuration file, the demo's quiet logs) stays.
    for (String noisy : new String[] {"org.eclipse.jetty", "wiremock", "com.github.tomakehurst"}) {
      if (LoggerFactory.getLogger(noisy) instanceof ch.qos.logback.classic.Logger logger
          && logger.getLevel() == null) {
        logger.setLevel(Level.WARN);
      }
    }
  }

  /** The Bluejay endpoints the bridge calls. */
  public enum Endpoint {
    UPDATE_LOG("PUT", "/v1/update-log/[^/]+"),
    UPDATE_SIMULATION_RESULT("POST", "/v1/update-simulation-result"),
    RETRIEVE_SIMULATION_RESULT("GET", "/v1/retrieve-simulation-result/[^/]+");

    private final String method;
    private final String pathRegex;
    private final Pattern pattern;

    Endpoint(String method, String pathRegex) {
      this.method = method;
      this.pathRegex = pathRegex;
      this.pattern = Pattern.compile(pathRegex);
    }

    public String method() {
      return method;
    }

    /** Whether a request (method and raw path) is for this endpoint. */
    boolean matches(String requestMethod, String rawPath) {
      return method.equals(requestMethod)
          && pattern.matcher(rawPath).matches()
          && !lastSegment(rawPath).equals(".")
          && !lastSegment(rawPath).equals("..");
    }

    MappingBuilder mapping() {
      return request(method, urlPathMatching(pathRegex));
    }
  }

  /**
   * One request as received.
   *
   * @param url the raw request URL (path and query, percent-encoding as sent)
   * @param headers header names lower-cased
   */
  public record RecordedRequest(
      String method, String url, Map<String, List<String>> headers, byte[] body) {

    /** The first value of a header, any case; empty when absent. */
    public Optional<String> header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The raw path: the URL without its query. */
    public String path() {
      int query = url.indexOf('?');
      return query < 0 ? url : url.substring(0, query);
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("request body is not JSON: " + bodyText(), e);
      }
    }
  }

  /** A request Bluejay would refuse, and why. */
  public record ValidationFailure(String method, String url, List<String> problems) {}

  /**
   * Decides the answers to the update requests (update-log, update-simulation-result) of one test,
   * call by call: scripted faults that hold exact proportions whatever the order calls arrive in.
   */
  @FunctionalInterface
  public interface AnswerPlan {
    /**
     * The answer to the {@code attempt}-th (from 1) update request for {@code key} (the call id of
     * update-log, the {@code simulation_result_id} of update-simulation-result), or null for the
     * usual one. Called only for requests that Bluejay would accept.
     */
    ResponseDefinitionBuilder answer(Endpoint endpoint, String key, int attempt);
  }

  /**
   * One request to a Bluejay endpoint and the status it was answered with ({@code -1}: a connection
   * fault), as the receiver saw it.
   *
   * @param key the decoded id in the path, or the body's {@code simulation_result_id}
   * @param receivedNanos {@link System#nanoTime()} when the request arrived
   * @param delayMillis how long the answer was held back
   * @param applied whether Bluejay applied the update (holds its body), whatever it answered; false
   *     for the retrieval
   */
  public record Exchange(
      Endpoint endpoint,
      String key,
      int attempt,
      long receivedNanos,
      int status,
      long delayMillis,
      byte[] body,
      boolean applied) {

    /** Answered 2xx (even if held back until after the client gave up). */
    public boolean accepted() {
      return status >= 200 && status < 300;
    }

    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("request body is not JSON", e);
      }
    }
  }

  /**
   * An update Bluejay applied: what it holds. An update-log PUT replaces the call's log; an
   * update-simulation-result POST appends to the result.
   *
   * @param key the call id of update-log, the {@code simulation_result_id} of the POST
   * @param receivedNanos {@link System#nanoTime()} when the request arrived
   * @param status what Bluejay answered ({@code -1}: the connection was reset)
   */
  public record Applied(
      Endpoint endpoint, String key, int attempt, long receivedNanos, int status, byte[] body) {

    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("applied body is not JSON", e);
      }
    }
  }

  private final WireMockServer server;
  private final boolean https;
  private final List<ValidationFailure> failures = new CopyOnWriteArrayList<>();
  private final Map<String, SimulationResult> results = new ConcurrentHashMap<>();
  private final AtomicInteger sequences = new AtomicInteger();
  private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
  private final List<Applied> applied = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> updateAttempts = new ConcurrentHashMap<>();
  private volatile AnswerPlan plan;
  private final AtomicLong requestCount = new AtomicLong();
  private volatile Path bodyFolder;
  private final Map<String, AtomicInteger> bodyFilesById = new ConcurrentHashMap<>();
  private final AtomicInteger bodyFiles = new AtomicInteger();

  private static final class SimulationResult {
    volatile String status = "COMPLETED";
    final Map<String, List<JsonNode>> actualByTool =
        Collections.synchronizedMap(new LinkedHashMap<>());
  }

  /**
   * Starts the stand-in on a free port of 127.0.0.1, which it keeps across {@link #down()} and
   * {@link #up()}.
   */
  public BluejayStandIn() {
    this(wireMockConfig().port(freePort()), false);
  }

  /**
   * Starts the stand-in on HTTPS only (a free port of 127.0.0.1), presenting the certificate of
   * {@code keystore} (PKCS12, the key under {@code password}); see {@link TestCertificates}.
   */
  public static BluejayStandIn https(Path keystore, String password) {
    return new BluejayStandIn(
        wireMockConfig()
            .httpDisabled(true)
            .dynamicHttpsPort()
            .keystorePath(keystore.toString())
            .keystoreType("PKCS12")
            .keystorePassword(password)
            .keyManagerPassword(password),
        true);
  }

  private BluejayStandIn(
      com.github.tomakehurst.wiremock.core.WireMockConfiguration options, boolean https) {
    Schemas schemas = Schemas.get();
    this.https = https;
    server =
        new WireMockServer(
            options
                .bindAddress("127.0.0.1")
                .jettyAcceptors(1)
                .notifier(new Slf4jNotifier(false))
                .extensions(new Transformer(schemas)));
    server.start();
    stubDefaults();
  }

  private static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, null)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Stops listening: connections to the base URL are refused until {@link #up()}. */
  public void down() {
    server.stop();
  }

  /** Listens again on the same port, with the same stubs and request log. */
  public void up() {
    server.start();
  }

  /** The base URL to give the client, e.g. {@code http://127.0.0.1:41234}. */
  public URI baseUrl() {
    return https
        ? URI.create("https://127.0.0.1:" + server.httpsPort())
        : URI.create("http://127.0.0.1:" + server.getOptions().portNumber());
  }

  /** The WireMock server, for what the helpers here do not cover. */
  public WireMockServer server() {
    return server;
  }

  // ----- what was received -----------------------------------------------------------------

  /** Every request received, in arrival order. */
  public List<RecordedRequest> requests() {
    List<ServeEvent> events = new ArrayList<>(server.getAllServeEvents());
    Collections.reverse(events); // WireMock lists the newest first
    List<RecordedRequest> recorded = new ArrayList<>(events.size());
    for (ServeEvent event : events) {
      Request request = event.getRequest();
      Map<String, List<String>> headers = new TreeMap<>();
      for (HttpHeader header : request.getHeaders().all()) {
        headers
            .computeIfAbsent(header.key().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .addAll(header.values());
      }
      recorded.add(
          new RecordedRequest(
              request.getMethod().getName(),
              request.getUrl(),
              Collections.unmodifiableMap(headers),
              request.getBody() == null ? new byte[0] : request.getBody()));
    }
    return recorded;
  }

  /** The requests whose raw path is exactly {@code rawPath} (e.g. {@code /v1/update-log/c-1}). */
  public List<RecordedRequest> requestsTo(String rawPath) {
    return requests().stream().filter(r -> r.path().equals(rawPath)).toList();
  }

  /** The requests for one endpoint. */
  public List<RecordedRequest> requestsTo(Endpoint endpoint) {
    return requests().stream().filter(r -> endpoint.matches(r.method(), r.path())).toList();
  }

  /** How many requests arrived so far, whatever their path or answer (cheaper than requests()). */
  public long requestCount() {
    return requestCount.get();
  }

  /**
   * From now on, writes the body of every applied update (answered 2xx, or {@link #appliedThen}) to
   * {@code folder}, which must exist, pretty-printed, before the answer goes out: {@code
   * <call_id>.json} for update-log, {@code <simulation_result_id>.json} for
   * update-simulation-result ({@code <id>.2.json} and so on when the same id comes again;
   * characters other than letters, digits, '.', '_' and '-' become '_').
   */
  public BluejayStandIn writeBodiesTo(Path folder) {
    this.bodyFolder = java.util.Objects.requireNonNull(folder, "folder");
    return this;
  }

  /** How many body files {@link #writeBodiesTo(Path)} wrote so far. */
  public int bodyFiles() {
    return bodyFiles.get();
  }

  /** Every request to a Bluejay endpoint, with its answer, in arrival order. */
  public List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  /**
   * Every update Bluejay applied, in arrival order: what it holds, whatever it answered (a 2xx, or
   * an answer marked {@link #appliedThen}).
   */
  public List<Applied> applied() {
    return List.copyOf(applied);
  }

  /**
   * The call log Bluejay holds for {@code callId}: the body of the last update-log PUT it applied
   * (a PUT replaces the whole log); empty when none was applied.
   */
  public Optional<JsonNode> heldCallLog(String callId) {
    for (int i = applied.size() - 1; i >= 0; i--) {
      Applied update = applied.get(i);
      if (update.endpoint() == Endpoint.UPDATE_LOG && update.key().equals(callId)) {
        return Optional.of(update.json());
      }
    }
    return Optional.empty();
  }

  /** Every request Bluejay would have refused, in arrival order. */
  public List<ValidationFailure> validationFailures() {
    return List.copyOf(failures);
  }

  /** Fails, listing them, if any request was invalid (body, headers or path). */
  public void assertAllRequestsValid() {
    if (!failures.isEmpty()) {
      StringBuilder text = new StringBuilder(failures.size() + " invalid request(s) to Bluejay:");
      for (ValidationFailure failure : failures) {
        text.append("\n  ")
            .append(failure.method())
            .append(' ')
            .append(failure.url())
            .append(": ")
            .append(String.join("; ", failure.problems()));
      }
      throw new AssertionError(text.toString());
    }
  }

  /** Validates a body against one component schema of the spec; empty when it is valid. */
  public static List<String> validate(String componentSchema, byte[] body) {
    return Schemas.get().validate(componentSchema, body);
  }

  // ----- answers ------------------------------------------------------------------------------

  /** Answers {@code endpoint} with {@code response} (over the defaults) until {@link #reset()}. */
  public void stub(Endpoint endpoint, ResponseDefinitionBuilder response) {
    server.stubFor(endpoint.mapping().atPriority(FAULT_PRIORITY).willReturn(response));
  }

  /**
   * Answers {@code endpoint} with each response in turn; the last one repeats. E.g. {@code
   * stubSequence(UPDATE_LOG, status(500), ok(UPDATE_LOG))}.
   */
  public void stubSequence(Endpoint endpoint, ResponseDefinitionBuilder... responses) {
    if (responses.length == 0) {
      throw new IllegalArgumentException("a sequence needs at least one response");
    }
    String scenario = "sequence-" + sequences.incrementAndGet();
    for (int i = 0; i < responses.length; i++) {
      String state = i == 0 ? Scenario.STARTED : "step-" + i;
      ScenarioMappingBuilder mapping =
          endpoint
              .mapping()
              .atPriority(FAULT_PRIORITY)
              .inScenario(scenario)
              .whenScenarioStateIs(state);
      if (i + 1 < responses.length) {
        mapping = mapping.willSetStateTo("step-" + (i + 1));
      }
      server.stubFor(mapping.willReturn(responses[i]));
    }
  }

  /** Answers update-log for one call id (as the client sends it, before encoding) only. */
  public void stubUpdateLog(String callId, ResponseDefinitionBuilder response) {
    server.stubFor(
        Endpoint.UPDATE_LOG
            .mapping()
            .atPriority(FAULT_PRIORITY)
            .andMatching(
                request ->
                    MatchResult.of(decode(lastSegment(pathOf(request.getUrl()))).equals(callId)))
            .willReturn(response));
  }

  /** Answers update-simulation-result for one simulation result only. */
  public void stubUpdateSimulationResult(
      String simulationResultId, ResponseDefinitionBuilder response) {
    server.stubFor(
        Endpoint.UPDATE_SIMULATION_RESULT
            .mapping()
            .atPriority(FAULT_PRIORITY)
            .withRequestBody(
                matchingJsonPath("$.simulation_result_id", equalTo(simulationResultId)))
            .willReturn(response));
  }

  /** Answers {@code status} (e.g. 500, 502, 503) with a FastAPI-style body. */
  public void stubServerError(Endpoint endpoint, int status) {
    stub(endpoint, status(status));
  }

  /** Answers 429 with {@code Retry-After: retryAfter} (seconds or an HTTP-date). */
  public void stubRateLimited(Endpoint endpoint, String retryAfter) {
    stub(endpoint, rateLimited(retryAfter));
  }

  /** Answers 200 only after {@code delay}: longer than the client's timeout, it times out. */
  public void stubDelay(Endpoint endpoint, Duration delay) {
    stub(endpoint, delayedOk(endpoint, delay));
  }

  /** Answers 422 with one FastAPI validation error. */
  public void stubValidationError(Endpoint endpoint, List<Object> loc, String msg, String type) {
    stub(endpoint, validationError(loc, msg, type));
  }

  /** Answers 401 as for a wrong key. */
  public void stubUnauthorized(Endpoint endpoint) {
    stub(endpoint, unauthorized());
  }

  /**
   * Answers update requests as {@code plan} says (over stubs and defaults) until {@link #reset()}.
   */
  public void plan(AnswerPlan plan) {
    this.plan = plan;
  }

  /** The status {@code GET /v1/retrieve-simulation-result/{id}} reports (default COMPLETED). */
  public void setSimulationResultStatus(String simulationResultId, String status) {
    results.computeIfAbsent(simulationResultId, id -> new SimulationResult()).status = status;
  }

  /** Back to the defaults: no faults, nothing received, no simulation results. */
  public void reset() {
    server.resetAll();
    plan = null;
    exchanges.clear();
    applied.clear();
    updateAttempts.clear();
    failures.clear();
    results.clear();
    stubDefaults();
  }

  @Override
  public void close() {
    server.stop();
  }

  // ----- responses, for stub and stubSequence ------------------------------------------------

  /** The spec's 200 answer of {@code endpoint}. */
  public static ResponseDefinitionBuilder ok(Endpoint endpoint) {
    return switch (endpoint) {
      case UPDATE_LOG -> json(200, "{\"message\":\"ok\",\"status\":\"200\"}");
      case UPDATE_SIMULATION_RESULT -> json(200, "{\"status\":\"success\",\"message\":null}");
      case RETRIEVE_SIMULATION_RESULT -> json(200, "{}").withTransformers(TRANSFORMER);
    };
  }

  /** Any status, with a FastAPI-style {@code {"detail": "..."}} body. */
  public static ResponseDefinitionBuilder status(int status) {
    return json(status, "{\"detail\":\"stand-in answered " + status + "\"}");
  }

  public static ResponseDefinitionBuilder rateLimited(String retryAfter) {
    return status(429).withHeader("Retry-After", retryAfter);
  }

  public static ResponseDefinitionBuilder delayedOk(Endpoint endpoint, Duration delay) {
    return ok(endpoint).withFixedDelay(Math.toIntExact(delay.toMillis()));
  }

  public static ResponseDefinitionBuilder validationError(
      List<Object> loc, String msg, String type) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode detail = body.putArray("detail").addObject();
    detail.set("loc", JSON.valueToTree(loc));
    detail.put("msg", msg);
    detail.put("type", type);
    return json(422, body.toString());
  }

  public static ResponseDefinitionBuilder unauthorized() {
    return json(401, "{\"detail\":\"Invalid API key\"}");
  }

  /** The connection is reset after the request was read: the client cannot know the outcome. */
  public static ResponseDefinitionBuilder connectionReset() {
    return aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
  }

  /**
   * {@code answer}, given after Bluejay applied the update: e.g. {@code appliedThen(status(503))}
   * (a gateway that lost the upstream's answer), {@code appliedThen(connectionReset())} or {@code
   * appliedThen(delayedOk(endpoint, longerThanTheTimeout))}. The request counts as applied (its
   * body is held, a POST's tool calls are appended) whatever the client is told. On the retrieval,
   * it does nothing.
   */
  public static ResponseDefinitionBuilder appliedThen(ResponseDefinitionBuilder answer) {
    return answer.withTransformerParameter(APPLIED_PARAMETER, true);
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body);
  }

  // ----- internals ----------------------------------------------------------------------------

  private void stubDefaults() {
    for (Endpoint endpoint : Endpoint.values()) {
      server.stubFor(endpoint.mapping().atPriority(DEFAULT_PRIORITY).willReturn(ok(endpoint)));
    }
    server.stubFor(
        any(anyUrl())
            .atPriority(FALLBACK_PRIORITY)
            .willReturn(json(404, "{\"detail\":\"Not Found\"}")));
  }

  /** Validates every request and keeps simulation results as Bluejay would. */
  private final class Transformer implements ResponseDefinitionTransformerV2 {
    private final Schemas schemas;

    Transformer(Schemas schemas) {
      this.schemas = schemas;
    }

    @Override
    public String getName() {
      return TRANSFORMER;
    }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
      long receivedNanos = System.nanoTime();
      requestCount.incrementAndGet();
      Request request = serveEvent.getRequest();
      ResponseDefinition planned = serveEvent.getResponseDefinition();
      String method = request.getMethod().getName();
      String path = pathOf(request.getUrl());
      Optional<Endpoint> endpoint =
          java.util.Arrays.stream(Endpoint.values())
              .filter(e -> e.matches(method, path))
              .findFirst();

      List<String> problems = new ArrayList<>();
      ArrayNode details = JSON.createArrayNode();
      String key = request.getHeader("X-API-Key");
      if (key == null || key.isBlank()) {
        // The spec declares X-API-Key a required header parameter: FastAPI answers 422.
        problems.add("no X-API-Key header");
        details.add(detail(List.of("header", "X-API-Key"), "Field required", "missing"));
      }
      JsonNode body = null;
      if (endpoint.isEmpty()) {
        problems.add("Bluejay has no endpoint " + method + " " + path);
      } else if (endpoint.get() != Endpoint.RETRIEVE_SIMULATION_RESULT) {
        String contentType = request.getHeader("Content-Type");
        if (contentType == null || !contentType.startsWith("application/json")) {
          problems.add("Content-Type is not application/json: " + contentType);
        }
        String schema =
            endpoint.get() == Endpoint.UPDATE_LOG ? UPDATE_LOG_SCHEMA : UPDATE_SIMULATION_SCHEMA;
        try {
          body = JSON.readTree(request.getBody());
        } catch (IOException e) {
          body = null;
        }
        if (body == null || body.isMissingNode()) {
          problems.add("body is not JSON");
          details.add(detail(List.of("body"), "JSON decode error", "json_invalid"));
        } else {
          for (ValidationMessage message : schemas.messages(schema, body)) {
            problems.add(message.getMessage());
            details.add(
                detail(loc(message), message.getMessage(), String.valueOf(message.getType())));
          }
        }
      }
      if (!problems.isEmpty()) {
        failures.add(new ValidationFailure(method, request.getUrl(), List.copyOf(problems)));
        if (!details.isEmpty()) {
          ObjectNode error = JSON.createObjectNode();
          error.set("detail", details);
          return json(422, error.toString()).build();
        }
        return planned;
      }

      String id =
          endpoint.get() == Endpoint.UPDATE_SIMULATION_RESULT
              ? body.path("simulation_result_id").asText()
              : decode(lastSegment(path));
      int attempt = 0;
      if (endpoint.get() != Endpoint.RETRIEVE_SIMULATION_RESULT) {
        attempt =
            updateAttempts
                .computeIfAbsent(endpoint.get() + " " + id, k -> new AtomicInteger())
                .incrementAndGet();
        AnswerPlan current = plan;
        ResponseDefinitionBuilder scripted =
            current == null ? null : current.answer(endpoint.get(), id, attempt);
        if (scripted != null) {
          planned = scripted.build();
        }
      }
      int status = planned.getFault() != null ? -1 : planned.getStatus();
      byte[] raw = request.getBody() == null ? new byte[0] : request.getBody();
      // Applied when answered 2xx (even too late for the client) or marked applied-then-fault.
      boolean applies = endpoint.get() != Endpoint.RETRIEVE_SIMULATION_RESULT && applies(planned);
      if (applies) {
        // Held before it is answered: a look-up racing the answer already sees it.
        if (endpoint.get() == Endpoint.UPDATE_SIMULATION_RESULT) {
          append(body);
        }
        applied.add(new Applied(endpoint.get(), id, attempt, receivedNanos, status, raw));
        writeBody(id, body);
      }
      exchanges.add(
          new Exchange(
              endpoint.get(),
              id,
              attempt,
              receivedNanos,
              status,
              planned.getFixedDelayMilliseconds() == null ? 0 : planned.getFixedDelayMilliseconds(),
              raw,
              applies));
      if (endpoint.get() == Endpoint.RETRIEVE_SIMULATION_RESULT
          && planned.getTransformers() != null
          && planned.getTransformers().contains(TRANSFORMER)) {
        return ResponseDefinitionBuilder.like(planned)
            .withBody(simulationResult(decode(lastSegment(path))))
            .build();
      }
      return planned;
    }
  }

  private void writeBody(String id, JsonNode body) {
    Path folder = bodyFolder;
    if (folder == null) {
      return;
    }
    String safe = id.replaceAll("[^A-Za-z0-9._-]", "_");
    int seen = bodyFilesById.computeIfAbsent(safe, s -> new AtomicInteger()).incrementAndGet();
    Path file = folder.resolve(seen == 1 ? safe + ".json" : safe + "." + seen + ".json");
    try {
      Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
      bodyFiles.incrementAndGet();
    } catch (IOException e) {
      // The answer still goes out: the file is a view of what was received, not a part of it.
      LoggerFactory.getLogger(BluejayStandIn.class)
          .warn("cannot write request body file={} error=\"{}\"", file, e.getMessage());
    }
  }

  private static boolean applies(ResponseDefinition planned) {
    if (planned.getTransformerParameters() != null
        && Boolean.TRUE.equals(planned.getTransformerParameters().get(APPLIED_PARAMETER))) {
      return true;
    }
    return planned.getStatus() >= 200 && planned.getStatus() < 300 && planned.getFault() == null;
  }

  private void append(JsonNode body) {
    SimulationResult result =
        results.computeIfAbsent(
            body.path("simulation_result_id").asText(), id -> new SimulationResult());
    for (JsonNode toolCall : body.path("tool_calls")) {
      ObjectNode actual = JSON.createObjectNode();
      actual.set(
          "parameters",
          toolCall.path("parameters").isMissingNode() ? null : toolCall.get("parameters"));
      actual.set("output", toolCall.path("output").isMissingNode() ? null : toolCall.get("output"));
      actual.set("start_offset_ms", toolCall.get("start_offset_ms"));
      result
          .actualByTool
          .computeIfAbsent(toolCall.path("name").asText(), name -> new CopyOnWriteArrayList<>())
          .add(actual);
    }
  }

  private String simulationResult(String id) {
    SimulationResult result = results.getOrDefault(id, new SimulationResult());
    ObjectNode answer = JSON.createObjectNode();
    ObjectNode item = answer.putObject("simulation_result");
    long numericId;
    try {
      numericId = Long.parseLong(id);
    } catch (NumberFormatException e) {
      numericId = 0;
    }
    item.put("id", numericId);
    item.put("digital_human_id", 1);
    item.put("status", result.status);
    ArrayNode toolCalls = item.putArray("tool_calls");
    synchronized (result.actualByTool) {
      result.actualByTool.forEach(
          (name, actual) -> {
            ObjectNode group = toolCalls.addObject();
            group.put("name", name);
            group.putArray("expected");
            group.putArray("actual").addAll(actual);
          });
    }
    answer.put("status", "200");
    return answer.toString();
  }

  private static ObjectNode detail(List<Object> loc, String msg, String type) {
    ObjectNode detail = JSON.createObjectNode();
    detail.set("loc", JSON.valueToTree(loc));
    detail.put("msg", msg);
    detail.put("type", type);
    return detail;
  }

  /** FastAPI's loc: "body", then the JSON path, then the missing property if any. */
  private static List<Object> loc(ValidationMessage message) {
    List<Object> loc = new ArrayList<>();
    loc.add("body");
    JsonNodePath at = message.getInstanceLocation();
    for (int i = 0; i < at.getNameCount(); i++) {
      loc.add(at.getElement(i));
    }
    if ("required".equals(message.getType()) && message.getProperty() != null) {
      loc.add(message.getProperty());
    }
    return loc;
  }

  private static String pathOf(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static String decode(String segment) {
    return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The two request schemas, loaded once per JVM. */
  private static final class Schemas {
    private static volatile Schemas instance;

    private final Map<String, JsonSchema> byName;

    private Schemas() {
      Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();
      for (String name : List.of(UPDATE_LOG_SCHEMA, UPDATE_SIMULATION_SCHEMA)) {
        schemas.put(name, OpenApiSpecs.schema(OpenApiSpecs.Spec.API, name, false));
      }
      this.byName = schemas;
    }

    static Schemas get() {
      Schemas loaded = instance;
      if (loaded == null) {
        synchronized (Schemas.class) {
          loaded = instance;
          if (loaded == null) {
            loaded = new Schemas();
            instance = loaded;
          }
        }
      }
      return loaded;
    }

    /**
     * The schema's complaints. Every nullable field is {@code anyOf: [X, {type: null}]}, so a bad
     * value also fails the null branch: that "null expected" noise is dropped when a more telling
     * message remains.
     */
    List<ValidationMessage> messages(String name, JsonNode body) {
      JsonSchema schema = byName.get(name);
      if (schema == null) {
        throw new IllegalArgumentException("no such request schema: " + name);
      }
      Set<ValidationMessage> all = schema.validate(body);
      List<ValidationMessage> telling =
          all.stream().filter(m -> !m.getMessage().endsWith(", null expected")).toList();
      return telling.isEmpty() ? List.copyOf(all) : telling;
    }

    List<String> validate(String name, byte[] body) {
      JsonNode json;
      try {
        json = JSON.readTree(body);
      } catch (JsonProcessingException e) {
        return List.of("body is not JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        return List.of("body is not JSON: " + e.getMessage());
      }
      if (json == null || json.isMissingNode()) {
        return List.of("body is empty");
      }
      return messages(name, json).stream().map(ValidationMessage::getMessage).sorted().toList();
    }
  }
}
