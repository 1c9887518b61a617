package dev.bluejaybridge.cli;

import dev.bluejaybridge.bluejay.BluejayException;
import dev.bluejaybridge.cli.bluejay.ApiErrors;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** What the Bluejay commands print when they stop early, and the exit code that goes with it. */
final class BluejayCommandOutput {

  /** The exit-code section of every Bluejay command's --help. */
  static final String EXIT_CODES_HEADING = "%nExit codes:%n";

  private BluejayCommandOutput() {}

  /** Lists every usage or configuration problem on stderr; exit code 2. */
  static int problems(CommandSpec spec, List<String> problems, boolean nothingSent) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(problems.size() == 1 ? "1 problem:" : problems.size() + " problems:");
    for (String problem : problems) {
      err.println("  - " + problem);
    }
    if (nothingSent) {
      err.println("nothing was sent to Bluejay");
    }
    err.flush();
    return Main.CONFIG_ERROR;
  }

  /** Explains a failed request on stderr; exit code 1. */
  static int failure(CommandSpec spec, BluejayException e, String subject) {
    PrintWriter err = spec.commandLine().getErr();
    ApiErrors.describe(e, subject).forEach(err::println);
    err.flush();
    return Main.RUNTIME_FAILURE;
  }

  /** A runtime failure that is not an HTTP error (e.g. an answer without the documented fields). */
  static int failure(CommandSpec spec, String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("error: " + message);
    err.flush();
    return Main.RUNTIME_FAILURE;
  }
}
