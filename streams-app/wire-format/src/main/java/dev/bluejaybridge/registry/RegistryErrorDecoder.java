package dev.bluejaybridge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import feign.Response;
import feign.codec.ErrorDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The one place where a registry's error answer is classified: not found, transient or permanent.
 * Reads Confluent's {@code {"error_code": 40403, "message": "..."}} body and {@code Retry-After}.
 * The description carries status, error code, message, method and path, never request headers.
 */
final class RegistryErrorDecoder implements ErrorDecoder {

  /** Subject not found, version not found, schema not found, subject not soft-deleted. */
  static final Set<Integer> NOT_FOUND_CODES = Set.of(40401, 40402, 40403, 40405);

  private static final int MAX_BODY_BYTES = 4096;
  private static final int MAX_TEXT_CHARS = 300;

  private final ObjectMapper mapper;

  RegistryErrorDecoder(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  public Exception decode(String methodKey, Response response) {
    int status = response.status();
    byte[] body = readBody(response);
    OptionalInt errorCode = OptionalInt.empty();
    String message = null;
    try {
      JsonNode json = body.length == 0 ? null : mapper.readTree(body);
      if (json != null && json.isObject()) {
        if (json.path("error_code").canConvertToInt()) {
          errorCode = OptionalInt.of(json.get("error_code").asInt());
        }
        if (json.hasNonNull("message")) {
          message = json.get("message").asText();
        }
      }
    } catch (IOException notJson) {
      // An HTML error page from a proxy, say: the raw text, truncated, is the best we have.
    }
    if (message == null && body.length > 0) {
      message = new String(body, StandardCharsets.UTF_8);
    }

    StringBuilder description = new StringBuilder("HTTP ").append(status);
    errorCode.ifPresent(code -> description.append(" error_code=").append(code));
    if (message != null) {
      description.append(" message=\"").append(printable(message)).append('"');
    }
    retryAfter(response).ifPresent(value -> description.append(" retry_after=").append(value));
    description
        .append(" (")
        .append(response.request().httpMethod())
        .append(' ')
        .append(path(response.request().url()))
        .append(')');

    return new HttpFailure(kind(status, errorCode), status, errorCode, description.toString());
  }

  /**
   * Not found only when a registry says so: a Confluent "not found" error code, or a 404 whose
   * error code is a 404xx. A bare 404 (an HTML page from a proxy, a wrong base path) says nothing
   * about the schema: taking it for "unknown schema id" would dead-letter every record, so it is
   * permanent, which fails the stream thread until the URL is fixed.
   */
  static HttpFailure.Kind kind(int status, OptionalInt errorCode) {
    if (status >= 500 || status == 408 || status == 429) {
      return HttpFailure.Kind.TRANSIENT;
    }
    if (errorCode.isPresent()
        && (NOT_FOUND_CODES.contains(errorCode.getAsInt())
            || (status == 404 && errorCode.getAsInt() / 100 == 404))) {
      return HttpFailure.Kind.NOT_FOUND;
    }
    return HttpFailure.Kind.PERMANENT;
  }

  private static byte[] readBody(Response response) {
    if (response.body() == null) {
      return new byte[0];
    }
    try (InputStream in = response.body().asInputStream()) {
      return in.readNBytes(MAX_BODY_BYTES);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static Optional<String> retryAfter(Response response) {
    Collection<String> values = response.headers().get("Retry-After");
    return values == null || values.isEmpty()
        ? Optional.empty()
        : Optional.of(printable(values.iterator().next()));
  }

  private static String path(String url) {
    try {
      return URI.create(url).getRawPath();
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  /** One line, bounded length: registry text goes into exception messages and logs. */
  static String printable(String text) {
    String oneLine = text.strip().replaceAll("\\s+", " ").replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= MAX_TEXT_CHARS
        ? oneLine
        : oneLine.substring(0, MAX_TEXT_CHARS) + "...(truncated)";
  }
}
