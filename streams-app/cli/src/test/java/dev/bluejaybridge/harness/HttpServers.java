package dev.bluejaybridge.harness;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The one way the harness makes a JDK HTTP server (the Bluejay receiver, the schema registry), so
 * that {@code sun.net.httpserver.nodelay} is set before the first server of this JVM exists: the
 * JDK reads it once, when its {@code ServerConfig} class loads, and every later server keeps what
 * the first one found (issue 14). Without it the server leaves Nagle on and small answers wait for
 * delayed ACKs (~40 ms each), which would make the receiver, not the bridge, the bottleneck.
 *
 * <p>{@link #init()} is also called first thing by the chaos command; a JDK server made elsewhere
 * in the same JVM before it would still win, so the harness makes none any other way.
 */
final class HttpServers {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private HttpServers() {}

  /** Sets the server properties (a no-op after the first call). */
  static void init() {
    // the static initializer did the work
  }

  /** An unstarted server bound to {@code address}, with nodelay on. */
  static HttpServer create(InetSocketAddress address, int backlog) throws IOException {
    return HttpServer.create(address, backlog);
  }
}
