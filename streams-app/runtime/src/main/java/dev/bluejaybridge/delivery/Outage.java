package dev.bluejaybridge.delivery;

import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.state.OutboxEntry;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one outage policy of delivery: when Bluejay as a whole is not taking requests, delivery is
 * <em>held</em> for every call instead of spending each call's attempts on the outage. The
 * pipeline's {@link Dispatcher} and {@code dlq replay} both drive it.
 *
 * <ul>
 *   <li>{@link Kind#UNREACHABLE}: a request never reached Bluejay (connection refused, unknown
 *       host, connect timeout, TLS handshake refused). One such failure holds at once.
 *   <li>{@link Kind#UNWELL}: Bluejay is answering badly: {@value #UNWELL_FAILURES} failed attempts
 *       in a row that ended with 408, 429, 5xx, a timeout or a broken connection, from at least
 *       {@value #UNWELL_CALLS} different calls, with no other answer between them. Or a call has
 *       spent its last attempt on such failures while no other call got an answer since its first
 *       attempt ({@link Standing#othersAnswered()} false: nothing tells the call's own fault from
 *       an outage, so {@link DeliveryPolicy} holds instead of dead-lettering, and the caller
 *       applies it with {@link #holdForCall}).
 * </ul>
 *
 * <p>A call that alone keeps failing while others get answers never holds delivery: it spends its
 * own attempts. A call that alone keeps failing with nobody else to compare (quiet hours, or its
 * content makes Bluejay fail) holds delivery at its last attempt until another call gets an answer;
 * then it spends that attempt.
 *
 * <p>While held, one attempt per probe interval goes out as the probe ({@link
 * DeliveryPolicy#probeInterval}: 1 s, doubling after each failed probe up to 30 s); the attempts
 * that fail meanwhile are not counted (the policy turns them into {@link
 * DeliveryPolicy.Decision.Hold}); the first answer that is not an outage ends the hold. An outage
 * of any length dead-letters nothing.
 *
 * <p>A {@code Retry-After} on a 429 or 503 slows the whole route it came from (every call to that
 * endpoint waits until then), not only the call that got it.
 *
 * <p>Thread-safe: the stream threads of every task report to it, metrics and {@code /status} read
 * it.
 */
public final class Outage {
  private static final Logger LOGGER = LoggerFactory.getLogger(Outage.class);

  /** Failed attempts in a row, with no other answer between, that make Bluejay unwell. */
  static final int UNWELL_FAILURES = 5;

  /**
   * Different calls among them: one call failing alone may be the call's own problem, so it holds
   * only at its last attempt, and only when no other call got an answer meanwhile ({@link
   * Standing}).
   */
  static final int UNWELL_CALLS = 2;

  /**
   * What the outage policy says when an attempt's outcome is decided ({@link
   * DeliveryPolicy#decide}).
   *
   * @param held delivery is held for an outage (once the outcome counted)
   * @param othersAnswered another call got an answer that is not an outage's (a 2xx, a 4xx) since
   *     the call's first attempt: Bluejay is well for others, so the call's failures are its own
   */
  public record Standing(boolean held, boolean othersAnswered) {}

  /** Why delivery is held. */
  public enum Kind {
    NONE,
    UNREACHABLE,
    UNWELL
  }

  /** The Bluejay routes the bridge calls; a {@code Retry-After} slows one route. */
  public enum Route {
    UPDATE_LOG,
    UPDATE_SIMULATION_RESULT,
    RETRIEVE_SIMULATION_RESULT
  }

  private Kind kind = Kind.NONE;
  private long since;
  private String why;
  private int probes;
  private long nextProbeAt;

  private int failuresInARow;
  private String firstFailingCall;
  private boolean severalCalls;

  // The latest answer that was not an outage's, whose call, and the latest of any other call.
  private String lastAnswerCall;
  private long lastAnswerAt = Long.MIN_VALUE;
  private long otherAnswerAt = Long.MIN_VALUE;

  private final Map<Route, Long> notBefore = new EnumMap<>(Route.class);

  /** A request never reached Bluejay: hold (or keep holding) and schedule the next probe. */
  public synchronized void unreachable(long now, String reason) {
    hold(Kind.UNREACHABLE, now, reason);
  }

  /**
   * An attempt for {@code callId} ended with 408, 429, 5xx, a timeout or a broken connection. Holds
   * once that is sustained; while held, it is a failed probe.
   */
  public synchronized void unwell(long now, String callId, String reason) {
    if (kind != Kind.NONE) {
      // Bluejay answers, badly: an unreachable hold becomes an unwell one, probing goes on.
      hold(Kind.UNWELL, now, reason);
      return;
    }
    failuresInARow++;
    if (firstFailingCall == null) {
      firstFailingCall = callId;
    } else if (!firstFailingCall.equals(callId)) {
      severalCalls = true;
    }
    if (failuresInARow >= UNWELL_FAILURES && severalCalls) {
      hold(Kind.UNWELL, now, reason);
    }
  }

  /**
   * Bluejay gave an answer that is not an outage's (2xx, 4xx) to an attempt of {@code callId}: the
   * hold, if any, ends.
   */
  public synchronized void answered(long now, String callId) {
    if (!callId.equals(lastAnswerCall)) {
      otherAnswerAt = lastAnswerAt;
      lastAnswerCall = callId;
    }
    lastAnswerAt = now;
    failuresInARow = 0;
    firstFailingCall = null;
    severalCalls = false;
    if (kind != Kind.NONE) {
      LOGGER.info(
          "Bluejay answers again after {} s: delivery resumes", Math.max(0, now - since) / 1000);
      kind = Kind.NONE;
      since = 0;
      why = null;
      nextProbeAt = 0;
      probes = 0;
    }
  }

  /**
   * Learns from one outcome what it says of Bluejay as a whole: a request that never arrived holds
   * at once; 408, 429, 5xx, timeouts and broken connections count towards {@link Kind#UNWELL} (and
   * their {@code retryAfterMillis}, the capped {@code Retry-After}, slows {@code route}); any other
   * answer ends a hold. An unexpected error, or a check that sent nothing, says nothing.
   */
  public void observe(long now, Outcome outcome, Route route, long retryAfterMillis) {
    if (outcome instanceof Outcome.Failed failed) {
      if (failed.error() instanceof RetryableException retryable) {
        if (retryable.notConnected()) {
          unreachable(now, retryable.getMessage());
        } else {
          unwell(now, outcome.callId(), retryable.getMessage());
          if (retryAfterMillis > 0) {
            slowRoute(route, now + retryAfterMillis);
          }
        }
      } else {
        answered(now, outcome.callId()); // 4xx, 401, 403: Bluejay answers
      }
    } else if (answer(outcome)) {
      answered(now, outcome.callId());
    }
  }

  /**
   * True when a call other than {@code callId} got an answer that is not an outage's after {@code
   * since} (wall-clock millis; answers are timed when they are observed).
   */
  public synchronized boolean answeredOtherSince(String callId, long since) {
    if (lastAnswerCall == null) {
      return false;
    }
    return (callId.equals(lastAnswerCall) ? otherAnswerAt : lastAnswerAt) > since;
  }

  /**
   * What the policy needs to decide the outcome of an attempt of {@code entry}, observed already:
   * whether delivery is held, and whether another call got an answer since the entry's first
   * attempt (the start of its failures: an entry only stays while its attempts fail).
   */
  public synchronized Standing standing(OutboxEntry entry) {
    Long first = entry.getFirstAttemptAt();
    return new Standing(
        held(), answeredOtherSince(entry.getCallId(), first == null ? Long.MIN_VALUE : first));
  }

  /**
   * The policy holds {@code callId} ({@link DeliveryPolicy.Decision.Hold}): delivery is held for
   * every call, if it is not already. Held this way, the call spent its last attempt on 408, 429,
   * 5xx or timeouts while no other call got an answer: Bluejay may be unwell for everyone.
   */
  public synchronized void holdForCall(long now, String callId, String reason) {
    if (kind == Kind.NONE) {
      LOGGER.warn(
          "call spent its attempts on 5xx, 429 or timeouts and Bluejay answered no other call"
              + " meanwhile: it may be down, so the call is not dead-lettered; call_id={}",
          callId);
      hold(Kind.UNWELL, now, reason);
    }
  }

  /** An outcome that is a good answer of Bluejay's. */
  static boolean answer(Outcome outcome) {
    return outcome instanceof Outcome.Delivered
        || outcome instanceof Outcome.AlreadyThere
        || outcome instanceof Outcome.NotThere
        || outcome instanceof Outcome.KeyAccepted;
  }

  /** The route a failed attempt went to, from its path. */
  public static Route route(String path) {
    if (path.startsWith("/v1/update-log")) {
      return Route.UPDATE_LOG;
    }
    if (path.startsWith("/v1/update-simulation-result")) {
      return Route.UPDATE_SIMULATION_RESULT;
    }
    return Route.RETRIEVE_SIMULATION_RESULT;
  }

  /** Every call of {@code route} waits until {@code until} (a {@code Retry-After}). */
  public synchronized void slowRoute(Route route, long until) {
    notBefore.merge(route, until, Math::max);
  }

  /** False while a {@code Retry-After} keeps {@code route} waiting. */
  public synchronized boolean routeOpen(Route route, long now) {
    Long until = notBefore.get(route);
    return until == null || now >= until;
  }

  /** Wall-clock millis until which {@code route} waits, or 0. */
  public synchronized long routeNotBefore(Route route) {
    return notBefore.getOrDefault(route, 0L);
  }

  private void hold(Kind newKind, long now, String reason) {
    if (kind == Kind.NONE) {
      since = now;
      probes = 0;
      LOGGER.error(
          newKind == Kind.UNREACHABLE
              ? "Bluejay cannot be reached: delivery held for every call, probing until it answers ({})"
              : "Bluejay keeps failing (5xx, 429, timeouts) and answers no call: delivery held for"
                  + " every call, probing until it answers ({})",
          reason);
    } else if (newKind != kind) {
      LOGGER.warn("delivery still held: {} ({})", describe(newKind), reason);
    }
    kind = newKind;
    why = reason;
    long interval = DeliveryPolicy.probeInterval(probes).toMillis();
    probes++;
    nextProbeAt = Math.max(nextProbeAt, now + interval);
  }

  /** Why delivery is held ({@link Kind#NONE} while it is not). */
  public synchronized Kind kind() {
    return kind;
  }

  /** True while delivery is held. */
  public synchronized boolean held() {
    return kind != Kind.NONE;
  }

  /** Wall-clock millis since when delivery is held, or 0. */
  public synchronized long since() {
    return kind == Kind.NONE ? 0 : since;
  }

  /** The last failure of the outage, or null while not held. */
  public synchronized String reason() {
    return why;
  }

  /** When the next probe may go out while held. */
  public synchronized long nextProbeAt() {
    return nextProbeAt;
  }

  /** True unless held and the next probe is not due yet. */
  public synchronized boolean mayStart(long now) {
    return kind == Kind.NONE || now >= nextProbeAt;
  }

  /** An attempt that {@link #mayStart} allowed went out: while held it is the probe. */
  public synchronized void started(long now) {
    if (kind != Kind.NONE) {
      // Until this probe's outcome arrives, the next one waits a full interval.
      nextProbeAt = now + DeliveryPolicy.probeInterval(probes).toMillis();
    }
  }

  /** A sentence for {@code /status} and logs. */
  static String describe(Kind kind) {
    return switch (kind) {
      case NONE -> "running";
      case UNREACHABLE -> "Bluejay cannot be reached; probing until it answers";
      case UNWELL ->
          "Bluejay keeps failing (5xx, 429, timeouts) and answers no call; probing until it"
              + " answers";
    };
  }
}
