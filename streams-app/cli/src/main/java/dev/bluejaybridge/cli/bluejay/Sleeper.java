package dev.bluejaybridge.cli.bluejay;

import java.time.Duration;

/** Waits; injected so that tests never sleep (they advance a clock instead). */
@FunctionalInterface
public interface Sleeper {
  Sleeper REAL = duration -> Thread.sleep(duration.toMillis());

  void sleep(Duration duration) throws InterruptedException;
}
