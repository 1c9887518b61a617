package dev.bluejaybridge.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loose reading of PromQL, enough to find which metrics and label matchers alert rules and
 * dashboard queries use. Not a parser: it removes what is not a metric name (strings, label
 * matchers, ranges, grouping labels, function names, keywords, Grafana variables) and keeps the
 * identifiers that are left.
 */
final class PromQl {
  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan",
          "atan2");
  private static final Pattern GRAFANA_RANGE_VARIABLE = Pattern.compile("\\$__\\w+");
  private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
  private static final Pattern LABEL_VALUES =
      Pattern.compile("label_values\\s*\\((.*),\\s*[a-zA-Z_]\\w*\\s*\\)");
  private static final Pattern STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![a-zA-Z0-9_:.])[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern SELECTOR =
      Pattern.compile("(?<![a-zA-Z0-9_:.])([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
  private static final Pattern MATCHER =
      Pattern.compile("([a-zA-Z_]\\w*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private PromQl() {}

  /** One label matcher, e.g. {@code dlq="delivery"} or {@code client_id=~".+-consumer"}. */
  record LabelMatcher(String label, String op, String value) {
    boolean matches(String actual) {
      String have = actual == null ? "" : actual;
      return switch (op) {
        case "=" -> have.equals(value);
        case "!=" -> !have.equals(value);
        case "=~" -> Pattern.compile(value).matcher(have).matches();
        case "!~" -> !Pattern.compile(value).matcher(have).matches();
        default -> throw new IllegalArgumentException("unknown matcher " + op);
      };
    }

    @Override
    public String toString() {
      return label + op + '"' + value + '"';
    }
  }

  /** A metric with label matchers, as written in an expression. */
  record Selector(String metric, List<LabelMatcher> matchers) {
    @Override
    public String toString() {
      return metric + matchers;
    }
  }

  /** The metric names an expression reads. */
  static Set<String> metricNames(String expression) {
    String text = withoutGrafanaVariables(expression);
    text = STRING.matcher(text).replaceAll(" ");
    text = MATCHERS.matcher(text).replaceAll(" ");
    text = RANGE.matcher(text).replaceAll(" ");
    text = GROUPING.matcher(text).replaceAll(" ");
    Set<String> names = new LinkedHashSet<>();
    Matcher identifiers = IDENTIFIER.matcher(text);
    while (identifiers.find()) {
      String name = identifiers.group();
      if (KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))
          || isCall(text, identifiers.end())) {
        continue;
      }
      names.add(name);
    }
    return names;
  }

  /**
   * The selectors with label matchers, without those on {@code ignoredLabels} (labels Prometheus
   * adds at scrape time, such as {@code job}) and without matchers on Grafana variables.
   */
  static List<Selector> selectors(String expression, Set<String> ignoredLabels) {
    String text = GRAFANA_RANGE_VARIABLE.matcher(expression).replaceAll("5m");
    text = LABEL_VALUES.matcher(text).replaceAll("$1");
    List<Selector> selectors = new ArrayList<>();
    Matcher selector = SELECTOR.matcher(text);
    while (selector.find()) {
      List<LabelMatcher> matchers = new ArrayList<>();
      Matcher matcher = MATCHER.matcher(selector.group(2));
      while (matcher.find()) {
        String value = matcher.group(3).replace("\\\\", "\\").replace("\\\"", "\"");
        if (ignoredLabels.contains(matcher.group(1)) || value.contains("$")) {
          continue;
        }
        matchers.add(new LabelMatcher(matcher.group(1), matcher.group(2), value));
      }
      selectors.add(new Selector(selector.group(1), List.copyOf(matchers)));
    }
    return selectors;
  }

  /** Every PromQL expression of a Prometheus rules document ({@code groups[].rules[].expr}). */
  static Map<String, String> ruleExpressions(JsonNode rules) {
    Map<String, String> expressions = new LinkedHashMap<>();
    for (JsonNode group : rules.path("groups")) {
      int i = 0;
      for (JsonNode rule : group.path("rules")) {
        String name = rule.has("alert") ? rule.get("alert").asText() : rule.path("record").asText();
        expressions.put(
            "group " + group.path("name").asText() + " rule " + i++ + " " + name,
            rule.path("expr").asText());
      }
    }
    return expressions;
  }

  /** Every query of a Grafana dashboard: panel targets (rows too) and template variables. */
  static Map<String, String> dashboardExpressions(JsonNode dashboard) {
    Map<String, String> expressions = new LinkedHashMap<>();
    collectTargets(dashboard.path("panels"), expressions);
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (variable.path("type").asText().equals("query")) {
        JsonNode query = variable.path("query");
        String text = query.isObject() ? query.path("query").asText() : query.asText();
        expressions.put("variable " + variable.path("name").asText(), text);
      }
    }
    return expressions;
  }

  private static void collectTargets(JsonNode panels, Map<String, String> expressions) {
    for (JsonNode panel : panels) {
      int i = 0;
      for (JsonNode target : panel.path("targets")) {
        expressions.put(
            "panel "
                + panel.path("id").asText()
                + " '"
                + panel.path("title").asText()
                + "' target "
                + i++,
            target.path("expr").asText());
      }
      collectTargets(panel.path("panels"), expressions);
    }
  }

  private static String withoutGrafanaVariables(String expression) {
    String text = GRAFANA_RANGE_VARIABLE.matcher(expression).replaceAll("5m");
    text = LABEL_VALUES.matcher(text).replaceAll("$1");
    return GRAFANA_VARIABLE.matcher(text).replaceAll("0");
  }

  private static boolean isCall(String text, int end) {
    int i = end;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i < text.length() && text.charAt(i) == '(';
  }
}
