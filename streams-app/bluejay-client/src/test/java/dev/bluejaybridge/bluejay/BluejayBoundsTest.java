package dev.bluejaybridge.bluejay;

import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.RETRIEVE_SIMULATION_RESULT;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_LOG;
import static dev.bluejaybridge.testkit.BluejayStandIn.Endpoint.UPDATE_SIMULATION_RESULT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.bluejaybridge.http.Secret;
import dev.bluejaybridge.testkit.BluejayStandIn;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 13 item 5, "time is bounded" on the client's side: whatever a server says in {@code
 * Retry-After} (seconds, an HTTP-date in any of RFC 9110's forms, negative, absurd, overflowing,
 * garbage, several headers) the wait read is between 0 and one day, and reading it never throws; a
 * request ends within its timeout even while the answer's body trickles in; and the body read is
 * capped, an answer over the cap failing with an error that names the limit.
 */
class BluejayBoundsTest {

  static final String KEY = "bj-bounds-key-91c2";
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  static final Duration ONE_DAY = Duration.ofDays(1);
  static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);
  static final int DEFAULT_LIMIT = 8 * 1024 * 1024;

  static BluejayStandIn bluejay;
  static BluejayClient client;

  @BeforeAll
  static void start() {
    bluejay = new BluejayStandIn();
    client = client(bluejay.baseUrl(), Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() {
    client.close();
    bluejay.close();
  }

  @AfterEach
  void resetStandIn() {
    bluejay.reset();
  }

  static BluejayClient client(URI baseUrl, Duration timeout) {
    return BluejayClient.create(
        baseUrl, () -> Secret.of(KEY), timeout, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  // ----- Retry-After ---------------------------------------------------------------------------

  /** Issue 13 item 5: each Retry-After form, read from a real 429, as a bounded wait. */
  @ParameterizedTest(name = "Retry-After: {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "none",
      value = {
        "0                                   | PT0S",
        "120                                 | PT2M",
        "000000000000000000000000000030      | PT30S",
        "86400                               | PT24H",
        "86401                               | PT24H",
        "9223372036854775807                 | PT24H",
        "9223372036854775808                 | PT24H",
        "99999999999999999999999999999999999 | PT24H",
        "Mon, 23 Nov 2026 10:01:00 GMT       | PT1M",
        "Monday, 23-Nov-26 10:01:00 GMT      | PT1M",
        "Mon Nov 23 10:01:00 2026            | PT1M",
        "Mon, 23 Nov 2026 09:00:00 GMT       | PT0S",
        "Fri, 31 Dec 9999 23:59:59 GMT       | PT24H",
        "Thu, 01 Jan 1970 00:00:00 GMT       | PT0S",
        "-5                                  | none",
        "-9223372036854775808                | none",
        "1e30                                | none",
        "12.5                                | none",
        "+5                                  | none",
        "0x10                                | none",
        "soon                                | none",
        "Mon, 30 Feb 2026 10:01:00 GMT       | none",
        "Mon, 23 Nov 2026 25:61:00 GMT       | none"
      })
  void readsEveryRetryAfterAsABoundedWait(String header, Duration expected) {
    bluejay.stubRateLimited(UPDATE_LOG, header.strip());

    RetryableException e =
        catchThrowableOfType(RetryableException.class, () -> client.updateLog("c-1", BODY));

    assertThat(e).as("classified, not thrown raw").isNotNull();
    assertThat(e.status()).isEqualTo(429);
    assertThat(e.retryAfter()).isEqualTo(Optional.ofNullable(expected));
  }

  /** Issue 13 item 5: several Retry-After headers (or one list) wait the longest valid one. */
  @Test
  void waitsTheLongestOfSeveralRetryAfterHeaders() {
    bluejay.stub(
        UPDATE_LOG, BluejayStandIn.status(503).withHeader("Retry-After", "5", "soon", "10", "-1"));
    RetryableException several =
        catchThrowableOfType(RetryableException.class, () -> client.updateLog("c-1", BODY));
    bluejay.stub(UPDATE_LOG, BluejayStandIn.status(503).withHeader("Retry-After", "7, 3"));
    RetryableException list =
        catchThrowableOfType(RetryableException.class, () -> client.updateLog("c-1", BODY));
    bluejay.stub(
        UPDATE_LOG,
        BluejayStandIn.status(503)
            .withHeader("Retry-After", "Mon, 23 Nov 2026 10:00:40 GMT", "20"));
    RetryableException dateAndSeconds =
        catchThrowableOfType(RetryableException.class, () -> client.updateLog("c-1", BODY));

    assertThat(several.retryAfter()).contains(Duration.ofSeconds(10));
    assertThat(list.retryAfter()).contains(Duration.ofSeconds(7));
    assertThat(dateAndSeconds.retryAfter()).contains(Duration.ofSeconds(40));
  }

  /** Issue 13 item 5: no value makes the parser throw, however long or odd. */
  @Test
  void neverThrowsOnAHostileRetryAfter() {
    BluejayErrorDecoder decoder =
        new BluejayErrorDecoder(BluejayClient.JSON, Clock.fixed(NOW, ZoneOffset.UTC));
    char[] digits = new char[100_000];
    Arrays.fill(digits, '9');

    assertThat(decoder.retryAfter(new String(digits))).contains(ONE_DAY);
    for (String odd :
        List.of(
            "Mon Nov 23 10:01:00 999999999",
            "Tue Nov 23 10:01:00 999999999",
            "Wed Nov 23 10:01:00 +999999999",
            "Sat, 31 Dec -999 23:59:59 GMT",
            "Mon, 23 Nov 2026 10:01:00 +9999",
            "Monday, 23-Nov-99999 10:01:00 GMT")) {
      assertThat(decoder.retryAfter(odd))
          .as(odd)
          .satisfiesAnyOf(
              wait -> assertThat(wait).isEmpty(),
              wait -> assertThat(wait.get()).isBetween(Duration.ZERO, ONE_DAY));
    }
    assertThat(decoder.retryAfter("\u0000\uFFFF")).isEmpty();
    assertThat(decoder.retryAfter("")).isEmpty();
    assertThat(decoder.retryAfter(",,,")).isEmpty();
  }

  /** The exception keeps its promise whoever builds it: never negative, at most a day. */
  @Test
  void retryableExceptionBoundsTheWaitItCarries() {
    assertThat(retryable(Duration.ofSeconds(-3)).retryAfter()).contains(Duration.ZERO);
    assertThat(retryable(Duration.ofSeconds(Long.MAX_VALUE)).retryAfter()).contains(ONE_DAY);
    assertThat(retryable(Duration.ofMinutes(3)).retryAfter()).contains(Duration.ofMinutes(3));
    assertThat(RetryableException.MAX_RETRY_AFTER).isEqualTo(ONE_DAY);
  }

  private static RetryableException retryable(Duration retryAfter) {
    return new RetryableException(
        "m", 429, "PUT", "/v1/update-log/c", "", Optional.of(retryAfter), false, null);
  }

  // ----- the whole request within its timeout ----------------------------------------------------

  /**
   * Issue 13 item 5: an answer whose body trickles in (a chunk every 250 ms for 6 s) cannot keep a
   * request past its timeout; before, the connect and read timeouts applied per read only.
   */
  @Test
  void endsARequestWhoseBodyTricklesWithinItsTimeout() {
    bluejay.stub(
        UPDATE_LOG,
        WireMock.okJson("{\"message\":\"" + "x".repeat(200) + "\",\"status\":\"200\"}")
            .withChunkedDribbleDelay(24, 6_000));

    try (BluejayClient impatient = client(bluejay.baseUrl(), Duration.ofMillis(700))) {
      long start = System.nanoTime();
      Throwable failure = catchThrowable(() -> impatient.updateLog("c-1", BODY));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(failure).isInstanceOf(RetryableException.class);
      RetryableException e = (RetryableException) failure;
      assertThat(e.status()).isEqualTo(-1);
      assertThat(e.outcomeUnknown()).isTrue();
      assertThat(e.getMessage())
          .startsWith("I/O error PUT /v1/update-log/c-1: ")
          .contains("timed out")
          .contains("700ms");
      assertThat(took).isLessThan(Duration.ofMillis(700 + 2_500));
    }
  }

  /**
   * Issue 13 item 5: at the deadline the exchange is aborted, not left reading in the background:
   * the server sees the connection closed.
   */
  @Test
  void closesTheConnectionOfATricklingAnswerAtTheDeadline() throws Exception {
    try (EndlessServer server = new EndlessServer(200, Long.MAX_VALUE, 16, Duration.ofMillis(50));
        BluejayClient impatient = client(server.baseUrl(), Duration.ofMillis(500))) {
      long start = System.nanoTime();
      Throwable failure = catchThrowable(() -> impatient.retrieveSimulationResult("1"));

      assertThat(failure).isInstanceOf(RetryableException.class).hasMessageContaining("timed out");
      server.awaitDone();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  /** Issue 13 item 5: the same for an error answer and for a look-up. */
  @Test
  void endsTricklingErrorsAndLookUpsWithinTheTimeout() {
    bluejay.stub(
        UPDATE_SIMULATION_RESULT,
        WireMock.aResponse()
            .withStatus(503)
            .withBody("{\"detail\":\"" + "y".repeat(200) + "\"}")
            .withChunkedDribbleDelay(24, 6_000));
    bluejay.stub(
        RETRIEVE_SIMULATION_RESULT,
        WireMock.okJson("{\"simulation_result\":{\"status\":\"" + "z".repeat(200) + "\"}}")
            .withChunkedDribbleDelay(24, 6_000));

    try (BluejayClient impatient = client(bluejay.baseUrl(), Duration.ofMillis(700))) {
      long start = System.nanoTime();
      Throwable post =
          catchThrowable(
              () ->
                  impatient.updateSimulationResult("{\"simulation_result_id\":\"1\"}".getBytes()));
      Throwable get = catchThrowable(() -> impatient.retrieveSimulationResult("1"));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(post).isInstanceOf(RetryableException.class).hasMessageContaining("timed out");
      assertThat(((RetryableException) post).outcomeUnknown()).isTrue();
      assertThat(get).isInstanceOf(RetryableException.class).hasMessageContaining("timed out");
      assertThat(took).isLessThan(Duration.ofMillis(2 * 700 + 3_000));
    }
  }

  // ----- the body read is capped -----------------------------------------------------------------

  /**
   * Issue 13 item 5: a 2xx body over the default cap (8 MiB) is not read whole; the error names the
   * limit.
   */
  @Test
  void refusesAnAnswerOverTheDefaultCapNamingIt() {
    String padding = "p".repeat(DEFAULT_LIMIT + 1024);
    bluejay.stub(
        RETRIEVE_SIMULATION_RESULT,
        WireMock.okJson(
            "{\"simulation_result\":{\"status\":\"COMPLETED\",\"note\":\"" + padding + "\"}}"));

    Throwable failure = catchThrowable(() -> client.retrieveSimulationResult("1"));

    assertThat(failure).isInstanceOf(RetryableException.class);
    RetryableException e = (RetryableException) failure;
    assertThat(e.status()).isEqualTo(200);
    assertThat(e.answerTooLarge()).isTrue();
    assertThat(e.getMessage())
        .startsWith("HTTP 200 GET /v1/retrieve-simulation-result/1: ")
        .contains(String.valueOf(DEFAULT_LIMIT))
        .contains("delivery.max-response-bytes")
        .hasSizeLessThan(500);
  }

  /**
   * Issue 13 item 5: an endless chunked 2xx body (here 64 MiB, then the server gives up) is cut at
   * the cap: the client closes the connection long before the end.
   */
  @Test
  void cutsAnEndlessChunkedBodyAtTheCap() throws Exception {
    try (EndlessServer server = new EndlessServer(200, 64L * 1024 * 1024);
        BluejayClient endless = client(server.baseUrl(), Duration.ofSeconds(20))) {
      Throwable failure = catchThrowable(() -> endless.retrieveSimulationResult("1"));

      assertThat(failure)
          .isInstanceOf(RetryableException.class)
          .hasMessageContaining(String.valueOf(DEFAULT_LIMIT));
      assertThat(((RetryableException) failure).answerTooLarge()).isTrue();
      server.awaitDone();
      assertThat(server.written()).isLessThan(40L * 1024 * 1024);
    }
  }

  /** An endless error body is still classified by its status, its text truncated. */
  @Test
  void classifiesAnEndlessErrorBodyByItsStatus() throws Exception {
    try (EndlessServer server = new EndlessServer(503, 64L * 1024 * 1024);
        BluejayClient endless = client(server.baseUrl(), Duration.ofSeconds(20))) {
      RetryableException e =
          catchThrowableOfType(RetryableException.class, () -> endless.updateLog("c-1", BODY));

      assertThat(e.status()).isEqualTo(503);
      assertThat(e.answerTooLarge()).isFalse();
      assertThat(e.responseBody()).endsWith("...(truncated)");
      server.awaitDone();
      assertThat(server.written()).isLessThan(40L * 1024 * 1024);
    }
  }

  /** The cap is the client's setting: at it, the answer is read; one byte over, refused. */
  @Test
  void readsUpToAConfiguredCapAndRefusesOneByteMore() {
    int limit = 64 * 1024;
    String atLimit = "{\"message\":\"" + "a".repeat(limit - 14) + "\"}";
    assertThat(atLimit.length()).isEqualTo(limit);
    try (BluejayClient capped =
        BluejayClient.create(
            bluejay.baseUrl(),
            () -> Secret.of(KEY),
            Duration.ofSeconds(5),
            Clock.systemUTC(),
            null,
            null,
            limit)) {
      bluejay.stub(UPDATE_LOG, WireMock.okJson(atLimit));
      assertThat(capped.updateLog("c-1", BODY).body()).isEqualTo(atLimit);

      bluejay.stub(UPDATE_LOG, WireMock.okJson(atLimit + " "));
      RetryableException put =
          catchThrowableOfType(RetryableException.class, () -> capped.updateLog("c-1", BODY));
      bluejay.stub(
          UPDATE_SIMULATION_RESULT, WireMock.okJson(atLimit + " ").withChunkedDribbleDelay(4, 100));
      RetryableException post =
          catchThrowableOfType(
              RetryableException.class,
              () -> capped.updateSimulationResult("{\"simulation_result_id\":\"1\"}".getBytes()));

      assertThat(put)
          .hasMessage(
              "HTTP 200 PUT /v1/update-log/c-1: answer over the limit of 65536 bytes"
                  + " (delivery.max-response-bytes); not read");
      // Bluejay answered 2xx: it took the request; only the answer is unreadable.
      assertThat(put.answerTooLarge()).isTrue();
      assertThat(put.outcomeUnknown()).isTrue();
      assertThat(post.status()).isEqualTo(200);
      assertThat(post.answerTooLarge()).isTrue();
      assertThat(post.outcomeUnknown()).isTrue();
    }
  }

  /**
   * A server that answers every request with {@code status} and a chunked body of up to {@code
   * total} bytes, written as fast as the client reads; it stops early when the client closes.
   */
  static final class EndlessServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread thread;
    private final AtomicLong written = new AtomicLong();
    private final java.util.concurrent.CountDownLatch done =
        new java.util.concurrent.CountDownLatch(1);

    EndlessServer(int status, long total) throws IOException {
      this(status, total, 64 * 1024, Duration.ZERO);
    }

    /** Chunks of {@code chunkBytes}, {@code pause} apart. */
    EndlessServer(int status, long total, int chunkBytes, Duration pause) throws IOException {
      socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                try (Socket client = socket.accept()) {
                  readHead(client.getInputStream());
                  OutputStream out = client.getOutputStream();
                  out.write(
                      ("HTTP/1.1 "
                              + status
                              + " X\r\nContent-Type: application/json\r\n"
                              + "Transfer-Encoding: chunked\r\n\r\n")
                          .getBytes(StandardCharsets.US_ASCII));
                  byte[] chunk = new byte[chunkBytes];
                  Arrays.fill(chunk, (byte) 'e');
                  byte[] head =
                      (Integer.toHexString(chunk.length) + "\r\n")
                          .getBytes(StandardCharsets.US_ASCII);
                  while (written.get() < total) {
                    out.write(head);
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    written.addAndGet(chunk.length);
                    if (!pause.isZero()) {
                      java.util.concurrent.locks.LockSupport.parkNanos(pause.toNanos());
                    }
                  }
                  out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                } catch (IOException closedByTheClient) {
                  // what a cut looks like from here
                } finally {
                  done.countDown();
                }
              },
              "endless-server");
      thread.setDaemon(true);
      thread.start();
    }

    URI baseUrl() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    long written() {
      return written.get();
    }

    void awaitDone() throws InterruptedException {
      assertThat(done.await(30, java.util.concurrent.TimeUnit.SECONDS))
          .as("the server stopped writing")
          .isTrue();
    }

    private static void readHead(InputStream in) throws IOException {
      int matched = 0;
      byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      while (matched < end.length) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed before the request's head ended");
        }
        matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
      }
      // A PUT's body ({} here) is left unread: the answer does not wait for it.
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
