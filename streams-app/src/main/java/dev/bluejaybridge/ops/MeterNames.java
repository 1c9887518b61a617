package dev.bluejaybridge.ops;

/**
 * Every meter name and tag key of bluejay-bridge, in one place. Micrometer names use dots; the
 * Prometheus registry renders {@code bridge.deliveries} as {@code bridge_deliveries_total}.
 */
public final class MeterNames {
  public static final String DELIVERIES = "bridge.deliveries";
  public static final String DELIVERY_DURATION = "bridge.delivery.duration";
  public static final String DLQ_RECORDS = "bridge.dlq.records";
  public static final String RATE_LIMIT_PER_MINUTE = "bridge.rate.limit.per.minute";
  public static final String DELIVERY_PAUSED = "bridge.delivery.paused";
  public static final String DELIVERIES_IN_FLIGHT = "bridge.deliveries.in.flight";

  public static final String TAG_ENDPOINT = "endpoint";
  public static final String TAG_OUTCOME = "outcome";
  public static final String TAG_DLQ = "dlq";
  public static final String TAG_REASON = "reason";

  private MeterNames() {}
}
