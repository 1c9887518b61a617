package dev.bluejaybridge.cli;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %escapedMsg} in the text log pattern: the message with control characters escaped, so that
 * a value from the input (a {@code call_id} with a newline, say) cannot start a forged log line. A
 * newline becomes {@code \n}, a carriage return {@code \r}, a tab {@code \t}, any other control
 * character {@code \}{@code uXXXX}. The JSON format needs none of this: JSON strings escape them.
 *
 * <p>Public only for logback, which instantiates it by name.
 */
public final class EscapedMessageConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return escape(event.getFormattedMessage());
  }

  static String escape(String message) {
    if (message == null) {
      return "null";
    }
    int first = firstControl(message);
    if (first < 0) {
      return message;
    }
    StringBuilder out = new StringBuilder(message.length() + 16).append(message, 0, first);
    for (int i = first; i < message.length(); i++) {
      char c = message.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static int firstControl(String message) {
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        return i;
      }
    }
    return -1;
  }
}
