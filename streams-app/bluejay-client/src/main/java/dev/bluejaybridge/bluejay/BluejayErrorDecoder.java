package dev.bluejaybridge.bluejay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bluejaybridge.http.HttpUrls;
import feign.Request;
import feign.Response;
import feign.codec.ErrorDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;

/**
 * The one place where a failed Bluejay request is classified: retryable, auth or rejected. Feign
 * calls {@link #decode} for every non-2xx answer; the client calls {@link #ioFailure} when no
 * answer came. {@code Retry-After} is read here, relative to the injected clock. Messages carry
 * status, method, path and the truncated body, never request headers; the API key that was sent is
 * masked should the server echo it.
 */
final class BluejayErrorDecoder implements ErrorDecoder {

  static final String API_KEY_HEADER = "X-API-Key";

  private static final String TRUNCATED = "...(truncated)";

  /** How much of an error body is read, to parse validation details from. */
  static final int MAX_PARSED_BYTES = 256 * 1024;

  /** Delta-seconds longer than this many digits are past any wait (and past a long). */
  private static final int MAX_SECONDS_DIGITS = 18;

  /** Obsolete HTTP-date forms that RFC 9110 §5.6.7 still asks recipients to accept. */
  private static final List<DateTimeFormatter> HTTP_DATES =
      List.of(
          DateTimeFormatter.RFC_1123_DATE_TIME,
          DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US),
          DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US)
              .withZone(java.time.ZoneOffset.UTC));

  private final ObjectMapper mapper;
  private final Clock clock;

  BluejayErrorDecoder(ObjectMapper mapper, Clock clock) {
    this.mapper = mapper;
    this.clock = clock;
  }

  @Override
  public Exception decode(String methodKey, Response response) {
    Request request = response.request();
    return fromStatus(
        response.status(),
        request.httpMethod().name(),
        path(request.url()),
        sentKey(request),
        readBody(response),
        headers(response, "Retry-After"));
  }

  /** Classifies an answer with a non-2xx status. */
  BluejayException fromStatus(
      int status,
      String method,
      String path,
      Optional<String> sentKey,
      byte[] body,
      Collection<String> retryAfterHeaders) {
    String text = redact(truncatedText(body), sentKey);
    String message = "HTTP " + status + " " + method + " " + path + ": " + printable(text);
    if (status == 401 || status == 403) {
      return new AuthException(message, status, method, path, text);
    }
    if (status == 408 || status == 429 || status >= 500) {
      Optional<Duration> retryAfter = retryAfter(retryAfterHeaders);
      // A 5xx may come after the request was applied (a gateway that lost the answer, a server
      // that failed after writing): its outcome is unknown. A 408 or 429 refused it unread.
      boolean outcomeUnknown = status >= 500;
      return new RetryableException(
          message, status, method, path, text, retryAfter, outcomeUnknown, null);
    }
    return new RejectedException(message, status, method, path, text, details(body, sentKey));
  }

  /**
   * Classifies a request that got no answer. The outcome is known (not sent) only when connecting
   * failed; after that, Bluejay may have received the request before the connection broke.
   */
  static RetryableException ioFailure(
      String method, String path, Optional<String> sentKey, IOException cause) {
    boolean notSent = false;
    boolean tls = false;
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof HttpConnectTimeoutException
          || t instanceof UnknownHostException
          || t instanceof NoRouteToHostException
          || t instanceof SSLHandshakeException) {
        notSent = true;
        tls = t instanceof SSLHandshakeException;
        break;
      }
    }
    String message =
        "I/O error "
            + method
            + " "
            + path
            + ": "
            + (tls
                ? "TLS handshake failed (certificate not trusted? see bluejay.truststore): "
                : "")
            + redact(printable(HttpUrls.describe(cause)), sentKey);
    return new RetryableException(message, -1, method, path, "", Optional.empty(), !notSent, cause);
  }

  /**
   * The wait of every {@code Retry-After} value of an answer: the longest valid one (a server or
   * proxy that sends several asks for at least each); empty when none is valid.
   */
  Optional<Duration> retryAfter(Collection<String> values) {
    Optional<Duration> longest = Optional.empty();
    for (String value : values) {
      Optional<Duration> wait = retryAfter(value);
      if (wait.isPresent() && (longest.isEmpty() || wait.get().compareTo(longest.get()) > 0)) {
        longest = wait;
      }
    }
    return longest;
  }

  /**
   * {@code Retry-After} as delta-seconds or an HTTP-date (IMF-fixdate and RFC 9110's two obsolete
   * forms), relative to the clock: a date in the past means now; a wait longer than {@link
   * RetryableException#MAX_RETRY_AFTER} (however many digits, or a date however far) reads as that.
   * Anything else (negative, fractional, exponent, garbage) is empty: no wait was asked. A list
   * joined by commas gives its longest delta-seconds. Never throws. The caller caps the wait
   * further ({@code delivery.max-retry-after}).
   */
  Optional<Duration> retryAfter(String value) {
    try {
      String v = value.strip();
      Optional<Duration> whole = parse(v);
      if (whole.isPresent() || v.indexOf(',') < 0) {
        return whole;
      }
      Optional<Duration> longest = Optional.empty();
      for (String part : v.split(",")) {
        String seconds = part.strip();
        if (isDigits(seconds)) {
          Duration wait = deltaSeconds(seconds);
          if (longest.isEmpty() || wait.compareTo(longest.get()) > 0) {
            longest = Optional.of(wait);
          }
        }
      }
      return longest;
    } catch (RuntimeException unexpected) {
      // Nothing a server sends may fail the request's classification.
      return Optional.empty();
    }
  }

  private Optional<Duration> parse(String v) {
    if (isDigits(v)) {
      return Optional.of(deltaSeconds(v));
    }
    for (DateTimeFormatter format : HTTP_DATES) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, format);
        Duration wait = Duration.between(clock.instant(), at.toInstant());
        return Optional.of(bounded(wait));
      } catch (DateTimeException | ArithmeticException next) {
        // try the next form
      }
    }
    return Optional.empty();
  }

  private static boolean isDigits(String v) {
    return !v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /** Digits only; leading zeros do not count toward the length. */
  private static Duration deltaSeconds(String digits) {
    int first = 0;
    while (first < digits.length() - 1 && digits.charAt(first) == '0') {
      first++;
    }
    String significant = digits.substring(first);
    if (significant.length() > MAX_SECONDS_DIGITS) {
      return RetryableException.MAX_RETRY_AFTER;
    }
    return bounded(Duration.ofSeconds(Long.parseLong(significant)));
  }

  private static Duration bounded(Duration wait) {
    if (wait.isNegative()) {
      return Duration.ZERO;
    }
    return wait.compareTo(RetryableException.MAX_RETRY_AFTER) > 0
        ? RetryableException.MAX_RETRY_AFTER
        : wait;
  }

  private List<ValidationDetail> details(byte[] body, Optional<String> sentKey) {
    JsonNode json;
    try {
      json = body.length == 0 ? null : mapper.readTree(body);
    } catch (IOException notJson) {
      return List.of();
    }
    if (json == null || !json.path("detail").isArray()) {
      return List.of();
    }
    List<ValidationDetail> details = new ArrayList<>();
    for (JsonNode item : json.get("detail")) {
      if (!item.isObject()) {
        continue;
      }
      List<String> loc = new ArrayList<>();
      for (JsonNode part : item.path("loc")) {
        loc.add(redact(part.isValueNode() ? part.asText() : part.toString(), sentKey));
      }
      details.add(
          new ValidationDetail(
              loc,
              redact(textOrNull(item.get("msg")), sentKey),
              redact(textOrNull(item.get("type")), sentKey)));
    }
    return details;
  }

  private static String textOrNull(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  static Optional<String> sentKey(Request request) {
    Collection<String> values = request.headers().get(API_KEY_HEADER);
    return values == null || values.isEmpty()
        ? Optional.empty()
        : Optional.of(values.iterator().next()).filter(key -> !key.isEmpty());
  }

  /** Masks the key that was sent, should the server echo it in its answer. */
  static String redact(String text, Optional<String> key) {
    return text == null ? null : key.map(k -> text.replace(k, "****")).orElse(text);
  }

  private static Collection<String> headers(Response response, String name) {
    Collection<String> values = response.headers().get(name);
    return values == null ? List.of() : values;
  }

  private static byte[] readBody(Response response) {
    if (response.body() == null) {
      return new byte[0];
    }
    try (InputStream in = response.body().asInputStream()) {
      // More than the text kept: a long 422 still yields all its details.
      return in.readNBytes(MAX_PARSED_BYTES);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /**
   * At most {@link BluejayException#MAX_BODY_BYTES} of the body as text, never splitting a UTF-8
   * sequence, marked when cut.
   */
  static String truncatedText(byte[] body) {
    if (body.length <= BluejayException.MAX_BODY_BYTES) {
      return new String(body, StandardCharsets.UTF_8);
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    CharBuffer out = CharBuffer.allocate(BluejayException.MAX_BODY_BYTES);
    // endOfInput=false leaves an incomplete trailing sequence undecoded instead of replacing it.
    decoder.decode(ByteBuffer.wrap(body, 0, BluejayException.MAX_BODY_BYTES), out, false);
    out.flip();
    return out + TRUNCATED;
  }

  static String path(String url) {
    try {
      String raw = URI.create(url).getRawPath();
      return raw == null ? url : raw;
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  /** One line: bodies go into exception messages and logs. */
  static String printable(String text) {
    String oneLine = text.strip().replaceAll("\\s+", " ").replaceAll("\\p{Cntrl}", "?");
    return oneLine.isEmpty() ? "(empty body)" : oneLine;
  }
}
