package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules pass {@code promtool}, their unit tests pass, and the PrometheusRule (Kubernetes)
 * and the plain rules file (docker/) hold the same groups.
 */
class PromtoolRulesTest {
  static final String RULES_FILE = "docker/prometheus/alerts.yml";
  static final String RULES_TESTS = "docker/prometheus/alerts.test.yml";
  static final String PROMETHEUS_RULE = "k8s/base/prometheusrule.yaml";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @BeforeEach
  void needsPromtool() {
    DeployFiles.requireTool(
        "promtool", "apt-get install --no-install-recommends prometheus (Debian/Ubuntu)");
  }

  @Test
  void plainRulesFilePassesPromtoolCheck() {
    DeployFiles.Result result =
        DeployFiles.run(
            TIMEOUT, "promtool", "check", "rules", DeployFiles.file(RULES_FILE).toString());

    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.stdout()).contains("SUCCESS");
  }

  @Test
  void prometheusRuleGroupsPassPromtoolCheck() throws IOException {
    JsonNode spec = DeployFiles.yaml(PROMETHEUS_RULE).path("spec");
    ObjectNode rules = DeployFiles.YAML.createObjectNode();
    rules.set("groups", spec.path("groups"));
    Path extracted = dir.resolve("prometheusrule-groups.yml");
    DeployFiles.YAML.writeValue(extracted.toFile(), rules);

    DeployFiles.Result result =
        DeployFiles.run(TIMEOUT, "promtool", "check", "rules", extracted.toString());

    assertThat(spec.path("groups").size()).isPositive();
    assertThat(result.exitCode()).as(result.describe()).isZero();
  }

  @Test
  void prometheusRuleHoldsExactlyTheGroupsOfThePlainRulesFile() {
    JsonNode plain = DeployFiles.yaml(RULES_FILE);
    JsonNode kubernetes = DeployFiles.yaml(PROMETHEUS_RULE);

    assertThat(kubernetes.path("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(kubernetes.path("spec").path("groups"))
        .as(
            "spec.groups of %s must equal the groups of %s: edit both (or copy the groups over)",
            PROMETHEUS_RULE, RULES_FILE)
        .isEqualTo(plain.path("groups"));
  }

  @Test
  void alertRuleUnitTestsPass() {
    DeployFiles.Result result =
        DeployFiles.run(
            TIMEOUT, "promtool", "test", "rules", DeployFiles.file(RULES_TESTS).toString());

    assertThat(result.exitCode()).as(result.describe()).isZero();
  }
}
