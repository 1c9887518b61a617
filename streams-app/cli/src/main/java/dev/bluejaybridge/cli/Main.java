package dev.bluejaybridge.cli;

import dev.bluejaybridge.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The one entry point of the jar. Exit codes: 0 success, 2 usage or configuration error (every
 * problem listed), 1 runtime failure.
 */
@Command(
    name = "bluejay-bridge",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Feeds voice/chat-agent call telemetry from Kafka into Bluejay.",
    subcommands = {
      RunCommand.class,
      CheckCommand.class,
      DemoLauncher.class,
      DlqCommand.class,
      SimulationCommand.class,
      WorkflowCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  static final int CONFIG_ERROR = 2;
  static final int RUNTIME_FAILURE = 1;
  static final String LOG_FORMAT_PROPERTY = "bridge.log.format";

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      description =
          "Log format: text (default) or json (one JSON object per line). Also BRIDGE_LOG_FORMAT.",
      scope = CommandLine.ScopeType.INHERIT)
  void setLogFormat(String format) {
    if (!format.equals("text") && !format.equals("json")) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--log-format must be text or json, not '" + format + "'");
    }
  }

  public static void main(String[] args) {
    // Before anything logs: logback reads the format once, when it starts.
    System.setProperty(LOG_FORMAT_PROPERTY, logFormat(args, System.getenv("BRIDGE_LOG_FORMAT")));
    System.exit(execute(args));
  }

  static String logFormat(String[] args, String env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--log-format") && i + 1 < args.length) {
        return args[i + 1];
      }
      if (args[i].startsWith("--log-format=")) {
        return args[i].substring("--log-format=".length());
      }
    }
    return env == null || env.isBlank() ? "text" : env.trim();
  }

  /** Runs a command line and returns its exit code (tests call this; only {@link #main} exits). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** As {@link #execute(String...)}, writing to the given streams (tests). */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine commandLine = commandLine();
    commandLine.setOut(out);
    commandLine.setErr(err);
    return commandLine.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          if (exception instanceof ConfigException config) {
            cmd.getErr().println(config.getMessage());
            return CONFIG_ERROR;
          }
          cmd.getErr().println("error: " + exception.getMessage());
          return RUNTIME_FAILURE;
        });
    commandLine.setExitCodeExceptionMapper(exception -> CONFIG_ERROR);
    return commandLine;
  }

  /** The project version and the git commit the jar was built from (version.properties). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws java.io.IOException {
      return new String[] {"bluejay-bridge " + describe()};
    }

    static String describe() throws java.io.IOException {
      java.util.Properties built = new java.util.Properties();
      try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          built.load(in);
        }
      }
      return known(built.getProperty("version"))
          + " (commit "
          + known(built.getProperty("commit"))
          + ")";
    }

    private static String known(String value) {
      return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
    }
  }
}
