package dev.bluejaybridge.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Reads a process's figures from {@code /proc} (Linux only; empty elsewhere). */
public final class ProcStatus {
  private ProcStatus() {}

  /** {@code VmRSS} of {@code pid} in bytes. */
  public static OptionalLong rssBytes(long pid) {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Gone, or not Linux.
    }
    return OptionalLong.empty();
  }
}
