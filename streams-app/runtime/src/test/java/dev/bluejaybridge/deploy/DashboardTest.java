package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard has the panels operators need, each on the selected data source. Whether
 * its metrics exist is {@link MetricNamesIT}'s job.
 */
class DashboardTest {
  /** The only copy: the k8s ConfigMap generator and docker-compose's Grafana both read it. */
  static final String DASHBOARD = "k8s/base/dashboards/bluejay-bridge.json";

  private static JsonNode dashboard;

  @BeforeAll
  static void read() throws IOException {
    dashboard = DeployFiles.JSON.readTree(DeployFiles.read(DASHBOARD));
  }

  private static List<JsonNode> panels() {
    List<JsonNode> panels = new ArrayList<>();
    dashboard.path("panels").forEach(panels::add);
    return panels;
  }

  @Test
  void hasAPanelForEachThingOperatorsWatch() {
    Map<String, String> expressions = PromQl.dashboardExpressions(dashboard);
    Map<String, String> needed =
        Map.of(
            "throughput by topic", "sum by (topic) (rate(bridge_records_total",
            "open calls", "bridge_calls_open",
            "outbox size", "bridge_outbox_size",
            "outbox oldest age", "bridge_outbox_oldest_age_seconds",
            "deliveries by outcome", "sum by (endpoint, outcome) (rate(bridge_deliveries_total",
            "dead letters by dlq and reason", "sum by (dlq, reason) (rate(bridge_dlq_records_total",
            "rate share", "bridge_rate_limit_per_minute",
            "p99 latency",
                "histogram_quantile(0.99, sum by (le, endpoint) (rate(bridge_delivery_duration_seconds_bucket",
            "consumer lag", "kafka_consumer_fetch_manager_records_lag_max",
            "streams state", "kafka_stream_client_state");

    needed.forEach(
        (what, query) ->
            assertThat(expressions.values())
                .as("a query for %s", what)
                .anyMatch(expr -> expr.contains(query)));
  }

  @Test
  void panelsUseTheDataSourceVariableAndHaveUniqueIds() {
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : panels()) {
      assertThat(ids.add(panel.path("id").asInt()))
          .as("panel id %s is unique", panel.path("id"))
          .isTrue();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("datasource").path("uid").asText())
            .as("data source of panel '%s'", panel.path("title").asText())
            .isEqualTo("${datasource}");
        assertThat(target.path("expr").asText()).contains("job=\"bluejay-bridge\"");
      }
    }
    assertThat(dashboard.path("uid").asText()).isEqualTo("bluejay-bridge");
    assertThat(dashboard.path("templating").path("list").get(0).path("type").asText())
        .isEqualTo("datasource");
  }

  @Test
  void panelsDoNotOverlap() {
    List<int[]> boxes = new ArrayList<>();
    for (JsonNode panel : panels()) {
      JsonNode at = panel.path("gridPos");
      int[] box = {
        at.path("x").asInt(), at.path("y").asInt(), at.path("w").asInt(), at.path("h").asInt()
      };
      assertThat(box[0] + box[2])
          .as("panel '%s' fits 24 columns", panel.path("title"))
          .isLessThanOrEqualTo(24);
      for (int[] other : boxes) {
        boolean overlap =
            box[0] < other[0] + other[2]
                && other[0] < box[0] + box[2]
                && box[1] < other[1] + other[3]
                && other[1] < box[1] + box[3];
        assertThat(overlap)
            .as("panel '%s' overlaps another", panel.path("title").asText())
            .isFalse();
      }
      boxes.add(box);
    }
  }
}
