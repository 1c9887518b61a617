package dev.bluejaybridge.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.config.BridgeConfig;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.io.IoCallback;
import io.undertow.io.Receiver;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.ServerConnection;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.Options;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

/**
 * The webhook receiver's own HTTP server, apart from the admin server ({@code ops.AdminServer}):
 * its own port, address, threads and limits, so that nothing a webhook client does reaches the
 * health probes or the metrics.
 *
 * <p>Why Undertow and not the JDK's {@code HttpServer} (which the admin server uses): the JDK
 * server reads a request's headers and body on its executor's threads, blocking, so every client
 * that trickles bytes holds a thread; its only bounds ({@code sun.net.httpserver.maxReqTime},
 * {@code idleInterval}, ...) are system properties read once per JVM, shared by every server of the
 * process and off by default. Undertow reads without blocking on its IO threads (a slow client
 * holds no thread at all) and takes its timeouts and limits per server:
 *
 * <ul>
 *   <li>the request line and headers must arrive within {@link Settings#headerTimeout} ({@code
 *       REQUEST_PARSE_TIMEOUT}), at most 16 KiB of them;
 *   <li>the body must arrive within {@link Settings#bodyTimeout} of the headers, else the
 *       connection is closed unanswered;
 *   <li>a connection idle for {@link Settings#idleTimeout} is closed ({@code IDLE_TIMEOUT}, {@code
 *       NO_REQUEST_TIMEOUT}); at most {@link Settings#maxConnections} are open (more wait to be
 *       accepted);
 *   <li>a body over {@link Settings#maxBodyBytes} is answered 413 unread when its {@code
 *       Content-Length} says so, else (chunked) as soon as it grows past the limit, and the
 *       connection is closed;
 *   <li>only a complete body reaches {@link WebhookReceiver}, on a bounded pool of {@link
 *       Settings#workers} threads with a queue of {@link Settings#queue}: when it is full, 503
 *       (Bluejay retries).
 * </ul>
 */
public final class WebhookServer implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(WebhookServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_HEADER_BYTES = 16 * 1024;

  /** How long a connection stays open after a 413, unread, for the client to read the answer. */
  private static final Duration LINGER_AFTER_413 = Duration.ofSeconds(2);

  /**
   * Where and how the server listens.
   *
   * @param bindAddress a host name or IP literal ({@code 0.0.0.0}: every IPv4 interface)
   * @param port 0: any free port
   * @param maxBodyBytes the largest body taken
   * @param headerTimeout the time a request line and headers may take to arrive
   * @param bodyTimeout the time a body may take to arrive, after the headers
   * @param idleTimeout a connection without traffic is closed after it
   * @param workers the threads that verify and store complete bodies
   * @param queue complete bodies waiting for a worker; more are answered 503
   * @param maxConnections open connections at most; more wait to be accepted
   */
  public record Settings(
      String bindAddress,
      int port,
      int maxBodyBytes,
      Duration headerTimeout,
      Duration bodyTimeout,
      Duration idleTimeout,
      int workers,
      int queue,
      int maxConnections) {

    /** The configured address, port and body limit, with the fixed timeouts and pool sizes. */
    public static Settings of(BridgeConfig.Webhooks webhooks) {
      return new Settings(
          webhooks.bindAddress(),
          webhooks.port(),
          Math.toIntExact(webhooks.maxBodyBytes()),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          4,
          64,
          1_000);
    }

    /** The same with other timeouts (tests). */
    public Settings withTimeouts(Duration header, Duration body, Duration idle) {
      return new Settings(
          bindAddress, port, maxBodyBytes, header, body, idle, workers, queue, maxConnections);
    }
  }

  private final Undertow server;
  private final ThreadPoolExecutor workers;
  private final Settings settings;

  private WebhookServer(Undertow server, ThreadPoolExecutor workers, Settings settings) {
    this.server = server;
    this.workers = workers;
    this.settings = settings;
  }

  /**
   * Starts listening.
   *
   * @throws IllegalStateException naming the address when it cannot listen there
   */
  public static WebhookServer start(Settings settings, WebhookReceiver receiver) {
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor workers =
        new ThreadPoolExecutor(
            settings.workers(),
            settings.workers(),
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(settings.queue()),
            runnable -> {
              Thread thread = new Thread(runnable, "webhook-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    Handler handler = new Handler(settings, receiver, workers);
    Undertow server =
        Undertow.builder()
            .addHttpListener(settings.port(), settings.bindAddress())
            .setHandler(handler::handle)
            .setIoThreads(2)
            .setWorkerThreads(1)
            .setServerOption(
                UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(settings.headerTimeout()))
            .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, millis(settings.idleTimeout()))
            .setServerOption(UndertowOptions.IDLE_TIMEOUT, millis(settings.idleTimeout()))
            .setServerOption(UndertowOptions.MAX_HEADER_SIZE, MAX_HEADER_BYTES)
            .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
            .setSocketOption(Options.CONNECTION_HIGH_WATER, settings.maxConnections())
            .setSocketOption(Options.CONNECTION_LOW_WATER, settings.maxConnections())
            .build();
    try {
      server.start();
    } catch (RuntimeException e) {
      workers.shutdownNow();
      throw new IllegalStateException(
          "cannot start the webhook receiver on "
              + settings.bindAddress()
              + ":"
              + settings.port()
              + " (webhooks.bind-address, webhooks.port): "
              + e.getMessage(),
          e);
    }
    WebhookServer started = new WebhookServer(server, workers, settings);
    LOGGER.info(
        "webhook receiver listening address={} port={} path={}",
        settings.bindAddress(),
        started.port(),
        WebhookReceiver.PATH);
    return started;
  }

  private static int millis(Duration duration) {
    return Math.toIntExact(duration.toMillis());
  }

  /** The port it listens on (the configured one, or the one picked for 0). */
  public int port() {
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  public Settings settings() {
    return settings;
  }

  @Override
  public void close() {
    server.stop();
    workers.shutdownNow();
  }

  /** Runs on Undertow's IO threads: never blocks. */
  private static final class Handler {
    private final Settings settings;
    private final WebhookReceiver receiver;
    private final ThreadPoolExecutor workers;

    Handler(Settings settings, WebhookReceiver receiver, ThreadPoolExecutor workers) {
      this.settings = settings;
      this.receiver = receiver;
      this.workers = workers;
    }

    void handle(HttpServerExchange exchange) {
      if (!exchange.getRequestPath().equals(WebhookReceiver.PATH)) {
        answer(exchange, 404, "not found");
        return;
      }
      if (!exchange.getRequestMethod().equals(Methods.POST)) {
        exchange.getResponseHeaders().put(Headers.ALLOW, "POST");
        answer(exchange, 405, "only POST");
        return;
      }
      if (exchange.getRequestContentLength() > settings.maxBodyBytes()) {
        tooLarge(exchange);
        return;
      }
      XnioExecutor.Key deadline =
          exchange
              .getIoThread()
              .executeAfter(
                  () -> tooSlow(exchange),
                  settings.bodyTimeout().toMillis(),
                  TimeUnit.MILLISECONDS);
      Receiver body = exchange.getRequestReceiver();
      body.setMaxBufferSize(settings.maxBodyBytes());
      body.receiveFullBytes(
          (complete, bytes) -> {
            deadline.remove();
            complete.dispatch(guarded(complete), () -> verifyAndStore(complete, bytes));
          },
          (failed, e) -> {
            deadline.remove();
            if (e instanceof Receiver.RequestToLargeException
                || e instanceof RequestTooBigException) {
              tooLarge(failed);
            } else {
              LOGGER.debug("webhook body not read: {}", e.toString());
              IoUtils.safeClose(failed.getConnection());
            }
          });
    }

    /** The worker pool, answering 503 itself when the pool is full. */
    private Executor guarded(HttpServerExchange exchange) {
      return task -> {
        try {
          workers.execute(task);
        } catch (RejectedExecutionException e) {
          LOGGER.warn("webhook receiver busy: every worker taken, queue full; answered 503");
          answer(exchange, 503, "busy, retry");
        }
      };
    }

    private void verifyAndStore(HttpServerExchange exchange, byte[] body) {
      WebhookReceiver.Answer result;
      try {
        result = receiver.receive(body, name -> exchange.getRequestHeaders().getFirst(name));
      } catch (RuntimeException e) {
        LOGGER.error("webhook failed", e);
        result = new WebhookReceiver.Answer(500, "internal error");
      }
      answer(exchange, result.status(), result.message());
    }

    private void tooLarge(HttpServerExchange exchange) {
      // The rest of the body is never read. The connection closes a moment after the answer, not
      // at once: closing with unread data resets it, and a reset can reach the client before it
      // read the answer.
      byte[] answer =
          json("body over " + settings.maxBodyBytes() + " bytes").getBytes(StandardCharsets.UTF_8);
      ServerConnection connection = exchange.getConnection();
      XnioIoThread io = exchange.getIoThread();
      exchange.setPersistent(false);
      exchange.setStatusCode(413);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, answer.length);
      exchange.getResponseHeaders().put(Headers.CONNECTION, "close");
      exchange
          .getResponseSender()
          .send(
              ByteBuffer.wrap(answer),
              new IoCallback() {
                @Override
                public void onComplete(HttpServerExchange done, Sender sender) {
                  io.executeAfter(
                      () -> IoUtils.safeClose(connection),
                      LINGER_AFTER_413.toMillis(),
                      TimeUnit.MILLISECONDS);
                }

                @Override
                public void onException(
                    HttpServerExchange failed, Sender sender, java.io.IOException e) {
                  IoUtils.safeClose(connection);
                }
              });
    }

    private void tooSlow(HttpServerExchange exchange) {
      LOGGER.warn(
          "webhook body not received within {}; connection closed from={}",
          settings.bodyTimeout(),
          exchange.getSourceAddress());
      IoUtils.safeClose(exchange.getConnection());
    }
  }

  private static void answer(HttpServerExchange exchange, int status, String message) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(json(message), StandardCharsets.UTF_8);
  }

  private static String json(String message) {
    try {
      return JSON.writeValueAsString(Map.of("message", message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
