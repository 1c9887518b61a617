package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlTest {

  @Test
  void findsMetricNamesButNotFunctionsLabelsRangesOrKeywords() {
    String expression =
        "histogram_quantile(0.99, sum by (le, endpoint) (rate(bridge_delivery_duration_seconds_bucket"
            + "{job=\"bluejay-bridge\", instance=~\"$instance\"}[$__rate_interval])))"
            + " / on (instance) group_left sum without (reason) (increase(bridge_dlq_records_total[5m]"
            + " offset 1h)) > bool 1e-3 and up == 0 unless absent(kafka_stream_client_state)";

    assertThat(PromQl.metricNames(expression))
        .containsExactly(
            "bridge_delivery_duration_seconds_bucket",
            "bridge_dlq_records_total",
            "up",
            "kafka_stream_client_state");
  }

  @Test
  void readsTheMetricOfAGrafanaLabelValuesQuery() {
    assertThat(
            PromQl.metricNames(
                "label_values(bridge_calls_open{job=\"bluejay-bridge\", namespace=~\"$namespace\"},"
                    + " instance)"))
        .containsExactly("bridge_calls_open");
  }

  @Test
  void readsLabelMatchersAndLeavesOutScrapeLabelsAndVariables() {
    var selectors =
        PromQl.selectors(
            "max by (instance) (kafka_consumer_fetch_manager_records_lag_max{job=\"bluejay-bridge\","
                + " instance=~\"$instance\", client_id=~\".+-StreamThread-[0-9]+-consumer\"})"
                + " + rate(bridge_dlq_records_total{dlq=\"delivery\", reason!=\"late\"}[5m])",
            Set.of("job"));

    assertThat(selectors).hasSize(2);
    assertThat(selectors.get(0).metric()).isEqualTo("kafka_consumer_fetch_manager_records_lag_max");
    assertThat(selectors.get(0).matchers())
        .containsExactly(
            new PromQl.LabelMatcher("client_id", "=~", ".+-StreamThread-[0-9]+-consumer"));
    assertThat(selectors.get(0).matchers().get(0).matches("app-p1-StreamThread-1-consumer"))
        .isTrue();
    assertThat(selectors.get(0).matchers().get(0).matches("app-p1-StateUpdater-1-restore-consumer"))
        .isFalse();
    assertThat(selectors.get(1).matchers())
        .containsExactly(
            new PromQl.LabelMatcher("dlq", "=", "delivery"),
            new PromQl.LabelMatcher("reason", "!=", "late"));
  }

  @Test
  void keepsEveryQueryOfPanelsThatShareATitle() throws Exception {
    var dashboard =
        DeployFiles.JSON.readTree(
            "{\"panels\": [{\"id\": 1, \"title\": \"Open calls\", \"targets\": [{\"expr\": \"a\"}]},"
                + " {\"id\": 2, \"title\": \"Open calls\", \"targets\": [{\"expr\": \"b\"}]},"
                + " {\"id\": 3, \"type\": \"row\", \"panels\": [{\"id\": 4, \"targets\":"
                + " [{\"expr\": \"c\"}]}]}]}");

    assertThat(PromQl.dashboardExpressions(dashboard).values()).containsExactly("a", "b", "c");
  }
}
