package dev.bluejaybridge.config;

import java.util.List;

/** The configuration has problems; {@link #problems()} lists every one, each naming its key. */
public final class ConfigException extends RuntimeException {
  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(
        problems.size()
            + (problems.size() == 1 ? " configuration problem:" : " configuration problems:")
            + "\n  - "
            + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
