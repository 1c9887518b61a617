package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  private static final String DOCKERFILE = DeployFiles.DOCKERFILE;

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
            topics.deliveryReceipts().orElseThrow(),
            topics.webhookDeliveries(),
            topics.webhookEvents());
    assertThat(
            Stream.of(topics.toolCalls(), topics.events(), topics.transcripts())
                .map(partitions::get)
                .distinct())
        .as("partition counts of the three input topics")
        .hasSize(1);
    assertThat(script).contains("--if-not-exists");
  }

  /**
   * Issue 13 item 11: the stack takes webhooks on a port of their own, published apart from the
   * admin port (which Prometheus scrapes), and creates their topics large enough for the largest
   * body.
   */
  @Test
  void webhooksHaveTheirOwnPublishedPortAndTopicsThatTakeTheLargestBody() {
    BridgeConfig config = bridgeConfig();
    int webhookPort = config.webhooks().port();
    List<String> published = new ArrayList<>();
    service("bridge").path("ports").forEach(p -> published.add(p.asText()));

    assertThat(config.webhooks().enabled()).isTrue();
    assertThat(webhookPort).isNotEqualTo(config.admin().port());
    assertThat(published)
        .anyMatch(p -> p.endsWith(":" + webhookPort))
        .anyMatch(p -> p.endsWith(":" + config.admin().port()));
    assertThat(published).extracting(p -> p.split(":")[0]).doesNotHaveDuplicates();
    service("schema-registry")
        .path("ports")
        .forEach(
            p ->
                assertThat(published)
                    .as("host ports of the bridge and the registry")
                    .noneMatch(b -> b.split(":")[0].equals(p.asText().split(":")[0])));
    assertThat(DeployFiles.read(DOCKERFILE))
        .containsPattern("(?m)^EXPOSE .*\\b" + webhookPort + "\\b");

    String script =
        String.join(
            "\n", DeployFiles.YAML.convertValue(service("topics").path("command"), String[].class));
    for (String topic :
        List.of(config.topics().webhookDeliveries(), config.topics().webhookEvents())) {
      Matcher line =
          Pattern.compile(
                  "(?m)^\\s*create " + Pattern.quote(topic) + " .*max\\.message\\.bytes=(\\d+)")
              .matcher(script);
      assertThat(line.find()).as("%s created with max.message.bytes", topic).isTrue();
      assertThat(Long.parseLong(line.group(1)))
          .as("max.message.bytes of %s", topic)
          .isGreaterThanOrEqualTo(config.webhooks().maxBodyBytes() + 64 * 1024);
    }
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

  /** The options of the tmpfs {@code service} mounts at {@code target}; empty when none. */
  private static Optional<List<String>> tmpfsOptions(JsonNode service, String target) {
    JsonNode tmpfs = service.path("tmpfs");
    List<JsonNode> entries = new ArrayList<>();
    if (tmpfs.isArray()) {
      tmpfs.forEach(entries::add);
    } else if (tmpfs.isTextual()) {
      entries.add(tmpfs);
    }
    for (JsonNode entry : entries) {
      String[] parts = entry.asText().split(":", 2);
      if (parts[0].equals(target)) {
        return Optional.of(parts.length == 2 ? List.of(parts[1].split(",")) : List.of());
      }
    }
    return Optional.empty();
  }

  @Test
  void rocksDbLoadsItsLibraryFromTheStateVolumeAndTmpIsExecInComposeAndDockerRun() {
    Map<String, String> env = DeployFiles.dockerfileFinalStage("ENV");
    String libraryDir = env.get("ROCKSDB_SHAREDLIB_DIR");
    JsonNode bridge = service("bridge");

    // RocksDB unpacks its JNI library there, not into java.io.tmpdir: it must be a volume (volumes
    // are mounted exec), the state volume, which RocksDB needs writable anyway
    assertThat(libraryDir).as("ENV ROCKSDB_SHAREDLIB_DIR in %s", DOCKERFILE).isNotBlank();
    assertThat(DeployFiles.read(DOCKERFILE)).contains("VOLUME [\"" + libraryDir + "\"]");
    assertThat(bridgeConfig().kafka().properties().get("state.dir")).isEqualTo(libraryDir);
    assertThat(environment(bridge)).doesNotContainKey("ROCKSDB_SHAREDLIB_DIR");
    assertThat(mountedAt(bridge, libraryDir))
        .as("the bridge service mounts a named volume at %s", libraryDir)
        .hasValueSatisfying(source -> assertThat(source).doesNotStartWith("."));

    // the other JNI libraries (zstd, snappy, lz4) go to java.io.tmpdir: /tmp, a tmpfs, which
    // Docker mounts noexec unless told exec
    assertThat(DeployFiles.read(DOCKERFILE)).contains("\"-Djava.io.tmpdir=/tmp\"");
    assertThat(tmpfsOptions(bridge, "/tmp"))
        .as("compose mounts a tmpfs at /tmp for the bridge")
        .hasValueSatisfying(
            options -> assertThat(options).contains("exec").doesNotContain("noexec"));

    String readme = DeployFiles.read("docker/README.md");
    Matcher run = Pattern.compile("(?s)docker run (.*?)bluejay-bridge:dev").matcher(readme);
    assertThat(run.find()).as("a docker run line in docker/README.md").isTrue();
    assertThat(run.group(1)).contains("--read-only").containsPattern("--tmpfs /tmp:\\S*\\bexec\\b");
    assertThat(run.group(1)).doesNotContainPattern("--tmpfs /tmp(\\s|:\\S*noexec)");
    assertThat(run.group(1)).contains(":" + libraryDir + " ");
  }

  @Test
  void kafkaImagesAreApacheKafkaAtTheVersionOfTheKafkaClients() {
    String clients = DeployFiles.pomProperty("kafka.version");

    assertThat(clients).startsWith("4.");
    for (String name : List.of("kafka", "topics")) {
      assertThat(service(name).path("image").asText())
          .as("image of service %s", name)
          .isEqualTo("apache/kafka:" + clients);
    }
  }

  @Test
  void imageCarriesTheOciLabelsStampedFromBuildArgs() {
    Map<String, String> labels = DeployFiles.dockerfileFinalStage("LABEL");
    Map<String, String> args = DeployFiles.dockerfileFinalStage("ARG");

    assertThat(labels)
        .containsEntry("org.opencontainers.image.title", "bluejay-bridge")
        .containsEntry("org.opencontainers.image.licenses", "Apache-2.0")
        .containsEntry("org.opencontainers.image.version", "${VERSION}")
        .containsEntry("org.opencontainers.image.revision", "${REVISION}")
        .containsEntry("org.opencontainers.image.source", "${SOURCE}");
    assertThat(labels.get("org.opencontainers.image.description")).contains("Bluejay");
    // an ARG declared before FROM is not visible in the stage: the label would stay empty
    assertThat(args).containsKeys("VERSION", "REVISION", "SOURCE");
    assertThat(args.get("VERSION")).isNotBlank();
    assertThat(args.get("REVISION")).isNotBlank();
  }
}
