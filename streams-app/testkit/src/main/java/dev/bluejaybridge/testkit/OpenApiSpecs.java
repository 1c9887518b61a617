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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bluejay's OpenAPI specs on the test classpath ({@code bluejay-openapi/}, trimmed to the
 * operations the bridge calls; that folder's README says where and when they were taken), and the
 * one place that loads a component schema of them (JSON Schema 2020-12, loaded by pointer). {@link
 * #validate} asserts {@code format}, so a malformed UUID is an error too; {@link BluejayStandIn}
 * loads its request schemas here as well.
 */
public final class OpenApiSpecs {

  /** The two specs (the newest, and the richest for workflows v2). */
  public enum Spec {
    /** update-log, update-simulation-result, simulation, queue-simulation-run, … */
    API("openapi-2026-04-30.json"),
    /** PUT /v1/workflow/{id} with typed nodes and its 400/401/404/422/500 answers. */
    WORKFLOWS("openapi-workflows-v2-2026-04-03.json");

    private final String resource;

    Spec(String fileName) {
      this.resource = "bluejay-openapi/" + fileName;
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
        SCHEMAS.computeIfAbsent(
            spec.name() + "#" + component, key -> schema(spec, component, true));
    Set<ValidationMessage> all = schema.validate(body);
    List<ValidationMessage> telling =
        all.stream().filter(m -> !m.getMessage().endsWith(", null expected")).toList();
    return (telling.isEmpty() ? List.copyOf(all) : telling)
        .stream().map(ValidationMessage::getMessage).sorted().toList();
  }

  /**
   * The component schema {@code #/components/schemas/<component>} of {@code spec}, read from the
   * classpath, with its validators initialised; {@code format} is asserted when {@code
   * assertFormats}.
   */
  static JsonSchema schema(Spec spec, String component, boolean assertFormats) {
    if (OpenApiSpecs.class.getClassLoader().getResource(spec.resource) == null) {
      throw new IllegalStateException(
          "Bluejay's OpenAPI spec " + spec.resource + " is not on the test classpath");
    }
    SchemaValidatorsConfig config =
        SchemaValidatorsConfig.builder().formatAssertionsEnabled(assertFormats).build();
    JsonSchema schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(
                SchemaLocation.of(
                    "classpath:" + spec.resource + "#/components/schemas/" + component),
                config);
    schema.initializeValidators();
    return schema;
  }
}
