package dev.bluejaybridge.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP server on {@code admin.port}: {@code /health/live}, {@code /health/ready} (200
 * only while Kafka Streams is RUNNING), {@code /metrics} (Prometheus text) and {@code /status}
 * (JSON), on two threads of its own. Nothing else: the webhook receiver has a server, a port and
 * threads of its own ({@code webhook.WebhookServer}), so webhook clients never delay the probes.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    // The JDK server writes headers and body apart; with Nagle on, every answer on a kept-alive
    // connection (a Prometheus scrape, a probe) waited ~40 ms for the client's delayed ACK. The JDK
    // reads this once, when its first server is made: this is the app's only JDK server.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts the server on {@code port} (0: any free port) of all interfaces.
   *
   * @param ready true while the app can do its work
   * @param metrics the Prometheus text exposition
   * @param status the {@code /status} document (never holds secrets)
   */
  public static AdminServer start(
      int port,
      BooleanSupplier ready,
      Supplier<String> metrics,
      Supplier<Map<String, Object>> status) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
      ExecutorService executor =
          Executors.newFixedThreadPool(
              2,
              runnable -> {
                Thread thread = new Thread(runnable, "admin-http");
                thread.setDaemon(true);
                return thread;
              });
      server.setExecutor(executor);
      server.createContext(
          "/health/live", exchange -> respond(exchange, 200, "text/plain", "ok\n"));
      server.createContext(
          "/health/ready",
          exchange -> {
            boolean isReady = ready.getAsBoolean();
            respond(
                exchange, isReady ? 200 : 503, "text/plain", isReady ? "ready\n" : "not ready\n");
          });
      server.createContext(
          "/metrics",
          exchange ->
              respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
      server.createContext(
          "/status", exchange -> respond(exchange, 200, "application/json", json(status.get())));
      server.start();
      LOGGER.info("admin server listening port={}", server.getAddress().getPort());
      return new AdminServer(server, executor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the admin server on port " + port, e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static String json(Map<String, Object> document) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write status", e);
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")
          && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (RuntimeException e) {
      LOGGER.error("admin request failed path={}", exchange.getRequestURI().getPath(), e);
      throw e;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
