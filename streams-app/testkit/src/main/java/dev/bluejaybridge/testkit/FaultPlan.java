package dev.bluejaybridge.testkit;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A deterministic flaky Bluejay: every call (by its update key: call id or simulation result id)
 * gets a script of answers, drawn with a seeded {@link Random} so that over the whole run the
 * receiver answers exactly the planned number of each kind, whatever order the calls arrive in.
 * Each script is up to {@code maxFaultsPerCall} faults, then 200, or 422 for the calls planned to
 * be refused.
 *
 * <p>Some faults come after Bluejay applied the request ({@link Answer#applied()}): it holds the
 * body (a POST's tool calls are appended) but the client is told a 5xx, has its connection reset,
 * or gets its 200 only after it gave up. A script has at most one of them, as its last fault, and a
 * refused call none. After one, a production call is sent again (its PUT replaces: the next answer
 * of its script), whereas a simulated call must be found applied by the look-up and never POSTed
 * again: its script ends there ({@link #totals(Predicate)}).
 */
public final class FaultPlan implements BluejayStandIn.AnswerPlan {

  /** The kinds of answer. */
  public enum Answer {
    OK,
    /** 500, 502 or 503. */
    SERVER_ERROR,
    /** 429 with {@code Retry-After}. */
    RATE_LIMITED,
    /** Held past the client's timeout, then 503: Bluejay never took it. */
    TIMEOUT,
    /** 422 with one FastAPI validation error. */
    INVALID,
    /** Applied, then held past the client's timeout (the 200 comes too late). */
    APPLIED_THEN_TIMEOUT,
    /** Applied, then 500, 502 or 504 (a gateway that lost the answer). */
    APPLIED_THEN_5XX,
    /** Applied, then the connection is reset before any answer. */
    APPLIED_THEN_RESET;

    /** Whether Bluejay applied the request although the client was not told so. */
    public boolean applied() {
      return this == APPLIED_THEN_TIMEOUT || this == APPLIED_THEN_5XX || this == APPLIED_THEN_RESET;
    }

    /** Whether the answer is held past the client's timeout. */
    public boolean held() {
      return this == TIMEOUT || this == APPLIED_THEN_TIMEOUT;
    }
  }

  /** The {@code loc} and {@code msg} of the 422's detail. */
  public static final List<Object> INVALID_LOC = List.of("body", "tool_calls", 0, "name");

  public static final String INVALID_MSG = "Field required";

  private final Map<String, List<Answer>> scripts;
  private final Duration retryAfter;
  private final Duration hold;

  private FaultPlan(Map<String, List<Answer>> scripts, Duration retryAfter, Duration hold) {
    this.scripts = scripts;
    this.retryAfter = retryAfter;
    this.hold = hold;
  }

  /**
   * Scripts for {@code keys}: {@code counts} of the faults (SERVER_ERROR, RATE_LIMITED, TIMEOUT and
   * the APPLIED_THEN_… kinds) spread over the calls (at most {@code maxFaultsPerCall} each, at most
   * one applied fault each, last, and none on a refused call), {@code counts.get(INVALID)} calls
   * ending in 422, the others in 200.
   *
   * @param retryAfter what a 429 says
   * @param hold how long a TIMEOUT or APPLIED_THEN_TIMEOUT holds the request (longer than the
   *     client's timeout)
   * @throws IllegalArgumentException if the calls cannot take that many faults
   */
  public static FaultPlan of(
      List<String> keys,
      Map<Answer, Integer> counts,
      int maxFaultsPerCall,
      Duration retryAfter,
      Duration hold,
      long seed) {
    Random random = new Random(seed);
    List<String> order = new ArrayList<>(keys);
    Collections.shuffle(order, random);
    int invalid = counts.getOrDefault(Answer.INVALID, 0);
    List<Answer> faults = new ArrayList<>();
    for (Answer kind : Answer.values()) {
      if (kind != Answer.OK && kind != Answer.INVALID) {
        faults.addAll(Collections.nCopies(counts.getOrDefault(kind, 0), kind));
      }
    }
    long appliedFaults = faults.stream().filter(Answer::applied).count();
    if (faults.size() > keys.size() * maxFaultsPerCall
        || invalid > keys.size()
        || appliedFaults > keys.size() - invalid) {
      throw new IllegalArgumentException("more faults than the calls can take");
    }
    Collections.shuffle(faults, random);
    // The applied faults first, so that each finds a call without one.
    faults.sort(java.util.Comparator.comparing(fault -> !fault.applied()));
    Map<String, List<Answer>> scripts = new LinkedHashMap<>();
    order.forEach(key -> scripts.put(key, new ArrayList<>()));
    Set<String> refused = new HashSet<>(order.subList(0, invalid));
    List<String> open = new ArrayList<>(order);
    List<String> openToApplied = new ArrayList<>(order.subList(invalid, order.size()));
    for (Answer fault : faults) {
      List<String> from = fault.applied() ? openToApplied : open;
      if (from.isEmpty()) {
        throw new IllegalArgumentException("more faults than the calls can take");
      }
      String key = from.get(random.nextInt(from.size()));
      List<Answer> script = scripts.get(key);
      script.add(fault);
      openToApplied.remove(key);
      if (script.size() == maxFaultsPerCall) {
        open.remove(key);
      }
    }
    for (String key : order) {
      List<Answer> script = scripts.get(key);
      // An applied fault is the script's last fault.
      script.sort(java.util.Comparator.comparing(Answer::applied));
      script.add(refused.contains(key) ? Answer.INVALID : Answer.OK);
    }
    return new FaultPlan(scripts, retryAfter, hold);
  }

  /** The script of one key (its last answer repeats), or null for a key without one. */
  public List<Answer> script(String key) {
    return scripts.get(key);
  }

  /** The keys whose script ends in 422. */
  public List<String> refused() {
    return scripts.entrySet().stream()
        .filter(e -> e.getValue().get(e.getValue().size() - 1) == Answer.INVALID)
        .map(Map.Entry::getKey)
        .toList();
  }

  /** How many answers of each kind the whole plan gives, if every call runs its script through. */
  public Map<Answer, Integer> totals() {
    return totals(key -> false);
  }

  /**
   * How many answers of each kind the receiver gives when every call runs its script through,
   * except that a key for which {@code appends} holds (a simulated call: Bluejay appends its POST)
   * stops at its applied fault: the look-up after it finds the request applied, and nothing is sent
   * again.
   */
  public Map<Answer, Integer> totals(Predicate<String> appends) {
    Map<Answer, Integer> totals = new EnumMap<>(Answer.class);
    scripts.forEach(
        (key, script) -> {
          for (Answer answer : script) {
            totals.merge(answer, 1, Integer::sum);
            if (answer.applied() && appends.test(key)) {
              break;
            }
          }
        });
    return totals;
  }

  /** The keys whose script holds an applied fault. */
  public List<String> appliedFaultKeys() {
    return scripts.entrySet().stream()
        .filter(e -> e.getValue().stream().anyMatch(Answer::applied))
        .map(Map.Entry::getKey)
        .toList();
  }

  /** How many of the first {@code attempts} answers to {@code key} were of {@code kind}. */
  public int count(String key, int attempts, Answer kind) {
    int n = 0;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      if (kind(key, attempt) == kind) {
        n++;
      }
    }
    return n;
  }

  /** The kind of the {@code attempt}-th answer to {@code key}. */
  public Answer kind(String key, int attempt) {
    List<Answer> script = scripts.get(key);
    return script.get(Math.min(attempt, script.size()) - 1);
  }

  @Override
  public ResponseDefinitionBuilder answer(
      BluejayStandIn.Endpoint endpoint, String key, int attempt) {
    if (!scripts.containsKey(key)) {
      return null;
    }
    return switch (kind(key, attempt)) {
      case OK -> BluejayStandIn.ok(endpoint);
      case SERVER_ERROR -> BluejayStandIn.status(List.of(500, 502, 503).get(attempt % 3));
      case RATE_LIMITED -> BluejayStandIn.rateLimited(String.valueOf(retryAfter.toSeconds()));
      case TIMEOUT -> BluejayStandIn.status(503).withFixedDelay(Math.toIntExact(hold.toMillis()));
      case INVALID -> BluejayStandIn.validationError(INVALID_LOC, INVALID_MSG, "missing");
      case APPLIED_THEN_TIMEOUT ->
          BluejayStandIn.appliedThen(
              BluejayStandIn.ok(endpoint).withFixedDelay(Math.toIntExact(hold.toMillis())));
      case APPLIED_THEN_5XX ->
          BluejayStandIn.appliedThen(
              BluejayStandIn.status(List.of(500, 502, 504).get(attempt % 3)));
      case APPLIED_THEN_RESET -> BluejayStandIn.appliedThen(BluejayStandIn.connectionReset());
    };
  }
}
