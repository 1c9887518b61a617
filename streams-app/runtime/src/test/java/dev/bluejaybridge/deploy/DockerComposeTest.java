package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docker/ cannot run here (no Docker engine), so its files are checked against each other and
 * against the app: the config the compose file gives the bridge is valid, the topics job creates
 * the configured topics, every mounted file exists, Prometheus scrapes the admin port.
 */
class DockerComposeTest {
  private static final String COMPOSE = "docker/docker-compose.yml";
  private static final String DOCKERFILE = "docker/Dockerfile";

  private static JsonNode compose() {
    return DeployFiles.yaml(COMPOSE);
  }

  private static JsonNode service(String name) {
    JsonNode service = compose().path("services").path(name);
    assertThat(service.isObject()).as("service %s in %s", name, COMPOSE).isTrue();
    return service;
  }

  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new TreeMap<>();
    service
        .path("environment")
        .fields()
        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    return env;
  }

  /** Host path (relative to docker/) mounted at {@code target} in {@code service}. */
  private static Optional<String> mountedAt(JsonNode service, String target) {
    for (JsonNode volume : service.path("volumes")) {
      String[] parts = volume.asText().split(":");
      if (parts.length >= 2 && parts[1].equals(target)) {
        return Optional.of(parts[0]);
      }
    }
    return Optional.empty();
  }

  private static BridgeConfig bridgeConfig() {
    JsonNode bridge = service("bridge");
    String configPath = dockerfileCmdConfigPath();
    String hostFile =
        mountedAt(bridge, configPath)
            .orElseThrow(
                () -> new AssertionError("the bridge service mounts nothing at " + configPath));
    Path file = DeployFiles.repoRoot().resolve("docker").resolve(hostFile).normalize();
    return ConfigLoader.load(Optional.of(file), environment(bridge));
  }

  /** The --config path of the image's CMD. */
  private static String dockerfileCmdConfigPath() {
    Matcher cmd =
        Pattern.compile("(?m)^CMD \\[\"run\", \"--config\", \"([^\"]+)\"]")
            .matcher(DeployFiles.read(DOCKERFILE));
    assertThat(cmd.find()).as("CMD [\"run\", \"--config\", FILE] in %s", DOCKERFILE).isTrue();
    return cmd.group(1);
  }

  @Test
  void composeHasTheWholeStack() {
    assertThat(compose().path("services").fieldNames())
        .toIterable()
        .contains(
            "kafka",
            "schema-registry",
            "topics",
            "bridge",
            "bluejay-sandbox",
            "prometheus",
            "grafana");
    JsonNode bridge = service("bridge");
    assertThat(bridge.path("build").path("dockerfile").asText()).isEqualTo("docker/Dockerfile");
    assertThat(bridge.path("depends_on").path("topics").path("condition").asText())
        .isEqualTo("service_completed_successfully");
    assertThat(bridge.path("read_only").asBoolean()).isTrue();
  }

  @Test
  void theBridgeAcceptsItsComposeConfigAndTalksToTheSandbox() {
    BridgeConfig config = bridgeConfig();

    assertThat(config.kafka().bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(config.registry().urls()).isEqualTo("http://schema-registry:8081");
    assertThat(config.bluejay().baseUrl().getHost()).isEqualTo("bluejay-sandbox");
    assertThat(config.kafka().properties().get("state.dir")).isEqualTo("/var/lib/bluejay-bridge");
    assertThat(DeployFiles.read(DOCKERFILE)).contains("VOLUME [\"/var/lib/bluejay-bridge\"]");
    assertThat(mountedAt(service("bridge"), "/var/lib/bluejay-bridge")).isPresent();
  }

  @Test
  void theTopicsJobCreatesTheConfiguredTopicsWithCoPartitionedInputs() {
    BridgeConfig.Topics topics = bridgeConfig().topics();
    JsonNode job = service("topics");
    String script =
        String.join("\n", DeployFiles.YAML.convertValue(job.path("command"), String[].class));
    Map<String, String> partitions = new HashMap<>();
    Matcher create = Pattern.compile("create (\\S+) --partitions (\\S+)").matcher(script);
    while (create.find()) {
      partitions.put(create.group(1), create.group(2));
    }

    assertThat(partitions.keySet())
        .containsExactlyInAnyOrder(
            topics.toolCalls(),
            topics.events(),
            topics.transcripts(),
            topics.inputDlq(),
            topics.deliveryDlq(),
            topics.deliveryReceipts().orElseThrow());
    assertThat(
            Stream.of(topics.toolCalls(), topics.events(), topics.transcripts())
                .map(partitions::get)
                .distinct())
        .as("partition counts of the three input topics")
        .hasSize(1);
    assertThat(script).contains("--if-not-exists");
  }

  @Test
  void everyMountedHostPathExists() {
    compose()
        .path("services")
        .fields()
        .forEachRemaining(
            service -> {
              for (JsonNode volume : service.getValue().path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (!source.startsWith(".")) {
                  continue; // a named volume
                }
                Path path = DeployFiles.repoRoot().resolve("docker").resolve(source).normalize();
                assertThat(Files.exists(path))
                    .as("%s mounts %s (%s)", service.getKey(), source, path)
                    .isTrue();
              }
            });
  }

  @Test
  void prometheusScrapesTheAdminPortAndLoadsTheRulesAndGrafanaTheOneDashboard() {
    int adminPort = bridgeConfig().admin().port();
    JsonNode prometheus = DeployFiles.yaml("docker/prometheus/prometheus.yml");
    JsonNode job = prometheus.path("scrape_configs").get(0);

    assertThat(job.path("job_name").asText()).isEqualTo("bluejay-bridge");
    assertThat(job.path("static_configs").get(0).path("targets").get(0).asText())
        .isEqualTo("bridge:" + adminPort);
    assertThat(DeployFiles.read(DOCKERFILE)).contains("EXPOSE " + adminPort);
    String rulesTarget =
        mountedAt(service("prometheus"), "/etc/prometheus/rules/bluejay-bridge.yml")
            .orElseThrow(() -> new AssertionError("Prometheus does not mount the rules"));
    assertThat(rulesTarget).isEqualTo("./prometheus/alerts.yml");
    assertThat(prometheus.path("rule_files").get(0).asText())
        .isEqualTo("/etc/prometheus/rules/*.yml");

    JsonNode provider =
        DeployFiles.yaml("docker/grafana/provisioning/dashboards/bluejay-bridge.yml")
            .path("providers")
            .get(0);
    String dashboardDir = provider.path("options").path("path").asText();
    String hostDir =
        mountedAt(service("grafana"), dashboardDir)
            .orElseThrow(() -> new AssertionError("Grafana mounts nothing at " + dashboardDir));
    assertThat(
            DeployFiles.repoRoot()
                .resolve("docker")
                .resolve(hostDir)
                .resolve("bluejay-bridge.json")
                .normalize())
        .isEqualTo(DeployFiles.file(DashboardTest.DASHBOARD));
  }

  @Test
  void imageRunsAsAnUnprivilegedUserWithExecFormEntrypoint() {
    String dockerfile = DeployFiles.read(DOCKERFILE);

    assertThat(dockerfile).containsPattern("(?m)^FROM eclipse-temurin:21-jre$");
    assertThat(dockerfile).containsPattern("(?m)^USER \\$\\{UID}:\\$\\{UID}$");
    assertThat(dockerfile).contains("ARG UID=10001");
    assertThat(dockerfile).containsPattern("(?m)^ENTRYPOINT \\[\"java\",");
    assertThat(dockerfile).contains("\"-jar\", \"/app/bluejay-bridge.jar\"]");
    assertThat(List.of(dockerfile.split("\n"))).noneMatch(line -> line.startsWith("USER root"));
  }
}
