package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.config.ConfigKey;
import dev.bluejaybridge.config.ConfigKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The properties files the image and the Kubernetes base ship show some keys' defaults as comments
 * ({@code # call.end-grace=5s}). Those lines are a second copy of the key definitions: they may not
 * drift from them.
 */
class ShippedPropertiesTest {
  private static final Pattern COMMENTED_SETTING =
      Pattern.compile("^#\\s*([a-z][a-z0-9.-]*)=(\\S*)\\s*$");
  private static final Map<String, ConfigKey<?>> KEYS =
      ConfigKeys.all().stream().collect(Collectors.toMap(ConfigKey::name, Function.identity()));

  @Test
  void everyDefaultShownInACommentIsTheDefinitionsDefault() {
    List<String> drifted = new ArrayList<>();
    int checked = 0;
    for (String file : List.of("docker/bridge.properties", "k8s/base/bridge.properties")) {
      List<String> lines = DeployFiles.read(file).lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = COMMENTED_SETTING.matcher(lines.get(i));
        if (!m.matches() || !KEYS.containsKey(m.group(1))) {
          continue;
        }
        ConfigKey<?> key = KEYS.get(m.group(1));
        if (key.defaultText().isEmpty()) {
          continue; // an example value (e.g. a file path) of a key without a default
        }
        checked++;
        if (!key.defaultText().get().equals(m.group(2))) {
          drifted.add(
              file
                  + ":"
                  + (i + 1)
                  + " shows "
                  + m.group(1)
                  + "="
                  + m.group(2)
                  + ", the default is "
                  + key.defaultText().get());
        }
      }
    }
    assertThat(checked).as("commented defaults found").isPositive();
    assertThat(drifted).as("defaults that drifted from ConfigKeys").isEmpty();
  }
}
