package dev.bluejaybridge.http;

import java.net.URI;

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
}
