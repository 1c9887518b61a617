package dev.bluejaybridge.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;

/**
 * Lets through only the events of the selected log format, so that {@code logback.xml} can attach a
 * text and a JSON appender and the format can change once the configuration has been read. The
 * selection starts as the system property {@value #SELECTED} (set by {@code main} from {@code
 * --log-format} or the environment before anything logs), {@code text} without it.
 *
 * <p>Public only for logback, which instantiates it by name.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
  /** The system property of the format at start-up, and the logger context object it becomes. */
  static final String SELECTED = "bridge.log.format";

  private String format = "text";

  /** The format whose appender this filter guards ({@code <format>} in logback.xml). */
  public void setFormat(String format) {
    this.format = format;
  }

  @Override
  public void start() {
    // The first filter started puts the start-up choice into the context, where select() changes
    // it.
    if (getContext().getObject(SELECTED) == null) {
      getContext().putObject(SELECTED, System.getProperty(SELECTED, "text"));
    }
    super.start();
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    return format.equals(getContext().getObject(SELECTED)) ? FilterReply.NEUTRAL : FilterReply.DENY;
  }

  /**
   * Switches every appender guarded by this filter to {@code format} ({@code text} or {@code
   * json}). Without logback (or without these filters) nothing changes.
   */
  static void select(String format) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putObject(SELECTED, format);
    }
  }
}
