package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigKeys;
import dev.bluejaybridge.config.ConfigLoader;
import dev.bluejaybridge.config.Durations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code kubectl apply -k k8s/overlays/example} would send, rendered offline with {@code
 * kubectl kustomize} and checked against what the app needs.
 */
class KustomizeRenderTest {
  private static final String OVERLAY = "k8s/overlays/example";
  private static final String CONTAINER = "bridge";

  /** Kafka Streams' close timeout in Pipeline, after the drain of request timeout + 1 s. */
  private static final Duration STREAMS_CLOSE = Duration.ofSeconds(30);

  private static List<JsonNode> rendered;
  @TempDir Path dir;

  @BeforeAll
  static void render() {
    rendered = kustomize(OVERLAY);
  }

  private static List<JsonNode> kustomize(String kustomization) {
    DeployFiles.requireTool(
        "kubectl", "https://kubernetes.io/docs/tasks/tools/ (client 1.32, Kustomize 5.5)");
    DeployFiles.Result result =
        DeployFiles.run(
            Duration.ofSeconds(60),
            "kubectl",
            "kustomize",
            DeployFiles.repoRoot().resolve(kustomization).toString());
    assertThat(result.exitCode()).as(result.describe()).isZero();
    return DeployFiles.yamlDocuments(result.stdout());
  }

  private static List<JsonNode> all(List<JsonNode> documents, String kind) {
    return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  private static JsonNode one(String kind) {
    List<JsonNode> found = all(rendered, kind);
    assertThat(found).as("rendered %s resources", kind).hasSize(1);
    return found.get(0);
  }

  private static JsonNode statefulSet() {
    return one("StatefulSet");
  }

  private static JsonNode podSpec() {
    return statefulSet().path("spec").path("template").path("spec");
  }

  private static JsonNode container() {
    for (JsonNode container : podSpec().path("containers")) {
      if (container.path("name").asText().equals(CONTAINER)) {
        return container;
      }
    }
    throw new AssertionError("no container " + CONTAINER + " in the StatefulSet");
  }

  private static JsonNode configMap() {
    return rendered.stream()
        .filter(d -> d.path("kind").asText().equals("ConfigMap"))
        .filter(d -> d.path("data").has("bridge.properties"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ConfigMap with bridge.properties"));
  }

  private static Properties bridgeProperties() throws IOException {
    Properties properties = new Properties();
    properties.load(
        new java.io.StringReader(configMap().path("data").path("bridge.properties").asText()));
    return properties;
  }

  private static Map<String, String> literalEnv() {
    Map<String, String> env = new HashMap<>();
    for (JsonNode variable : container().path("env")) {
      if (variable.has("value")) {
        env.put(variable.path("name").asText(), variable.path("value").asText());
      }
    }
    return env;
  }

  /** The volume a path is mounted from, e.g. the PVC of kafka.state.dir. */
  private static String volumeMountedAt(String path) {
    for (JsonNode mount : container().path("volumeMounts")) {
      if (mount.path("mountPath").asText().equals(path)) {
        return mount.path("name").asText();
      }
    }
    throw new AssertionError("nothing is mounted at " + path);
  }

  private static JsonNode volume(String name) {
    for (JsonNode volume : podSpec().path("volumes")) {
      if (volume.path("name").asText().equals(name)) {
        return volume;
      }
    }
    throw new AssertionError("no pod volume " + name);
  }

  private static int adminContainerPort() {
    return containerPort(container(), "admin")
        .orElseThrow(() -> new AssertionError("the container has no port named admin"));
  }

  private static Optional<Integer> containerPort(JsonNode container, String name) {
    for (JsonNode port : container.path("ports")) {
      if (port.path("name").asText().equals(name)) {
        return Optional.of(port.path("containerPort").asInt());
      }
    }
    return Optional.empty();
  }

  /** The config the app reads from the rendered ConfigMap and the container's environment. */
  private BridgeConfig renderedConfig() throws IOException {
    Path file = dir.resolve("bridge.properties");
    Files.writeString(
        file, configMap().path("data").path("bridge.properties").asText(), StandardCharsets.UTF_8);
    return ConfigLoader.load(Optional.of(file), literalEnv());
  }

  /** True when the rule's ports name {@code port} (by name or number). */
  private static boolean admits(JsonNode rule, String name, int number) {
    return StreamSupport.stream(rule.path("ports").spliterator(), false)
        .map(p -> p.path("port").asText())
        .anyMatch(p -> p.equals(name) || p.equals(String.valueOf(number)));
  }

  @Test
  void podRunsUnderTheRestrictedProfileWithAReadOnlyRoot() {
    JsonNode pod = podSpec().path("securityContext");
    JsonNode container = container().path("securityContext");

    assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
    assertThat(container.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(container.path("allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(container.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(container.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.path("capabilities").path("drop"))
        .extracting(JsonNode::asText)
        .containsExactly("ALL");
    assertThat(container.path("capabilities").has("add")).isFalse();
    assertThat(container.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
    assertThat(container.path("privileged").asBoolean(false)).isFalse();
    // JNI libraries (zstd, snappy, lz4) are unpacked into java.io.tmpdir: /tmp must be writable
    // and exec, which an emptyDir is
    assertThat(volume(volumeMountedAt("/tmp")).has("emptyDir")).isTrue();
    assertThat(podSpec().path("automountServiceAccountToken").asBoolean(true)).isFalse();
    assertThat(podSpec().path("enableServiceLinks").asBoolean(true))
        .as("service links would inject BRIDGE_* variables the app rejects")
        .isFalse();
  }

  @Test
  void rocksDbUnpacksItsLibraryOntoTheStateVolume() throws IOException {
    String libraryDir = DeployFiles.dockerfileFinalStage("ENV").get("ROCKSDB_SHAREDLIB_DIR");
    for (JsonNode variable : container().path("env")) {
      if (variable.path("name").asText().equals("ROCKSDB_SHAREDLIB_DIR")) {
        libraryDir = variable.path("value").asText();
      }
    }

    // not on the read-only root (RocksDB could not write it) nor a tmpfs: on the state claim
    assertThat(libraryDir).as("ROCKSDB_SHAREDLIB_DIR of the image or the container").isNotBlank();
    assertThat(libraryDir).isEqualTo(bridgeProperties().getProperty("kafka.state.dir"));
    String claim = volumeMountedAt(libraryDir);
    assertThat(
            StreamSupport.stream(
                    statefulSet().path("spec").path("volumeClaimTemplates").spliterator(), false)
                .map(c -> c.path("metadata").path("name").asText()))
        .contains(claim);
  }

  @Test
  void probesAskTheAdminServerOnItsPort() throws IOException {
    JsonNode container = container();
    int adminPort = Integer.parseInt(bridgeProperties().getProperty("admin.port", "8080"));

    assertThat(adminContainerPort()).isEqualTo(adminPort);
    assertProbe(container.path("startupProbe"), "/health/live");
    assertProbe(container.path("livenessProbe"), "/health/live");
    assertProbe(container.path("readinessProbe"), "/health/ready");
  }

  private static void assertProbe(JsonNode probe, String path) {
    assertThat(probe.isMissingNode()).as("probe for %s", path).isFalse();
    JsonNode get = probe.path("httpGet");
    assertThat(get.path("path").asText()).isEqualTo(path);
    String port = get.path("port").asText();
    assertThat(port.equals("admin") || port.equals(String.valueOf(adminContainerPort())))
        .as("probe port %s is the admin port", port)
        .isTrue();
  }

  @Test
  void terminationGraceOutlastsTheDrainAndTheStreamsClose() throws IOException {
    int grace = podSpec().path("terminationGracePeriodSeconds").asInt();
    Duration requestTimeout =
        Durations.parse(bridgeProperties().getProperty("delivery.request-timeout", "10s"));
    Duration drainAndClose = requestTimeout.plusSeconds(1).plus(STREAMS_CLOSE);

    assertThat(grace).isGreaterThan(40);
    assertThat(Duration.ofSeconds(grace)).isGreaterThan(drainAndClose);
  }

  @Test
  void stateLivesOnAVolumeClaimAndStandbysAreOn() throws IOException {
    String stateDir = bridgeProperties().getProperty("kafka.state.dir");
    List<String> claims =
        StreamSupport.stream(
                statefulSet().path("spec").path("volumeClaimTemplates").spliterator(), false)
            .map(claim -> claim.path("metadata").path("name").asText())
            .toList();

    assertThat(stateDir).isNotBlank();
    assertThat(claims).contains(volumeMountedAt(stateDir));
    assertThat(literalEnv()).containsEntry("BRIDGE_KAFKA_NUM_STANDBY_REPLICAS", "1");
    assertThat(statefulSet().path("spec").path("replicas").asInt()).isEqualTo(2);
    assertThat(container().path("image").asText()).endsWith(":0.1.0");
    JsonNode resources = container().path("resources");
    assertThat(resources.path("requests").has("cpu")).isTrue();
    assertThat(resources.path("requests").has("memory")).isTrue();
    assertThat(resources.path("limits").has("memory")).isTrue();
  }

  @Test
  void theAppAcceptsTheRenderedConfigAndFindsTheKeyInTheMountedSecret() throws IOException {
    BridgeConfig config = renderedConfig();

    assertThat(config.kafka().bootstrapServers()).isNotBlank();
    assertThat(config.kafka().properties()).containsEntry("num.standby.replicas", "1");
    Path keyFile = config.bluejay().apiKeyFile().orElseThrow();
    JsonNode secretVolume = volume(volumeMountedAt(keyFile.getParent().toString()));
    String secretName = secretVolume.path("secret").path("secretName").asText();
    assertThat(secretName).isEqualTo("bluejay-api-key");
    JsonNode mount =
        StreamSupport.stream(container().path("volumeMounts").spliterator(), false)
            .filter(m -> m.path("mountPath").asText().equals(keyFile.getParent().toString()))
            .findFirst()
            .orElseThrow();
    assertThat(mount.has("subPath")).as("a subPath mount never sees a rotated key").isFalse();
    JsonNode secret = secretNamed(secretName);
    assertThat(secretKeys(secret)).contains(keyFile.getFileName().toString());
  }

  private static JsonNode secretNamed(String name) {
    return all(rendered, "Secret").stream()
        .filter(s -> s.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Secret " + name));
  }

  private static Set<String> secretKeys(JsonNode secret) {
    Set<String> keys = new HashSet<>();
    secret.path("data").fieldNames().forEachRemaining(keys::add);
    secret.path("stringData").fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  @Test
  void secretsHoldOnlyObviousPlaceholders() {
    Pattern placeholder = Pattern.compile("(?i).*(replace|placeholder|example|changeme).*");
    // a long run of letters and digits with no separators is what real keys and tokens look like
    Pattern keyLike = Pattern.compile("[A-Za-z0-9+/_=]{20,}");
    List<JsonNode> secrets = all(rendered, "Secret");

    assertThat(secrets).isNotEmpty();
    for (JsonNode secret : secrets) {
      List<String> values = new ArrayList<>();
      secret
          .path("data")
          .forEach(
              v ->
                  values.add(
                      new String(Base64.getDecoder().decode(v.asText()), StandardCharsets.UTF_8)));
      secret.path("stringData").forEach(v -> values.add(v.asText()));
      for (String value : values) {
        assertThat(value).as("a Secret value in the repository").matches(placeholder);
        assertThat(keyLike.matcher(value).find()).as("'%s' looks like a real key", value).isFalse();
      }
    }
  }

  @Test
  void networkPolicyAllowsOnlyTheNeededEgressAndScrapingFromMonitoring() {
    JsonNode policy = one("NetworkPolicy").path("spec");
    JsonNode podLabels =
        statefulSet().path("spec").path("template").path("metadata").path("labels");

    policy
        .path("podSelector")
        .path("matchLabels")
        .fields()
        .forEachRemaining(
            e -> assertThat(podLabels.path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
    assertThat(policy.path("podSelector").path("matchLabels").size()).isPositive();
    assertThat(policy.path("policyTypes"))
        .extracting(JsonNode::asText)
        .contains("Ingress", "Egress");

    Set<String> egressPorts = new HashSet<>();
    assertThat(policy.path("egress").size()).isPositive();
    for (JsonNode rule : policy.path("egress")) {
      assertThat(rule.path("to").size()).as("egress rule %s names its peers", rule).isPositive();
      assertThat(rule.path("ports").size()).as("egress rule %s names its ports", rule).isPositive();
      boolean toAnyAddress =
          StreamSupport.stream(rule.path("to").spliterator(), false)
              .anyMatch(peer -> peer.has("ipBlock"));
      for (JsonNode port : rule.path("ports")) {
        String p = port.path("protocol").asText("TCP") + "/" + port.path("port").asText();
        egressPorts.add(p);
        if (toAnyAddress) {
          assertThat(p).as("the only port open to outside addresses is HTTPS").isEqualTo("TCP/443");
        }
      }
    }
    assertThat(egressPorts)
        .contains("UDP/53", "TCP/53", "TCP/443", "TCP/8081", "TCP/9092")
        .isSubsetOf("UDP/53", "TCP/53", "TCP/443", "TCP/8081", "TCP/9092", "TCP/9093");

    // the admin port (probes, /metrics, /status) from monitoring only; kubelet probes are not
    // subject to NetworkPolicy
    List<JsonNode> toAdmin =
        StreamSupport.stream(policy.path("ingress").spliterator(), false)
            .filter(rule -> admits(rule, "admin", adminContainerPort()))
            .toList();
    assertThat(toAdmin).hasSize(1);
    JsonNode ingress = toAdmin.get(0);
    assertThat(ingress.path("from")).hasSize(1);
    assertThat(ingress.path("from").get(0).path("namespaceSelector").path("matchLabels").toString())
        .contains("monitoring");
    assertThat(ingress.path("ports")).hasSize(1);
    for (JsonNode rule : policy.path("ingress")) {
      assertThat(rule.path("from").size()).as("ingress rule %s names its peers", rule).isPositive();
      assertThat(rule.path("ports").size())
          .as("ingress rule %s names its ports", rule)
          .isPositive();
    }
  }

  /**
   * Issue 13 item 11: with webhooks on (the example overlay takes the webhooks component), the
   * receiver's own port is on the pod, the Service and the NetworkPolicy, apart from the admin
   * port, which stays the probes' and Prometheus' alone; the app reads the same port and finds its
   * signing secret in the mounted Secret.
   */
  @Test
  void webhooksHaveTheirOwnPortOnThePodTheServiceAndTheNetworkPolicy() throws IOException {
    BridgeConfig config = renderedConfig();
    int webhookPort =
        containerPort(container(), "webhooks")
            .orElseThrow(() -> new AssertionError("the container has no port named webhooks"));

    assertThat(config.webhooks().enabled()).isTrue();
    assertThat(config.webhooks().port()).isEqualTo(webhookPort).isNotEqualTo(adminContainerPort());
    assertThat(config.webhooks().bindAddress())
        .as("reachable from outside the pod")
        .isEqualTo("0.0.0.0");

    JsonNode service = one("Service");
    JsonNode servicePort =
        StreamSupport.stream(service.path("spec").path("ports").spliterator(), false)
            .filter(p -> p.path("name").asText().equals("webhooks"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the Service has no port named webhooks"));
    assertThat(servicePort.path("targetPort").asText())
        .isIn("webhooks", String.valueOf(webhookPort));

    JsonNode policy = one("NetworkPolicy").path("spec");
    List<JsonNode> toWebhooks =
        StreamSupport.stream(policy.path("ingress").spliterator(), false)
            .filter(rule -> admits(rule, "webhooks", webhookPort))
            .toList();
    assertThat(toWebhooks).as("ingress rules admitting the webhook port").hasSize(1);
    assertThat(toWebhooks.get(0).path("ports"))
        .as("the webhook rule admits nothing else")
        .hasSize(1);
    assertThat(admits(toWebhooks.get(0), "admin", adminContainerPort()))
        .as("webhook clients never reach the admin port")
        .isFalse();

    // the probes stay on the admin port
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(container().path(probe).path("httpGet").path("port").asText())
          .isIn("admin", String.valueOf(adminContainerPort()));
    }

    // the signing secret: a file in a mounted Secret, not a subPath (a rotated secret arrives)
    Path secretFile = config.webhooks().signingSecretFile().orElseThrow();
    JsonNode mount =
        StreamSupport.stream(container().path("volumeMounts").spliterator(), false)
            .filter(m -> m.path("mountPath").asText().equals(secretFile.getParent().toString()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("nothing is mounted at " + secretFile));
    assertThat(mount.has("subPath")).isFalse();
    String secretName =
        volume(mount.path("name").asText()).path("secret").path("secretName").asText();
    assertThat(secretKeys(secretNamed(secretName))).contains(secretFile.getFileName().toString());
  }

  /** Issue 13 item 11: without the webhooks component, no webhook port is open anywhere. */
  @Test
  void theBaseOpensNoWebhookPort() {
    List<JsonNode> base = kustomize("k8s/base");
    JsonNode baseContainer =
        StreamSupport.stream(
                all(base, "StatefulSet")
                    .get(0)
                    .path("spec")
                    .path("template")
                    .path("spec")
                    .path("containers")
                    .spliterator(),
                false)
            .filter(c -> c.path("name").asText().equals(CONTAINER))
            .findFirst()
            .orElseThrow();

    assertThat(containerPort(baseContainer, "webhooks")).isEmpty();
    assertThat(all(base, "Service").get(0).path("spec").path("ports"))
        .extracting(p -> p.path("name").asText())
        .containsExactly("metrics");
    assertThat(all(base, "NetworkPolicy").get(0).path("spec").path("ingress")).hasSize(1);
  }

  @Test
  void disruptionBudgetLetsOneInstanceGoAtATime() {
    JsonNode pdb = one("PodDisruptionBudget").path("spec");
    JsonNode podLabels =
        statefulSet().path("spec").path("template").path("metadata").path("labels");

    assertThat(pdb.path("maxUnavailable").asInt()).isEqualTo(1);
    assertThat(pdb.path("selector").path("matchLabels").size()).isPositive();
    pdb.path("selector")
        .path("matchLabels")
        .fields()
        .forEachRemaining(
            e -> assertThat(podLabels.path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
  }

  @Test
  void prometheusScrapesTheHeadlessServiceAndLoadsTheRules() {
    JsonNode service = one("Service");
    JsonNode monitor = one("ServiceMonitor").path("spec");
    JsonNode rule = one("PrometheusRule").path("spec");

    assertThat(service.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(statefulSet().path("spec").path("serviceName").asText())
        .isEqualTo(service.path("metadata").path("name").asText());
    assertThat(service.path("spec").path("publishNotReadyAddresses").asBoolean()).isTrue();
    JsonNode metricsPort =
        StreamSupport.stream(service.path("spec").path("ports").spliterator(), false)
            .filter(p -> p.path("name").asText().equals("metrics"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the Service has no port named metrics"));
    assertThat(metricsPort.path("targetPort").asText())
        .isIn("admin", String.valueOf(adminContainerPort()));

    monitor
        .path("selector")
        .path("matchLabels")
        .fields()
        .forEachRemaining(
            e ->
                assertThat(service.path("metadata").path("labels").path(e.getKey()).asText())
                    .isEqualTo(e.getValue().asText()));
    assertThat(monitor.path("endpoints").get(0).path("port").asText()).isEqualTo("metrics");
    assertThat(monitor.path("endpoints").get(0).path("path").asText()).isEqualTo("/metrics");
    // the rules and the dashboard select job="bluejay-bridge"
    assertThat(
            service
                .path("metadata")
                .path("labels")
                .path(monitor.path("jobLabel").asText())
                .asText())
        .isEqualTo("bluejay-bridge");

    List<String> alerts = new ArrayList<>();
    rule.path("groups")
        .forEach(g -> g.path("rules").forEach(r -> alerts.add(r.path("alert").asText())));
    assertThat(alerts)
        .contains(
            "BluejayBridgeDeliveryPaused",
            "BluejayBridgeOutboxOldestAgeHigh",
            "BluejayBridgeDeliveryDeadLetters",
            "BluejayBridgeInputDeadLettersHigh",
            "BluejayBridgeStreamsNotRunning",
            "BluejayBridgeDown",
            "BluejayBridgeConsumerLagHigh");
  }

  @Test
  void appResourcesGoToTheOverlayNamespaceAndTheDashboardToGrafana() {
    for (JsonNode document : rendered) {
      String kind = document.path("kind").asText();
      if (kind.equals("Namespace") || kind.equals("KafkaTopic")) {
        continue;
      }
      assertThat(document.path("metadata").path("namespace").asText())
          .as("namespace of %s %s", kind, document.path("metadata").path("name").asText())
          .isEqualTo("bluejay-bridge");
    }
    JsonNode dashboard =
        rendered.stream()
            .filter(
                d ->
                    d.path("metadata")
                        .path("labels")
                        .path("grafana_dashboard")
                        .asText()
                        .equals("1"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ConfigMap labelled grafana_dashboard"));
    assertThat(dashboard.path("data").path("bluejay-bridge.json").asText())
        .isEqualTo(DeployFiles.read("k8s/base/dashboards/bluejay-bridge.json"));
  }

  @Test
  void strimziTopicsAreTheConfiguredOnesWithCoPartitionedInputs() throws IOException {
    BridgeConfig.Topics topics =
        ConfigLoader.load(
                Optional.empty(),
                Map.of(
                    "BRIDGE_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
                    "BRIDGE_SCHEMA_REGISTRY_URL", "http://registry:8081"))
            .topics();
    Map<String, JsonNode> byTopic = new HashMap<>();
    for (JsonNode topic : all(rendered, "KafkaTopic")) {
      byTopic.put(topic.path("spec").path("topicName").asText(), topic);
      // Strimzi 1.0 serves only kafka.strimzi.io/v1; its KafkaTopic spec has these fields
      assertThat(topic.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1");
      assertThat(topic.path("spec").fieldNames())
          .toIterable()
          .isSubsetOf("topicName", "partitions", "replicas", "config");
      assertThat(topic.path("metadata").path("labels").has("strimzi.io/cluster")).isTrue();
      assertThat(topic.path("metadata").path("namespace").asText())
          .as("KafkaTopics stay in the Topic Operator's namespace")
          .isEqualTo("kafka");
    }

    assertThat(byTopic.keySet())
        .containsExactlyInAnyOrder(
            topics.toolCalls(),
            topics.events(),
            topics.transcripts(),
            topics.inputDlq(),
            topics.deliveryDlq(),
            topics.deliveryReceipts().orElseThrow(),
            topics.webhookDeliveries(),
            topics.webhookEvents());
    // a webhook record holds a body up to webhooks.max-body-bytes, plus headers
    long webhookRecord = ConfigKeys.WEBHOOKS_MAX_BODY_BYTES.defaultValue() + 64 * 1024;
    for (String webhookTopic : List.of(topics.webhookDeliveries(), topics.webhookEvents())) {
      assertThat(
              byTopic
                  .get(webhookTopic)
                  .path("spec")
                  .path("config")
                  .path("max.message.bytes")
                  .asLong())
          .as("max.message.bytes of %s", webhookTopic)
          .isGreaterThanOrEqualTo(webhookRecord);
    }
    Set<Integer> inputPartitions = new HashSet<>();
    for (String input : List.of(topics.toolCalls(), topics.events(), topics.transcripts())) {
      inputPartitions.add(byTopic.get(input).path("spec").path("partitions").asInt());
    }
    assertThat(inputPartitions).as("partitions of the three input topics").hasSize(1);
    // a delivery dead letter holds the whole request body (up to 15 MiB)
    assertThat(
            byTopic
                .get(topics.deliveryDlq())
                .path("spec")
                .path("config")
                .path("max.message.bytes")
                .asLong())
        .isGreaterThanOrEqualTo(15L * 1024 * 1024);
  }

  @Test
  void everyStrimziResourceIsOnTheV1Api() {
    List<JsonNode> strimzi =
        rendered.stream()
            .filter(d -> d.path("apiVersion").asText().startsWith("kafka.strimzi.io/"))
            .toList();

    assertThat(strimzi).isNotEmpty();
    assertThat(strimzi)
        .extracting(d -> d.path("apiVersion").asText())
        .as("v1beta2, v1beta1 and v1alpha1 are gone in Strimzi 1.0")
        .containsOnly("kafka.strimzi.io/v1");
  }

  @Test
  void theBaseLeavesTheTopicsAndTheSecretToOverlays() {
    List<JsonNode> base = kustomize("k8s/base");

    assertThat(all(base, "KafkaTopic")).isEmpty();
    assertThat(all(base, "Secret"))
        .as("a Secret in the base would overwrite the real key on every apply")
        .isEmpty();
    assertThat(all(base, "StatefulSet")).hasSize(1);
  }
}
