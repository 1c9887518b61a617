package dev.bluejaybridge.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures every log event of the test, the bridge's own at DEBUG (the console still shows only
 * INFO and up), so a test can check that no secret was ever logged: message, arguments, MDC and the
 * whole throwable with its causes and stack.
 */
public final class LogCapture implements AutoCloseable {
  private static final String OURS = "dev.bluejaybridge";

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private final Logger ours = (Logger) LoggerFactory.getLogger(OURS);
  private final Level oursBefore = ours.getLevel();
  private final List<Appender<ILoggingEvent>> quietened = new ArrayList<>();
  private final Filter<ILoggingEvent> noDebugOnConsole =
      new Filter<>() {
        @Override
        public FilterReply decide(ILoggingEvent event) {
          return event.getLevel().isGreaterOrEqual(Level.INFO)
              ? FilterReply.NEUTRAL
              : FilterReply.DENY;
        }
      };

  private LogCapture() {
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> other = it.next();
      other.addFilter(noDebugOnConsole);
      quietened.add(other);
    }
    noDebugOnConsole.start();
    appender.start();
    root.addAppender(appender);
    ours.setLevel(Level.DEBUG);
  }

  /** Starts capturing. */
  public static LogCapture start() {
    return new LogCapture();
  }

  /** Every event so far as text: level, logger, message, MDC, throwable. */
  public List<String> lines() {
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent event : List.copyOf(appender.list)) {
      StringBuilder line =
          new StringBuilder()
              .append(event.getLevel())
              .append(' ')
              .append(event.getLoggerName())
              .append(' ')
              .append(event.getFormattedMessage());
      if (event.getArgumentArray() != null) {
        for (Object argument : event.getArgumentArray()) {
          line.append(" arg=").append(argument);
        }
      }
      event.getMDCPropertyMap().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
      if (event.getThrowableProxy() != null) {
        line.append('\n').append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
      }
      lines.add(line.toString());
    }
    return lines;
  }

  /** The captured lines that contain {@code text}. */
  public List<String> containing(String text) {
    return lines().stream().filter(line -> line.contains(text)).toList();
  }

  /**
   * Fails naming the first line holding any of {@code secrets}; also fails if nothing was captured.
   */
  public void assertNoneContains(String... secrets) {
    List<String> lines = lines();
    if (lines.isEmpty()) {
      throw new AssertionError("no log lines captured: the check would prove nothing");
    }
    for (String line : lines) {
      for (String secret : secrets) {
        if (line.contains(secret)) {
          throw new AssertionError("a log line holds a secret: " + line.replace(secret, "****"));
        }
      }
    }
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    ours.setLevel(oursBefore);
    for (Appender<ILoggingEvent> other : quietened) {
      List<Filter<ILoggingEvent>> keep = new ArrayList<>(other.getCopyOfAttachedFiltersList());
      keep.remove(noDebugOnConsole);
      other.clearAllFilters();
      keep.forEach(other::addFilter);
    }
  }
}
