package dev.bluejaybridge.harness;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A fast local stand-in for Bluejay on 127.0.0.1 (the JDK HTTP server, {@code TCP_NODELAY} on, no
 * per-request latency unless asked for) that does what Bluejay does with what it is sent and keeps
 * what Bluejay would hold:
 *
 * <ul>
 *   <li>{@code PUT /v1/update-log/{call_id}} replaces the call's log: the last applied body is what
 *       Bluejay holds; 200 {@code {"message": ..., "status": "200"}}
 *   <li>{@code POST /v1/update-simulation-result} appends the posted tool calls, events and
 *       transcript to the result; 200 {@code {"status": "success", "message": null}}
 *   <li>{@code GET /v1/retrieve-simulation-result/{id}} answers from what is held: the appended
 *       tool calls under {@code simulation_result.tool_calls[].actual} and the appended events
 *       (Bluejay's {@code SingleSimulationResultResponse}); a result nothing was posted to yet has
 *       none
 *   <li>{@code GET /v1/retrieve-call-log/{call_id}} answers the held log ({@code
 *       RetrieveCallLogResponse}); a call no update reached yet has an empty one (the harness'
 *       calls exist at Bluejay: they were evaluated before they were updated)
 * </ul>
 *
 * A body that is not a JSON object (or a POST without {@code simulation_result_id}) gets 422 and is
 * not applied. Every request is recorded as an {@link Exchange}, with whether it was applied.
 *
 * <p>Faults, like a real API's: a {@link FaultPlan} draws one per request (seeded), and {@link
 * #script} queues faults for one id. Besides refusals that apply nothing (5xx, 429 with a {@code
 * Retry-After} of any text, 422, a timeout, a reset), a request can be <em>applied and then</em>
 * time out, get a 5xx, or have its connection closed without an answer: the outcomes a client
 * cannot tell from a failure, which {@code GET retrieve-simulation-result} settles. {@link #down()}
 * refuses connections, {@link #unauthorized(boolean)} answers 401 to everything, {@link
 * #latency(Duration)} holds every answer (after applying) so requests stay in flight.
 *
 * <p>Each client may get its own port ({@link #baseUrl(String)}), so the receiver knows which
 * process sent a request and how many it holds in flight ({@link #inFlight(String)}).
 *
 * <p>With {@link Memory#LIGHT} (the benchmarks: 100 000s of calls) it keeps only what its answers
 * need (the simulations' tool calls and events), not every applied body.
 */
public final class Receiver implements AutoCloseable {
  static {
    HttpServers.init();
  }

  private static final ObjectMapper JSON =
      new ObjectMapper(
          JsonFactory.builder()
              // Hostile inputs (R12) may be forwarded deep: read what a lenient server would.
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(100_000).build())
              .streamWriteConstraints(
                  StreamWriteConstraints.builder().maxNestingDepth(100_000).build())
              .build());

  private static final String UPDATE_LOG = "/v1/update-log/";
  private static final String RETRIEVE = "/v1/retrieve-simulation-result/";
  private static final String RETRIEVE_LOG = "/v1/retrieve-call-log/";

  /** The client name of requests to the port given at start ({@link #baseUrl()}). */
  public static final String DEFAULT_CLIENT = "";

  /** Which Bluejay endpoint a request went to. */
  public enum Endpoint {
    UPDATE_LOG,
    UPDATE_SIMULATION_RESULT,
    RETRIEVE_SIMULATION_RESULT,
    RETRIEVE_CALL_LOG,
    OTHER;

    /** update-log or update-simulation-result: a request that changes what Bluejay holds. */
    public boolean writes() {
      return this == UPDATE_LOG || this == UPDATE_SIMULATION_RESULT;
    }
  }

  /** How much of what it was sent the receiver keeps. */
  public enum Memory {
    /** Every applied body (the chaos scenarios compare content). */
    FULL,
    /** Only what answers need: the simulations' tool calls and events. */
    LIGHT
  }

  /** A fault the receiver can answer a request with. */
  public enum Fault {
    /** 503, nothing applied. */
    SERVER_ERROR("server-error", false),
    /** 429 with the plan's (or script's) {@code Retry-After}, nothing applied. */
    TOO_MANY_REQUESTS("too-many-requests", false),
    /** 422 with a validation {@code detail}, nothing applied. */
    UNPROCESSABLE("unprocessable", false),
    /** No answer until {@code lateBy} passed, then the connection closes; nothing applied. */
    TIMEOUT("timeout", false),
    /** The connection closes at once without an answer; nothing applied. */
    RESET("reset", false),
    /** Applied, then the 200 only after {@code lateBy}: the client has timed out by then. */
    APPLIED_TIMEOUT("applied-timeout", true),
    /** Applied, then 503 (a gateway that lost the answer, a failure after the commit). */
    APPLIED_SERVER_ERROR("applied-server-error", true),
    /** Applied, then the connection closes without an answer. */
    APPLIED_RESET("applied-reset", true);

    private final String label;
    private final boolean applies;

    Fault(String label, boolean applies) {
      this.label = label;
      this.applies = applies;
    }

    public String label() {
      return label;
    }

    /** Whether Bluejay takes the request before the fault. */
    public boolean applies() {
      return applies;
    }
  }

  /**
   * One request and its answer.
   *
   * @param arrivedAtMillis wall-clock arrival (epoch millis)
   * @param client the name of the port it came in on ({@link #DEFAULT_CLIENT} for the first)
   * @param rawPath the path as sent (still percent-encoded)
   * @param id the decoded call_id (update-log, retrieve-call-log), the simulation_result_id (from
   *     the POST body or the GET path), or null
   * @param status the status answered; -1 when no answer was sent (timeouts, resets)
   * @param fault the fault's label, or null
   * @param applied whether Bluejay took it (a write endpoint only): what it holds changed
   * @param retryAfter the {@code Retry-After} header answered, or null
   */
  public record Exchange(
      long arrivedAtMillis,
      String client,
      String method,
      String rawPath,
      Endpoint endpoint,
      String id,
      int status,
      String fault,
      boolean applied,
      String retryAfter) {

    /** Bluejay took the call (applied), whatever the client heard. */
    public boolean delivered() {
      return applied;
    }

    /** Applied, but the client heard a failure or nothing: it cannot know it was taken. */
    public boolean appliedUnseen() {
      return applied && fault != null;
    }
  }

  /**
   * Faults drawn per request (seeded): each a share of requests in [0, 1]; the shares add up to at
   * most 1.
   *
   * @param shares the share of requests per fault
   * @param retryAfter the {@code Retry-After} of a 429 (any text: seconds, an HTTP-date, garbage);
   *     null for none
   * @param lateBy how long a timeout holds the answer: longer than the app's {@code
   *     delivery.request-timeout}
   * @param lookupsToo whether the retrieve endpoints get faults too (an outage), else only writes
   * @param maxPerId at most this many drawn faults per id and endpoint (0: no limit), so that a
   *     plan does not exhaust a call's attempts by itself
   */
  public record FaultPlan(
      long seed,
      Map<Fault, Double> shares,
      String retryAfter,
      Duration lateBy,
      boolean lookupsToo,
      int maxPerId) {

    /** No faults. */
    public static final FaultPlan NONE = new FaultPlan(0, Map.of(), "1", Duration.ZERO, false, 0);

    public FaultPlan {
      shares = Map.copyOf(shares);
      Objects.requireNonNull(lateBy, "lateBy");
      double sum = shares.values().stream().mapToDouble(Double::doubleValue).sum();
      if (sum > 1.0 + 1e-9) {
        throw new IllegalArgumentException("fault shares add up to more than 1: " + sum);
      }
    }

    /** No faults yet, drawn with {@code seed}; timeouts hold 5 s; 429s say {@code 1}. */
    public static FaultPlan seeded(long seed) {
      return new FaultPlan(seed, Map.of(), "1", Duration.ofSeconds(5), false, 0);
    }

    public FaultPlan with(Fault fault, double share) {
      Map<Fault, Double> more = new EnumMap<>(Fault.class);
      more.putAll(shares);
      more.put(fault, share);
      return new FaultPlan(seed, more, retryAfter, lateBy, lookupsToo, maxPerId);
    }

    public FaultPlan retryAfter(String value) {
      return new FaultPlan(seed, shares, value, lateBy, lookupsToo, maxPerId);
    }

    public FaultPlan lateBy(Duration value) {
      return new FaultPlan(seed, shares, retryAfter, value, lookupsToo, maxPerId);
    }

    public FaultPlan lookupsToo(boolean value) {
      return new FaultPlan(seed, shares, retryAfter, lateBy, value, maxPerId);
    }

    public FaultPlan maxPerId(int value) {
      return new FaultPlan(seed, shares, retryAfter, lateBy, lookupsToo, value);
    }
  }

  /** One scripted fault for one id, and the {@code Retry-After} it answers (429 only). */
  private record Scripted(Fault fault, String retryAfter) {}

  /** One listening port and what came in on it. */
  private final class Door {
    final String client;
    final int port;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger answered = new AtomicInteger();
    volatile HttpServer server;

    Door(String client, int port) {
      this.client = client;
      this.port = port;
    }

    synchronized void open() {
      if (server != null) {
        return;
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        try {
          HttpServer http = HttpServers.create(new InetSocketAddress("127.0.0.1", port), 1024);
          http.createContext("/", exchange -> handle(this, exchange));
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

    synchronized void close() {
      HttpServer http = server;
      server = null;
      if (http != null) {
        http.stop(0);
      }
    }
  }

  /** What Bluejay holds for one simulation result: everything posted to it, appended. */
  private static final class Simulation {
    final List<JsonNode> toolCalls = new ArrayList<>();
    final List<JsonNode> events = new ArrayList<>();
    final List<Applied> posts = new ArrayList<>();
  }

  private final String expectedKey;
  private final Memory memory;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Door> doors = new LinkedHashMap<>();
  private final Door first;
  private final ConcurrentLinkedQueue<Exchange> exchanges = new ConcurrentLinkedQueue<>();
  private final Map<String, Simulation> simulations = new ConcurrentHashMap<>();
  private final Map<String, List<Applied>> logs = new ConcurrentHashMap<>();
  private final Map<String, Deque<Scripted>> scripts = new ConcurrentHashMap<>();
  private final Map<String, Integer> drawnPerId = new ConcurrentHashMap<>();
  private volatile boolean up;
  private volatile FaultPlan faults = FaultPlan.NONE;
  private Random random = new Random(0);
  private volatile boolean unauthorized;
  private volatile Duration latency = Duration.ZERO;

  private Receiver(int port, String expectedKey, int threads, Memory memory) {
    this.expectedKey = expectedKey;
    this.memory = Objects.requireNonNull(memory, "memory");
    this.executor = Executors.newFixedThreadPool(threads, daemon("receiver"));
    this.scheduler = Executors.newScheduledThreadPool(2, daemon("receiver-later"));
    this.first = new Door(DEFAULT_CLIENT, port);
    doors.put(DEFAULT_CLIENT, first);
  }

  /** A receiver on a free port that accepts any key, on 32 threads, keeping little. */
  public static Receiver start() {
    return start(Processes.freePort(), null, 32);
  }

  /**
   * A receiver on {@code port} that keeps only what its answers need ({@link Memory#LIGHT}).
   *
   * @param expectedKey when not null, any other {@code X-API-Key} gets 401
   * @param threads how many requests it handles at once (held answers do not take a thread)
   */
  public static Receiver start(int port, String expectedKey, int threads) {
    return start(port, expectedKey, threads, Memory.LIGHT);
  }

  /** As {@link #start(int, String, int)}, keeping {@code memory}. */
  public static Receiver start(int port, String expectedKey, int threads, Memory memory) {
    Receiver receiver = new Receiver(port, expectedKey, threads, memory);
    receiver.up();
    return receiver;
  }

  /** {@code http://127.0.0.1:<port>}: the app's {@code bluejay.base-url}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + first.port;
  }

  /**
   * The base URL of {@code client}'s own port (opened on first use, on a free port), so that its
   * requests are told apart ({@link Exchange#client()}, {@link #inFlight(String)}).
   */
  public String baseUrl(String client) {
    return "http://127.0.0.1:" + door(client).port;
  }

  public int port() {
    return first.port;
  }

  /** Listens again on every port (a no-op while it listens). */
  public void up() {
    up = true;
    for (Door door : doors()) {
      door.open();
    }
  }

  /**
   * Stops listening and drops open connections on every port: new connections are refused until
   * {@link #up()}.
   */
  public void down() {
    up = false;
    for (Door door : doors()) {
      door.close();
    }
  }

  public boolean isUp() {
    return up;
  }

  /** Draws faults from now on ({@link FaultPlan#NONE} to stop). */
  public void faults(FaultPlan plan) {
    synchronized (this) {
      this.random = new Random(plan.seed());
    }
    this.faults = plan;
  }

  /**
   * Answers the next write request for {@code id} (call_id or simulation_result_id) with {@code
   * fault}, before any drawn fault; several calls queue in order.
   *
   * @param retryAfter the {@code Retry-After} of a 429, any text; null for none
   */
  public void script(String id, Fault fault, String retryAfter) {
    scripts
        .computeIfAbsent(id, k -> new ArrayDeque<>())
        .add(new Scripted(Objects.requireNonNull(fault, "fault"), retryAfter));
  }

  /** While on, every request gets 401 (as with a revoked key). */
  public void unauthorized(boolean on) {
    this.unauthorized = on;
  }

  /** Every answer waits this long after the request was applied (default none). */
  public void latency(Duration latency) {
    this.latency = Objects.requireNonNull(latency, "latency");
  }

  /** Requests from {@code client} not answered yet. */
  public int inFlight(String client) {
    return door(client).inFlight.get();
  }

  /** Requests from {@code client} answered (or closed) so far. */
  public int answered(String client) {
    return door(client).answered.get();
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

  /** How many applied writes each id got (call_id or simulation_result_id). */
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
   * Every update-log body applied for {@code callId}, in the order applied: the last is what
   * Bluejay holds. Empty with {@link Memory#LIGHT}.
   */
  public List<byte[]> appliedLogs(String callId) {
    return applied(Endpoint.UPDATE_LOG, callId).stream().map(Applied::body).toList();
  }

  /**
   * Every update-simulation-result body applied for {@code simulationResultId}, in the order
   * applied (Bluejay appends each). Empty with {@link Memory#LIGHT}.
   */
  public List<byte[]> appliedPosts(String simulationResultId) {
    return applied(Endpoint.UPDATE_SIMULATION_RESULT, simulationResultId).stream()
        .map(Applied::body)
        .toList();
  }

  /**
   * One applied write and when it arrived.
   *
   * @param atMillis wall-clock arrival (epoch millis)
   */
  public record Applied(long atMillis, byte[] body) {}

  /**
   * The writes applied to {@code endpoint} for {@code id} (call_id for update-log,
   * simulation_result_id for update-simulation-result), in the order applied. Empty with {@link
   * Memory#LIGHT}.
   */
  public List<Applied> applied(Endpoint endpoint, String id) {
    if (endpoint == Endpoint.UPDATE_LOG) {
      List<Applied> bodies = logs.get(id);
      if (bodies == null) {
        return List.of();
      }
      synchronized (bodies) {
        return List.copyOf(bodies);
      }
    }
    Simulation simulation =
        endpoint == Endpoint.UPDATE_SIMULATION_RESULT ? simulations.get(id) : null;
    if (simulation == null) {
      return List.of();
    }
    synchronized (simulation) {
      return List.copyOf(simulation.posts);
    }
  }

  /** Whether it keeps every applied body. */
  public Memory memory() {
    return memory;
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
    scheduler.shutdownNow();
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

  private List<Door> doors() {
    synchronized (doors) {
      return List.copyOf(doors.values());
    }
  }

  private Door door(String client) {
    synchronized (doors) {
      Door door = doors.get(client);
      if (door == null) {
        door = new Door(client, Processes.freePort());
        doors.put(client, door);
        if (up) {
          door.open();
        }
      }
      return door;
    }
  }

  // ---------------------------------------------------------------- serving

  private void handle(Door door, HttpExchange http) {
    long arrived = System.currentTimeMillis();
    door.inFlight.incrementAndGet();
    boolean later = false;
    try {
      String method = http.getRequestMethod();
      String rawPath = http.getRequestURI().getRawPath();
      byte[] body;
      try (InputStream in = http.getRequestBody()) {
        body = in.readAllBytes();
      }
      Endpoint endpoint = endpoint(method, rawPath);
      JsonNode json = endpoint.writes() ? parse(body) : null;
      String id = id(endpoint, rawPath, json);
      Recorder recorder = new Recorder(arrived, door.client, method, rawPath, endpoint, id);

      String key = http.getRequestHeaders().getFirst("X-API-Key");
      if (unauthorized || (expectedKey != null && !expectedKey.equals(key))) {
        recorder.record(401, "unauthorized", false, null);
        send(http, 401, "{\"detail\":\"Invalid API key\"}", Map.of());
        return;
      }
      if (endpoint == Endpoint.OTHER) {
        recorder.record(404, null, false, null);
        send(http, 404, "{\"detail\":\"Not Found\"}", Map.of());
        return;
      }
      Scripted fault = fault(endpoint, id);
      if (fault != null && !fault.fault().applies()) {
        later = refuse(door, http, recorder, fault);
        return;
      }
      Answer answer = apply(endpoint, id, body, json, arrived);
      if (!answer.applied() && endpoint.writes()) {
        recorder.record(answer.status(), null, false, null);
        send(http, answer.status(), answer.body(), Map.of());
        return;
      }
      String label = fault == null ? null : fault.fault().label();
      if (fault != null && fault.fault() == Fault.APPLIED_SERVER_ERROR) {
        recorder.record(503, label, true, null);
        send(http, 503, "{\"detail\":\"Service Unavailable\"}", Map.of());
        return;
      }
      if (fault != null && fault.fault() == Fault.APPLIED_RESET) {
        recorder.record(-1, label, true, null);
        return; // closed below without an answer
      }
      Duration hold = fault != null ? lateBy() : latency;
      recorder.record(answer.status(), label, endpoint.writes(), null);
      if (hold.isZero()) {
        send(http, answer.status(), answer.body(), Map.of());
      } else {
        later = true;
        answerLater(door, http, hold, answer);
      }
    } catch (IOException | RuntimeException e) {
      // The client went away (or the receiver went down) mid-answer: nothing more to do.
    } finally {
      if (!later) {
        finish(door, http);
      }
    }
  }

  /** Answers a fault that applies nothing; true when the answer is left for later. */
  private boolean refuse(Door door, HttpExchange http, Recorder recorder, Scripted fault)
      throws IOException {
    String label = fault.fault().label();
    switch (fault.fault()) {
      case SERVER_ERROR -> {
        recorder.record(503, label, false, null);
        send(http, 503, "{\"detail\":\"Service Unavailable\"}", Map.of());
      }
      case TOO_MANY_REQUESTS -> {
        recorder.record(429, label, false, fault.retryAfter());
        send(
            http,
            429,
            "{\"detail\":\"Rate limit exceeded\"}",
            fault.retryAfter() == null ? Map.of() : Map.of("Retry-After", fault.retryAfter()));
      }
      case UNPROCESSABLE -> {
        recorder.record(422, label, false, null);
        send(
            http,
            422,
            "{\"detail\":[{\"loc\":[\"body\",\"tool_calls\",0,\"start_offset_ms\"],"
                + "\"msg\":\"Input should be a valid integer\",\"type\":\"int_parsing\"}]}",
            Map.of());
      }
      case TIMEOUT -> {
        recorder.record(-1, label, false, null);
        scheduler.schedule(() -> finish(door, http), lateBy().toMillis(), TimeUnit.MILLISECONDS);
        return true;
      }
      case RESET -> recorder.record(-1, label, false, null);
      default -> throw new IllegalStateException(fault.fault().name());
    }
    return false;
  }

  private void answerLater(Door door, HttpExchange http, Duration hold, Answer answer) {
    scheduler.schedule(
        () -> {
          try {
            send(http, answer.status(), answer.body(), Map.of());
          } catch (IOException | RuntimeException e) {
            // the client gave up (a timeout): what it was sent is applied all the same
          } finally {
            finish(door, http);
          }
        },
        hold.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private static void finish(Door door, HttpExchange http) {
    try {
      http.close(); // without an answer sent, this closes the connection
    } catch (RuntimeException e) {
      // already gone
    }
    door.inFlight.decrementAndGet();
    door.answered.incrementAndGet();
  }

  /** Records one exchange once its answer is decided. */
  private final class Recorder {
    final long arrived;
    final String client;
    final String method;
    final String rawPath;
    final Endpoint endpoint;
    final String id;

    Recorder(
        long arrived, String client, String method, String rawPath, Endpoint endpoint, String id) {
      this.arrived = arrived;
      this.client = client;
      this.method = method;
      this.rawPath = rawPath;
      this.endpoint = endpoint;
      this.id = id;
    }

    void record(int status, String fault, boolean applied, String retryAfter) {
      exchanges.add(
          new Exchange(
              arrived, client, method, rawPath, endpoint, id, status, fault, applied, retryAfter));
    }
  }

  private Scripted fault(Endpoint endpoint, String id) {
    if (endpoint.writes() && id != null) {
      Deque<Scripted> script = scripts.get(id);
      if (script != null) {
        synchronized (script) {
          Scripted next = script.poll();
          if (next != null) {
            return next;
          }
        }
      }
    }
    FaultPlan plan = faults;
    if (plan.shares().isEmpty() || (!endpoint.writes() && !plan.lookupsToo())) {
      return null;
    }
    double draw;
    synchronized (this) {
      draw = random.nextDouble();
    }
    for (Fault fault : Fault.values()) {
      Double share = plan.shares().get(fault);
      if (share != null && (draw -= share) < 0) {
        if (plan.maxPerId() > 0 && id != null) {
          int drawn = drawnPerId.merge(endpoint + "/" + id, 1, Integer::sum);
          if (drawn > plan.maxPerId()) {
            return null;
          }
        }
        return new Scripted(fault, plan.retryAfter());
      }
    }
    return null;
  }

  /** What an endpoint answers; {@code applied} for a write Bluejay took. */
  private record Answer(int status, String body, boolean applied) {}

  /** How long a timeout holds its answer: the plan's, or 5 s for a scripted one without a plan. */
  private Duration lateBy() {
    Duration plan = faults.lateBy();
    return plan.isZero() ? Duration.ofSeconds(5) : plan;
  }

  private Answer apply(Endpoint endpoint, String id, byte[] body, JsonNode json, long arrived)
      throws IOException {
    switch (endpoint) {
      case UPDATE_LOG -> {
        if (json == null || !json.isObject()) {
          return unprocessable("body", "Input should be a valid dictionary");
        }
        if (memory == Memory.FULL) {
          List<Applied> applied =
              logs.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>()));
          applied.add(new Applied(arrived, body));
        }
        return new Answer(200, "{\"message\":\"Call log updated\",\"status\":\"200\"}", true);
      }
      case UPDATE_SIMULATION_RESULT -> {
        if (json == null || !json.isObject()) {
          return unprocessable("body", "Input should be a valid dictionary");
        }
        if (id == null) {
          return unprocessable("simulation_result_id", "Field required");
        }
        Simulation simulation = simulations.computeIfAbsent(id, k -> new Simulation());
        synchronized (simulation) {
          json.path("tool_calls").forEach(simulation.toolCalls::add);
          json.path("events").forEach(simulation.events::add);
          if (memory == Memory.FULL) {
            simulation.posts.add(new Applied(arrived, body));
          }
        }
        return new Answer(200, "{\"status\":\"success\",\"message\":null}", true);
      }
      case RETRIEVE_SIMULATION_RESULT -> {
        return new Answer(200, simulationResult(id), false);
      }
      case RETRIEVE_CALL_LOG -> {
        return new Answer(200, callLog(id), false);
      }
      default -> throw new IllegalStateException(endpoint.name());
    }
  }

  private static Answer unprocessable(String field, String message) {
    return new Answer(
        422,
        "{\"detail\":[{\"loc\":[\"body\",\""
            + field
            + "\"],\"msg\":\""
            + message
            + "\",\"type\":\"invalid\"}]}",
        false);
  }

  private static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
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
    if ("GET".equals(method) && rawPath.startsWith(RETRIEVE_LOG)) {
      return Endpoint.RETRIEVE_CALL_LOG;
    }
    return Endpoint.OTHER;
  }

  private static String id(Endpoint endpoint, String rawPath, JsonNode json) {
    return switch (endpoint) {
      case UPDATE_LOG ->
          URLDecoder.decode(rawPath.substring(UPDATE_LOG.length()), StandardCharsets.UTF_8);
      case RETRIEVE_SIMULATION_RESULT ->
          URLDecoder.decode(rawPath.substring(RETRIEVE.length()), StandardCharsets.UTF_8);
      case RETRIEVE_CALL_LOG ->
          URLDecoder.decode(rawPath.substring(RETRIEVE_LOG.length()), StandardCharsets.UTF_8);
      case UPDATE_SIMULATION_RESULT -> {
        JsonNode id = json == null ? null : json.get("simulation_result_id");
        yield id == null || id.isNull() ? null : id.asText();
      }
      default -> null;
    };
  }

  /** Bluejay's {@code SingleSimulationResultResponse} from what is held for {@code id}. */
  private String simulationResult(String id) throws IOException {
    Map<String, ArrayNode> byName = new LinkedHashMap<>();
    ArrayNode events = JSON.createArrayNode();
    Simulation simulation = simulations.get(id);
    if (simulation != null) {
      synchronized (simulation) {
        for (JsonNode call : simulation.toolCalls) {
          ObjectNode actual = JSON.createObjectNode();
          actual.set("parameters", call.path("parameters"));
          actual.set("output", call.path("output"));
          actual.set("start_offset_ms", call.path("start_offset_ms"));
          byName
              .computeIfAbsent(call.path("name").asText(), n -> JSON.createArrayNode())
              .add(actual);
        }
        simulation.events.forEach(events::add);
      }
    }
    ObjectNode root = JSON.createObjectNode();
    ObjectNode result = root.putObject("simulation_result");
    try {
      result.put("id", Long.parseLong(id));
    } catch (NumberFormatException e) {
      result.put("id", id);
    }
    result.put("digital_human_id", 1);
    result.put("status", "COMPLETED");
    result.set("events", events);
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

  /** Bluejay's {@code RetrieveCallLogResponse} from the last update-log body held for the call. */
  private String callLog(String id) throws IOException {
    Optional<JsonNode> held = Optional.empty();
    List<Applied> applied = logs.get(id);
    if (applied != null) {
      synchronized (applied) {
        if (!applied.isEmpty()) {
          held = Optional.ofNullable(parse(applied.get(applied.size() - 1).body()));
        }
      }
    }
    ObjectNode root = JSON.createObjectNode();
    ObjectNode log = root.putObject("call_log");
    log.put("id", id);
    log.put("agent_id", "harness-agent");
    log.putNull("recording_url");
    log.put("start_time_utc", "2026-01-01T00:00:00Z");
    log.putArray("participants");
    log.put("status", "COMPLETED");
    JsonNode body = held.orElse(JSON.createObjectNode());
    log.set("tool_calls", body.has("tool_calls") ? body.get("tool_calls") : JSON.createArrayNode());
    log.set("events", body.has("events") ? body.get("events") : JSON.createArrayNode());
    log.set("metadata", body.has("metadata") ? body.get("metadata") : JSON.createObjectNode());
    log.putNull("tags");
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
