package dev.bluejaybridge.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.registry.RegisteredSchema;
import dev.bluejaybridge.registry.SchemaRegistry;
import dev.bluejaybridge.registry.UnknownSchemaException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;

/**
 * A Confluent-compatible schema registry over HTTP on 127.0.0.1, backed by an in-memory registry
 * that the harness's producer registers into ({@link #registry()}), so the ids in the records are
 * the ids this server answers. Serves what the bridge and its serializer call: {@code GET
 * /schemas/ids/{id}}, {@code POST /subjects/{s}/versions}, {@code POST /subjects/{s}} and {@code
 * GET /subjects/{s}/versions/latest}, with Confluent's error bodies ({@code error_code}
 * 40401/40403).
 */
public final class RegistryServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry("harness");
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicLong requests = new AtomicLong();

  private RegistryServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts on a free port of 127.0.0.1. */
  public static RegistryServer start() {
    try {
      HttpServer http = HttpServers.create(new InetSocketAddress("127.0.0.1", 0), 64);
      ExecutorService executor = Executors.newFixedThreadPool(4, Receiver.daemon("registry"));
      RegistryServer registry = new RegistryServer(http, executor);
      http.createContext("/", registry::handle);
      http.setExecutor(executor);
      http.start();
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:<port>}: the app's {@code schema.registry.url}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The registry behind the server: give it to the producer's serializer. */
  public SchemaRegistry registry() {
    return registry;
  }

  /** How many HTTP requests were answered. */
  public long requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      String[] segments = path.substring(1).split("/");
      try {
        if ("GET".equals(method)
            && segments.length == 3
            && segments[0].equals("schemas")
            && segments[1].equals("ids")) {
          int id = Integer.parseInt(segments[2]);
          Schema schema = registry.schemaById(id);
          answer(exchange, 200, JSON.createObjectNode().put("schema", schema.toString()));
        } else if (segments.length >= 2 && segments[0].equals("subjects")) {
          String subject = URLDecoder.decode(segments[1], StandardCharsets.UTF_8);
          if ("GET".equals(method) && segments.length == 4 && segments[3].equals("latest")) {
            answer(exchange, 200, describe(registry.latest(subject)));
          } else if ("POST".equals(method) && segments.length == 3) {
            Schema schema = schemaOf(exchange);
            answer(
                exchange,
                200,
                JSON.createObjectNode().put("id", registry.register(subject, schema)));
          } else if ("POST".equals(method) && segments.length == 2) {
            Schema schema = schemaOf(exchange);
            int id = registry.idOf(subject, schema);
            answer(
                exchange,
                200,
                JSON.createObjectNode()
                    .put("subject", subject)
                    .put("id", id)
                    .put("version", 1)
                    .put("schema", schema.toString()));
          } else {
            error(exchange, 404, 404, "HTTP 404 Not Found");
          }
        } else {
          error(exchange, 404, 404, "HTTP 404 Not Found");
        }
      } catch (UnknownSchemaException e) {
        error(exchange, 404, path.startsWith("/subjects/") ? 40401 : 40403, e.getMessage());
      } catch (NumberFormatException e) {
        error(exchange, 404, 40403, "Schema not found");
      } catch (RuntimeException e) {
        error(exchange, 500, 50001, e.toString());
      }
    }
  }

  private static ObjectNode describe(RegisteredSchema schema) {
    return JSON.createObjectNode()
        .put("subject", schema.subject())
        .put("id", schema.id())
        .put("version", schema.version())
        .put("schema", schema.schema().toString());
  }

  private static Schema schemaOf(HttpExchange exchange) throws IOException {
    JsonNode body = JSON.readTree(exchange.getRequestBody());
    return new Schema.Parser().parse(body.path("schema").asText());
  }

  private static void error(HttpExchange exchange, int status, int code, String message)
      throws IOException {
    answer(
        exchange, status, JSON.createObjectNode().put("error_code", code).put("message", message));
  }

  private static void answer(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
