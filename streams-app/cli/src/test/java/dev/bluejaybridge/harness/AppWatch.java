package dev.bluejaybridge.harness;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Watches app processes in the background, as a probe would: every {@code every} it asks each app's
 * {@code /status} for Kafka Streams' state, and notes when the process is gone. What it saw tells
 * whether an app stayed RUNNING throughout (issue 13, R12): any other state after it first ran, an
 * admin server that does not answer, or an exit.
 */
final class AppWatch implements AutoCloseable {
  /**
   * What was seen of one app.
   *
   * @param samples how many times it was asked
   * @param states the Kafka Streams states answered, with counts, after it first was RUNNING
   * @param unanswered samples after it first ran in which {@code /status} did not answer
   * @param exited whether the process was seen gone
   */
  record Seen(int samples, Map<String, Integer> states, int unanswered, boolean exited) {
    /** RUNNING in every sample since it first was, always answering, never gone. */
    boolean runningThroughout() {
      return !exited && unanswered == 0 && states.keySet().stream().allMatch("RUNNING"::equals);
    }
  }

  private final List<AppProcess> apps;
  private final Map<String, int[]> samples = new LinkedHashMap<>();
  private final Map<String, Map<String, Integer>> states = new LinkedHashMap<>();
  private final Map<String, int[]> unanswered = new LinkedHashMap<>();
  private final Map<String, boolean[]> exited = new LinkedHashMap<>();
  private final Map<String, boolean[]> ran = new LinkedHashMap<>();
  private final Thread thread;
  private volatile boolean stopped;

  AppWatch(List<AppProcess> apps, Duration every) {
    this.apps = List.copyOf(apps);
    for (AppProcess app : apps) {
      samples.put(app.name(), new int[1]);
      states.put(app.name(), new TreeMap<>());
      unanswered.put(app.name(), new int[1]);
      exited.put(app.name(), new boolean[1]);
      ran.put(app.name(), new boolean[1]);
    }
    this.thread =
        new Thread(
            () -> {
              while (!stopped) {
                sample();
                try {
                  Poll.pause(every);
                } catch (IllegalStateException interrupted) {
                  return;
                }
              }
            },
            "app-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void sample() {
    for (AppProcess app : apps) {
      String state;
      boolean alive = app.isAlive();
      try {
        state = alive ? app.status().path("streams_state").asText("?") : null;
      } catch (RuntimeException e) {
        state = null;
      }
      synchronized (this) {
        samples.get(app.name())[0]++;
        if (!alive) {
          exited.get(app.name())[0] = true;
          continue;
        }
        if ("RUNNING".equals(state)) {
          ran.get(app.name())[0] = true;
        }
        if (!ran.get(app.name())[0]) {
          continue; // still starting
        }
        if (state == null) {
          unanswered.get(app.name())[0]++;
        } else {
          states.get(app.name()).merge(state, 1, Integer::sum);
        }
      }
    }
  }

  /** What was seen of each app so far, by name. */
  synchronized Map<String, Seen> seen() {
    Map<String, Seen> all = new LinkedHashMap<>();
    for (AppProcess app : apps) {
      all.put(
          app.name(),
          new Seen(
              samples.get(app.name())[0],
              Map.copyOf(states.get(app.name())),
              unanswered.get(app.name())[0],
              exited.get(app.name())[0]));
    }
    return all;
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
  }
}
