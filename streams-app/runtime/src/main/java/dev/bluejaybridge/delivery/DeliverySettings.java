package dev.bluejaybridge.delivery;

import dev.bluejaybridge.config.BridgeConfig;

/** What the outbox needs of the config. */
record DeliverySettings(
    boolean reevaluate, int maxInFlight, int maxAttempts, boolean receiptsEnabled) {
  static DeliverySettings from(BridgeConfig config) {
    return new DeliverySettings(
        config.bluejay().reevaluate(),
        config.delivery().maxInFlight(),
        config.delivery().maxAttempts(),
        config.topics().deliveryReceipts().isPresent());
  }
}
