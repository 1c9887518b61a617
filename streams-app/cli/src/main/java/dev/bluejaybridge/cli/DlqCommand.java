package dev.bluejaybridge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bluejaybridge.bluejay.AuthException;
import dev.bluejaybridge.bluejay.BluejayClient;
import dev.bluejaybridge.config.BridgeConfig;
import dev.bluejaybridge.config.ConfigException;
import dev.bluejaybridge.config.Durations;
import dev.bluejaybridge.delivery.ApiKeySource;
import dev.bluejaybridge.delivery.Backoff;
import dev.bluejaybridge.delivery.DeliveryPolicy;
import dev.bluejaybridge.delivery.RateShare;
import dev.bluejaybridge.dlq.DeadLetters;
import dev.bluejaybridge.dlq.DlqEntry;
import dev.bluejaybridge.dlq.DlqReplayer;
import dev.bluejaybridge.pipeline.StreamsProperties;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dlq inspect|replay}: read and re-drive the dead-letter topics. */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = "Read (inspect) and re-drive (replay) the input and delivery dead-letter topics.",
    subcommands = {DlqCommand.Inspect.class, DlqCommand.Replay.class})
final class DlqCommand {

  /** Options both subcommands take. */
  static final class Common {
    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        description = "Properties file (as for run).")
    Path config;

    @Option(
        names = "--reason",
        paramLabel = "REASON",
        description = "Only records with this bridge.error.reason, e.g. http-422.")
    String reason;

    @Option(
        names = "--since",
        paramLabel = "TIME",
        description = "Only records written at or after this ISO-8601 instant.")
    String since;

    @Option(
        names = "--until",
        paramLabel = "TIME",
        description = "Only records written before this ISO-8601 instant.")
    String until;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "1000",
        description = "At most N records (default ${DEFAULT-VALUE}).")
    int limit;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    BridgeConfig settings() {
      return Main.of(mixee).settings(config);
    }

    DeadLetters.Filter filter() {
      try {
        return new DeadLetters.Filter(
            Optional.ofNullable(reason),
            Optional.ofNullable(since).map(Instant::parse),
            Optional.ofNullable(until).map(Instant::parse),
            limit);
      } catch (DateTimeParseException e) {
        throw new ConfigException(
            List.of("--since/--until: not an ISO-8601 instant: " + e.getParsedString()));
      }
    }
  }

  enum Which {
    input,
    delivery
  }

  static String topic(BridgeConfig settings, Which which) {
    return which == Which.input ? settings.topics().inputDlq() : settings.topics().deliveryDlq();
  }

  static DlqEntry.Kind kind(Which which) {
    return which == Which.input ? DlqEntry.Kind.INPUT : DlqEntry.Kind.DELIVERY;
  }

  @Command(
      name = "inspect",
      mixinStandardHelpOptions = true,
      description =
          "Lists dead letters: position, time, call id, reason, status, attempts, source.")
  static final class Inspect implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common = new Common();

    @Option(
        names = "--dlq",
        paramLabel = "input|delivery",
        description = "Which DLQ (default both).")
    Which which;

    @Option(
        names = "--format",
        paramLabel = "table|json",
        defaultValue = "table",
        description = "Output format (default ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
      if (!format.equals("table") && !format.equals("json")) {
        throw new ConfigException(List.of("--format must be table or json, not '" + format + "'"));
      }
      BridgeConfig settings = common.settings();
      DeadLetters.Filter filter = common.filter();
      Map<String, Object> kafka = StreamsProperties.clientProperties(settings);
      PrintWriter out = spec.commandLine().getOut();
      ObjectMapper json = new ObjectMapper();
      ArrayNode all = json.createArrayNode();
      if (format.equals("table")) {
        out.printf(
            "%-8s %-10s %-24s %-24s %-22s %-6s %-8s %s%n",
            "DLQ", "POSITION", "TIME", "CALL_ID", "REASON", "STATUS", "ATTEMPTS", "SOURCE");
      }
      for (Which each : which == null ? Which.values() : new Which[] {which}) {
        for (DlqEntry entry :
            DeadLetters.load(kafka, topic(settings, each), kind(each), filter, false, true)) {
          if (format.equals("table")) {
            out.printf(
                "%-8s %-10s %-24s %-24s %-22s %-6s %-8s %s%n",
                each,
                entry.position(),
                Instant.ofEpochMilli(entry.timestamp()),
                entry.callId(),
                entry.reason(),
                entry.status() == null ? "-" : entry.status(),
                entry.attempts() == null ? "-" : entry.attempts(),
                entry.source());
          } else {
            ObjectNode node = all.addObject();
            node.put("dlq", each.name());
            node.put("position", entry.position());
            node.put("time", Instant.ofEpochMilli(entry.timestamp()).toString());
            node.put("call_id", entry.callId());
            node.put("reason", entry.reason());
            node.put("status", entry.status());
            node.put("attempts", entry.attempts());
            node.put("source", entry.source());
          }
        }
      }
      if (format.equals("json")) {
        out.println(all.toPrettyString());
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description = {
        "Re-drives dead letters that no earlier replay handled. Delivery DLQ: each request is sent to",
        "Bluejay again (rate limited, with delivery's own policy: retries, backoff, a simulated call",
        "checked at Bluejay before it is posted again); delivered ones get a receipt, failures go back",
        "to the delivery DLQ with the new reason. Input DLQ: each raw record is re-published to its",
        "source topic (after the producer or schema was fixed). Replayed records are marked, so running",
        "replay again sends nothing twice. Exit 1 if any failed again, if Bluejay refuses the API key,",
        "or if it cannot be reached for --patience (then the rest are left as they are)."
      })
  static final class Replay implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common = new Common();

    @Option(
        names = "--dlq",
        required = true,
        paramLabel = "input|delivery",
        description = "Which DLQ.")
    Which which;

    @Option(names = "--dry-run", description = "Show what would be replayed; change nothing.")
    boolean dryRun;

    @Option(
        names = "--again",
        description =
            "Also replay dead letters that an earlier replay put back (they failed again).")
    boolean again;

    @Option(
        names = "--rate-per-minute",
        paramLabel = "N",
        description =
            "Bluejay requests per minute for the replay (default: a quarter of delivery.rate-limit-per-minute, leaving the rest to the running pipeline).")
    Integer ratePerMinute;

    @Option(
        names = "--patience",
        paramLabel = "DURATION",
        defaultValue = "2m",
        description =
            "How long to wait for Bluejay while it cannot be reached before stopping, the remaining dead letters left as they are (default ${DEFAULT-VALUE}).")
    String patience;

    @Override
    public Integer call() throws InterruptedException {
      BridgeConfig settings = common.settings();
      Duration patienceDuration;
      try {
        patienceDuration = Durations.parse(patience);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(List.of("--patience: " + e.getMessage()));
      }
      PrintWriter out = spec.commandLine().getOut();
      Map<String, Object> kafka = StreamsProperties.clientProperties(settings);
      String topic = topic(settings, which);
      List<DlqEntry> entries =
          DeadLetters.load(kafka, topic, kind(which), common.filter(), true, again);
      out.printf(
          "%d dead letters to replay from %s%s%n",
          entries.size(), topic, dryRun ? " (dry run)" : "");
      Map<String, Object> producerConfig = new java.util.HashMap<>(kafka);
      producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
      producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      Clock clock = Clock.systemUTC();
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
        DlqReplayer.Result result;
        if (which == Which.input) {
          result =
              replayer(producer, null, clock, out, settings, patienceDuration)
                  .replayInput(entries, topic, dryRun);
        } else {
          ApiKeySource keys;
          try {
            keys = ApiKeySource.from(settings.bluejay(), clock);
          } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of(e.getMessage()));
          }
          try (BluejayClient client =
              BluejayClient.create(
                  settings.bluejay().baseUrl(),
                  keys,
                  settings.delivery().requestTimeout(),
                  clock,
                  null,
                  settings.bluejay().tls().orElse(null))) {
            result =
                replayer(producer, client, clock, out, settings, patienceDuration)
                    .replayDelivery(entries, topic, settings.topics().deliveryReceipts(), dryRun);
          } catch (AuthException e) {
            out.println(
                "Bluejay refused the API key; the remaining dead letters are unchanged: "
                    + e.getMessage());
            return Main.RUNTIME_FAILURE;
          }
        }
        out.printf(
            "delivered %d, failed again %d, re-published %d, skipped %d%s%n",
            result.delivered(),
            result.failed(),
            result.republished(),
            result.skipped(),
            result.unchanged() > 0
                ? ", left unchanged " + result.unchanged() + " (Bluejay cannot be reached)"
                : "");
        out.flush();
        return result.failed() > 0 || result.unchanged() > 0 ? Main.RUNTIME_FAILURE : 0;
      }
    }

    private DlqReplayer replayer(
        KafkaProducer<byte[], byte[]> producer,
        BluejayClient client,
        Clock clock,
        PrintWriter out,
        BridgeConfig settings,
        Duration patience) {
      int rate =
          ratePerMinute != null
              ? ratePerMinute
              : Math.max(1, settings.delivery().rateLimitPerMinute() / 4);
      RateShare share = new RateShare(rate, clock);
      share.setTotalPartitions(1);
      share.partitionAssigned(0);
      return new DlqReplayer(
          producer,
          client,
          share,
          new DeliveryPolicy(
              settings.delivery().maxAttempts(),
              new Backoff(
                  () -> ThreadLocalRandom.current().nextDouble(),
                  settings.delivery().maxRetryAfter())),
          Thread::sleep,
          clock,
          patience,
          out);
    }
  }
}
