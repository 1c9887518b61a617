package dev.bluejaybridge.cli.bluejay;

import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.bluejaybridge.cli.bluejay.BluejayCommandHarness.jsonAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar as a process, with no config file at all: {@code BLUEJAY_API_KEY} and {@code
 * --base-url} are enough for the Bluejay commands; exit codes reach the shell.
 */
class BluejayCommandsProcessIT {

  @TempDir Path dir;

  record Exited(int code, String out, String err) {}

  private static Exited java(Path dir, String apiKey, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(Path.of("..", "target", "bluejay-bridge.jar").toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("BRIDGE_"));
    builder.environment().remove("BLUEJAY_API_KEY");
    if (apiKey != null) {
      builder.environment().put("BLUEJAY_API_KEY", apiKey);
    }
    builder.redirectOutput(dir.resolve("out.txt").toFile());
    builder.redirectError(dir.resolve("err.txt").toFile());
    Process process = builder.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the process did not exit within 120 s: " + command);
    }
    return new Exited(
        process.exitValue(),
        java.nio.file.Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
        java.nio.file.Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
  }

  @Test
  void anApiKeyInTheEnvironmentAndABaseUrlAreAllItNeeds() throws Exception {
    try (BluejayCommandHarness bluejay = new BluejayCommandHarness()) {
      bluejay.server.stubFor(
          put(urlPathEqualTo("/v1/simulation/42"))
              .willReturn(jsonAnswer(200, SimulationUpdateCommandTest.SIMULATION)));

      Exited exited =
          java(
              dir,
              BluejayCommandHarness.KEY,
              "simulation",
              "update",
              "42",
              "--max-concurrent",
              "10",
              "--base-url",
              bluejay.baseUrl());

      assertThat(exited.code()).as(exited.err()).isZero();
      assertThat(exited.out()).contains("\"name\" : \"Refunds\"");
      assertThat(bluejay.onlyRequest().getHeader("X-API-Key")).isEqualTo(BluejayCommandHarness.KEY);
      assertThat(bluejay.onlyRequest().getBodyAsString()).isEqualTo("{\"max_concurrent\":10}");
      assertThat(exited.out() + exited.err()).doesNotContain(BluejayCommandHarness.KEY);
    }
  }

  @Test
  void exitCodesReachTheShell() throws Exception {
    Path valid = BluejayCommandHarness.write(dir, "valid.json", WorkflowValidatorTest.VALID);
    Path invalid =
        BluejayCommandHarness.write(
            dir, "invalid.json", "{\"nodes\": [{\"id\": \"a\", \"type\": \"single\"}]}");

    assertThat(java(dir, null, "workflow", "validate", valid.toString()).code()).isZero();
    Exited broken = java(dir, null, "workflow", "validate", invalid.toString());
    assertThat(broken.code()).isEqualTo(2);
    assertThat(broken.err()).contains("No paths from Start").contains("node 'a'");
    Exited noKey = java(dir, null, "simulation", "run", "42", "--base-url", "http://127.0.0.1:9");
    assertThat(noKey.code()).isEqualTo(2);
    assertThat(noKey.err()).contains("no Bluejay API key");
  }
}
