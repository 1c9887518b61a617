package dev.bluejaybridge.http;

import feign.Client;
import feign.Request;
import feign.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Feign {@link Client} on {@link HttpClient} that bounds each request in time and in memory.
 *
 * <ul>
 *   <li>Time: one deadline covers the whole exchange, connecting, sending, the answer's head and
 *       reading its whole body. Timeouts per read, as Feign's {@link Request.Options} give, let a
 *       server that trickles a byte a second hold a request forever; here, when the deadline
 *       passes, the exchange is aborted (the connection closed) and an {@link HttpTimeoutException}
 *       says so. A connect timeout stays an {@link HttpConnectTimeoutException}: the request was
 *       not sent.
 *   <li>Memory: a 2xx body is read up to {@code maxBodyBytes}; a longer one (by its {@code
 *       Content-Length}, or as it arrives, e.g. an endless chunked body) fails with a {@link
 *       ResponseTooLargeException} and the connection is closed. The body of any other status is
 *       read up to {@code maxErrorBodyBytes} and cut there without failing: an error is classified
 *       by its status, its text is only shown.
 * </ul>
 *
 * <p>The {@code Options} Feign passes are ignored: the deadline and limits are this client's.
 * Answers are never decompressed (no {@code Accept-Encoding} is sent), so the limit is on what
 * arrives. Thread-safe; requests wait on the calling thread, bodies are read by the {@link
 * HttpClient}'s executor.
 */
public final class BoundedHttpClient implements Client {

  /** Headers {@link HttpRequest} sets itself and refuses from a caller. */
  private static final Set<String> RESTRICTED =
      Set.of("connection", "content-length", "expect", "host", "upgrade");

  private final HttpClient http;
  private final Duration deadline;
  private final long maxBodyBytes;
  private final long maxErrorBodyBytes;

  /**
   * @param http the connection pool; its connect timeout should not exceed {@code deadline}
   * @param deadline how long one request may take, whole answer included
   * @param maxBodyBytes the longest 2xx body read; a longer one is an error
   * @param maxErrorBodyBytes how much of another status' body is read; the rest is dropped
   * @throws IllegalArgumentException if the deadline or a limit is not positive
   */
  public BoundedHttpClient(
      HttpClient http, Duration deadline, long maxBodyBytes, long maxErrorBodyBytes) {
    this.http = Objects.requireNonNull(http, "http");
    this.deadline = Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("the request deadline must be positive: " + deadline);
    }
    if (maxBodyBytes < 1 || maxErrorBodyBytes < 1) {
      throw new IllegalArgumentException(
          "body limits must be positive: " + maxBodyBytes + ", " + maxErrorBodyBytes);
    }
    this.maxBodyBytes = maxBodyBytes;
    this.maxErrorBodyBytes = maxErrorBodyBytes;
  }

  @Override
  public Response execute(Request request, Request.Options ignored) throws IOException {
    HttpRequest httpRequest = httpRequest(request);
    AtomicReference<CappedBody> reading = new AtomicReference<>();
    CompletableFuture<HttpResponse<byte[]>> exchange =
        http.sendAsync(
            httpRequest,
            info -> {
              CappedBody body = new CappedBody(info, maxBodyBytes, maxErrorBodyBytes);
              reading.set(body);
              return body;
            });
    try {
      return response(request, exchange.get(deadline.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException late) {
      abort(exchange, reading);
      throw timedOut();
    } catch (InterruptedException e) {
      abort(exchange, reading);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the answer");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof HttpTimeoutException
          && !(cause instanceof HttpConnectTimeoutException)) {
        throw timedOut(); // the HttpClient's own timer (the answer's head) ran out first
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(cause == null ? "the exchange failed" : cause.toString(), cause);
    }
  }

  private HttpTimeoutException timedOut() {
    return new HttpTimeoutException(
        "request timed out: no whole answer within " + format(deadline));
  }

  private static void abort(
      CompletableFuture<HttpResponse<byte[]>> exchange, AtomicReference<CappedBody> reading) {
    CappedBody body = reading.get();
    if (body != null) {
      body.abort(); // cancels the body's subscription: the connection is closed, not reused
    }
    exchange.cancel(true); // before the answer's head: the HttpClient aborts the exchange
  }

  private HttpRequest httpRequest(Request request) {
    byte[] body = request.body();
    HttpRequest.BodyPublisher publisher =
        body == null || body.length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body);
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(request.url()))
            .method(request.httpMethod().name(), publisher)
            // Also the HttpClient's own timer until the answer's head, which aborts at once.
            .timeout(deadline);
    for (Map.Entry<String, Collection<String>> header : request.headers().entrySet()) {
      if (RESTRICTED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        continue;
      }
      for (String value : header.getValue()) {
        builder.header(header.getKey(), value);
      }
    }
    return builder.build();
  }

  private static Response response(Request request, HttpResponse<byte[]> answer) {
    Map<String, Collection<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    answer
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!name.startsWith(":")) { // HTTP/2 pseudo-headers
                headers.put(name, List.copyOf(values));
              }
            });
    return Response.builder()
        .status(answer.statusCode())
        .request(request)
        .headers(headers)
        .body(answer.body())
        .build();
  }

  /** {@code 10s}, {@code 700ms}: as the configuration writes durations. */
  static String format(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  /**
   * Collects a body up to a limit. Over it, a 2xx body fails ({@link ResponseTooLargeException})
   * and another is cut; either way the subscription is cancelled, which closes the connection.
   */
  static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final int status;
    private final boolean success;
    private final long limit;
    private final ByteArrayOutputStream buffer;
    private Flow.Subscription subscription;

    CappedBody(HttpResponse.ResponseInfo info, long maxBodyBytes, long maxErrorBodyBytes) {
      this.status = info.statusCode();
      this.success = status >= 200 && status < 300;
      this.limit = success ? maxBodyBytes : maxErrorBodyBytes;
      long announced = contentLength(info.headers());
      this.buffer =
          new ByteArrayOutputStream(
              (int) Math.min(64 * 1024, announced > 0 ? Math.min(announced, limit) : 8192));
      if (success && announced > limit) {
        result.completeExceptionally(new ResponseTooLargeException(status, limit));
      }
    }

    private static long contentLength(HttpHeaders headers) {
      try {
        return headers.firstValueAsLong("Content-Length").orElse(-1);
      } catch (NumberFormatException unreadable) {
        return -1;
      }
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      if (result.isDone()) {
        subscription.cancel();
      } else {
        subscription.request(Long.MAX_VALUE);
      }
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer item : items) {
        long room = limit - buffer.size();
        if (item.remaining() > room) {
          subscription.cancel();
          if (success) {
            result.completeExceptionally(new ResponseTooLargeException(status, limit));
          } else {
            write(item, (int) room);
            result.complete(buffer.toByteArray());
          }
          return;
        }
        write(item, item.remaining());
      }
    }

    private void write(ByteBuffer item, int length) {
      if (item.hasArray()) {
        buffer.write(item.array(), item.arrayOffset() + item.position(), length);
        item.position(item.position() + length);
      } else {
        byte[] bytes = new byte[length];
        item.get(bytes);
        buffer.write(bytes, 0, length);
      }
    }

    @Override
    public synchronized void onError(Throwable error) {
      result.completeExceptionally(error);
    }

    @Override
    public synchronized void onComplete() {
      result.complete(buffer.toByteArray());
    }

    /** Stops reading (the deadline passed): the connection is closed. */
    synchronized void abort() {
      if (subscription != null) {
        subscription.cancel();
      }
      result.completeExceptionally(new HttpTimeoutException("aborted"));
    }
  }
}
