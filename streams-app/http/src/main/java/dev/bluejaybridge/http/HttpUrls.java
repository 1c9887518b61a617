package dev.bluejaybridge.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/** What our HTTP clients (Bluejay, the schema registry) share: base-URL checks, error text. */
public final class HttpUrls {
  private HttpUrls() {}

  /**
   * Checks a base URL (http or https, a host, no credentials, query or fragment) and returns it
   * without trailing slashes.
   *
   * @param what names the URL in the error, e.g. "Bluejay base URL"
   * @param shown the URL as it may be printed (credentials masked)
   * @param noCredentials what to say when the URL carries credentials
   * @throws IllegalArgumentException naming the URL and the problem
   */
  public static String checkedBaseUrl(URI uri, String what, String shown, String noCredentials) {
    String problem = null;
    if (uri.getScheme() == null
        || !(uri.getScheme().equalsIgnoreCase("http")
            || uri.getScheme().equalsIgnoreCase("https"))) {
      problem = "the scheme must be http or https";
    } else if (uri.getHost() == null) {
      problem = "it has no host";
    } else if (uri.getRawUserInfo() != null) {
      problem = noCredentials;
    } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      problem = "it must not have a query or fragment";
    }
    if (problem != null) {
      throw new IllegalArgumentException("invalid " + what + " '" + shown + "': " + problem);
    }
    String text = uri.toString();
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    return text;
  }

  /** The exception's type and the first message in its cause chain (ConnectException has none). */
  public static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        return e.getClass().getSimpleName()
            + ": "
            + (t == e ? "" : t.getClass().getSimpleName() + ": ")
            + t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  /**
   * Percent-encodes {@code value} as one URL path segment: every byte of its UTF-8 form except RFC
   * 3986 unreserved characters, so '/', '%', '?', '#' and spaces stay inside the segment; and
   * {@code .} or {@code ..} alone become {@code %2E} / {@code %2E%2E}, so no dot-segment can move
   * the request to another path.
   */
  public static String encodePathSegment(String value) {
    if (value.equals(".")) {
      return "%2E";
    }
    if (value.equals("..")) {
      return "%2E%2E";
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length * 3);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        out.append((char) c);
      } else {
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
