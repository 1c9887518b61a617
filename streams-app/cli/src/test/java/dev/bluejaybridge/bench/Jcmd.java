package dev.bluejaybridge.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code jcmd} of this JVM's JDK against another process: GC, heap figures, JFR dumps. */
final class Jcmd {
  private static final Pattern G1_HEAP_USED =
      Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K");
  private static final Pattern GENERATION_USED =
      Pattern.compile("(?:generation|PSYoungGen|ParOldGen)\\s+total \\d+K, used (\\d+)K");

  private Jcmd() {}

  static String run(long pid, String... command) {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    line.add(Long.toString(pid));
    line.addAll(List.of(command));
    try {
      Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("jcmd " + String.join(" ", command) + " hung");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + String.join(" ", command) + ": " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The heap in use after a full GC ({@code GC.run}, then {@code GC.heap_info}), in bytes. */
  static OptionalLong heapUsedAfterGc(long pid) {
    run(pid, "GC.run");
    String info = run(pid, "GC.heap_info");
    Matcher g1 = G1_HEAP_USED.matcher(info);
    if (g1.find()) {
      return OptionalLong.of(Long.parseLong(g1.group(1)) * 1024);
    }
    Matcher generations = GENERATION_USED.matcher(info);
    long used = 0;
    boolean found = false;
    while (generations.find()) {
      used += Long.parseLong(generations.group(1)) * 1024;
      found = true;
    }
    return found ? OptionalLong.of(used) : OptionalLong.empty();
  }
}
