package dev.bluejaybridge.bluejay;

/**
 * HTTP 401 or 403: the API key is missing, wrong or lacks rights. No request will succeed until the
 * key changes, so the caller pauses rather than giving up on the call.
 */
public final class AuthException extends BluejayException {

  public AuthException(
      String message, int status, String method, String path, String responseBody) {
    super(message, status, method, path, responseBody, null);
  }
}
