package dev.bluejaybridge.ops;

/**
 * Every meter name and tag key of bluejay-bridge, in one place. Micrometer names use dots; the
 * Prometheus registry renders {@code bridge.deliveries} as {@code bridge_deliveries_total}.
 */
public final class MeterNames {
  public static final String RECORDS = "bridge.records";
  public static final String CALLS_OPEN = "bridge.calls.open";
  public static final String CALLS_CLOSED = "bridge.calls.closed";
  public static final String RECORDS_LATE = "bridge.records.late";
  public static final String OUTBOX_SIZE = "bridge.outbox.size";
  public static final String OUTBOX_OLDEST_AGE = "bridge.outbox.oldest.age.seconds";
  public static final String DELIVERIES = "bridge.deliveries";
  public static final String DELIVERY_DURATION = "bridge.delivery.duration";
  public static final String DLQ_RECORDS = "bridge.dlq.records";
  public static final String RATE_LIMIT_PER_MINUTE = "bridge.rate.limit.per.minute";
  public static final String DELIVERY_PAUSED = "bridge.delivery.paused";
  public static final String DELIVERY_UNREACHABLE = "bridge.delivery.unreachable";
  public static final String DELIVERY_HELD = "bridge.delivery.held";
  public static final String DELIVERIES_IN_FLIGHT = "bridge.deliveries.in.flight";

  public static final String TAG_TOPIC = "topic";
  public static final String TAG_ENDPOINT = "endpoint";
  public static final String TAG_OUTCOME = "outcome";
  public static final String TAG_DLQ = "dlq";
  public static final String TAG_REASON = "reason";

  private MeterNames() {}
}
