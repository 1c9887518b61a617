package dev.bluejaybridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code BRIDGE_LOG_FORMAT=json} is a setting like any other and switches the logs to JSON lines
 * (issue 12: it used to make {@code run} and {@code check} exit 2). Runs with the production {@code
 * logback.xml}, restoring the tests' configuration afterwards.
 */
class LogFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private PrintStream realStderr;

  @BeforeEach
  void useTheProductionLogConfiguration() throws JoranException {
    configure("/logback.xml");
    realStderr = System.err;
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreTheTestLogConfiguration() throws JoranException {
    System.setErr(realStderr);
    configure("/logback-test.xml");
  }

  private static void configure(String resource) throws JoranException {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    URL url = Objects.requireNonNull(LogFormatTest.class.getResource(resource), resource);
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(url);
  }

  /**
   * Nothing listens on port 1 of the loopback: every check fails, and Kafka's within half a second
   * (its own timeouts, passed through as kafka.* keys).
   */
  private Path unreachableServices() throws IOException {
    return Files.writeString(
        dir.resolve("bridge.properties"),
        String.join(
            "\n",
            "kafka.bootstrap.servers=127.0.0.1:1",
            "kafka.default.api.timeout.ms=500",
            "kafka.request.timeout.ms=400",
            "schema.registry.url=http://127.0.0.1:1",
            "bluejay.base-url=http://127.0.0.1:1",
            "bluejay.api-key=bj-test-key"));
  }

  private int check(Map<String, String> env, String... more) throws IOException {
    String[] args =
        java.util.stream.Stream.concat(
                java.util.stream.Stream.of("check", "--config", unreachableServices().toString()),
                java.util.stream.Stream.of(more))
            .toArray(String[]::new);
    return Main.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  /** The logs go to stderr, so that stdout holds the commands' own output only. */
  private List<String> logLines() {
    return stderr.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
  }

  @Test
  void bridgeLogFormatJsonIsAcceptedAndWritesJsonLines() throws IOException {
    int exit = check(Map.of("BRIDGE_LOG_FORMAT", "json"));

    assertThat(exit).as(err.toString()).isNotEqualTo(2);
    assertThat(err.toString()).doesNotContain("BRIDGE_LOG_FORMAT");
    assertThat(logLines())
        .isNotEmpty()
        .allSatisfy(line -> assertThat(JSON.readTree(line).isObject()).as(line).isTrue())
        .anySatisfy(
            line -> {
              JsonNode event = JSON.readTree(line);
              assertThat(event.path("loggerName").asText()).isEqualTo(Main.class.getName());
              assertThat(event.path("formattedMessage").asText())
                  .startsWith("configuration loaded file=")
                  .endsWith("log_format=json");
            });
  }

  @Test
  void withoutItTheLinesAreText() throws IOException {
    check(Map.of());

    assertThat(logLines())
        .anySatisfy(line -> assertThat(line).contains("configuration loaded").doesNotStartWith("{"))
        .noneSatisfy(line -> assertThat(line).startsWith("{"));
  }

  @Test
  void theFlagWinsOverTheEnvironment() throws IOException {
    check(Map.of("BRIDGE_LOG_FORMAT", "json"), "--log-format", "text");

    assertThat(logLines())
        .anySatisfy(line -> assertThat(line).contains("log_format=text"))
        .noneSatisfy(line -> assertThat(line).startsWith("{"));
  }

  @Test
  void aLogFormatThatIsNeitherIsAConfigurationError() throws IOException {
    assertThat(check(Map.of("BRIDGE_LOG_FORMAT", "xml"))).isEqualTo(2);
    assertThat(err.toString())
        .contains("log.format (from BRIDGE_LOG_FORMAT): 'xml' is not one of text, json");
  }

  /** Issue 17 item 5: a value from the input cannot forge a text log line. */
  @Test
  void aNewlineInAValueStaysInItsOneEscapedLineOfText() {
    LogFormatFilter.select("text");
    String callId = "call-9\n2026-12-02T10:00:00.000Z ERROR [main] forged\r\u0007";

    LoggerFactory.getLogger("dev.bluejaybridge.delivery.OutboxProcessor")
        .info("delivered call_id={} endpoint=update-log", callId);

    List<String> lines =
        logLines().stream().filter(line -> line.contains("delivered call_id=")).toList();
    assertThat(logLines())
        .as("no line of its own for the forged entry")
        .noneSatisfy(line -> assertThat(line).startsWith("2026-12-02T10:00:00.000Z"));
    assertThat(lines)
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .endsWith(
                        "delivered call_id=call-9\\n2026-12-02T10:00:00.000Z ERROR [main]"
                            + " forged\\r\\u0007 endpoint=update-log"));
  }

  @Test
  void theSameValueIsOneJsonFieldInJson() throws IOException {
    LogFormatFilter.select("json");
    LoggerFactory.getLogger("dev.bluejaybridge.delivery.OutboxProcessor")
        .info("delivered call_id={}", "call-9\nforged");

    assertThat(logLines())
        .singleElement()
        .satisfies(
            line ->
                assertThat(JSON.readTree(line).path("formattedMessage").asText())
                    .isEqualTo("delivered call_id=call-9\nforged"));
  }
}
