package dev.bluejaybridge.harness;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the harness produced, for the reconciliation: every call (with its simulation_result_id when
 * simulated), every poison record with the input-DLQ reason it must get, how many records went out,
 * and sends the broker never acknowledged. Thread-safe.
 */
public final class Ledger {
  private final Map<String, Optional<String>> calls =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, String> callBySimulation = new ConcurrentHashMap<>();
  private final Map<String, String> poisonReasons = new ConcurrentHashMap<>();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final List<String> failures = new CopyOnWriteArrayList<>();

  void call(String callId, String simulationResultId) {
    calls.put(callId, Optional.ofNullable(simulationResultId));
    if (simulationResultId != null) {
      callBySimulation.put(simulationResultId, callId);
    }
  }

  void poison(String poisonId, String reason) {
    poisonReasons.put(poisonId, reason);
  }

  void sent(int valueBytes) {
    records.incrementAndGet();
    bytes.addAndGet(valueBytes);
  }

  void ack() {
    acked.incrementAndGet();
  }

  void failed(String what) {
    failures.add(what);
  }

  /** Every call produced: call_id → simulation_result_id (empty for production calls). */
  public Map<String, Optional<String>> calls() {
    synchronized (calls) {
      return Map.copyOf(calls);
    }
  }

  public int callCount() {
    return calls.size();
  }

  /** The call a simulation_result_id belongs to, if the harness produced it. */
  public Optional<String> callOfSimulation(String simulationResultId) {
    return Optional.ofNullable(callBySimulation.get(simulationResultId));
  }

  /** Every poison record: its {@code harness.poison-id} header → the reason it must get. */
  public Map<String, String> poison() {
    return Map.copyOf(poisonReasons);
  }

  /** Records handed to the producer (valid and poison). */
  public long records() {
    return records.get();
  }

  /** Bytes of record values handed to the producer. */
  public long valueBytes() {
    return bytes.get();
  }

  /** Records the broker acknowledged. */
  public long acked() {
    return acked.get();
  }

  /** Sends that failed for good (the producer gave up), with the reason. */
  public List<String> failures() {
    return List.copyOf(failures);
  }
}
