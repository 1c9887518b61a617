package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * The deployment files under test: the repository root, YAML reading, and running the tools that
 * check them ({@code kubectl}, {@code promtool}).
 */
final class DeployFiles {
  static final YAMLMapper YAML = new YAMLMapper();
  static final ObjectMapper JSON = new ObjectMapper();
  static final String DOCKERFILE = "docker/Dockerfile";

  private DeployFiles() {}

  /** The repository root: the nearest directory up from the working one holding {@code mvnw}. */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "no repository root (a directory with mvnw) above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  static Path file(String pathFromRoot) {
    Path path = repoRoot().resolve(pathFromRoot);
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("missing " + pathFromRoot + " (looked at " + path + ")");
    }
    return path;
  }

  static String read(String pathFromRoot) {
    try {
      return Files.readString(file(pathFromRoot), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The instructions of a Dockerfile's last stage (from its last {@code FROM} on), one string each:
   * comments and blank lines left out, backslash continuations joined with one space.
   */
  static List<String> finalStageInstructions(String dockerfile) {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : dockerfile.split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
        continue;
      }
      boolean continued = trimmed.endsWith("\\");
      current
          .append(current.isEmpty() ? "" : " ")
          .append(continued ? trimmed.substring(0, trimmed.length() - 1).strip() : trimmed);
      if (!continued) {
        instructions.add(current.toString());
        current.setLength(0);
      }
    }
    if (!current.isEmpty()) {
      instructions.add(current.toString());
    }
    int lastFrom = -1;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).startsWith("FROM ")) {
        lastFrom = i;
      }
    }
    return List.copyOf(instructions.subList(Math.max(lastFrom, 0), instructions.size()));
  }

  /**
   * The {@code KEY=VALUE} pairs that the last stage of {@code docker/Dockerfile} sets with one kind
   * of instruction ({@code ENV}, {@code LABEL}, {@code ARG}), quotes removed, in order.
   */
  static Map<String, String> dockerfileFinalStage(String kind) {
    Map<String, String> pairs = new LinkedHashMap<>();
    Pattern pair = Pattern.compile("([\\w.-]+)=(?:\"([^\"]*)\"|(\\S*))");
    for (String instruction : finalStageInstructions(read(DOCKERFILE))) {
      if (instruction.startsWith(kind + " ")) {
        Matcher matcher = pair.matcher(instruction.substring(kind.length() + 1));
        while (matcher.find()) {
          pairs.put(
              matcher.group(1), matcher.group(2) != null ? matcher.group(2) : matcher.group(3));
        }
      }
    }
    return pairs;
  }

  /** The root pom's {@code <name>} property, e.g. {@code kafka.version}. */
  static String pomProperty(String name) {
    Matcher matcher =
        Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + name + ">")
            .matcher(read("pom.xml"));
    if (!matcher.find()) {
      throw new IllegalStateException("pom.xml has no property " + name);
    }
    return matcher.group(1).strip();
  }

  /** Every document of a (multi-document) YAML text; empty documents are left out. */
  static List<JsonNode> yamlDocuments(String text) {
    List<JsonNode> documents = new ArrayList<>();
    try (var parser = new YAMLFactory().createParser(text)) {
      var iterator = YAML.readValues(parser, JsonNode.class);
      while (iterator.hasNext()) {
        JsonNode document = iterator.next();
        if (document != null && document.getNodeType() == JsonNodeType.OBJECT) {
          documents.add(document);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("not YAML", e);
    }
    return documents;
  }

  static JsonNode yaml(String pathFromRoot) {
    List<JsonNode> documents = yamlDocuments(read(pathFromRoot));
    if (documents.size() != 1) {
      throw new IllegalStateException(pathFromRoot + ": expected one YAML document");
    }
    return documents.get(0);
  }

  /**
   * Makes sure a tool is on the PATH: in CI ({@code CI=true}) a missing tool fails the test, since
   * {@code .ci/run} installs it; on a workstation the test is skipped with the reason.
   */
  static void requireTool(String tool, String howToInstall) {
    if (onPath(tool)) {
      return;
    }
    String message = tool + " is not on the PATH; install it: " + howToInstall;
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("CI=true but " + message + " (.ci/run installs it)");
    }
    Assumptions.abort("skipped: " + message);
  }

  static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** What a finished process said. */
  record Result(int exitCode, String stdout, String stderr) {
    String describe() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  /** Runs a command in the repository root and waits at most {@code timeout}. */
  static Result run(Duration timeout, String... command) {
    try {
      Process process = new ProcessBuilder(command).directory(repoRoot().toFile()).start();
      process.getOutputStream().close();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " took over " + timeout);
      }
      return new Result(process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            stream.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
