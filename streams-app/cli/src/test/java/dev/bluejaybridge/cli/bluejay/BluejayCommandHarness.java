package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.bluejaybridge.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A WireMock Bluejay for the Bluejay commands, a config file holding only Bluejay settings, and a
 * way to run the jar's command line in-process and read what it printed.
 */
final class BluejayCommandHarness implements AutoCloseable {

  static final String KEY = "bj-admin-key-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();

  final WireMockServer server;

  /** What one command line did. */
  record Run(int exit, String out, String err) {}

  BluejayCommandHarness() {
    server =
        new WireMockServer(
            wireMockConfig()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .jettyAcceptors(1)
                .notifier(new ConsoleNotifier(false)));
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** A config file with the API key and the base URL and nothing else: no Kafka, no registry. */
  Path bluejayOnlyConfig(Path dir) {
    Path file = dir.resolve("bluejay.properties");
    try {
      Files.writeString(file, "bluejay.base-url=" + baseUrl() + "\nbluejay.api-key=" + KEY + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** Runs a command line as {@code java -jar bluejay-bridge.jar ARGS} would. */
  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** Every request received, oldest first. */
  List<LoggedRequest> requests() {
    List<LoggedRequest> requests =
        new ArrayList<>(
            server.findAll(
                com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(
                    com.github.tomakehurst.wiremock.client.WireMock.anyUrl())));
    return Collections.unmodifiableList(requests);
  }

  /** The only request received. */
  LoggedRequest onlyRequest() {
    List<LoggedRequest> requests = requests();
    if (requests.size() != 1) {
      throw new AssertionError("expected one request, got " + requests.size() + ": " + requests);
    }
    return requests.get(0);
  }

  static JsonNode json(LoggedRequest request) {
    return json(request.getBodyAsString());
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  static byte[] body(LoggedRequest request) {
    return request.getBodyAsString().getBytes(StandardCharsets.UTF_8);
  }

  static ResponseDefinitionBuilder jsonAnswer(int status, String body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body);
  }

  static Path write(Path dir, String name, String content) {
    Path file = dir.resolve(name);
    try {
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  void reset() {
    server.resetAll();
  }

  @Override
  public void close() {
    server.stop();
  }
}
