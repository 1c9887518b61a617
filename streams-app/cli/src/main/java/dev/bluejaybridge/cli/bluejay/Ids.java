package dev.bluejaybridge.cli.bluejay;

import java.util.List;
import java.util.Optional;

/** The ids the Bluejay commands take on their command line, checked before anything is sent. */
public final class Ids {
  private Ids() {}

  /**
   * A simulation id: a whole number ({@code simulation_id} is an integer path parameter).
   *
   * @return empty, with a problem added, when it is not one
   */
  public static Optional<Long> simulationId(String text, List<String> problems) {
    if (text != null && text.matches("[0-9]{1,18}")) {
      return Optional.of(Long.parseLong(text));
    }
    problems.add(
        "ID: " + Json.quoted(String.valueOf(text)) + " is not a simulation id (a whole number)");
    return Optional.empty();
  }

  /**
   * A workflow (scenario) id: a UUID.
   *
   * @return empty, with a problem added, when it is not one
   */
  public static Optional<String> workflowId(String text, List<String> problems) {
    if (text != null && SimulationUpdate.UUID.matcher(text).matches()) {
      return Optional.of(text);
    }
    problems.add(
        "ID: "
            + Json.quoted(String.valueOf(text))
            + " is not a workflow id (a UUID, 8-4-4-4-12 hex digits)");
    return Optional.empty();
  }
}
