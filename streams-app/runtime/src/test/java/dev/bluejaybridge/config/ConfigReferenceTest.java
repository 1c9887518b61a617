package dev.bluejaybridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The checked-in configuration reference is what {@link ConfigReference} renders from the key
 * definitions (issue 12). {@code -Dconfig.docs.write=true} rewrites it instead of failing.
 */
class ConfigReferenceTest {

  @Test
  void theCheckedInReferenceIsGeneratedFromTheDefinitions() throws IOException {
    Path file = referenceFile();
    String rendered = ConfigReference.markdown();
    if (Boolean.getBoolean("config.docs.write")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, rendered, StandardCharsets.UTF_8);
    }

    assertThat(Files.exists(file))
        .as("%s is missing; generate it with%n  %s", file, ConfigReference.REGENERATE)
        .isTrue();
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .as(
            "%s differs from the key definitions (ConfigKeys); regenerate it with%n  %s",
            file, ConfigReference.REGENERATE)
        .isEqualTo(rendered);
  }

  @Test
  void theReferenceListsEveryKeyWithItsDefaultAndVariable() {
    String md = ConfigReference.markdown();

    assertThat(ConfigKeys.all())
        .allSatisfy(
            key ->
                assertThat(md)
                    .contains("| `" + key.name() + "` |")
                    .contains("`" + key.envName() + "`")
                    .contains(key.defaultText().map(d -> "`" + d + "`").orElse("")));
    assertThat(md)
        .contains("`BLUEJAY_API_KEY`")
        .contains("`main.consumer.`")
        .contains("`topic.`")
        .contains("did you mean kafka.num.standby.replicas?");
  }

  /** {@code streams-app/docs/configuration.md}, found from wherever the tests run. */
  private static Path referenceFile() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (dir.getFileName() != null && dir.getFileName().toString().equals("streams-app")) {
        return dir.resolve(ConfigReference.FILE);
      }
      if (Files.isDirectory(dir.resolve("streams-app"))) {
        return dir.resolve("streams-app").resolve(ConfigReference.FILE);
      }
    }
    throw new IllegalStateException("no streams-app folder above " + Path.of("").toAbsolutePath());
  }
}
