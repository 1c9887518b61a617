package dev.bluejaybridge.bench;

import dev.bluejaybridge.harness.TopicNames;
import dev.bluejaybridge.registry.SchemaRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The obvious alternative (P6): what an HTTP sink does without aggregation. A plain consumer reads
 * the three topics and sends every record on its own, as JSON, to Bluejay's update-log endpoint of
 * its call ({@code PUT /v1/update-log/{call_id}}), up to {@code maxInFlight} requests at once (as
 * generous as the bridge's {@code delivery.max-in-flight}). No retries: the receiver does not fail.
 */
final class PerRecordForwarder {
  /**
   * What one run did.
   *
   * @param seconds from the first poll to the last answer
   */
  record Result(long records, long requests, long failed, int calls, double seconds) {}

  private PerRecordForwarder() {}

  private static void acquire(Semaphore semaphore, int permits, Duration timeout) {
    try {
      if (!semaphore.tryAcquire(permits, timeout.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("requests still in flight after " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static Result run(
      String bootstrapServers,
      TopicNames topics,
      SchemaRegistry registry,
      long expected,
      String baseUrl,
      String apiKey,
      int maxInFlight,
      Duration timeout) {
    ExecutorService executor = Executors.newFixedThreadPool(maxInFlight);
    HttpClient http =
        HttpClient.newBuilder()
            .executor(executor)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    Semaphore inFlight = new Semaphore(maxInFlight);
    AtomicLong requests = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong lastAnswer = new AtomicLong();
    Set<String> calls = new HashSet<>();
    long start;
    try (TopicReader reader = new TopicReader(bootstrapServers, topics, registry)) {
      start =
          reader.read(
              expected,
              timeout,
              (topic, key, value) -> {
                calls.add(key);
                HttpRequest request =
                    HttpRequest.newBuilder(
                            URI.create(
                                baseUrl
                                    + "/v1/update-log/"
                                    + URLEncoder.encode(key, StandardCharsets.UTF_8)))
                        .header("X-API-Key", apiKey)
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(10))
                        // Avro's toString is the record as JSON.
                        .PUT(HttpRequest.BodyPublishers.ofString(value.toString()))
                        .build();
                acquire(inFlight, 1, timeout);
                requests.incrementAndGet();
                // orTimeout as well: a JDK 17 HttpClient exchange with the JDK server was seen to
                // hang past the request timeout, which stalled the whole run.
                http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .orTimeout(15, TimeUnit.SECONDS)
                    .whenComplete(
                        (response, error) -> {
                          if (error != null || response.statusCode() / 100 != 2) {
                            failed.incrementAndGet();
                          }
                          lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
                          inFlight.release();
                        });
              });
    }
    acquire(inFlight, maxInFlight, timeout);
    executor.shutdownNow();
    return new Result(
        expected, requests.get(), failed.get(), calls.size(), (lastAnswer.get() - start) / 1e9);
  }
}
