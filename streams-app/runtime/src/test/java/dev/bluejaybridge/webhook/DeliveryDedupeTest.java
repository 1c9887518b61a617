package dev.bluejaybridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 item 11: the dedupe step keyed by {@code X-Bluejay-Delivery}, record by record. */
class DeliveryDedupeTest {
  private static final String DELIVERIES = "bluejay.webhook-deliveries";
  private static final String EVENTS = "bluejay.webhook-events";
  private static final Duration RETENTION = Duration.ofHours(24);
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> deliveries;
  private TestOutputTopic<String, byte[]> events;

  @BeforeEach
  void start() {
    Properties properties = new Properties();
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, "dedupe-test");
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver =
        new TopologyTestDriver(DeliveryDedupe.topology(DELIVERIES, EVENTS, RETENTION), properties);
    deliveries =
        driver.createInputTopic(DELIVERIES, new StringSerializer(), new ByteArraySerializer());
    events =
        driver.createOutputTopic(EVENTS, new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void deliver(String delivery, String eventKey, String body, Instant at) {
    Headers headers = new RecordHeaders();
    headers.add(WebhookReceiver.EVENT_HEADER, "observability_call_evaluated".getBytes());
    if (delivery != null) {
      headers.add(WebhookReceiver.DELIVERY_HEADER, delivery.getBytes(StandardCharsets.UTF_8));
    }
    if (eventKey != null) {
      headers.add(WebhookReceiver.EVENT_KEY_HEADER, eventKey.getBytes(StandardCharsets.UTF_8));
    }
    deliveries.pipeInput(
        new TestRecord<>(delivery, body.getBytes(StandardCharsets.UTF_8), headers, at));
  }

  private static String header(TestRecord<String, byte[]> record, String name) {
    return record.headers().lastHeader(name) == null
        ? null
        : new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void aDeliveryBecomesOneEventKeyedByTheCallIdWithItsHeaders() {
    deliver("d-1", "call-42", "{\"id\":\"call-42\"}", T0);

    List<TestRecord<String, byte[]>> out = events.readRecordsToList();
    assertThat(out).hasSize(1);
    TestRecord<String, byte[]> event = out.get(0);
    assertThat(event.key()).isEqualTo("call-42");
    assertThat(new String(event.value(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"call-42\"}");
    assertThat(event.getRecordTime()).isEqualTo(T0);
    assertThat(header(event, WebhookReceiver.EVENT_HEADER))
        .isEqualTo("observability_call_evaluated");
    assertThat(header(event, WebhookReceiver.DELIVERY_HEADER)).isEqualTo("d-1");
    assertThat(header(event, WebhookReceiver.EVENT_KEY_HEADER)).as("internal header").isNull();
  }

  @Test
  void theSameDeliveryAgainMakesNoSecondEventButAnotherDeliveryDoes() {
    deliver("d-1", "call-42", "{\"id\":\"call-42\"}", T0);
    deliver("d-1", "call-42", "{\"id\":\"call-42\"}", T0.plusSeconds(30));
    deliver("d-1", "call-42", "{\"id\":\"call-42\"}", T0.plus(Duration.ofHours(23)));
    deliver("d-2", "call-42", "{\"id\":\"call-42\",\"v\":2}", T0.plusSeconds(60));

    assertThat(events.readRecordsToList())
        .extracting(r -> header(r, WebhookReceiver.DELIVERY_HEADER))
        .containsExactly("d-1", "d-2");
  }

  /** Two instances' clocks differ: a retry may carry a time before the first delivery's. */
  @Test
  void aRetryStampedEarlierThanTheFirstDeliveryIsStillADuplicate() {
    deliver("d-1", "call-42", "{}", T0);
    deliver("d-1", "call-42", "{}", T0.minusSeconds(5));

    assertThat(events.readRecordsToList()).hasSize(1);
  }

  /** The ids are kept for the retention, not for ever. */
  @Test
  void aDeliveryIdIsForgottenAfterTheRetention() {
    deliver("d-1", "call-42", "{}", T0);
    deliver("d-1", "call-42", "{}", T0.plus(RETENTION).plusSeconds(1));

    assertThat(events.readRecordsToList()).hasSize(2);
  }

  @Test
  void aDeliveryWithoutIdOrEventKeyPassesThrough() {
    deliver(null, null, "{}", T0);
    deliver(null, null, "{}", T0);

    assertThat(events.readRecordsToList()).hasSize(2).allSatisfy(r -> assertThat(r.key()).isNull());
  }
}
