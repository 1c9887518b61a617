package dev.bluejaybridge.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the byte sizes of the config file: {@code 512KiB}, {@code 64MiB}, {@code 1GiB}, or a plain
 * number of bytes. Only binary units: {@code MB} or {@code M} are refused rather than guessed.
 */
public final class Sizes {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(kib|mib|gib)?");
  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;
  private static final long GIB = 1024 * MIB;

  private Sizes() {}

  /**
   * Parses one size, in bytes.
   *
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static long parse(String text) {
    Matcher matcher = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a size (use a whole number of bytes, or with KiB, MiB or GiB, e.g."
              + " 64MiB)");
    }
    long unit =
        matcher.group(2) == null
            ? 1
            : switch (matcher.group(2)) {
              case "kib" -> KIB;
              case "mib" -> MIB;
              default -> GIB;
            };
    try {
      return Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large", e);
    }
  }

  /** Formats a size the way the config file writes it, in the largest exact binary unit. */
  public static String format(long bytes) {
    if (bytes != 0 && bytes % GIB == 0) {
      return bytes / GIB + "GiB";
    }
    if (bytes != 0 && bytes % MIB == 0) {
      return bytes / MIB + "MiB";
    }
    if (bytes != 0 && bytes % KIB == 0) {
      return bytes / KIB + "KiB";
    }
    return Long.toString(bytes);
  }
}
