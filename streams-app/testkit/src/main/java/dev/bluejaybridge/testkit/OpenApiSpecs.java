package dev.bluejaybridge.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates request bodies against a component schema of one of Bluejay's OpenAPI specs in {@code
 * shared/bluejay/} (JSON Schema 2020-12, loaded by pointer, as {@link BluejayStandIn} does), with
 * {@code format} asserted, so a malformed UUID is an error too.
 */
public final class OpenApiSpecs {

  /** The two committed specs (FACTS.md: the newest, and the richest for workflows v2). */
  public enum Spec {
    /** simulation, queue-simulation-run, get-simulation-runs, update-log, … */
    API("../shared/bluejay/openapi-2026-04-30.json"),
    /** PUT /v1/workflow/{id} with typed nodes and its 400/401/404/422/500 answers. */
    WORKFLOWS("../shared/bluejay/openapi-workflows-v2-2026-04-03.json");

    private final String fromRepoRoot;

    Spec(String fromRepoRoot) {
      this.fromRepoRoot = fromRepoRoot;
    }
  }

  public static final String UPDATE_SIMULATION = "src__api__simulations__UpdateSimulationRequest";
  public static final String QUEUE_SIMULATION_RUN = "src__main__SimulationRunRequest";
  public static final String UPDATE_WORKFLOW = "UpdateWorkflowV2Request";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();

  private OpenApiSpecs() {}

  /** The schema's complaints about {@code body}; empty when it is valid. */
  public static List<String> validate(Spec spec, String component, byte[] body) {
    try {
      return validate(spec, component, JSON.readTree(body));
    } catch (IOException e) {
      return List.of("body is not JSON: " + e.getMessage());
    }
  }

  /**
   * The schema's complaints about {@code body}. Every nullable field is {@code anyOf: [X, {type:
   * null}]}, so a bad value also fails the null branch: that noise is dropped when a more telling
   * message remains.
   */
  public static List<String> validate(Spec spec, String component, JsonNode body) {
    JsonSchema schema =
        SCHEMAS.computeIfAbsent(spec.name() + "#" + component, key -> load(spec, component));
    Set<ValidationMessage> all = schema.validate(body);
    List<ValidationMessage> telling =
        all.stream().filter(m -> !m.getMessage().endsWith(", null expected")).toList();
    return (telling.isEmpty() ? List.copyOf(all) : telling)
        .stream().map(ValidationMessage::getMessage).sorted().toList();
  }

  private static JsonSchema load(Spec spec, String component) {
    Path file = repositoryRoot().resolve(spec.fromRepoRoot).normalize();
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          "Bluejay's OpenAPI spec is not at "
              + file
              + " ("
              + spec.fromRepoRoot
              + " from the repository root): clone the repository with shared/ beside it");
    }
    SchemaValidatorsConfig config =
        SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    JsonSchema schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(
                SchemaLocation.of(file.toUri() + "#/components/schemas/" + component), config);
    schema.initializeValidators();
    return schema;
  }

  /** The nearest directory up from the working one that holds mvnw. */
  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "no repository root (a directory with mvnw) above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
