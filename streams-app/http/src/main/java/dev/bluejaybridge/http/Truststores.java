package dev.bluejaybridge.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Collections;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Trust for our HTTPS clients beyond the JVM's default CAs: a truststore file (PKCS12 or JKS, the
 * type is detected). Hostnames are still verified; only which certificates are trusted changes.
 */
public final class Truststores {
  private Truststores() {}

  /**
   * A TLS context that trusts the certificates in {@code file} (and only those).
   *
   * @param password the store's password, or null for a store without one
   * @throws IllegalArgumentException naming the file and what is wrong with it (never the password)
   */
  public static SSLContext sslContext(Path file, char[] password) {
    KeyStore store = load(file, password);
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "truststore " + file + " cannot be used: " + HttpUrls.describe(e), e);
    }
  }

  private static KeyStore load(Path file, char[] password) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException("truststore " + file + " is not a readable file");
    }
    KeyStore store;
    try {
      store = KeyStore.getInstance(file.toFile(), password);
    } catch (IOException e) {
      String why =
          e.getCause() instanceof UnrecoverableKeyException
              ? "wrong password (or the store is damaged)"
              : HttpUrls.describe(e);
      throw new IllegalArgumentException("cannot read truststore " + file + ": " + why, e);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot read truststore " + file + " (PKCS12 or JKS expected): " + HttpUrls.describe(e),
          e);
    }
    try {
      boolean anyCertificate = false;
      for (String alias : Collections.list(store.aliases())) {
        anyCertificate |= store.getCertificate(alias) != null;
      }
      if (!anyCertificate) {
        throw new IllegalArgumentException("truststore " + file + " holds no certificate");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot read truststore " + file + ": " + HttpUrls.describe(e), e);
    }
    return store;
  }
}
