package dev.bluejaybridge.telemetry;

import org.apache.kafka.common.serialization.Serde;

/** An immutable topic descriptor: its name and the serdes of its keys and values. */
public record Topic<K, V>(String name, Serde<K> key, Serde<V> value) {}
