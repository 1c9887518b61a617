package dev.bluejaybridge.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import org.apache.avro.Schema;
import org.slf4j.LoggerFactory;

/** WireMock stubs of Confluent Schema Registry answers, for the REST client tests. */
final class WireMockSupport {

  static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  static {
    // Jetty logs every selector wake-up at DEBUG; without a logback-test.xml that is the default.
    for (String noisy : new String[] {"org.eclipse.jetty", "wiremock", "com.github.tomakehurst"}) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(noisy)).setLevel(Level.WARN);
    }
  }

  private WireMockSupport() {}

  static WireMockExtension server() {
    return WireMockExtension.newInstance()
        .options(
            wireMockConfig().dynamicPort().jettyAcceptors(1).notifier(new ConsoleNotifier(false)))
        .build();
  }

  /** A URL on which nothing listens: connecting is refused at once. */
  static String closedPortUrl() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return "http://127.0.0.1:" + socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ResponseDefinitionBuilder json(int status, Object body) {
    try {
      return aResponse()
          .withStatus(status)
          .withHeader("Content-Type", CONTENT_TYPE)
          .withBody(new ObjectMapper().writeValueAsString(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ResponseDefinitionBuilder schemaJson(Schema schema) {
    return json(200, Map.of("schema", schema.toString()));
  }

  static ResponseDefinitionBuilder error(int status, int errorCode, String message) {
    return json(status, Map.of("error_code", errorCode, "message", message));
  }

  static String schemaBody(Schema schema) {
    try {
      return new ObjectMapper().writeValueAsString(Map.of("schema", schema.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
