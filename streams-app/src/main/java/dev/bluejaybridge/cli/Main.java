package dev.bluejaybridge.cli;

import dev.bluejaybridge.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one entry point of the jar. Exit codes: 0 success, 2 usage or configuration error (every
 * problem listed), 1 runtime failure.
 */
@Command(
    name = "bluejay-bridge",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Feeds voice/chat-agent call telemetry from Kafka into Bluejay.",
    subcommands = {RunCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  static final int CONFIG_ERROR = 2;
  static final int RUNTIME_FAILURE = 1;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code (tests call this; only {@link #main} exits). */
  public static int execute(String... args) {
    return commandLine().execute(args);
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

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"bluejay-bridge " + (version == null ? "dev" : version)};
    }
  }
}
