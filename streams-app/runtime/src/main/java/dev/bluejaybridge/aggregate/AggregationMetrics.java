package dev.bluejaybridge.aggregate;

import static dev.bluejaybridge.ops.MeterNames.CALLS_CLOSED;
import static dev.bluejaybridge.ops.MeterNames.CALLS_OPEN;
import static dev.bluejaybridge.ops.MeterNames.RECORDS;
import static dev.bluejaybridge.ops.MeterNames.RECORDS_LATE;
import static dev.bluejaybridge.ops.MeterNames.TAG_REASON;
import static dev.bluejaybridge.ops.MeterNames.TAG_TOPIC;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the aggregation reports, for every task of this instance: records read per topic, calls
 * open, calls closed per reason, late records.
 */
public final class AggregationMetrics {
  private final MeterRegistry registry;
  private final AtomicLong open = new AtomicLong();
  private final Counter late;
  private final Map<String, Counter> records = new ConcurrentHashMap<>();
  private final Map<CloseReason, Counter> closes = new ConcurrentHashMap<>();

  public AggregationMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder(CALLS_OPEN, open, AtomicLong::get)
        .description("Calls open on this instance (records arriving, not yet closed)")
        .register(registry);
    this.late =
        Counter.builder(RECORDS_LATE)
            .description("Records that arrived after their call had closed")
            .register(registry);
  }

  /** Calls open on this instance's tasks. */
  public long openCalls() {
    return open.get();
  }

  void record(String topic) {
    // Looked up once per topic, not per record: a registry lookup builds and hashes an id.
    records
        .computeIfAbsent(
            topic == null ? "unknown" : topic,
            name ->
                Counter.builder(RECORDS)
                    .description("Input records read, by topic")
                    .tag(TAG_TOPIC, name)
                    .register(registry))
        .increment();
  }

  void opened(long calls) {
    open.addAndGet(calls);
  }

  /** A call closed (the open count is moved by {@link #opened(long)}). */
  void closed(CloseReason reason) {
    closes
        .computeIfAbsent(
            reason,
            r ->
                Counter.builder(CALLS_CLOSED)
                    .description("Calls closed, by reason")
                    .tag(TAG_REASON, r.label())
                    .register(registry))
        .increment();
  }

  void late() {
    late.increment();
  }
}
