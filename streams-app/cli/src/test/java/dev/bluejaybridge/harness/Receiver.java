package dev.bluejaybridge.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A fast local stand-in for Bluejay on a fixed port of 127.0.0.1 (the JDK HTTP server on a thread
 * pool, no per-request latency): it answers the requests the bridge sends with the bodies Bluejay
 * documents and records every one of them ({@link Exchange}: arrival time, method, raw path, the
 * call_id or simulation_result_id, the status answered).
 *
 * <ul>
 *   <li>{@code PUT /v1/update-log/{call_id}} → 200 {@code {"message": ..., "status": "200"}}
 *   <li>{@code POST /v1/update-simulation-result} → 200 {@code {"status": "success", "message":
 *       null}}; the posted tool calls are kept, appended as Bluejay does
 *   <li>{@code GET /v1/retrieve-simulation-result/{id}} → 200 with the tool calls posted so far
 *       under {@code simulation_result.tool_calls[].actual}, which is how the bridge checks whether
 *       a POST whose outcome it does not know went through
 * </ul>
 *
 * <p>{@link #down()} closes the listening socket so connections are refused, {@link #up()} listens
 * again on the same port; {@link #faults(FaultPlan)} answers a seeded share of requests with 5xx,
 * 429 (with {@code Retry-After}), a late answer (a client timeout) or 422; {@link
 * #unauthorized(boolean)} answers 401 to everything. When an expected key is given, a request with
 * another {@code X-API-Key} gets 401.
 */
public final class Receiver implements AutoCloseable {
  static {
    // Without it the JDK server leaves Nagle on: small answers wait for delayed ACKs (~40 ms).
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UPDATE_LOG = "/v1/update-log/";
  private static final String RETRIEVE = "/v1/retrieve-simulation-result/";

  /** Which Bluejay endpoint a request went to. */
  public enum Endpoint {
    UPDATE_LOG,
    UPDATE_SIMULATION_RESULT,
    RETRIEVE_SIMULATION_RESULT,
    OTHER
  }

  /**
   * One request and its answer.
   *
   * @param arrivedAtMillis wall-clock arrival (epoch millis)
   * @param rawPath the path as sent (still percent-encoded)
   * @param id the decoded call_id (update-log), the simulation_result_id (from the POST body or the
   *     GET path), or null
   * @param status the status answered; for a late answer, the status sent after the delay
   * @param fault the fault injected, or null
   */
  public record Exchange(
      long arrivedAtMillis,
      String method,
      String rawPath,
      Endpoint endpoint,
      String id,
      int status,
      String fault) {

    /** A 2xx answer to update-log or update-simulation-result: Bluejay took the call. */
    public boolean delivered() {
      return status >= 200
          && status < 300
          && (endpoint == Endpoint.UPDATE_LOG || endpoint == Endpoint.UPDATE_SIMULATION_RESULT);
    }
  }

  /**
   * Faults drawn per request (seeded), each a probability in [0, 1]; their sum must not exceed 1.
   * Lookups (retrieve-simulation-result) are never faulted.
   *
   * @param serverError 503
   * @param tooManyRequests 429 with {@code Retry-After: retryAfterSeconds}
   * @param late the answer (200) comes after {@code lateBy}: longer than the app's {@code
   *     delivery.request-timeout} makes it a timeout whose request Bluejay did take
   * @param unprocessable 422 with a validation {@code detail}
   */
  public record FaultPlan(
      long seed,
      double serverError,
      double tooManyRequests,
      int retryAfterSeconds,
      double late,
      Duration lateBy,
      double unprocessable) {

    /** No faults. */
    public static final FaultPlan NONE = new FaultPlan(0, 0, 0, 1, 0, Duration.ZERO, 0);

    public FaultPlan {
      Objects.requireNonNull(lateBy, "lateBy");
      if (serverError + tooManyRequests + late + unprocessable > 1.0) {
        throw new IllegalArgumentException("fault probabilities add up to more than 1");
      }
    }
  }

  private final int port;
  private final String expectedKey;
  private final ExecutorService executor;
  private final ConcurrentLinkedQueue<Exchange> exchanges = new ConcurrentLinkedQueue<>();
  private final Map<String, List<JsonNode>> simulationToolCalls = new ConcurrentHashMap<>();
  private volatile HttpServer server;
  private volatile FaultPlan faults = FaultPlan.NONE;
  private volatile Random random = new Random(0);
  private volatile boolean unauthorized;

  private Receiver(int port, String expectedKey, int threads) {
    this.port = port;
    this.expectedKey = expectedKey;
    this.executor = Executors.newFixedThreadPool(threads, daemon("receiver"));
  }

  /** A receiver on a free port that accepts any key, on 32 threads. */
  public static Receiver start() {
    return start(Processes.freePort(), null, 32);
  }

  /**
   * A receiver on {@code port}.
   *
   * @param expectedKey when not null, any other {@code X-API-Key} gets 401
   * @param threads how many requests it answers at once
   */
  public static Receiver start(int port, String expectedKey, int threads) {
    Receiver receiver = new Receiver(port, expectedKey, threads);
    receiver.up();
    return receiver;
  }

  /** {@code http://127.0.0.1:<port>}: the app's {@code bluejay.base-url}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Listens again on the same port (a no-op while it listens). */
  public synchronized void up() {
    if (server != null) {
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        http.createContext("/", this::handle);
        http.setExecutor(executor);
        http.start();
        server = http;
        return;
      } catch (BindException e) {
        if (System.nanoTime() - deadline >= 0) {
          throw new UncheckedIOException("port " + port + " stayed busy", e);
        }
        Poll.pause(Duration.ofMillis(100));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Stops listening and drops open connections: new connections are refused until {@link #up()}.
   */
  public synchronized void down() {
    HttpServer http = server;
    server = null;
    if (http != null) {
      http.stop(0);
    }
  }

  public boolean isUp() {
    return server != null;
  }

  /** Injects faults from now on ({@link FaultPlan#NONE} to stop). */
  public void faults(FaultPlan plan) {
    this.random = new Random(plan.seed());
    this.faults = plan;
  }

  /** While on, every request gets 401 (as with a revoked key). */
  public void unauthorized(boolean on) {
    this.unauthorized = on;
  }

  /** Every request so far, in arrival order. */
  public List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  /** How many requests arrived so far. */
  public int count() {
    return exchanges.size();
  }

  /** The requests so far that match {@code filter}. */
  public List<Exchange> exchanges(Predicate<Exchange> filter) {
    return exchanges.stream().filter(filter).toList();
  }

  /** How many successful deliveries each id got (call_id or simulation_result_id). */
  public Map<String, Integer> deliveriesById() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Exchange e : exchanges) {
      if (e.delivered()) {
        counts.merge(e.id(), 1, Integer::sum);
      }
    }
    return counts;
  }

  /**
   * The most {@code filter} requests that arrived within any {@code window} (sliding), e.g. to
   * check a per-minute quota.
   */
  public int maxInWindow(Duration window, Predicate<Exchange> filter) {
    List<Long> times = new ArrayList<>();
    exchanges.stream().filter(filter).forEach(e -> times.add(e.arrivedAtMillis()));
    Collections.sort(times);
    int best = 0;
    int from = 0;
    for (int to = 0; to < times.size(); to++) {
      while (times.get(to) - times.get(from) >= window.toMillis()) {
        from++;
      }
      best = Math.max(best, to - from + 1);
    }
    return best;
  }

  @Override
  public void close() {
    down();
    executor.shutdownNow();
  }

  static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  // ---------------------------------------------------------------- serving

  private void handle(HttpExchange http) throws IOException {
    long arrived = System.currentTimeMillis();
    try (http) {
      String method = http.getRequestMethod();
      String rawPath = http.getRequestURI().getRawPath();
      byte[] body;
      try (InputStream in = http.getRequestBody()) {
        body = in.readAllBytes();
      }
      Endpoint endpoint = endpoint(method, rawPath);
      String id = id(endpoint, rawPath, body);

      String key = http.getRequestHeaders().getFirst("X-API-Key");
      if (unauthorized || (expectedKey != null && !expectedKey.equals(key))) {
        record(arrived, method, rawPath, endpoint, id, 401, "unauthorized");
        send(http, 401, "{\"detail\":\"Invalid API key\"}", Map.of());
        return;
      }
      if (endpoint == Endpoint.OTHER) {
        record(arrived, method, rawPath, endpoint, id, 404, null);
        send(http, 404, "{\"detail\":\"Not Found\"}", Map.of());
        return;
      }
      String fault = endpoint == Endpoint.RETRIEVE_SIMULATION_RESULT ? null : drawFault();
      if ("server-error".equals(fault)) {
        record(arrived, method, rawPath, endpoint, id, 503, fault);
        send(http, 503, "{\"detail\":\"Service Unavailable\"}", Map.of());
        return;
      }
      if ("too-many-requests".equals(fault)) {
        record(arrived, method, rawPath, endpoint, id, 429, fault);
        send(
            http,
            429,
            "{\"detail\":\"Rate limit exceeded\"}",
            Map.of("Retry-After", String.valueOf(faults.retryAfterSeconds())));
        return;
      }
      if ("unprocessable".equals(fault)) {
        record(arrived, method, rawPath, endpoint, id, 422, fault);
        send(
            http,
            422,
            "{\"detail\":[{\"loc\":[\"body\",\"tool_calls\",0,\"start_offset_ms\"],"
                + "\"msg\":\"Input should be a valid integer\",\"type\":\"int_parsing\"}]}",
            Map.of());
        return;
      }
      if ("late".equals(fault)) {
        Poll.pause(faults.lateBy());
      }
      switch (endpoint) {
        case UPDATE_LOG -> {
          record(arrived, method, rawPath, endpoint, id, 200, fault);
          send(http, 200, "{\"message\":\"Call log updated\",\"status\":\"200\"}", Map.of());
        }
        case UPDATE_SIMULATION_RESULT -> {
          keepToolCalls(id, body);
          record(arrived, method, rawPath, endpoint, id, 200, fault);
          send(http, 200, "{\"status\":\"success\",\"message\":null}", Map.of());
        }
        case RETRIEVE_SIMULATION_RESULT -> {
          record(arrived, method, rawPath, endpoint, id, 200, null);
          send(http, 200, simulationResult(id), Map.of());
        }
        default -> throw new IllegalStateException(endpoint.name());
      }
    } catch (IOException | RuntimeException e) {
      // The client went away (or the receiver went down) mid-answer: nothing more to do.
    }
  }

  private String drawFault() {
    FaultPlan plan = faults;
    if (plan == FaultPlan.NONE) {
      return null;
    }
    double draw;
    synchronized (this) {
      draw = random.nextDouble();
    }
    if ((draw -= plan.serverError()) < 0) {
      return "server-error";
    }
    if ((draw -= plan.tooManyRequests()) < 0) {
      return "too-many-requests";
    }
    if ((draw -= plan.late()) < 0) {
      return "late";
    }
    if ((draw -= plan.unprocessable()) < 0) {
      return "unprocessable";
    }
    return null;
  }

  private void record(
      long arrived,
      String method,
      String rawPath,
      Endpoint endpoint,
      String id,
      int status,
      String fault) {
    exchanges.add(new Exchange(arrived, method, rawPath, endpoint, id, status, fault));
  }

  private static Endpoint endpoint(String method, String rawPath) {
    if ("PUT".equals(method) && rawPath.startsWith(UPDATE_LOG)) {
      return Endpoint.UPDATE_LOG;
    }
    if ("POST".equals(method) && rawPath.equals("/v1/update-simulation-result")) {
      return Endpoint.UPDATE_SIMULATION_RESULT;
    }
    if ("GET".equals(method) && rawPath.startsWith(RETRIEVE)) {
      return Endpoint.RETRIEVE_SIMULATION_RESULT;
    }
    return Endpoint.OTHER;
  }

  private static String id(Endpoint endpoint, String rawPath, byte[] body) {
    switch (endpoint) {
      case UPDATE_LOG:
        return URLDecoder.decode(rawPath.substring(UPDATE_LOG.length()), StandardCharsets.UTF_8);
      case RETRIEVE_SIMULATION_RESULT:
        return URLDecoder.decode(rawPath.substring(RETRIEVE.length()), StandardCharsets.UTF_8);
      case UPDATE_SIMULATION_RESULT:
        try {
          JsonNode id = JSON.readTree(body).get("simulation_result_id");
          return id == null || id.isNull() ? null : id.asText();
        } catch (IOException e) {
          return null;
        }
      default:
        return null;
    }
  }

  private void keepToolCalls(String id, byte[] body) throws IOException {
    if (id == null) {
      return;
    }
    List<JsonNode> kept =
        simulationToolCalls.computeIfAbsent(
            id, k -> Collections.synchronizedList(new ArrayList<>()));
    for (JsonNode toolCall : JSON.readTree(body).path("tool_calls")) {
      kept.add(toolCall);
    }
  }

  private String simulationResult(String id) throws IOException {
    Map<String, ArrayNode> byName = new LinkedHashMap<>();
    List<JsonNode> kept = simulationToolCalls.getOrDefault(id, List.of());
    synchronized (kept) {
      for (JsonNode call : kept) {
        ObjectNode actual = JSON.createObjectNode();
        actual.set("parameters", call.path("parameters"));
        actual.set("output", call.path("output"));
        actual.set("start_offset_ms", call.path("start_offset_ms"));
        byName.computeIfAbsent(call.path("name").asText(), n -> JSON.createArrayNode()).add(actual);
      }
    }
    ObjectNode root = JSON.createObjectNode();
    ObjectNode result = root.putObject("simulation_result");
    try {
      result.put("id", Long.parseLong(id));
    } catch (NumberFormatException e) {
      result.put("id", id);
    }
    result.put("status", "COMPLETED");
    ArrayNode toolCalls = result.putArray("tool_calls");
    byName.forEach(
        (name, actual) -> {
          ObjectNode group = toolCalls.addObject();
          group.put("name", name);
          group.putArray("expected");
          group.set("actual", actual);
        });
    root.put("status", "200");
    return JSON.writeValueAsString(root);
  }

  private static void send(HttpExchange http, int status, String body, Map<String, String> headers)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    http.getResponseHeaders().set("Content-Type", "application/json");
    headers.forEach((k, v) -> http.getResponseHeaders().set(k, v));
    http.sendResponseHeaders(status, bytes.length);
    http.getResponseBody().write(bytes);
  }
}
