package dev.bluejaybridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bluejaybridge.registry.RegistryUnavailableException;
import dev.bluejaybridge.testkit.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 items 6 and 10: a failing stream thread is replaced after a growing backoff, never in a
 * tight loop; a failure that is not transient and keeps coming back stops the instance.
 */
class StreamThreadFailuresTest {
  private final MutableClock clock = new MutableClock(1_800_000_000_000L);
  private final List<Duration> waits = new ArrayList<>();
  private final StreamThreadFailures failures =
      new StreamThreadFailures(
          clock,
          duration -> {
            waits.add(duration);
            clock.advanceMillis(duration.toMillis());
          });

  private static StreamsException refusedWrite() {
    return new StreamsException(
        "Error encountered sending record to topic app-call-state-changelog",
        new InvalidTimestampException("timestamp out of range"));
  }

  @Test
  void replacementWaitsDoubleUpToTheCap() {
    for (int i = 0; i < 8; i++) {
      assertThat(failures.handle(refusedWrite()))
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    assertThat(waits)
        .extracting(Duration::toSeconds)
        .containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L);
  }

  @Test
  void aFailureThatKeepsComingBackStopsTheInstance() {
    for (int i = 0; i < StreamThreadFailures.MAX_CONSECUTIVE; i++) {
      assertThat(failures.handle(refusedWrite()))
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    assertThat(failures.handle(refusedWrite()))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void registryOutageOrBrokerTimeoutIsRetriedForAsLongAsItLasts() {
    for (int i = 0; i < 3 * StreamThreadFailures.MAX_CONSECUTIVE; i++) {
      Throwable cause =
          i % 2 == 0
              ? new StreamsException(new RegistryUnavailableException("503 from every URL", null))
              : new StreamsException(new TimeoutException("produce timed out"));
      assertThat(failures.handle(cause)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    assertThat(waits).last().isEqualTo(StreamThreadFailures.MAX_BACKOFF);
  }

  @Test
  void aQuietSpellStartsTheCountAgain() {
    for (int i = 0; i < StreamThreadFailures.MAX_CONSECUTIVE; i++) {
      failures.handle(refusedWrite());
    }
    clock.advanceMillis(StreamThreadFailures.QUIET.toMillis() + 1);

    assertThat(failures.handle(refusedWrite()))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    assertThat(waits).last().isEqualTo(StreamThreadFailures.FIRST_BACKOFF);
  }
}
