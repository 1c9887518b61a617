package dev.bluejaybridge.demo;

import dev.bluejaybridge.cli.Main;
import dev.bluejaybridge.config.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code demo}: the whole pipeline on an in-process broker, fed with synthetic calls. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    header =
        "Runs the whole pipeline on this machine: embedded Kafka, synthetic calls, a local Bluejay.",
    description = {
      "Runs the real pipeline end to end on this machine, with nothing to install: an"
          + " in-process Kafka broker (KRaft, in a temporary directory), the in-memory schema"
          + " registry (mock://demo), synthetic calls of voice agents booking appointments,"
          + " checking orders and rescheduling (about 1 in 4 simulated, a few ending by"
          + " inactivity, plus a few poison records), and a local Bluejay receiver that writes"
          + " every request body to a folder.",
      "",
      "If BLUEJAY_API_KEY is set, calls go to the REAL Bluejay API instead"
          + " (${bundle:bluejay.base-url.env}, else ${bundle:bluejay.base-url.default}) at"
          + " ${bundle:delivery.rate-limit-per-minute.default} requests/min,"
          + " and only production calls are generated.",
      "",
      "It prints a progress line every second and a summary once every call is delivered or"
          + " dead-lettered. Exit code 0 when everything is accounted for, 1 when --timeout"
          + " expires first.",
      ""
    })
final class DemoCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--calls",
      paramLabel = "N",
      defaultValue = "50",
      description = "How many calls to produce (default: ${DEFAULT-VALUE}).")
  int calls;

  @Option(
      names = "--rate",
      paramLabel = "R",
      defaultValue = "20",
      description = "Calls started per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--speed",
      paramLabel = "X",
      defaultValue = "1",
      description =
          "Time compression (default: ${DEFAULT-VALUE}). At 1, a minute of conversation plays in"
              + " a second; X divides that and the pipeline's end grace (300ms) and inactivity"
              + " gap (3s), which stop at 100ms and 1s. 2 is twice as fast, 0.5 half as fast.")
  double speed;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "120s",
      converter = DurationConverter.class,
      description =
          "Give up when not every call is accounted for after this long, with exit code 1 and"
              + " what is missing (default: ${DEFAULT-VALUE}; e.g. 90s, 5m).")
  Duration timeout;

  @Option(
      names = "--keep-running",
      description =
          "After the summary, keep the broker, the pipeline and the receiver running until"
              + " Ctrl-C, to produce more records yourself; the admin server then serves"
              + " http://localhost:8080/metrics and /status.")
  boolean keepRunning;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description =
          "Folder for the request bodies the local receiver got, one file per request"
              + " (<call_id>.json or <simulation_result_id>.json). Default: a new temporary"
              + " folder, kept and printed at the end.")
  Path out;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description = "Seed of the call generator, to repeat a run (default: random, printed).")
  Long seed;

  @Option(
      names = {"-v", "--verbose"},
      description =
          "Show the logs: the bridge at INFO, the broker and clients at WARN. Without it the"
              + " demo prints its own progress and summary only.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    Demo.Options options;
    try {
      options =
          new Demo.Options(
              calls,
              rate,
              speed,
              timeout,
              keepRunning,
              Optional.ofNullable(out),
              seed == null ? OptionalLong.empty() : OptionalLong.of(seed),
              verbose);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return new Demo(options, spec.commandLine().getOut(), System.getenv(), System.console() != null)
        .run();
  }

  /** {@code 90s}, {@code 2m}, ... as in the config file; a bare number is seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String text = value.trim();
      return text.matches("\\d+")
          ? Duration.ofSeconds(Long.parseLong(text))
          : Durations.parse(text);
    }
  }
}
