package dev.bluejaybridge.dlq;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The dead letters of one DLQ topic, filtered, with those already replayed told apart. */
public final class DeadLetters {
  /** Which dead letters to look at. */
  public record Filter(
      Optional<String> reason, Optional<Instant> since, Optional<Instant> until, int limit) {
    boolean accepts(DlqEntry entry) {
      return reason.map(r -> r.equals(entry.reason())).orElse(true)
          && since.map(s -> entry.timestamp() >= s.toEpochMilli()).orElse(true)
          && until.map(u -> entry.timestamp() < u.toEpochMilli()).orElse(true);
    }
  }

  private DeadLetters() {}

  /**
   * Reads {@code topic} whole and returns its dead letters that pass {@code filter}, oldest first,
   * at most {@code filter.limit()}; with {@code pendingOnly}, those no replay has handled yet and
   * that are not themselves the failure of a replay (unless {@code includeReplayFailures}), so a
   * second replay sends nothing twice.
   */
  public static List<DlqEntry> load(
      Map<String, Object> kafka,
      String topic,
      DlqEntry.Kind kind,
      Filter filter,
      boolean pendingOnly,
      boolean includeReplayFailures) {
    List<ConsumerRecord<byte[], byte[]>> records = DlqReader.readAll(kafka, topic);
    Set<String> replayed = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      if (DlqEntry.isReplayMarker(record)) {
        replayed.add(DlqEntry.header(record, DlqEntry.REPLAY_OF_HEADER));
      }
    }
    List<DlqEntry> entries = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      if (DlqEntry.isReplayMarker(record)) {
        continue;
      }
      DlqEntry entry = DlqEntry.of(kind, record);
      if (pendingOnly
          && (replayed.contains(entry.position())
              || (!includeReplayFailures
                  && DlqEntry.header(record, DlqEntry.REPLAY_OF_HEADER) != null))) {
        continue;
      }
      if (filter.accepts(entry)) {
        entries.add(entry);
        if (entries.size() >= filter.limit()) {
          break;
        }
      }
    }
    return entries;
  }
}
