package dev.bluejaybridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.bluejaybridge.testkit.LogCapture;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code check} when Kafka, the registry and Bluejay cannot be reached: it fails within 15 s with
 * exit code 1 and one line per service naming what it could not reach, and nothing else (no client
 * warnings).
 */
class CheckCommandTest {
  /** What issue 12 asks of the whole command. */
  private static final Duration BOUND = Duration.ofSeconds(15);

  private static final String KEY = "bj-check-key-7331";
  @TempDir Path dir;

  private record Outcome(
      int exitCode, List<String> out, String err, List<String> logs, Duration took) {}

  /** A local port with nothing listening on it: connections are refused at once. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private Outcome check(String kafka, String registry, String bluejay) throws IOException {
    Path file = dir.resolve("bridge.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "kafka.bootstrap.servers=" + kafka,
            "schema.registry.url=" + registry,
            "bluejay.base-url=" + bluejay,
            "bluejay.api-key=" + KEY));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    try (LogCapture logs = LogCapture.start()) {
      long start = System.nanoTime();
      int exit =
          Main.execute(
              new PrintWriter(out, true),
              new PrintWriter(err, true),
              "check",
              "--config",
              file.toString());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      return new Outcome(exit, out.toString().lines().toList(), err.toString(), logs.lines(), took);
    }
  }

  private static List<String> warnings(Outcome outcome) {
    return outcome.logs().stream()
        .filter(line -> line.startsWith("WARN") || line.startsWith("ERROR"))
        .toList();
  }

  @Test
  void refusedConnectionsFailFastWithOneLinePerServiceAndNoClientWarnings() throws IOException {
    int kafka = closedPort();
    int registry = closedPort();
    int bluejay = closedPort();

    Outcome outcome =
        check("127.0.0.1:" + kafka, "http://127.0.0.1:" + registry, "http://127.0.0.1:" + bluejay);

    String shown = String.join("\n", outcome.out()) + "\n--- err\n" + outcome.err();
    assertThat(outcome.exitCode()).as(shown).isEqualTo(Main.RUNTIME_FAILURE);
    assertThat(outcome.took()).as(shown).isLessThan(BOUND);
    assertThat(outcome.out())
        .as(shown)
        .containsExactly(
            "configuration: OK",
            "kafka: FAILED (cannot reach kafka.bootstrap.servers=127.0.0.1:"
                + kafka
                + ": no broker answered within "
                + CheckCommand.SERVICE_TIMEOUT.toSeconds()
                + "s)",
            outcome.out().get(2),
            outcome.out().get(3));
    assertThat(outcome.out().get(2))
        .startsWith(
            "schema registry: FAILED (cannot reach schema.registry.url=http://127.0.0.1:"
                + registry
                + ": ")
        .contains("ConnectException");
    assertThat(outcome.out().get(3))
        .startsWith(
            "bluejay: FAILED (cannot reach bluejay.base-url=http://127.0.0.1:" + bluejay + ": ")
        .contains("ConnectException");
    assertThat(outcome.err()).isBlank();
    assertThat(warnings(outcome)).as("warnings logged during the check").isEmpty();
    assertThat(String.join("\n", outcome.out()) + outcome.logs()).doesNotContain(KEY);
  }

  @Test
  void servicesThatAcceptButNeverAnswerAreReportedWithinTheBound() throws IOException {
    // listening sockets that are never accepted from: the kernel completes the TCP handshake,
    // then nothing ever answers (a hung broker, a registry behind a stuck proxy). Three registry
    // URLs, tried one after the other, would take 3 x 5 s: the deadline cuts that short.
    try (ServerSocket kafka = silentSocket();
        ServerSocket registryA = silentSocket();
        ServerSocket registryB = silentSocket();
        ServerSocket registryC = silentSocket();
        ServerSocket bluejay = silentSocket()) {
      String registries =
          String.join(
              ",",
              "http://127.0.0.1:" + registryA.getLocalPort(),
              "http://127.0.0.1:" + registryB.getLocalPort(),
              "http://127.0.0.1:" + registryC.getLocalPort());

      Outcome outcome =
          check(
              "127.0.0.1:" + kafka.getLocalPort(),
              registries,
              "http://127.0.0.1:" + bluejay.getLocalPort());

      String shown = String.join("\n", outcome.out()) + "\n--- err\n" + outcome.err();
      assertThat(outcome.exitCode()).as(shown).isEqualTo(Main.RUNTIME_FAILURE);
      assertThat(outcome.took()).as(shown).isLessThan(BOUND);
      assertThat(outcome.out())
          .as(shown)
          .containsExactly(
              "configuration: OK",
              "kafka: FAILED (cannot reach kafka.bootstrap.servers=127.0.0.1:"
                  + kafka.getLocalPort()
                  + ": no broker answered within "
                  + CheckCommand.SERVICE_TIMEOUT.toSeconds()
                  + "s)",
              "schema registry: FAILED (no answer from schema.registry.url="
                  + registries
                  + " within "
                  + CheckCommand.DEADLINE.toSeconds()
                  + "s)",
              outcome.out().get(3));
      assertThat(outcome.out().get(3))
          .startsWith(
              "bluejay: FAILED (cannot reach bluejay.base-url=http://127.0.0.1:"
                  + bluejay.getLocalPort())
          .contains("timed out");
      assertThat(warnings(outcome)).as("warnings logged during the check").isEmpty();
    }
  }

  private static ServerSocket silentSocket() throws IOException {
    return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @Test
  void theKafkaLogLevelIsRestoredAfterTheCheck() throws IOException {
    Logger kafka = (Logger) LoggerFactory.getLogger("org.apache.kafka");
    Level before = kafka.getLevel();

    check(
        "127.0.0.1:" + closedPort(),
        "http://127.0.0.1:" + closedPort(),
        "http://127.0.0.1:" + closedPort());

    assertThat(kafka.getLevel()).isEqualTo(before);
  }

  @Test
  void aConfigurationErrorExitsTwoWithoutReachingAnything() throws IOException {
    Outcome outcome = check("", "http://127.0.0.1:" + closedPort(), "not a url");

    assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(Main.CONFIG_ERROR);
    assertThat(outcome.out()).doesNotContain("configuration: OK");
  }
}
