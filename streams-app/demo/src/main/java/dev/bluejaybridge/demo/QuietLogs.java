package dev.bluejaybridge.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Log levels for the demo, restored on close (the demo may run inside a test JVM). Quiet (the
 * default): no log line at all, so a newcomer sees the demo's progress and summary only. Verbose
 * ({@code -v}): the bridge logs at INFO, the broker and clients at WARN.
 */
final class QuietLogs implements AutoCloseable {
  private final Map<Logger, Level> previous = new LinkedHashMap<>();

  private QuietLogs() {}

  static QuietLogs apply(boolean verbose) {
    QuietLogs logs = new QuietLogs();
    if (!verbose) {
      // The demo's own lines only: its progress and summary account for every call, poison
      // record and dead letter, and its exit code says whether all were; -v shows the logs.
      logs.set(Logger.ROOT_LOGGER_NAME, Level.OFF);
      for (String name : NAMED) {
        logs.set(name, Level.OFF);
      }
      return logs;
    }
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
    logs.set("dev.bluejaybridge", Level.INFO);
    return logs;
  }

  /** Loggers that a configuration file may have given a level of their own. */
  private static final List<String> NAMED =
      List.of(
          "kafka",
          "state.change.logger",
          "org.apache.kafka",
          "org.apache.kafka.streams.KafkaStreams",
          "org.eclipse.jetty",
          "wiremock",
          "com.github.tomakehurst",
          "dev.bluejaybridge");

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
