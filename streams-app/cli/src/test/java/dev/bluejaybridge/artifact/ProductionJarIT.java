package dev.bluejaybridge.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The jar the image ships ({@code streams-app/target/bluejay-bridge.jar}, built by {@code
 * package}): lean, and without test, demo or broker code (issue 12).
 */
class ProductionJarIT {
  static final Path JAR = Path.of("..", "target", "bluejay-bridge.jar");
  private static List<String> entries;

  @BeforeAll
  static void readEntries() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      entries = Collections.list(jar.entries()).stream().map(ZipEntry::getName).toList();
    }
  }

  @Test
  void isAtMostSixtyMegabytes() throws IOException {
    assertThat(Files.size(JAR)).isLessThanOrEqualTo(60L * 1024 * 1024);
  }

  @Test
  void holdsNoTestDemoBrokerOrSecondLoggingBackend() {
    assertThat(entries)
        .as("entries of %s", JAR)
        .noneMatch(e -> e.contains("wiremock"))
        .noneMatch(e -> e.startsWith("org/apache/kafka/test/"))
        .noneMatch(e -> e.startsWith("org/apache/kafka/common/test/"))
        .noneMatch(e -> e.startsWith("kafka/server/") || e.startsWith("kafka/Kafka"))
        .noneMatch(e -> e.startsWith("scala/"))
        .noneMatch(e -> e.startsWith("org/apache/logging/log4j/core/"))
        .noneMatch(e -> e.startsWith("org/eclipse/jetty/"))
        .noneMatch(e -> e.startsWith("dev/bluejaybridge/demo/"))
        .noneMatch(e -> e.startsWith("dev/bluejaybridge/testkit/"))
        .noneMatch(e -> e.startsWith("org/junit/"))
        .contains("dev/bluejaybridge/cli/Main.class");
  }

  @Test
  void carriesNativesForLinuxX86AndAarch64Only() {
    List<String> natives =
        entries.stream().filter(e -> e.matches(".*\\.(so|dll|dylib|jnilib|a)$")).toList();
    assertThat(natives)
        .as("native libraries in %s", JAR)
        .isNotEmpty()
        .allMatch(
            e ->
                e.matches(
                    "(librocksdbjni-linux64|librocksdbjni-linux-aarch64)\\.so"
                        + "|linux/(amd64|aarch64)/[^/]+\\.so"
                        + "|net/jpountz/util/linux/(amd64|aarch64)/[^/]+\\.so"
                        + "|org/xerial/snappy/native/Linux/(x86_64|aarch64)/[^/]+\\.so"),
            "a linux x86-64 or aarch64 library");
    assertThat(natives)
        .contains("librocksdbjni-linux64.so", "librocksdbjni-linux-aarch64.so")
        .anyMatch(e -> e.startsWith("linux/amd64/libzstd-jni"))
        .anyMatch(e -> e.startsWith("org/xerial/snappy/native/Linux/x86_64/"))
        .anyMatch(e -> e.startsWith("net/jpountz/util/linux/amd64/"));
  }

  @Test
  void versionNamesTheProjectVersionAndTheCommit() throws Exception {
    String out = run("--version");
    String version = System.getProperty("project.version");
    assertThat(version).as("failsafe passes project.version").isNotBlank();
    assertThat(out.strip())
        .matches("bluejay-bridge \\Q" + version + "\\E \\(commit [0-9a-f]{7,}\\)");
  }

  static String run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(new String(out, StandardCharsets.UTF_8)).isZero();
    return new String(out, StandardCharsets.UTF_8);
  }
}
