package dev.bluejaybridge.delivery;

import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.SimulationResultView;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery machinery of one instance, shared by the outbox processors of all its tasks: the
 * HTTP executor (never the stream thread), the in-flight bound ({@code delivery.max-in-flight}),
 * the rate share, the paused state after Bluejay refuses the API key, and the hold while Bluejay
 * cannot be reached.
 *
 * <p>While Bluejay cannot be reached (connection refused, unknown host, connect timeout: the
 * request surely never arrived), delivery is held for every call instead of spending each call's
 * attempts on an outage: one probe request goes out per probe interval ({@link
 * DeliveryPolicy#probeInterval}: 1 s, doubling to 30 s), and the first answer of any kind ends the
 * hold. A held call is never dead-lettered for the outage, however long it lasts; {@code /status}
 * and {@code bridge_delivery_unreachable} say so.
 */
public final class Dispatcher implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(Dispatcher.class);

  private final BluejayClient client;
  private final ApiKeySource keys;
  private final RateShare rate;
  private final Semaphore slots;
  private final int maxInFlight;
  private final ExecutorService executor;
  private volatile Long pausedAtKeyVersion;
  // the key version an answer refused (set on the HTTP thread, before its slot is released)
  private volatile Long refusedKeyVersion;
  private volatile long pausedSince;
  private volatile boolean draining;

  // The hold while Bluejay cannot be reached; guarded by this.
  private long unreachableSince;
  private long nextProbeAt;
  private int probes;
  private String unreachableWhy;
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

  /** True once an answer refused the key now in use, even before its outcome was applied. */
  private boolean keyRefused() {
    Long refused = refusedKeyVersion;
    return refused != null && refused == keys.version();
  }

  /** True while delivery is paused for a refused key; resumes by itself once the key changes. */
  public boolean paused() {
    Long version = pausedAtKeyVersion;
    if (version == null) {
      return false;
    }
    if (keys.version() != version) {
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
  public long pausedSince() {
    return pausedAtKeyVersion == null ? 0 : pausedSince;
  }

  void pause(long now, String why) {
    if (pausedAtKeyVersion == null) {
      pausedSince = now;
      pausedAtKeyVersion = keys.version();
      LOGGER.error(
          "Bluejay refused the API key: delivery paused for every call until the key changes ({})",
          why);
    }
  }

  /** True while delivery is held because Bluejay cannot be reached. */
  public synchronized boolean unreachable() {
    return unreachableSince != 0;
  }

  /** Wall-clock millis since when Bluejay cannot be reached, or 0 while it can. */
  public synchronized long unreachableSince() {
    return unreachableSince;
  }

  /** Why Bluejay cannot be reached (the last connection error), or null while it can. */
  public synchronized String unreachableReason() {
    return unreachableWhy;
  }

  /**
   * A request never reached Bluejay: hold delivery (or keep holding it) and schedule the next
   * probe.
   */
  synchronized void connectionFailed(long now, String why) {
    if (unreachableSince == 0) {
      unreachableSince = now;
      probes = 0;
      LOGGER.error(
          "Bluejay cannot be reached: delivery held for every call, probing until it answers ({})",
          why);
    }
    unreachableWhy = why;
    long interval = probeInterval();
    probes++;
    nextProbeAt = Math.max(nextProbeAt, now + interval);
  }

  /** Bluejay answered (any status): the hold, if any, ends. */
  synchronized void answered(long now) {
    if (unreachableSince != 0) {
      LOGGER.info(
          "Bluejay answers again after {} s: delivery resumes",
          Math.max(0, now - unreachableSince) / 1000);
      unreachableSince = 0;
      unreachableWhy = null;
      nextProbeAt = 0;
      probes = 0;
    }
  }

  /**
   * While Bluejay cannot be reached, true once per probe interval (that attempt is the probe);
   * otherwise always true.
   */
  private synchronized boolean mayStart(long now) {
    if (unreachableSince == 0) {
      return true;
    }
    if (now < nextProbeAt) {
      return false;
    }
    // Until this probe's outcome arrives, the next one waits a full interval.
    nextProbeAt = now + probeInterval();
    return true;
  }

  private long probeInterval() {
    return DeliveryPolicy.probeInterval(probes).toMillis();
  }

  public int inFlight() {
    return maxInFlight - slots.availablePermits();
  }

  /**
   * Takes an in-flight slot and a request's worth of the rate share, or nothing; while Bluejay
   * cannot be reached, only a probe's worth per interval.
   */
  boolean tryAcquire(long now) {
    if (keyRefused()) {
      return false;
    }
    if (!slots.tryAcquire()) {
      return false;
    }
    if (!mayStart(now)) {
      slots.release();
      return false;
    }
    if (!rate.tryAcquire()) {
      slots.release();
      return false;
    }
    return true;
  }

  /** Gives back a slot taken by {@link #tryAcquire} for an attempt that will not be sent. */
  void release() {
    slots.release();
  }

  /**
   * Sends one attempt on the HTTP executor; {@code report} gets the outcome on that thread. The
   * slot taken by {@link #tryAcquire} is released when the attempt ends.
   */
  void send(OutboxEntry entry, boolean verifyFirst, Consumer<Outcome> report) {
    Supplier<Outcome> attempt = attempt(client, entry, verifyFirst);
    long keyVersion = keys.version();
    Runnable task =
        () -> {
          Outcome outcome = null;
          try {
            outcome = attempt.get();
          } finally {
            if (outcome instanceof Outcome.Failed failed
                && failed.error() instanceof AuthException) {
              // Before the slot is free: the stream thread pauses delivery only when it applies
              // this outcome, and until then no other request may go out with the refused key.
              refusedKeyVersion = keyVersion;
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
   * Attempt {@code entry.getAttempts()} of {@code entry}, to run on any thread: what it needs of
   * the entry is read now, so the entry may change meanwhile. With {@code verifyFirst} (a simulated
   * call whose earlier POST may have arrived) it asks Bluejay for the result instead of posting:
   * {@link Outcome.AlreadyThere} when every tool call of the entry is there, else {@link
   * Outcome.NotThere}. Never throws: a failure is an {@link Outcome.Failed} or {@link
   * Outcome.Crashed}.
   */
  public static Supplier<Outcome> attempt(
      BluejayClient client, OutboxEntry entry, boolean verifyFirst) {
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
        if (verifyFirst) {
          return verify(
              client, callId, revision, attempt, simulationResultId, toolCallKeys, started);
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

  private static Outcome verify(
      BluejayClient client,
      String callId,
      int revision,
      int attempt,
      String simulationResultId,
      List<String> toolCallKeys,
      long started) {
    SimulationResultView view = client.retrieveSimulationResult(simulationResultId);
    Set<String> there = new HashSet<>();
    view.actualToolCalls().forEach(t -> there.add(ToolCallKeys.key(t.name(), t.startOffsetMs())));
    long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    if (!toolCallKeys.isEmpty() && there.containsAll(toolCallKeys)) {
      LOGGER.info(
          "earlier POST had arrived; not posting again call_id={} simulation_result_id={}",
          callId,
          simulationResultId);
      return new Outcome.AlreadyThere(callId, revision, attempt, latencyMs);
    }
    return new Outcome.NotThere(callId, revision, attempt);
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
