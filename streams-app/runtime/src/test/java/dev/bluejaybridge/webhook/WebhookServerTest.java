package dev.bluejaybridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.bluejaybridge.http.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 11: the webhook receiver's own server honours its address, port and body limit, and
 * a slow client holds no thread and is cut off. Raw sockets, to send exactly the bytes a hostile
 * client would.
 */
class WebhookServerTest {
  private static final String BODY = "{\"type\":\"simulation_ended\",\"id\":7}";
  private static final Duration SHORT = Duration.ofMillis(500);

  private final MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  private final List<WebhookServer> servers = new ArrayList<>();
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    servers.forEach(WebhookServer::close);
  }

  private WebhookServer start(WebhookServer.Settings settings) {
    WebhookServer server =
        WebhookServer.start(
            settings,
            new WebhookReceiver(
                () -> Secret.of("whsec-test-secret"),
                producer,
                "bluejay.webhook-deliveries",
                Clock.systemUTC()));
    servers.add(server);
    return server;
  }

  private static WebhookServer.Settings on(String address) {
    WebhookServer.Settings base = WebhookReceiverTest.settings();
    return new WebhookServer.Settings(
        address,
        0,
        base.maxBodyBytes(),
        base.headerTimeout(),
        base.bodyTimeout(),
        base.idleTimeout(),
        base.workers(),
        base.queue(),
        base.maxConnections());
  }

  private Socket connect(String host, int port) throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.connect(new InetSocketAddress(host, port), 5_000);
    socket.setSoTimeout(30_000);
    return socket;
  }

  private static void write(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** The status line the server answered, or null when it closed the connection unanswered. */
  private static String statusLine(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      line.append((char) c);
    }
    return line.length() == 0 ? null : line.toString().trim();
  }

  /** True once the server closed the connection (end of stream or reset); skips what it sent. */
  private static boolean closedByServer(Socket socket) {
    try {
      socket.setSoTimeout(100);
      byte[] skipped = new byte[4096];
      while (true) {
        if (socket.getInputStream().read(skipped) == -1) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  private static String post(int contentLength) {
    return "POST "
        + WebhookReceiver.PATH
        + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "X-Bluejay-Signature: 00\r\nContent-Length: "
        + contentLength
        + "\r\n\r\n";
  }

  @Test
  void listensOnTheConfiguredAddressOnly() throws Exception {
    WebhookServer loopbackOne = start(on("127.0.0.1"));
    WebhookServer loopbackTwo = start(on("127.0.0.2"));

    assertThat(loopbackOne.port()).isPositive().isNotEqualTo(loopbackTwo.port());
    connect("127.0.0.1", loopbackOne.port()).close();
    connect("127.0.0.2", loopbackTwo.port()).close();
    assertThatThrownBy(() -> connect("127.0.0.2", loopbackOne.port()))
        .isInstanceOf(ConnectException.class);
    assertThatThrownBy(() -> connect("127.0.0.1", loopbackTwo.port()))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void aPortInUseFailsNamingTheAddressAndTheKeys() {
    WebhookServer first = start(on("127.0.0.1"));
    WebhookServer.Settings base = on("127.0.0.1");
    WebhookServer.Settings same =
        new WebhookServer.Settings(
            base.bindAddress(),
            first.port(),
            base.maxBodyBytes(),
            base.headerTimeout(),
            base.bodyTimeout(),
            base.idleTimeout(),
            base.workers(),
            base.queue(),
            base.maxConnections());

    assertThatThrownBy(() -> start(same))
        .hasMessageContaining("127.0.0.1:" + first.port())
        .hasMessageContaining("webhooks.port");
  }

  /**
   * Issue 13 item 11: a declared length over the limit is answered 413 at once, without waiting for
   * (or reading) the body; the old receiver read up to the limit first.
   */
  @Test
  void aDeclaredLengthOverTheLimitIs413WithoutReadingTheBody() throws Exception {
    WebhookServer server = start(on("127.0.0.1"));
    Socket socket = connect("127.0.0.1", server.port());

    write(socket, post(WebhookReceiverTest.MAX_BODY + 1)); // and no body at all

    assertThat(statusLine(socket)).startsWith("HTTP/1.1 413");
    await("the connection closed after the 413")
        .atMost(Duration.ofSeconds(10))
        .until(() -> closedByServer(socket));
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void aChunkedBodyGrowingPastTheLimitIs413() throws Exception {
    WebhookServer server = start(on("127.0.0.1"));
    Socket socket = connect("127.0.0.1", server.port());
    String chunk = "a".repeat(1024);

    write(
        socket,
        "POST "
            + WebhookReceiver.PATH
            + " HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 5; i++) {
      write(socket, Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
    }

    assertThat(statusLine(socket)).startsWith("HTTP/1.1 413");
    assertThat(producer.history()).isEmpty();
  }

  /**
   * Writes {@code each} to {@code socket} every 50 ms (never idle long) until the server closes the
   * connection, and waits for that.
   */
  private static void trickleUntilClosed(Socket socket, String each) {
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try {
      trickle.scheduleAtFixedRate(
          () -> {
            try {
              write(socket, each);
            } catch (IOException e) {
              throw new UncheckedIOException(e); // closed by the server: stops the trickle
            }
          },
          50,
          50,
          TimeUnit.MILLISECONDS);

      await("the server closing the trickling connection")
          .atMost(Duration.ofSeconds(20))
          .until(() -> closedByServer(socket));
    } finally {
      trickle.shutdownNow();
    }
  }

  /**
   * Issue 13 item 11: a client that trickles its body, a byte every 50 ms (so that it is never
   * idle), is cut off at the body timeout all the same.
   */
  @Test
  void aClientTricklingItsBodyIsCutOff() throws Exception {
    WebhookServer server =
        start(on("127.0.0.1").withTimeouts(Duration.ofSeconds(10), SHORT, Duration.ofSeconds(30)));
    Socket socket = connect("127.0.0.1", server.port());
    write(socket, post(4000) + "{");

    trickleUntilClosed(socket, " ");

    assertThat(producer.history()).isEmpty();
  }

  /** Issue 13 item 11: a client that trickles its headers is cut off at the header timeout. */
  @Test
  void aClientTricklingItsHeadersIsCutOff() throws Exception {
    WebhookServer server =
        start(on("127.0.0.1").withTimeouts(SHORT, Duration.ofSeconds(10), Duration.ofSeconds(30)));
    Socket socket = connect("127.0.0.1", server.port());
    write(socket, "POST " + WebhookReceiver.PATH + " HTTP/1.1\r\nHost: localhost\r\nX-Pad: ");

    trickleUntilClosed(socket, "a");
  }

  /**
   * Issue 13 item 11: slow clients hold no thread. More of them than the server has threads (IO and
   * workers together), each half-way through its body, and a whole delivery is still answered.
   */
  @Test
  void slowClientsDoNotHoldBackAWholeDelivery() throws Exception {
    WebhookServer server = start(on("127.0.0.1"));
    for (int i = 0; i < 40; i++) {
      write(connect("127.0.0.1", server.port()), post(BODY.length()) + BODY.substring(0, 5));
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + WebhookReceiver.PATH))
                .timeout(Duration.ofSeconds(10))
                .header("X-Bluejay-Signature", WebhookReceiverTest.sign(BODY))
                .header("X-Bluejay-Delivery", "d-whole")
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(producer.history())
        .singleElement()
        .satisfies(r -> assertThat(r.key()).isEqualTo("d-whole"));
  }
}
