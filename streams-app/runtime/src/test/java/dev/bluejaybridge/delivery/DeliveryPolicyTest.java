package dev.bluejaybridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.bluejay.RejectedException;
import dev.bluejaybridge.bluejay.RetryableException;
import dev.bluejaybridge.delivery.DeliveryPolicy.Cause;
import dev.bluejaybridge.delivery.DeliveryPolicy.Decision;
import dev.bluejaybridge.state.Endpoint;
import dev.bluejaybridge.state.OutboxEntry;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The delivery policy on its own: outcomes in, decisions out, no driver, no HTTP. */
class DeliveryPolicyTest {
  private static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");
  private static final int MAX_ATTEMPTS = 5;

  /** Not held, and another call got an answer since the call's first attempt. */
  private static final Outage.Standing WELL = new Outage.Standing(false, true);

  /** Held for an outage. */
  private static final Outage.Standing HELD = new Outage.Standing(true, false);

  /** Not held, and no other call got an answer since the call's first attempt. */
  private static final Outage.Standing ALONE = new Outage.Standing(false, false);

  /** The backoff draws its maximum, so the wait is the cap of the attempt: 1 s, 2 s, 4 s, ... */
  private final DeliveryPolicy policy =
      new DeliveryPolicy(MAX_ATTEMPTS, new Backoff(() -> 1.0, Duration.ofMinutes(10)));

  private static OutboxEntry entry(Endpoint endpoint, int attempts, boolean verifyFirst) {
    boolean simulated = endpoint == Endpoint.UPDATE_SIMULATION_RESULT;
    return OutboxEntry.newBuilder()
        .setCallId("c-1")
        .setRevision(1)
        .setEndpoint(endpoint)
        .setSimulationResultId(simulated ? "42" : null)
        .setRequestBody(ByteBuffer.wrap("{\"tool_calls\":[]}".getBytes()))
        .setToolCallKeys(simulated ? List.of("lookup@100") : List.of())
        .setEnqueuedAt(0)
        .setAttempts(attempts)
        .setNextAttemptAt(0)
        .setVerifyFirst(verifyFirst)
        .build();
  }

  private static Outcome failed(BluejayException error) {
    return new Outcome.Failed("c-1", 1, 1, error);
  }

  private static RetryableException status(int status, Duration retryAfter) {
    return new RetryableException(
        "HTTP " + status,
        status,
        "PUT",
        "/v1/update-log/c-1",
        "",
        Optional.ofNullable(retryAfter),
        false,
        null);
  }

  private static RetryableException readTimeout() {
    return new RetryableException(
        "I/O error: timeout",
        -1,
        "POST",
        "/v1/update-simulation-result",
        "",
        Optional.empty(),
        true,
        new HttpTimeoutException("request timed out"));
  }

  private static RetryableException refused() {
    return new RetryableException(
        "I/O error: connection refused",
        -1,
        "PUT",
        "/v1/update-log/c-1",
        "",
        Optional.empty(),
        false,
        new ConnectException("Connection refused"));
  }

  private static RejectedException rejected(int status) {
    return new RejectedException(
        "HTTP " + status, status, "PUT", "/v1/update-log/c-1", "{}", List.of());
  }

  private static AuthException auth(int status) {
    return new AuthException("HTTP " + status, status, "PUT", "/v1/update-log/c-1", "");
  }

  static Stream<Arguments> table() {
    Endpoint log = Endpoint.UPDATE_LOG;
    Endpoint sim = Endpoint.UPDATE_SIMULATION_RESULT;
    return Stream.of(
        Arguments.of(
            "2xx",
            entry(log, 1, false),
            new Outcome.Delivered("c-1", 1, 1, 200, 12, 17),
            new Decision.Delivered(200, 12, 17)),
        Arguments.of(
            "earlier POST found",
            entry(sim, 2, true),
            new Outcome.AlreadyThere("c-1", 1, 2, 7),
            new Decision.Delivered(200, 7, 17)),
        Arguments.of(
            "earlier POST not found: post now",
            entry(sim, 2, true),
            new Outcome.NotThere("c-1", 1, 2),
            new Decision.RetryAt(NOW, false)),
        Arguments.of(
            "503 after attempt 1: 1 s",
            entry(log, 1, false),
            failed(status(503, null)),
            new Decision.RetryAt(NOW.plusSeconds(1), false)),
        Arguments.of(
            "503 after attempt 3: 4 s",
            entry(log, 3, false),
            failed(status(503, null)),
            new Decision.RetryAt(NOW.plusSeconds(4), false)),
        Arguments.of(
            "Retry-After longer than the backoff is a floor",
            entry(log, 1, false),
            failed(status(429, Duration.ofSeconds(30))),
            new Decision.RetryAt(NOW.plusSeconds(30), false)),
        Arguments.of(
            "Retry-After shorter than the backoff changes nothing",
            entry(log, 3, false),
            failed(status(429, Duration.ofSeconds(1))),
            new Decision.RetryAt(NOW.plusSeconds(4), false)),
        Arguments.of(
            "503 on the last attempt",
            entry(log, MAX_ATTEMPTS, false),
            failed(status(503, null)),
            new Decision.DeadLetter(Cause.ATTEMPTS_EXHAUSTED, null)),
        Arguments.of(
            "timeout of a PUT: retried, nothing to check",
            entry(log, 1, false),
            failed(readTimeout()),
            new Decision.RetryAt(NOW.plusSeconds(1), false)),
        Arguments.of(
            "timeout of a POST: check before posting again",
            entry(sim, 1, false),
            failed(readTimeout()),
            new Decision.RetryAt(NOW.plusSeconds(1), true)),
        Arguments.of(
            "a 503 to the check keeps checking",
            entry(sim, 2, true),
            failed(status(503, null)),
            new Decision.RetryAt(NOW.plusSeconds(2), true)),
        Arguments.of(
            "unexpected error of a POST: unknown outcome",
            entry(sim, 1, false),
            new Outcome.Crashed("c-1", 1, 1, new IllegalStateException("boom")),
            new Decision.RetryAt(NOW.plusSeconds(1), true)),
        Arguments.of(
            "404 after attempt 1: retried",
            entry(log, 1, false),
            failed(rejected(404)),
            new Decision.RetryAt(NOW.plusSeconds(1), false)),
        Arguments.of(
            "404 after attempt 2: retried",
            entry(log, 2, false),
            failed(rejected(404)),
            new Decision.RetryAt(NOW.plusSeconds(2), false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decidesAsTheTableSays(String name, OutboxEntry entry, Outcome outcome, Decision expected) {
    assertThat(policy.decide(entry, outcome, NOW, WELL)).isEqualTo(expected);
  }

  @Test
  void notFoundIsDeadLetteredAfterThreeAttempts() {
    RejectedException notFound = rejected(404);

    Decision decision =
        policy.decide(
            entry(Endpoint.UPDATE_LOG, DeliveryPolicy.NOT_FOUND_ATTEMPTS, false),
            failed(notFound),
            NOW,
            WELL);

    assertThat(decision).isEqualTo(new Decision.DeadLetter(Cause.REFUSED, notFound));
    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("http-404");
  }

  @Test
  void unprocessableIsDeadLetteredAtOnceWithItsStatus() {
    RejectedException invalid = rejected(422);

    Decision decision =
        policy.decide(entry(Endpoint.UPDATE_LOG, 1, false), failed(invalid), NOW, WELL);

    assertThat(decision).isEqualTo(new Decision.DeadLetter(Cause.REFUSED, invalid));
    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("http-422");
  }

  @Test
  void exhaustedAttemptsHaveTheirReason() {
    Decision decision =
        policy.decide(
            entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(status(500, null)), NOW, WELL);

    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("attempts-exhausted");
  }

  @Test
  void connectFailureHoldsEvenOnTheLastAttempt() {
    Decision decision =
        policy.decide(
            entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(refused()), NOW, WELL);

    assertThat(decision).isEqualTo(new Decision.Hold("I/O error: connection refused", false));
    assertThat(DeliveryPolicy.neverArrived(failed(refused()))).isTrue();
    assertThat(DeliveryPolicy.neverArrived(failed(readTimeout()))).isFalse();
  }

  @Test
  void refusedKeyPausesEvenOnTheLastAttempt() {
    AuthException refusal = auth(401);

    Decision decision =
        policy.decide(entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(refusal), NOW, WELL);

    assertThat(decision).isEqualTo(new Decision.Pause(refusal));
  }

  /**
   * Issue 13 item 9: a 403 may be about one resource only. The call's next attempt checks the key;
   * only a key check refused too pauses, an accepted one dead-letters the call as {@code http-403}.
   */
  @Test
  void forbiddenChecksTheKeyBeforePausingOrDeadLettering() {
    AuthException forbidden = auth(403);
    OutboxEntry entry = entry(Endpoint.UPDATE_LOG, 1, false);

    assertThat(policy.decide(entry, failed(forbidden), NOW, WELL))
        .isEqualTo(new Decision.CheckKey(forbidden));

    entry.setKeyCheck(true);
    assertThat(policy.decide(entry, failed(forbidden), NOW, WELL))
        .as("the key check refused too: the key is refused")
        .isEqualTo(new Decision.Pause(forbidden));
    AuthException unauthorized = auth(401);
    assertThat(policy.decide(entry, failed(unauthorized), NOW, WELL))
        .isEqualTo(new Decision.Pause(unauthorized));
    Decision accepted = policy.decide(entry, new Outcome.KeyAccepted("c-1", 1, 1), NOW, WELL);
    assertThat(accepted).isEqualTo(new Decision.DeadLetter(Cause.FORBIDDEN, null));
    assertThat(((Decision.DeadLetter) accepted).reason()).isEqualTo("http-403");
  }

  /**
   * Issue 13 item 3: a 5xx to a POST may have been applied (Bluejay appends): the next attempt
   * checks first; a PUT replaces, so it just goes again.
   */
  @Test
  void serverErrorToAPostIsCheckedBeforePostingAgain() {
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_SIMULATION_RESULT, 1, false),
                failed(status(502, null)),
                NOW,
                WELL))
        .isEqualTo(new Decision.RetryAt(NOW.plusSeconds(1), true));
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_SIMULATION_RESULT, 1, false),
                failed(status(429, null)),
                NOW,
                WELL))
        .as("a 429 was not taken")
        .isEqualTo(new Decision.RetryAt(NOW.plusSeconds(1), false));
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_LOG, 1, false), failed(status(502, null)), NOW, WELL))
        .isEqualTo(new Decision.RetryAt(NOW.plusSeconds(1), false));
  }

  /** Issue 13 item 3: a check that cannot tell never leads to a second POST. */
  @Test
  void checkThatCannotTellDeadLettersAsOutcomeUnknown() {
    Decision decision =
        policy.decide(
            entry(Endpoint.UPDATE_SIMULATION_RESULT, 2, true),
            new Outcome.Unknown("c-1", 1, 2, "no tool calls"),
            NOW,
            WELL);

    assertThat(decision).isEqualTo(new Decision.DeadLetter(Cause.OUTCOME_UNKNOWN, null));
    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("outcome-unknown");
  }

  /**
   * Issue 13 item 4: while delivery is held for an outage, 5xx, 429 and timeouts spend no attempt,
   * not even the last one, and a POST whose outcome is unknown is still checked first.
   */
  @Test
  void failuresWhileHeldSpendNoAttempt() {
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false),
                failed(status(503, null)),
                NOW,
                HELD))
        .isEqualTo(new Decision.Hold("HTTP 503", false));
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_SIMULATION_RESULT, MAX_ATTEMPTS, false),
                failed(readTimeout()),
                NOW,
                HELD))
        .isEqualTo(new Decision.Hold("I/O error: timeout", true));
    RejectedException invalid = rejected(422);
    assertThat(policy.decide(entry(Endpoint.UPDATE_LOG, 1, false), failed(invalid), NOW, HELD))
        .as("a refusal is the call's own")
        .isEqualTo(new Decision.DeadLetter(Cause.REFUSED, invalid));
  }

  /**
   * Issue 13 item 4: a call's last attempt dead-letters it as {@code attempts-exhausted} only when
   * another call got an answer since its first attempt; alone (or with every call failing) it is
   * held instead, spending nothing, as an outage would be. The attempts before the last are spent
   * as always, and a refusal is the call's own either way.
   */
  @Test
  void lastAttemptWithNoOtherCallAnsweredHoldsInsteadOfDeadLettering() {
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false),
                failed(status(503, null)),
                NOW,
                ALONE))
        .isEqualTo(new Decision.Hold("HTTP 503", false));
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_SIMULATION_RESULT, MAX_ATTEMPTS, false),
                failed(readTimeout()),
                NOW,
                ALONE))
        .as("a POST whose outcome is unknown is still checked first")
        .isEqualTo(new Decision.Hold("I/O error: timeout", true));
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS - 1, false),
                failed(status(503, null)),
                NOW,
                ALONE))
        .as("before the last attempt: spent as always")
        .isEqualTo(new Decision.RetryAt(NOW.plusSeconds(8), false));
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false),
                failed(status(503, null)),
                NOW,
                WELL))
        .as("others answered: the failures are the call's own")
        .isEqualTo(new Decision.DeadLetter(Cause.ATTEMPTS_EXHAUSTED, null));
    RejectedException invalid = rejected(422);
    assertThat(
            policy.decide(
                entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(invalid), NOW, ALONE))
        .isEqualTo(new Decision.DeadLetter(Cause.REFUSED, invalid));
  }

  @Test
  void probesOneSecondApartDoublingToThirty() {
    assertThat(
            Stream.of(0, 1, 2, 3, 4, 5, 6, 40)
                .map(DeliveryPolicy::probeInterval)
                .map(Duration::toSeconds))
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
  }

  @Test
  void decidingChangesNothingOnTheEntry() {
    OutboxEntry entry = entry(Endpoint.UPDATE_SIMULATION_RESULT, 1, false);
    OutboxEntry before = OutboxEntry.newBuilder(entry).build();

    policy.decide(entry, failed(readTimeout()), NOW, WELL);

    assertThat(entry).isEqualTo(before);
  }
}
