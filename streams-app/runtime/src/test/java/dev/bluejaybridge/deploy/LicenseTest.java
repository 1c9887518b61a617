package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The repository is Apache-2.0: the full license text at the root, named by README and image. */
class LicenseTest {

  @Test
  void licenseIsTheFullApacheLicense2Text() {
    String license = DeployFiles.read("LICENSE");

    assertThat(license.strip())
        .startsWith("Apache License\n                           Version 2.0, January 2004");
    assertThat(license).contains("http://www.apache.org/licenses/");
    assertThat(license).contains("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION");
    for (String section :
        List.of(
            "1. Definitions.",
            "2. Grant of Copyright License.",
            "3. Grant of Patent License.",
            "4. Redistribution.",
            "5. Submission of Contributions.",
            "6. Trademarks.",
            "7. Disclaimer of Warranty.",
            "8. Limitation of Liability.",
            "9. Accepting Warranty or Additional Liability.")) {
      assertThat(license).as("section %s", section).contains(section);
    }
    assertThat(license).contains("END OF TERMS AND CONDITIONS");
  }

  @Test
  void readmeAndImageNameTheLicense() {
    assertThat(DeployFiles.read("README.md")).contains("[LICENSE](LICENSE)").contains("Apache");
    assertThat(DeployFiles.dockerfileFinalStage("LABEL"))
        .containsEntry("org.opencontainers.image.licenses", "Apache-2.0");
  }
}
