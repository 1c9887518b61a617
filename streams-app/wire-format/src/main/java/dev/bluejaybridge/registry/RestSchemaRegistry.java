package dev.bluejaybridge.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.http.BoundedHttpClient;
import dev.bluejaybridge.http.HttpUrls;
import feign.Client;
import feign.Feign;
import feign.FeignException;
import feign.Request;
import feign.RetryableException;
import feign.Retryer;
import feign.auth.BasicAuthRequestInterceptor;
import feign.jackson.JacksonDecoder;
import feign.jackson.JacksonEncoder;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistry} over the Confluent Schema Registry REST API (also served by Confluent
 * Cloud, Apicurio's ccompat API, Karapace and Redpanda), on Feign with pooled HTTP/1.1 connections.
 *
 * <p>Several base URLs fail over: an I/O error, timeout, HTTP 5xx or 429 moves on to the next URL,
 * and the URL that last answered is tried first next time. When every URL failed, {@link
 * RegistryUnavailableException} lists them all. No caching here: wrap in {@link
 * CachingSchemaRegistry}. Only Avro schemas without references are supported.
 */
final class RestSchemaRegistry implements SchemaRegistry {

  private static final Logger LOGGER = LoggerFactory.getLogger(RestSchemaRegistry.class);

  /** The longest registry answer read: a schema is kilobytes; a longer answer is an error. */
  static final long MAX_ANSWER_BYTES = 16L * 1024 * 1024;

  /** How much of an error answer is read, for its message and error code. */
  static final long MAX_ERROR_ANSWER_BYTES = 64L * 1024;

  private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@]*@");

  private final List<Endpoint> endpoints;
  private final AtomicInteger preferred = new AtomicInteger();
  private final Optional<String> password;

  private record Endpoint(String url, ConfluentApi api) {}

  /**
   * A client for the registry at {@code baseUrls} (tried in order).
   *
   * @param baseUrls http(s) URLs, e.g. {@code http://registry:8081}; no credentials in them
   * @param basicAuth {@code user:password} for HTTP basic authentication, if the registry needs it
   * @param timeout the connect timeout and the timeout of each request
   * @throws IllegalArgumentException if a URL, the basic auth or the timeout is invalid
   */
  public RestSchemaRegistry(List<String> baseUrls, Optional<String> basicAuth, Duration timeout) {
    Objects.requireNonNull(baseUrls, "baseUrls");
    Objects.requireNonNull(basicAuth, "basicAuth");
    Objects.requireNonNull(timeout, "timeout");
    if (baseUrls.isEmpty()) {
      throw new IllegalArgumentException("at least one schema registry URL is needed");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("schema registry timeout must be positive: " + timeout);
    }
    List<String> urls = baseUrls.stream().map(RestSchemaRegistry::checkedBaseUrl).toList();

    Optional<BasicAuthRequestInterceptor> auth = Optional.empty();
    Optional<String> secret = Optional.empty();
    if (basicAuth.isPresent()) {
      String userInfo = basicAuth.get();
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        // Do not echo the value: it may be a password pasted alone.
        throw new IllegalArgumentException("schema registry basic auth must be 'user:password'");
      }
      String user = userInfo.substring(0, colon);
      String pass = userInfo.substring(colon + 1);
      auth = Optional.of(new BasicAuthRequestInterceptor(user, pass, StandardCharsets.UTF_8));
      secret = pass.isEmpty() ? Optional.empty() : Optional.of(pass);
    }
    this.password = secret;

    ObjectMapper mapper =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    // Redirect.NEVER and this connect timeout match the Options below, so Http2Client keeps using
    // this one client (and its connection pool) instead of building another per request.
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .build();
    // One deadline for the whole answer (Feign's per-read timeouts let a trickling registry hold a
    // lookup, and with it a stream thread, forever) and a bounded body.
    Client client = new BoundedHttpClient(http, timeout, MAX_ANSWER_BYTES, MAX_ERROR_ANSWER_BYTES);
    Request.Options options = new Request.Options(timeout, timeout, false);

    List<Endpoint> built = new ArrayList<>();
    for (String url : urls) {
      Feign.Builder builder =
          Feign.builder()
              .client(client)
              .options(options)
              .encoder(new JacksonEncoder(mapper))
              .decoder(new JacksonDecoder(mapper))
              .errorDecoder(new RegistryErrorDecoder(mapper))
              .retryer(Retryer.NEVER_RETRY);
      auth.ifPresent(builder::requestInterceptor);
      built.add(new Endpoint(url, builder.target(ConfluentApi.class, url)));
    }
    this.endpoints = List.copyOf(built);
  }

  @Override
  public Schema schemaById(int id) {
    String what = "schema id " + id;
    ConfluentApi.SchemaResponse response = call(what, api -> api.schemaById(id));
    if (response == null || response.schema() == null) {
      throw new RegistryException(what + ": the registry's answer has no schema");
    }
    return parse(what, response.schemaType(), response.schema());
  }

  @Override
  public int register(String subject, Schema schema) {
    String what = "registering a schema under subject '" + checkedSubject(subject) + "'";
    ConfluentApi.SchemaRequest body = new ConfluentApi.SchemaRequest(schema.toString());
    ConfluentApi.IdResponse response =
        call(what, api -> api.register(encodePathSegment(subject), body));
    if (response == null || response.id() == null) {
      throw new RegistryException(what + ": the registry's answer has no id");
    }
    return response.id();
  }

  @Override
  public int idOf(String subject, Schema schema) {
    String what = "schema in subject '" + checkedSubject(subject) + "'";
    ConfluentApi.SchemaRequest body = new ConfluentApi.SchemaRequest(schema.toString());
    ConfluentApi.SubjectSchemaResponse response =
        call(what, api -> api.lookup(encodePathSegment(subject), body));
    if (response == null || response.id() == null) {
      throw new RegistryException(what + ": the registry's answer has no id");
    }
    return response.id();
  }

  @Override
  public RegisteredSchema latest(String subject) {
    String what = "latest version of subject '" + checkedSubject(subject) + "'";
    ConfluentApi.SubjectSchemaResponse response =
        call(what, api -> api.latest(encodePathSegment(subject)));
    if (response == null
        || response.id() == null
        || response.version() == null
        || response.schema() == null) {
      throw new RegistryException(what + ": the registry's answer lacks id, version or schema");
    }
    return new RegisteredSchema(
        response.subject() == null ? subject : response.subject(),
        response.version(),
        response.id(),
        parse(what, response.schemaType(), response.schema()));
  }

  @Override
  public String toString() {
    return "RestSchemaRegistry" + endpoints.stream().map(Endpoint::url).toList();
  }

  /**
   * Tries each URL, starting with the one that answered last, until one answers. Not found and
   * permanent errors stop at once: another replica of the same registry would say the same.
   */
  private <R> R call(String what, Function<ConfluentApi, R> request) {
    int first = preferred.get();
    List<String> failures = new ArrayList<>(endpoints.size());
    Throwable lastCause = null;
    for (int i = 0; i < endpoints.size(); i++) {
      int index = (first + i) % endpoints.size();
      Endpoint endpoint = endpoints.get(index);
      String failure;
      try {
        R result = request.apply(endpoint.api());
        if (index != first && preferred.compareAndSet(first, index)) {
          LOGGER.info("Schema registry failed over url={} operation=\"{}\"", endpoint.url(), what);
        }
        return result;
      } catch (HttpFailure e) {
        switch (e.kind()) {
          case NOT_FOUND ->
              throw new UnknownSchemaException(
                  what + " not found at " + endpoint.url() + ": " + redact(e.getMessage()),
                  OptionalInt.of(e.status()),
                  e.errorCode());
          case PERMANENT ->
              throw new RegistryException(
                  what + " failed at " + endpoint.url() + ": " + redact(e.getMessage()),
                  OptionalInt.of(e.status()),
                  e.errorCode());
          // the registry's answer may echo the password; not kept as a cause, whose text is not
          default -> failure = redact(e.getMessage());
        }
      } catch (RetryableException e) {
        // I/O error or timeout. Keep only the cause: Feign's exception holds the request, whose
        // headers carry the credentials. The cause's text is the JDK's, never the registry's.
        Throwable cause = e.getCause() == null ? e : e.getCause();
        failure = HttpUrls.describe(cause);
        lastCause = e.getCause();
      } catch (FeignException e) {
        // Typically an answer that does not parse as JSON: this URL is not a registry.
        throw new RegistryException(
            what
                + " failed at "
                + endpoint.url()
                + ": unreadable answer: "
                + redact(
                    RegistryErrorDecoder.printable(
                        HttpUrls.describe(e.getCause() == null ? e : e.getCause()))),
            e.status() > 0 ? OptionalInt.of(e.status()) : OptionalInt.empty(),
            OptionalInt.empty());
      }
      failures.add(endpoint.url() + " -> " + failure);
      LOGGER.warn(
          "Schema registry request failed url={} operation=\"{}\" error=\"{}\"",
          endpoint.url(),
          what,
          failure);
    }
    throw new RegistryUnavailableException(
        "schema registry unavailable for " + what + "; tried " + String.join("; ", failures),
        lastCause);
  }

  private static Schema parse(String what, String schemaType, String json) {
    if (schemaType != null && !"AVRO".equalsIgnoreCase(schemaType)) {
      throw new RegistryException(what + " is a " + schemaType + " schema, not AVRO");
    }
    try {
      return new Schema.Parser().parse(json);
    } catch (SchemaParseException e) {
      throw new RegistryException(what + ": the registry returned an invalid Avro schema", e);
    }
  }

  /**
   * Masks the password where the registry's answer or an exception's text carries it; only there:
   * our own parts of a message (the URL, the operation) cannot hold it.
   */
  private String redact(String text) {
    return password.map(p -> text.replace(p, "****")).orElse(text);
  }

  private static String checkedSubject(String subject) {
    if (subject == null || subject.isEmpty()) {
      throw new IllegalArgumentException("subject must not be empty");
    }
    return subject;
  }

  /**
   * Percent-encodes {@code segment} for one URL path segment: everything except RFC 3986 unreserved
   * characters, so '/', '%', '?', '#' and spaces stay inside the segment.
   */
  static String encodePathSegment(String segment) {
    return HttpUrls.encodePathSegment(segment);
  }

  /** Validates a base URL and drops trailing slashes. */
  static String checkedBaseUrl(String url) {
    String shown = url == null ? "null" : USER_INFO.matcher(url).replaceFirst("****@");
    URI uri;
    try {
      uri = new URI(Objects.requireNonNull(url, "url").strip());
    } catch (java.net.URISyntaxException | NullPointerException e) {
      throw new IllegalArgumentException("invalid schema registry URL '" + shown + "'", e);
    }
    return HttpUrls.checkedBaseUrl(
        uri,
        "schema registry URL",
        shown,
        "credentials in the URL are not supported, use basic auth");
  }
}
