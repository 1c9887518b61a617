package dev.bluejaybridge.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Log levels for the demo, restored on close (the demo may run inside a test JVM). Quiet: the
 * broker, Kafka clients, Jetty and the bridge log warnings only, and the per-record "dead-lettered"
 * lines (which the summary counts) not at all, so a newcomer sees the progress and the summary.
 * Verbose: the bridge logs at INFO, the broker still at WARN.
 */
final class QuietLogs implements AutoCloseable {
  private final Map<Logger, Level> previous = new LinkedHashMap<>();

  private QuietLogs() {}

  static QuietLogs apply(boolean verbose) {
    QuietLogs logs = new QuietLogs();
    // The broker (kafka.*, org.apache.kafka.*) logs a page per second at INFO.
    logs.set("kafka", Level.WARN);
    logs.set("state.change.logger", Level.WARN);
    logs.set("org.apache.kafka", Level.WARN);
    logs.set("org.apache.kafka.streams.KafkaStreams", Level.WARN);
    logs.set("org.eclipse.jetty", Level.WARN);
    logs.set("wiremock", Level.WARN);
    logs.set("com.github.tomakehurst", Level.WARN);
    // Warnings that are expected here and say nothing to someone trying the demo: a fresh
    // metadata log, a state directory under /tmp, no global thread (the topology has none), and
    // the broker's own clients closed twice on shutdown.
    logs.set("org.apache.kafka.controller.QuorumController", Level.ERROR);
    logs.set("org.apache.kafka.streams.processor.internals.StateDirectory", Level.ERROR);
    logs.set("org.apache.kafka.streams.StreamsConfig", Level.ERROR);
    logs.set("org.apache.kafka.clients.NetworkClient", Level.ERROR);
    if (!verbose) {
      logs.set(Logger.ROOT_LOGGER_NAME, Level.WARN);
      logs.set("dev.bluejaybridge", Level.WARN);
      // Poison and dead letters are part of the show: the summary counts them by reason, a WARN
      // line per record is noise.
      logs.set("dev.bluejaybridge.errors", Level.ERROR);
      logs.set("dev.bluejaybridge.delivery.OutboxProcessor", Level.ERROR);
      logs.set("org.apache.kafka.streams.processor.internals.RecordDeserializer", Level.ERROR);
    } else {
      logs.set("dev.bluejaybridge", Level.INFO);
    }
    return logs;
  }

  private void set(String name, Level level) {
    if (!(LoggerFactory.getLogger(name) instanceof Logger logger)) {
      return; // not logback: leave logging alone
    }
    previous.putIfAbsent(logger, logger.getLevel());
    logger.setLevel(level);
  }

  @Override
  public void close() {
    previous.forEach(Logger::setLevel);
  }
}
