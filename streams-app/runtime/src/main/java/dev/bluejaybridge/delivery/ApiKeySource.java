package dev.bluejaybridge.delivery;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.http.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Bluejay API key: fixed ({@code bluejay.api-key}, {@code BLUEJAY_API_KEY}) or read from {@code
 * bluejay.api-key-file}, which is read again (at most once per {@link #RECHECK}) when it changes,
 * so a rotated Kubernetes Secret takes effect without a restart. {@link #version()} changes with
 * the key.
 */
public final class ApiKeySource implements Supplier<Secret> {
  static final Duration RECHECK = Duration.ofSeconds(1);
  private static final Logger LOGGER = LoggerFactory.getLogger(ApiKeySource.class);

  private final Optional<Path> file;
  private final Clock clock;
  private Secret key;
  private long version;
  private long checkedAt;

  private ApiKeySource(Secret key, Optional<Path> file, Clock clock) {
    this.key = key;
    this.file = file;
    this.clock = clock;
    this.checkedAt = clock.millis();
  }

  /**
   * The configured source.
   *
   * @throws IllegalArgumentException when neither a key nor a readable key file is configured
   */
  public static ApiKeySource from(BridgeConfig.Bluejay settings, Clock clock) {
    if (settings.apiKey().isPresent()) {
      return new ApiKeySource(settings.apiKey().get(), Optional.empty(), clock);
    }
    Path path =
        settings
            .apiKeyFile()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "no Bluejay API key: set bluejay.api-key-file, bluejay.api-key or BLUEJAY_API_KEY"));
    return new ApiKeySource(read(path), Optional.of(path), clock);
  }

  /** A secret kept in a file and re-read when it changes (the webhook signing secret, too). */
  public static ApiKeySource reloading(Path file, Clock clock) {
    return new ApiKeySource(read(file), Optional.of(file), clock);
  }

  public static ApiKeySource fixed(Secret key) {
    return new ApiKeySource(key, Optional.empty(), Clock.systemUTC());
  }

  @Override
  public synchronized Secret get() {
    refresh();
    return key;
  }

  /** Changes whenever the key does. */
  public synchronized long version() {
    refresh();
    return version;
  }

  private void refresh() {
    if (file.isEmpty() || clock.millis() - checkedAt < RECHECK.toMillis()) {
      return;
    }
    checkedAt = clock.millis();
    try {
      Secret current = read(file.get());
      if (!current.equals(key)) {
        key = current;
        version++;
        LOGGER.info("Bluejay API key changed file={} version={}", file.get(), version);
      }
    } catch (IllegalArgumentException e) {
      LOGGER.warn(
          "cannot re-read the Bluejay API key file; keeping the last key: {}", e.getMessage());
    }
  }

  private static Secret read(Path path) {
    try {
      String text = Files.readString(path, StandardCharsets.UTF_8).trim();
      if (text.isEmpty()) {
        throw new IllegalArgumentException("Bluejay API key file " + path + " is empty");
      }
      return Secret.of(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read Bluejay API key file " + path + ": " + e, e);
    }
  }
}
