package dev.bluejaybridge.config;

import dev.bluejaybridge.http.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The type of a configuration key: how its text is parsed and checked, and how the configuration
 * reference names it. A parser throws {@link IllegalArgumentException} with a message that names
 * the offending text, except for secrets, whose text is never repeated.
 *
 * @param <T> what a value becomes
 */
public final class ConfigType<T> {
  private final String label;
  private final Function<String, T> parser;
  private final boolean secret;

  private ConfigType(String label, Function<String, T> parser, boolean secret) {
    this.label = label;
    this.parser = parser;
    this.secret = secret;
  }

  /** How the configuration reference names the type, e.g. {@code int, 1..10000}. */
  public String label() {
    return label;
  }

  /** Whether values are secrets: never printed, never repeated in a message. */
  public boolean isSecret() {
    return secret;
  }

  /**
   * Parses and checks one trimmed, non-blank value.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  T parse(String text) {
    return parser.apply(text);
  }

  /** The same text, checked further and converted; the label stays. */
  <R> ConfigType<R> map(Function<T, R> next) {
    return new ConfigType<>(label, parser.andThen(next), secret);
  }

  static ConfigType<String> string(String label) {
    return new ConfigType<>(label, text -> text, false);
  }

  static ConfigType<String> topic() {
    return new ConfigType<>(
        "topic name",
        text -> {
          if (!text.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new IllegalArgumentException("'" + text + "' is not a valid topic name");
          }
          return text;
        },
        false);
  }

  static ConfigType<Duration> duration() {
    return new ConfigType<>("duration", Durations::parse, false);
  }

  /** A duration longer than zero (a timeout, a gap: zero would mean "at once" or "never"). */
  static ConfigType<Duration> positiveDuration() {
    return new ConfigType<>(
        "duration, more than 0",
        text -> {
          Duration value = Durations.parse(text);
          if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException("'" + text + "' must be more than 0");
          }
          return value;
        },
        false);
  }

  /**
   * A byte size of at least {@code min}. The minimum catches a number written without its unit
   * ({@code 64} is 64 bytes, not 64 MiB).
   */
  static ConfigType<Long> size(long min) {
    return new ConfigType<>(
        "size, at least " + Sizes.format(min),
        text -> {
          long bytes = Sizes.parse(text);
          if (bytes < min) {
            throw new IllegalArgumentException(
                "'"
                    + text
                    + "' is below the minimum "
                    + Sizes.format(min)
                    + " (a plain number is bytes)");
          }
          return bytes;
        },
        false);
  }

  static ConfigType<Integer> integer(int min, int max) {
    return new ConfigType<>(
        "int, " + min + ".." + max,
        text -> {
          int value;
          try {
            value = Integer.parseInt(text);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number", e);
          }
          if (value < min || value > max) {
            throw new IllegalArgumentException(value + " is out of range " + min + ".." + max);
          }
          return value;
        },
        false);
  }

  static ConfigType<Boolean> bool() {
    return new ConfigType<>(
        "boolean",
        text -> {
          if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("'" + text + "' is not true or false");
          }
          return Boolean.parseBoolean(text);
        },
        false);
  }

  static ConfigType<URI> httpUrl() {
    return new ConfigType<>(
        "http(s) URL",
        text -> {
          try {
            URI uri = new URI(text);
            if (uri.getScheme() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
              throw new IllegalArgumentException("'" + text + "' is not an http(s) URL");
            }
            return uri;
          } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason(), e);
          }
        },
        false);
  }

  static ConfigType<Path> path() {
    return new ConfigType<>("file path", Path::of, false);
  }

  static ConfigType<Secret> secret() {
    return new ConfigType<>("secret", Secret::of, true);
  }

  /** A {@code user:password} pair, kept secret as a whole. */
  static ConfigType<Secret> userPassword() {
    return new ConfigType<>(
        "secret, user:password",
        text -> {
          if (!text.contains(":")) {
            throw new IllegalArgumentException("must be user:password");
          }
          return Secret.of(text);
        },
        true);
  }

  /** One of the constants of {@code type}, written in lower case. */
  static <E extends Enum<E>> ConfigType<E> choice(Class<E> type) {
    String names =
        Arrays.stream(type.getEnumConstants())
            .map(constant -> constant.name().toLowerCase(Locale.ROOT))
            .collect(Collectors.joining(" | "));
    return new ConfigType<>(
        names,
        text -> {
          for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(text)) {
              return constant;
            }
          }
          throw new IllegalArgumentException(
              "'" + text + "' is not one of " + names.replace(" | ", ", "));
        },
        false);
  }
}
