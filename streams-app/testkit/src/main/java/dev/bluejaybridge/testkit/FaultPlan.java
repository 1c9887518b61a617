package dev.bluejaybridge.testkit;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A deterministic flaky Bluejay: every call (by its update key: call id or simulation result id)
 * gets a script of answers, drawn with a seeded {@link Random} so that over the whole run the
 * receiver answers exactly the planned number of each kind, whatever order the calls arrive in.
 * Each script is up to {@code maxFaultsPerCall} retryable faults, then 200, or 422 for the calls
 * planned to be refused.
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
    INVALID
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
   * Scripts for {@code keys}: {@code counts} of SERVER_ERROR, RATE_LIMITED and TIMEOUT spread over
   * the calls (at most {@code maxFaultsPerCall} each), {@code counts.get(INVALID)} calls ending in
   * 422, the others in 200.
   *
   * @param retryAfter what a 429 says
   * @param hold how long a TIMEOUT holds the request (longer than the client's timeout)
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
    for (Answer kind : List.of(Answer.SERVER_ERROR, Answer.RATE_LIMITED, Answer.TIMEOUT)) {
      faults.addAll(Collections.nCopies(counts.getOrDefault(kind, 0), kind));
    }
    if (faults.size() > keys.size() * maxFaultsPerCall || invalid > keys.size()) {
      throw new IllegalArgumentException("more faults than the calls can take");
    }
    Collections.shuffle(faults, random);
    Map<String, List<Answer>> scripts = new LinkedHashMap<>();
    order.forEach(key -> scripts.put(key, new ArrayList<>()));
    List<String> open = new ArrayList<>(order);
    for (Answer fault : faults) {
      String key = open.get(random.nextInt(open.size()));
      List<Answer> script = scripts.get(key);
      script.add(fault);
      if (script.size() == maxFaultsPerCall) {
        open.remove(key);
      }
    }
    for (int i = 0; i < order.size(); i++) {
      scripts.get(order.get(i)).add(i < invalid ? Answer.INVALID : Answer.OK);
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
    Map<Answer, Integer> totals = new EnumMap<>(Answer.class);
    scripts.values().forEach(script -> script.forEach(a -> totals.merge(a, 1, Integer::sum)));
    return totals;
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
    };
  }
}
