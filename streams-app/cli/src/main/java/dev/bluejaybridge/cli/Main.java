package dev.bluejaybridge.cli;

import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigDefaults;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.config.ConfigKeys;
import dev.bluejaybridge.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
  private static final Logger LOGGER = LoggerFactory.getLogger(Main.class);

  private final Map<String, String> env;
  private BridgeConfig.Log.Format logFormat;

  private Main(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      description =
          "Log format: text or json (one JSON object per line); default ${bundle:log.format.default}."
              + " Over log.format and ${bundle:log.format.env}.",
      scope = CommandLine.ScopeType.INHERIT)
  void setLogFormat(String format) {
    try {
      logFormat = ConfigKeys.LOG_FORMAT.parse(format);
    } catch (IllegalArgumentException e) {
      // the command line being parsed (with its help texts' resource bundle), not a new one
      throw new CommandLine.ParameterException(
          spec == null ? new CommandLine(this) : spec.commandLine(),
          "--log-format: " + e.getMessage());
    }
  }

  public static void main(String[] args) {
    // Before anything logs: the first lines are in the right format too.
    System.setProperty(
        LogFormatFilter.SELECTED, logFormat(args, System.getenv(ConfigKeys.LOG_FORMAT.envName())));
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
    return env == null || env.isBlank()
        ? ConfigKeys.LOG_FORMAT.defaultText().orElseThrow()
        : env.trim();
  }

  /** Runs a command line and returns its exit code (tests call this; only {@link #main} exits). */
  public static int execute(String... args) {
    return commandLine(System.getenv()).execute(args);
  }

  /** As {@link #execute(String...)}, writing to the given streams (tests). */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    return execute(System.getenv(), out, err, args);
  }

  /** As {@link #execute(String...)}, with {@code env} as the environment (tests). */
  static int execute(
      Map<String, String> env, java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine commandLine = commandLine(env);
    commandLine.setOut(out);
    commandLine.setErr(err);
    return commandLine.execute(args);
  }

  static CommandLine commandLine(Map<String, String> env) {
    CommandLine commandLine = new CommandLine(new Main(env));
    // The help texts' ${bundle:KEY.default} and ${bundle:KEY.env} come from the key definitions.
    commandLine.setResourceBundle(new ConfigDefaults());
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

  /** The root command of the command line {@code spec} belongs to. */
  static Main of(CommandSpec spec) {
    return (Main) spec.root().userObject();
  }

  /** The environment the commands read. */
  Map<String, String> env() {
    return env;
  }

  /**
   * Loads and validates the configuration ({@code file}, then the environment), and switches the
   * logs to its format unless {@code --log-format} chose one.
   *
   * @throws ConfigException listing every problem
   */
  BridgeConfig settings(Path file) {
    BridgeConfig settings = ConfigLoader.load(Optional.ofNullable(file), env);
    String format = (logFormat != null ? logFormat : settings.log().format()).configName();
    LogFormatFilter.select(format);
    LOGGER.info("configuration loaded file={} log_format={}", file == null ? "none" : file, format);
    return settings;
  }

  /** The project version and the git commit the jar was built from (version.properties). */
  public static final class Version implements CommandLine.IVersionProvider {
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
