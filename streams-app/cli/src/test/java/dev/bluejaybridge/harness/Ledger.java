package dev.bluejaybridge.harness;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;

/**
 * What the harness produced, for the reconciliation: every call (with its simulation_result_id when
 * simulated), every poison record with the input-DLQ reason it must get, how many records went out,
 * and sends the broker never acknowledged; when asked to ({@link #keepContent()}, the chaos
 * scenarios), also every valid record of every call, so that what Bluejay holds can be compared
 * with the whole call. Thread-safe.
 */
public final class Ledger {
  /**
   * One valid record of a call, as produced.
   *
   * @param straggler sent on purpose after the call had closed (a late record)
   */
  public record Produced(SpecificRecord value, boolean straggler) {}

  private final Map<String, Optional<String>> calls =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, String> callBySimulation = new ConcurrentHashMap<>();
  private final Map<String, String> poisonReasons = new ConcurrentHashMap<>();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final Map<String, List<Produced>> content = new ConcurrentHashMap<>();
  private volatile boolean keepContent;

  /** From now on, keep every valid record produced (memory: the records themselves). */
  void keepContent() {
    keepContent = true;
  }

  /** Whether it keeps the records ({@link #content(String)}). */
  public boolean keepsContent() {
    return keepContent;
  }

  void produced(String callId, SpecificRecord value, boolean straggler) {
    if (keepContent) {
      content
          .computeIfAbsent(callId, k -> Collections.synchronizedList(new java.util.ArrayList<>()))
          .add(new Produced(value, straggler));
    }
  }

  /**
   * The valid records produced for {@code callId}, in send order (poison left out); empty unless
   * {@link #keepsContent()}.
   */
  public List<Produced> content(String callId) {
    List<Produced> records = content.get(callId);
    if (records == null) {
      return List.of();
    }
    synchronized (records) {
      return List.copyOf(records);
    }
  }

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

  /** Every call_id produced, in the order the calls started. */
  public List<String> callIds() {
    synchronized (calls) {
      return List.copyOf(calls.keySet());
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
