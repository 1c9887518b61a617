package dev.bluejaybridge.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import feign.Headers;
import feign.Param;
import feign.RequestLine;

/**
 * The part of the Confluent Schema Registry REST API this project uses. Subjects are passed already
 * path-encoded ({@link RestSchemaRegistry#encodePathSegment}), so that '/', '%' and '?' in a
 * subject cannot change the path.
 */
@Headers({
  "Accept: application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json,"
      + " application/json",
  "Content-Type: application/vnd.schemaregistry.v1+json"
})
interface ConfluentApi {

  @RequestLine("GET /schemas/ids/{id}")
  SchemaResponse schemaById(@Param("id") int id);

  @RequestLine(value = "POST /subjects/{subject}/versions", decodeSlash = false)
  IdResponse register(@Param(value = "subject", encoded = true) String subject, SchemaRequest body);

  @RequestLine(value = "POST /subjects/{subject}", decodeSlash = false)
  SubjectSchemaResponse lookup(
      @Param(value = "subject", encoded = true) String subject, SchemaRequest body);

  @RequestLine(value = "GET /subjects/{subject}/versions/latest", decodeSlash = false)
  SubjectSchemaResponse latest(@Param(value = "subject", encoded = true) String subject);

  /** Body of register and lookup; schemaType is left out, so the registry assumes AVRO. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record SchemaRequest(String schema) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record SchemaResponse(String schema, String schemaType) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record IdResponse(Integer id) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record SubjectSchemaResponse(
      String subject, Integer id, Integer version, String schema, String schemaType) {}
}
