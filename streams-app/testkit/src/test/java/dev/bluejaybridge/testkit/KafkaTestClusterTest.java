package dev.bluejaybridge.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The extension form before JUnit started it (a started broker: the runtime's ITs). */
class KafkaTestClusterTest {
  @Test
  void anExtensionIsNotStartedUntilBeforeAll() throws Exception {
    KafkaTestCluster kafka = KafkaTestCluster.extension();

    assertThatThrownBy(kafka::bootstrapServers)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not started");
    kafka.close(); // nothing to stop: no error
  }
}
