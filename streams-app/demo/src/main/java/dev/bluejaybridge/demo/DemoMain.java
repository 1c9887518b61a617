package dev.bluejaybridge.demo;

import dev.bluejaybridge.cli.DemoLauncher;
import dev.bluejaybridge.config.ConfigDefaults;
import dev.bluejaybridge.config.ConfigException;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * The entry point of {@code bluejay-bridge-demo.jar}: {@code java -jar bluejay-bridge-demo.jar
 * [demo] [OPTIONS]}. Exit codes as the bridge's: 0 success, 2 usage error, 1 runtime failure.
 */
public final class DemoMain {
  private DemoMain() {}

  public static void main(String[] args) {
    exitWithTheLauncher(System.getProperty(DemoLauncher.PARENT_PID_PROPERTY));
    System.exit(execute(args));
  }

  /**
   * Started by {@code bluejay-bridge.jar demo}: when that JVM ends, however (also kill -9), the
   * demo stops too (its shutdown hook closes the broker and the pipeline) instead of running on.
   */
  private static void exitWithTheLauncher(String parentPid) {
    if (parentPid == null || !parentPid.matches("\\d{1,19}")) {
      return;
    }
    ProcessHandle.of(Long.parseLong(parentPid))
        .ifPresentOrElse(
            parent -> parent.onExit().thenRun(() -> System.exit(130)), () -> System.exit(130));
  }

  /** Runs the demo's command line and returns its exit code (only {@link #main} exits). */
  public static int execute(String... args) {
    return commandLine().execute(withoutCommandName(args));
  }

  /** As {@link #execute(String...)}, writing to the given streams (tests). */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine commandLine = commandLine();
    commandLine.setOut(out);
    commandLine.setErr(err);
    return commandLine.execute(withoutCommandName(args));
  }

  /** {@code bluejay-bridge.jar demo ARGS} hands on {@code ARGS}; the word "demo" is optional. */
  private static String[] withoutCommandName(String[] args) {
    return args.length > 0 && args[0].equals("demo")
        ? Arrays.copyOfRange(args, 1, args.length)
        : args;
  }

  private static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new DemoCommand());
    // the help texts' ${bundle:KEY.default} and ${bundle:KEY.env} come from the key definitions
    commandLine.setResourceBundle(new ConfigDefaults());
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          cmd.getErr()
              .println(
                  exception instanceof ConfigException
                      ? exception.getMessage()
                      : "error: " + exception.getMessage());
          return exception instanceof ConfigException ? 2 : 1;
        });
    commandLine.setExitCodeExceptionMapper(exception -> 2);
    return commandLine;
  }
}
