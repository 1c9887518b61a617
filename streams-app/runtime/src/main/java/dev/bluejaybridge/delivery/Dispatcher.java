package dev.bluejaybridge.delivery;

import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.SimulationResultView;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery machinery of one instance, shared by the outbox processors of all its tasks: the
 * HTTP executor (never the stream thread), the in-flight bound ({@code delivery.max-in-flight}),
 * the rate share, the {@link Outage} hold while Bluejay cannot be reached or keeps failing, and the
 * pause after Bluejay refuses the API key.
 *
 * <p>Held ({@link Outage}) or paused, delivery sends one attempt per probe interval ({@link
 * DeliveryPolicy#probeInterval}: 1 s, doubling to 30 s) as the probe, and nothing else. A hold ends
 * at the first answer that is not an outage's; a pause ends when a probe's answer is not a 401 or
 * 403 (the key was fine again, e.g. restored at Bluejay) or when the key changes ({@code
 * bluejay.api-key-file} rotated), whichever comes first. A held or paused call is never
 * dead-lettered for it, however long it lasts; {@code /status} and the gauges say so.
 */
public final class Dispatcher implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(Dispatcher.class);

  /**
   * The simulation result id a production call's key check asks for: Bluejay's ids start at 1, so
   * the answer is a 404 (or an empty result) when the key is accepted, 401/403 when it is not.
   */
  static final String KEY_PROBE_ID = "0";

  /** What one attempt does. */
  public enum Mode {
    /** PUT or POST the call. */
    SEND,
    /** Ask Bluejay whether a simulated call's earlier POST arrived, instead of posting. */
    VERIFY,
    /** After a 403: a cheap authenticated GET tells whether the key itself is refused. */
    KEY_CHECK
  }

  /** What {@code /status} says of delivery: {@code name}, since when (0: n/a) and why (or null). */
  public record State(String name, long since, String reason) {}

  private final BluejayClient client;
  private final ApiKeySource keys;
  private final RateShare rate;
  private final Semaphore slots;
  private final int maxInFlight;
  private final ExecutorService executor;
  private final Outage outage = new Outage();

  // The key version an answer refused (set on the HTTP thread, before its slot is released); from
  // then on no request goes out with that key until the pause is applied, then only probes.
  private volatile Long refusedKeyVersion;
  // Bumped with every refusal of the key: a POST staged before it is not sent after it.
  private final AtomicLong refusals = new AtomicLong();
  private volatile boolean draining;

  // The pause for a refused key; guarded by this.
  private Long pausedAtKeyVersion;
  private long pausedSince;
  private String pausedWhy;
  private int authProbes;
  private long authNextProbeAt;

  private final Set<OutboxProcessor> processors = ConcurrentHashMap.newKeySet();

  public Dispatcher(BluejayClient client, ApiKeySource keys, RateShare rate, int maxInFlight) {
    this.client = client;
    this.keys = keys;
    this.rate = rate;
    this.maxInFlight = maxInFlight;
    this.slots = new Semaphore(maxInFlight);
    this.executor = Executors.newFixedThreadPool(maxInFlight, daemonThreads());
  }

  public RateShare rate() {
    return rate;
  }

  /** The outage hold of this instance. */
  public Outage outage() {
    return outage;
  }

  /**
   * True once an answer refused the key now in use and that refusal was not applied yet: no request
   * may go out with it meanwhile.
   */
  boolean keyRefused() {
    Long refused = refusedKeyVersion;
    return refused != null && refused == keys.version() && !paused();
  }

  /** Bumped with every refusal of the key seen by an HTTP thread. */
  long refusals() {
    return refusals.get();
  }

  /**
   * True while delivery is paused for a refused key; resumes by itself once the key changes or a
   * probe is not refused.
   */
  public synchronized boolean paused() {
    if (pausedAtKeyVersion == null) {
      return false;
    }
    if (keys.version() != pausedAtKeyVersion) {
      pausedAtKeyVersion = null;
      LOGGER.info("Bluejay API key changed: delivery resumes");
      return false;
    }
    return true;
  }

  /** True once {@link #drain} began: no new attempts start. */
  public boolean draining() {
    return draining;
  }

  /** True while delivery is held for an outage ({@link Outage}). */
  public boolean held() {
    return outage.held();
  }

  /** Entries in the outboxes of this instance's tasks. */
  public int outboxSize() {
    return processors.stream().mapToInt(OutboxProcessor::size).sum();
  }

  /** Age of the oldest outbox entry of this instance at {@code now}, or 0 when all are empty. */
  public double outboxOldestAgeSeconds(long now) {
    long oldest =
        processors.stream()
            .mapToLong(OutboxProcessor::oldestEnqueuedAt)
            .min()
            .orElse(Long.MAX_VALUE);
    return oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest) / 1000.0;
  }

  void register(OutboxProcessor processor) {
    processors.add(processor);
  }

  void unregister(OutboxProcessor processor) {
    processors.remove(processor);
  }

  /**
   * Stops starting attempts and waits, at most {@code timeout}, until every request in flight has
   * ended and its outcome was applied to the outbox by the stream threads (which must still run),
   * so that closing Kafka Streams afterwards commits those outcomes instead of re-sending the
   * calls.
   *
   * @return true if everything settled in time
   */
  public boolean drain(Duration timeout) throws InterruptedException {
    draining = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!processors.stream().allMatch(OutboxProcessor::settled)) {
      if (System.nanoTime() > deadline) {
        LOGGER.warn(
            "drain timed out; requests still in flight will be sent again after restart in_flight={}",
            inFlight());
        return false;
      }
      Thread.sleep(10);
    }
    LOGGER.info("delivery drained: no requests in flight");
    return true;
  }

  /** Wall-clock millis since when delivery is paused, or 0 while it runs. */
  public synchronized long pausedSince() {
    return paused() ? pausedSince : 0;
  }

  /**
   * Bluejay refused the key (401, or 401/403 to a key check): pause every call, or, while paused, a
   * probe was refused again and the next one waits longer (the refusal of a request that started
   * before the pause is not a probe's). The key refused is the one the refused request carried:
   * when the key has changed since, nothing pauses.
   *
   * @param startedAt when the refused request started
   */
  synchronized void pause(long now, String why, long startedAt) {
    Long refused = refusedKeyVersion;
    long version = refused != null ? refused : keys.version();
    if (paused()) {
      if (startedAt < pausedSince) {
        return;
      }
      authNextProbeAt =
          Math.max(authNextProbeAt, now + DeliveryPolicy.probeInterval(authProbes).toMillis());
      authProbes++;
      return;
    }
    if (version != keys.version()) {
      LOGGER.info("Bluejay refused a key that was replaced meanwhile: delivery goes on");
      return;
    }
    pausedSince = now;
    pausedAtKeyVersion = version;
    pausedWhy = why;
    authProbes = 0;
    authNextProbeAt = now + DeliveryPolicy.probeInterval(authProbes).toMillis();
    authProbes++;
    LOGGER.error(
        "Bluejay refused the API key: delivery paused for every call, probing until the key is"
            + " accepted or changes ({})",
        why);
  }

  /** An answer showed the key is accepted: a pause, if any, ends. */
  private synchronized void keyAccepted(long now) {
    refusedKeyVersion = null;
    if (pausedAtKeyVersion != null) {
      LOGGER.info(
          "Bluejay accepts the API key again after {} s: delivery resumes",
          Math.max(0, now - pausedSince) / 1000);
      pausedAtKeyVersion = null;
      pausedWhy = null;
      authProbes = 0;
    }
  }

  /** True while delivery is held because Bluejay cannot be reached. */
  public boolean unreachable() {
    return outage.kind() == Outage.Kind.UNREACHABLE;
  }

  /** Wall-clock millis since when Bluejay cannot be reached, or 0 while it can. */
  public long unreachableSince() {
    return unreachable() ? outage.since() : 0;
  }

  /** Why Bluejay cannot be reached (the last connection error), or null while it can. */
  public String unreachableReason() {
    return unreachable() ? outage.reason() : null;
  }

  /**
   * What {@code /status} says: {@code paused} (key refused), else {@code draining}, else {@code
   * unreachable} or {@code held} (an {@link Outage}), else {@code running}.
   */
  public synchronized State state() {
    if (paused()) {
      return new State(
          "paused",
          pausedSince,
          "Bluejay refused the API key; probing until it is accepted or the key changes: "
              + pausedWhy);
    }
    if (draining) {
      return new State("draining", 0, null);
    }
    Outage.Kind kind = outage.kind();
    if (kind != Outage.Kind.NONE) {
      return new State(
          kind == Outage.Kind.UNREACHABLE ? "unreachable" : "held",
          outage.since(),
          Outage.describe(kind) + ": " + outage.reason());
    }
    return new State("running", 0, null);
  }

  /**
   * Learns from an applied outcome what it says of Bluejay as a whole ({@link Outage#observe}); an
   * answer that is not a 401 or 403 also ends a pause for the key.
   */
  void observe(long now, Outcome outcome, Outage.Route route, long retryAfterMillis) {
    outage.observe(now, outcome, route, retryAfterMillis);
    if (Outage.answer(outcome)
        || (outcome instanceof Outcome.Failed failed
            && failed.error() instanceof RejectedException)) {
      keyAccepted(now);
    }
  }

  /** False while a {@code Retry-After} keeps {@code route} waiting. */
  boolean routeOpen(Outage.Route route, long now) {
    return outage.routeOpen(route, now);
  }

  /** True unless paused and the next probe is not due yet. */
  private synchronized boolean authMayStart(long now) {
    return !paused() || now >= authNextProbeAt;
  }

  private synchronized void authStarted(long now) {
    if (paused()) {
      authNextProbeAt = now + DeliveryPolicy.probeInterval(authProbes).toMillis();
    }
  }

  public int inFlight() {
    return maxInFlight - slots.availablePermits();
  }

  /**
   * Takes an in-flight slot and a request's worth of the rate share, or nothing; while held or
   * paused, only a probe's worth per interval.
   */
  boolean tryAcquire(long now) {
    if (keyRefused() || !authMayStart(now) || !outage.mayStart(now)) {
      return false;
    }
    if (!slots.tryAcquire()) {
      return false;
    }
    if (!rate.tryAcquire()) {
      slots.release();
      return false;
    }
    outage.started(now);
    authStarted(now);
    return true;
  }

  /** Gives back a slot taken by {@link #tryAcquire} for an attempt that will not be sent. */
  void release() {
    slots.release();
  }

  /** The route an attempt of {@code entry} in {@code mode} goes to. */
  public static Outage.Route route(OutboxEntry entry, Mode mode) {
    if (mode != Mode.SEND) {
      return Outage.Route.RETRIEVE_SIMULATION_RESULT;
    }
    return entry.getEndpoint() == Endpoint.UPDATE_LOG
        ? Outage.Route.UPDATE_LOG
        : Outage.Route.UPDATE_SIMULATION_RESULT;
  }

  /**
   * What the next attempt of {@code entry} does: a key check after a 403, a check at Bluejay for a
   * simulated call whose earlier POST may have arrived (one was in flight, or its outcome was
   * unknown), else the request itself.
   */
  public static Mode mode(OutboxEntry entry) {
    if (entry.getKeyCheck()) {
      return Mode.KEY_CHECK;
    }
    boolean maybePosted = entry.getVerifyFirst() || entry.getInFlightSince() != null;
    return entry.getEndpoint() == Endpoint.UPDATE_SIMULATION_RESULT && maybePosted
        ? Mode.VERIFY
        : Mode.SEND;
  }

  /**
   * Sends one attempt on the HTTP executor; {@code report} gets the outcome on that thread. The
   * slot taken by {@link #tryAcquire} is released when the attempt ends.
   */
  void send(OutboxEntry entry, Mode mode, Consumer<Outcome> report) {
    Supplier<Outcome> attempt = attempt(client, entry, mode);
    long keyVersion = keys.version();
    Runnable task =
        () -> {
          Outcome outcome = null;
          try {
            outcome = attempt.get();
          } finally {
            if (outcome instanceof Outcome.Failed failed
                && failed.error() instanceof AuthException refusal
                && (refusal.status() != 403 || mode == Mode.KEY_CHECK)) {
              // Before the slot is free: the stream thread pauses delivery only when it applies
              // this outcome, and until then no other request may go out with the refused key.
              // (A 403 to a call may be about that call only: its key check decides.)
              refusedKeyVersion = keyVersion;
              refusals.incrementAndGet();
            }
            slots.release();
          }
          report.accept(outcome);
        };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      slots.release();
      report.accept(
          new Outcome.Crashed(entry.getCallId(), entry.getRevision(), entry.getAttempts(), e));
    }
  }

  /**
   * Attempt {@code entry.getAttempts()} of {@code entry} in {@code mode}, to run on any thread:
   * what it needs of the entry is read now, so the entry may change meanwhile. Never throws: a
   * failure is an {@link Outcome.Failed} or {@link Outcome.Crashed}.
   *
   * <ul>
   *   <li>{@link Mode#SEND}: the PUT or POST; {@link Outcome.Delivered} on 2xx.
   *   <li>{@link Mode#VERIFY}: asks Bluejay for the simulation result instead of posting: {@link
   *       Outcome.AlreadyThere} when every tool call of the entry is there (as often as the call
   *       has it), {@link Outcome.NotThere} when none is, {@link Outcome.Unknown} when only some
   *       are, or when the call has no tool calls to look for (then nothing is sent: the answer
   *       could not tell).
   *   <li>{@link Mode#KEY_CHECK}: a GET of the call's simulation result (a production call: of
   *       {@value #KEY_PROBE_ID}); any answer but 401/403 is {@link Outcome.KeyAccepted}.
   * </ul>
   */
  public static Supplier<Outcome> attempt(BluejayClient client, OutboxEntry entry, Mode mode) {
    String callId = entry.getCallId();
    int revision = entry.getRevision();
    int attempt = entry.getAttempts();
    byte[] body = bytes(entry.getRequestBody());
    Endpoint endpoint = entry.getEndpoint();
    String simulationResultId = entry.getSimulationResultId();
    List<String> toolCallKeys = List.copyOf(entry.getToolCallKeys());
    return () -> {
      long started = System.nanoTime();
      try {
        if (mode == Mode.VERIFY) {
          return verify(
              client, callId, revision, attempt, simulationResultId, toolCallKeys, started);
        }
        if (mode == Mode.KEY_CHECK) {
          return keyCheck(client, callId, revision, attempt, simulationResultId);
        }
        BluejayClient.Response response =
            endpoint == Endpoint.UPDATE_LOG
                ? client.updateLog(callId, body)
                : client.updateSimulationResult(body);
        return new Outcome.Delivered(
            callId, revision, attempt, response.status(), response.latencyMs(), body.length);
      } catch (BluejayException e) {
        return new Outcome.Failed(callId, revision, attempt, e);
      } catch (RuntimeException e) {
        return new Outcome.Crashed(callId, revision, attempt, e);
      }
    };
  }

  private static Outcome keyCheck(
      BluejayClient client, String callId, int revision, int attempt, String simulationResultId) {
    try {
      client.retrieveSimulationResult(
          simulationResultId == null ? KEY_PROBE_ID : simulationResultId);
    } catch (RejectedException e) {
      // 404, 422: Bluejay looked past the key.
    }
    return new Outcome.KeyAccepted(callId, revision, attempt);
  }

  private static Outcome verify(
      BluejayClient client,
      String callId,
      int revision,
      int attempt,
      String simulationResultId,
      List<String> toolCallKeys,
      long started) {
    if (toolCallKeys.isEmpty()) {
      return new Outcome.Unknown(
          callId,
          revision,
          attempt,
          "the call has no tool calls: Bluejay's copy of the simulation result cannot tell whether"
              + " the earlier POST arrived");
    }
    SimulationResultView view = client.retrieveSimulationResult(simulationResultId);
    Map<String, Integer> there = new HashMap<>();
    view.actualToolCalls()
        .forEach(t -> there.merge(ToolCallKeys.key(t.name(), t.startOffsetMs()), 1, Integer::sum));
    Map<String, Integer> wanted = new HashMap<>();
    toolCallKeys.forEach(k -> wanted.merge(k, 1, Integer::sum));
    long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    boolean all =
        wanted.entrySet().stream().allMatch(w -> there.getOrDefault(w.getKey(), 0) >= w.getValue());
    boolean none = wanted.keySet().stream().noneMatch(there::containsKey);
    if (all) {
      LOGGER.info(
          "earlier POST had arrived; not posting again call_id={} simulation_result_id={}",
          callId,
          simulationResultId);
      return new Outcome.AlreadyThere(callId, revision, attempt, latencyMs);
    }
    if (none) {
      return new Outcome.NotThere(callId, revision, attempt);
    }
    return new Outcome.Unknown(
        callId,
        revision,
        attempt,
        "Bluejay holds only some of the call's tool calls: the earlier POST may have arrived");
  }

  static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }

  /** Stops taking work and waits up to {@code timeoutMillis} for requests in flight. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "bluejay-http-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
