package dev.bluejaybridge.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the process classes share: the java binary of the running JVM, the project's fat jar, free
 * ports, and one shutdown hook that kills every process the harness started and that is still alive
 * when the JVM exits (also after a failure or Ctrl-C).
 */
public final class Processes {
  /** The fat jar, relative to the {@code streams-app} module (the working directory of Maven). */
  public static final Path DEFAULT_JAR = Path.of("..", "target", "bluejay-bridge.jar");

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Process process : LIVE) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                  }
                },
                "harness-reaper"));
  }

  private Processes() {}

  /** The {@code java} binary of this JVM ({@code java.home}). */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The fat jar: {@code -Dharness.jar} when set, else {@link #DEFAULT_JAR}.
   *
   * @throws IllegalStateException if it does not exist (build it first: {@code ./mvnw package})
   */
  public static Path jar() {
    Path jar = Path.of(System.getProperty("harness.jar", DEFAULT_JAR.toString())).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no fat jar at " + jar + ": build it first (./mvnw -B -DskipTests package)");
    }
    return jar;
  }

  /** A TCP port free on 127.0.0.1 right now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts {@code builder} and has the shutdown hook kill the process if it is still alive. */
  static Process start(ProcessBuilder builder) throws IOException {
    Process process = builder.start();
    LIVE.add(process);
    process.onExit().thenRun(() -> LIVE.remove(process));
    return process;
  }

  /** SIGKILL, then waits (bounded) until the process is gone. */
  static void kill(Process process) {
    process.destroyForcibly();
    awaitExit(process, 30);
  }

  /**
   * SIGTERM, waits up to {@code seconds} for the exit, then SIGKILL.
   *
   * @return the exit code
   */
  static int terminate(Process process, long seconds) {
    process.destroy();
    if (!awaitExit(process, seconds)) {
      process.destroyForcibly();
      awaitExit(process, 30);
    }
    return process.exitValue();
  }

  static boolean awaitExit(Process process, long seconds) {
    try {
      return process.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return false;
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
