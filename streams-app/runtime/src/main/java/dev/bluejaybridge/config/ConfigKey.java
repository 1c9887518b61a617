package dev.bluejaybridge.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One configuration key, defined once in {@link ConfigKeys}: its name, type (parser and check),
 * default, meaning and environment variables. The loader, the environment mapping, the commands'
 * help and the configuration reference all read it.
 *
 * @param <T> what a value becomes
 */
public final class ConfigKey<T> {
  /**
   * Environment variables are {@code BRIDGE_} + the key upper-cased, {@code .} and {@code -} as _.
   */
  public static final String ENV_PREFIX = "BRIDGE_";

  private final String name;
  private final ConfigType<T> type;
  private final String defaultText;
  private final boolean optional;
  private final String example;
  private final String doc;
  private final List<String> envNames;

  ConfigKey(
      String name,
      ConfigType<T> type,
      String defaultText,
      boolean optional,
      String example,
      String doc,
      List<String> extraEnvNames) {
    this.name = name;
    this.type = type;
    this.defaultText = defaultText;
    this.optional = optional;
    this.example = example;
    this.doc = doc;
    List<String> env = new ArrayList<>();
    env.add(envName(name));
    env.addAll(extraEnvNames);
    this.envNames = List.copyOf(env);
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public String name() {
    return name;
  }

  public ConfigType<T> type() {
    return type;
  }

  /** The default as the config file would write it; empty when there is none. */
  public Optional<String> defaultText() {
    return Optional.ofNullable(defaultText);
  }

  /** The default, parsed. */
  public T defaultValue() {
    if (defaultText == null) {
      throw new IllegalStateException(name + " has no default");
    }
    return type.parse(defaultText);
  }

  /** Whether the key may be left out (or empty) with no value at all, rather than its default. */
  public boolean optional() {
    return optional;
  }

  /** Whether a value must be given: there is no default and the key is not optional. */
  public boolean required() {
    return !optional && defaultText == null;
  }

  /** An example value for the messages and the reference; empty when the type says enough. */
  public Optional<String> example() {
    return Optional.ofNullable(example);
  }

  /** What the key means, one or two sentences of Markdown. */
  public String doc() {
    return doc;
  }

  /** The environment variables that set the key: {@link #envName(String)} first, then aliases. */
  public List<String> envNames() {
    return envNames;
  }

  /** The environment variable derived from the name. */
  public String envName() {
    return envNames.get(0);
  }

  /**
   * Parses and checks a value of this key, e.g. one given on a command line.
   *
   * @throws IllegalArgumentException saying what is wrong (never repeating a secret)
   */
  public T parse(String text) {
    return type.parse(text.trim());
  }

  @Override
  public String toString() {
    return name;
  }
}
