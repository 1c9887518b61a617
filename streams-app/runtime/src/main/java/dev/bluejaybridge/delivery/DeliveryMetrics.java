package dev.bluejaybridge.delivery;

import static dev.bluejaybridge.ops.MeterNames.DELIVERIES;
import static dev.bluejaybridge.ops.MeterNames.DELIVERIES_IN_FLIGHT;
import static dev.bluejaybridge.ops.MeterNames.DELIVERY_DURATION;
import static dev.bluejaybridge.ops.MeterNames.DELIVERY_HELD;
import static dev.bluejaybridge.ops.MeterNames.DELIVERY_PAUSED;
import static dev.bluejaybridge.ops.MeterNames.DELIVERY_UNREACHABLE;
import static dev.bluejaybridge.ops.MeterNames.DLQ_RECORDS;
import static dev.bluejaybridge.ops.MeterNames.OUTBOX_OLDEST_AGE;
import static dev.bluejaybridge.ops.MeterNames.OUTBOX_SIZE;
import static dev.bluejaybridge.ops.MeterNames.RATE_LIMIT_PER_MINUTE;
import static dev.bluejaybridge.ops.MeterNames.TAG_DLQ;
import static dev.bluejaybridge.ops.MeterNames.TAG_ENDPOINT;
import static dev.bluejaybridge.ops.MeterNames.TAG_OUTCOME;
import static dev.bluejaybridge.ops.MeterNames.TAG_REASON;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What delivery reports: outcomes of attempts, dead letters, the rate share and the paused state.
 */
public final class DeliveryMetrics {
  /**
   * Histogram buckets of the request duration, so dashboards and alerts can compute quantiles
   * across instances ({@code histogram_quantile} over {@code
   * bridge_delivery_duration_seconds_bucket}); a handful of fixed buckets up to beyond the default
   * request timeout keeps the series count low.
   */
  private static final Duration[] DURATION_BUCKETS = {
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30)
  };

  private final MeterRegistry registry;

  public DeliveryMetrics(MeterRegistry registry, Dispatcher dispatcher, java.time.Clock clock) {
    this.registry = registry;
    Gauge.builder(OUTBOX_SIZE, dispatcher, Dispatcher::outboxSize)
        .description("Closed calls waiting for delivery on this instance")
        .register(registry);
    Gauge.builder(OUTBOX_OLDEST_AGE, dispatcher, d -> d.outboxOldestAgeSeconds(clock.millis()))
        .description("Age of the oldest call waiting for delivery on this instance")
        .register(registry);
    Gauge.builder(RATE_LIMIT_PER_MINUTE, dispatcher.rate(), RateShare::perMinute)
        .description("This instance's share of the cluster-wide Bluejay request quota")
        .register(registry);
    Gauge.builder(DELIVERY_PAUSED, dispatcher, d -> d.paused() ? 1 : 0)
        .description("1 while delivery is paused because Bluejay refused the API key (probing)")
        .register(registry);
    Gauge.builder(DELIVERY_UNREACHABLE, dispatcher, d -> d.unreachable() ? 1 : 0)
        .description("1 while delivery is held because Bluejay cannot be reached (probing)")
        .register(registry);
    Gauge.builder(DELIVERY_HELD, dispatcher, d -> d.outage().kind() == Outage.Kind.UNWELL ? 1 : 0)
        .description(
            "1 while delivery is held because Bluejay keeps failing (5xx, 429, timeouts) and no"
                + " call gets an answer (probing)")
        .register(registry);
    Gauge.builder(DELIVERIES_IN_FLIGHT, dispatcher, Dispatcher::inFlight)
        .description("Requests to Bluejay in flight on this instance")
        .register(registry);
  }

  /**
   * One attempt ended: {@code outcome} is delivered, already-delivered, verified-absent,
   * outcome-unknown, key-accepted, retry, rejected, auth-refused, unreachable or error.
   */
  void attempt(String endpoint, String outcome, long latencyMs) {
    Counter.builder(DELIVERIES)
        .description("Attempts to deliver calls to Bluejay, by outcome")
        .tag(TAG_ENDPOINT, endpoint)
        .tag(TAG_OUTCOME, outcome)
        .register(registry)
        .increment();
    if (latencyMs >= 0) {
      Timer.builder(DELIVERY_DURATION)
          .description("Duration of requests to Bluejay")
          .tag(TAG_ENDPOINT, endpoint)
          .serviceLevelObjectives(DURATION_BUCKETS)
          .register(registry)
          .record(latencyMs, TimeUnit.MILLISECONDS);
    }
  }

  void deadLettered(String reason) {
    Counter.builder(DLQ_RECORDS)
        .description("Records written to a dead-letter topic, by reason")
        .tag(TAG_DLQ, "delivery")
        .tag(TAG_REASON, reason)
        .register(registry)
        .increment();
  }
}
