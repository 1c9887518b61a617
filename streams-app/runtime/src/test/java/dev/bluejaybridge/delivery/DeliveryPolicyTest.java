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
    assertThat(policy.decide(entry, outcome, NOW)).isEqualTo(expected);
  }

  @Test
  void notFoundIsDeadLetteredAfterThreeAttempts() {
    RejectedException notFound = rejected(404);

    Decision decision =
        policy.decide(
            entry(Endpoint.UPDATE_LOG, DeliveryPolicy.NOT_FOUND_ATTEMPTS, false),
            failed(notFound),
            NOW);

    assertThat(decision).isEqualTo(new Decision.DeadLetter(Cause.REFUSED, notFound));
    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("http-404");
  }

  @Test
  void unprocessableIsDeadLetteredAtOnceWithItsStatus() {
    RejectedException invalid = rejected(422);

    Decision decision = policy.decide(entry(Endpoint.UPDATE_LOG, 1, false), failed(invalid), NOW);

    assertThat(decision).isEqualTo(new Decision.DeadLetter(Cause.REFUSED, invalid));
    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("http-422");
  }

  @Test
  void exhaustedAttemptsHaveTheirReason() {
    Decision decision =
        policy.decide(
            entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(status(500, null)), NOW);

    assertThat(((Decision.DeadLetter) decision).reason()).isEqualTo("attempts-exhausted");
  }

  @Test
  void connectFailureHoldsEvenOnTheLastAttempt() {
    Decision decision =
        policy.decide(entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(refused()), NOW);

    assertThat(decision).isEqualTo(new Decision.Hold("I/O error: connection refused"));
    assertThat(DeliveryPolicy.neverArrived(failed(refused()))).isTrue();
    assertThat(DeliveryPolicy.neverArrived(failed(readTimeout()))).isFalse();
  }

  @Test
  void refusedKeyPausesEvenOnTheLastAttempt() {
    for (int status : new int[] {401, 403}) {
      AuthException refusal = auth(status);

      Decision decision =
          policy.decide(entry(Endpoint.UPDATE_LOG, MAX_ATTEMPTS, false), failed(refusal), NOW);

      assertThat(decision).isEqualTo(new Decision.Pause(refusal));
    }
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

    policy.decide(entry, failed(readTimeout()), NOW);

    assertThat(entry).isEqualTo(before);
  }
}
