package dev.bluejaybridge.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import feign.Request;
import feign.Response;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegistryErrorDecoderTest {

  private final RegistryErrorDecoder decoder = new RegistryErrorDecoder(new ObjectMapper());

  @ParameterizedTest(name = "HTTP {0} error_code {1} is {2}")
  @CsvSource({
    "404, 40401, NOT_FOUND",
    "404, 40402, NOT_FOUND",
    "404, 40403, NOT_FOUND",
    "404, 40404, NOT_FOUND",
    "404, , PERMANENT",
    "404, 404, PERMANENT",
    "422, 40405, NOT_FOUND",
    "500, 50001, TRANSIENT",
    "502, , TRANSIENT",
    "503, 50003, TRANSIENT",
    "408, , TRANSIENT",
    "429, , TRANSIENT",
    "401, 401, PERMANENT",
    "403, , PERMANENT",
    "409, 409, PERMANENT",
    "422, 42201, PERMANENT"
  })
  void classifiesStatusAndErrorCode(int status, Integer errorCode, HttpFailure.Kind kind) {
    OptionalInt code = errorCode == null ? OptionalInt.empty() : OptionalInt.of(errorCode);

    assertThat(RegistryErrorDecoder.kind(status, code)).isEqualTo(kind);
  }

  @Test
  void describesStatusCodeMessageMethodAndPath() {
    HttpFailure failure =
        decode(
            404,
            "{\"error_code\":40401,\"message\":\"Subject 'a/b' not found.\"}",
            "http://registry:8081/subjects/a%2Fb/versions/latest");

    assertThat(failure.kind()).isEqualTo(HttpFailure.Kind.NOT_FOUND);
    assertThat(failure.errorCode()).isEqualTo(OptionalInt.of(40401));
    assertThat(failure.getMessage())
        .isEqualTo(
            "HTTP 404 error_code=40401 message=\"Subject 'a/b' not found.\""
                + " (GET /subjects/a%2Fb/versions/latest)");
  }

  @Test
  void bodyThatIsNotJsonIsShownAsText() {
    HttpFailure failure = decode(502, "Bad\ngateway", "http://registry:8081/schemas/ids/1");

    assertThat(failure.kind()).isEqualTo(HttpFailure.Kind.TRANSIENT);
    assertThat(failure.getMessage()).contains("message=\"Bad gateway\"");
  }

  private HttpFailure decode(int status, String body, String url) {
    Request request =
        Request.create(Request.HttpMethod.GET, url, Map.of(), null, StandardCharsets.UTF_8, null);
    Map<String, Collection<String>> headers = Map.of("Content-Type", List.of("application/json"));
    Response response =
        Response.builder()
            .status(status)
            .request(request)
            .headers(headers)
            .body(body, StandardCharsets.UTF_8)
            .build();
    return (HttpFailure) decoder.decode("ConfluentApi#latest(String)", response);
  }
}
