package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * What the image relies on (ENV ROCKSDB_SHAREDLIB_DIR, see docker/Dockerfile): RocksDB unpacks its
 * JNI library into that directory and not into java.io.tmpdir, so a noexec /tmp cannot stop it. A
 * JVM whose java.io.tmpdir does not exist stands in for the unusable /tmp (no mounts here).
 */
class RocksDbLibraryDirTest {
  private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(60);
  @TempDir Path dir;

  /** The child JVM: loads RocksDB and opens a database. */
  static final class Child {
    private Child() {}

    public static void main(String[] args) throws RocksDBException, IOException {
      RocksDB.loadLibrary();
      try (Options options = new Options().setCreateIfMissing(true);
          RocksDB db = RocksDB.open(options, args[0])) {
        db.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
      }
      System.out.println("rocksdb opened");
      // the library file is deleted when the JVM exits: name it while it is there
      String libraryDir = System.getenv("ROCKSDB_SHAREDLIB_DIR");
      if (libraryDir != null) {
        try (Stream<Path> files = Files.list(Path.of(libraryDir))) {
          files.forEach(file -> System.out.println("in library dir: " + file.getFileName()));
        }
      }
    }
  }

  private record Outcome(int exitCode, String output) {}

  private Outcome runChild(String libraryDir) throws IOException, InterruptedException {
    Path log = dir.resolve("child-" + System.nanoTime() + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + dir.resolve("no-such-tmp"),
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                dir.resolve("db").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().remove("ROCKSDB_SHAREDLIB_DIR");
    if (libraryDir != null) {
      builder.environment().put("ROCKSDB_SHAREDLIB_DIR", libraryDir);
    }
    Process process = builder.start();
    try {
      assertThat(process.waitFor(CHILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
          .as("the child JVM ended within %s", CHILD_TIMEOUT)
          .isTrue();
    } finally {
      process.destroyForcibly();
    }
    return new Outcome(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @Test
  void rocksDbLoadsFromTheLibraryDirWhenTheTempDirIsUnusable() throws Exception {
    Path libraryDir = Files.createDirectory(dir.resolve("state"));

    Outcome outcome = runChild(libraryDir.toString());

    assertThat(outcome.exitCode()).as(outcome.output()).isZero();
    assertThat(outcome.output())
        .contains("rocksdb opened")
        .containsPattern("in library dir: librocksdbjni-linux\\S*\\.so");
  }

  @Test
  void withoutTheLibraryDirRocksDbNeedsTheTempDir() throws Exception {
    Outcome outcome = runChild(null);

    assertThat(outcome.exitCode()).as(outcome.output()).isNotZero();
    assertThat(outcome.output()).doesNotContain("rocksdb opened");
  }
}
