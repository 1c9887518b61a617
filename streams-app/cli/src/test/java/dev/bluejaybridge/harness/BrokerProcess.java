package dev.bluejaybridge.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A one-node KRaft Kafka broker (broker and controller) as a separate process, from the Kafka
 * classes on the test class path (the testkit brings the broker; the production jar has none):
 * {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka server.properties}. It listens on
 * 127.0.0.1 with two free ports chosen once, so {@link #restart()} comes back on the same address
 * and log directory. Its output goes to {@link #logFile()}. {@link #close()} kills it if it is
 * still running.
 *
 * <pre>{@code
 * try (BrokerProcess broker = BrokerProcess.builder(dir).start()) {
 *   broker.createTopics(Map.of("calls.events", 6));
 *   ... broker.bootstrapServers() ...
 * }
 * }</pre>
 */
public final class BrokerProcess implements AutoCloseable {
  /** How long {@link #start()} and {@link #restart()} wait for the broker to answer. */
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

  private final Path dir;
  private final String classPath;
  private final String heap;
  private final int port;
  private final int controllerPort;
  private final Path properties;
  private final Path logFile;
  private volatile Process process;

  private BrokerProcess(Builder builder) {
    this.dir = builder.dir.toAbsolutePath();
    this.classPath =
        builder.jar == null
            ? System.getProperty("java.class.path")
            : builder.jar.toAbsolutePath().toString();
    this.heap = builder.heap;
    this.port = Processes.freePort();
    int controller = Processes.freePort();
    while (controller == port) {
      controller = Processes.freePort();
    }
    this.controllerPort = controller;
    this.properties = dir.resolve("server.properties");
    this.logFile = dir.resolve("broker.log");
    Map<String, String> props = new LinkedHashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", dir.resolve("data").toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "6");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "6");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("num.partitions", "1");
    props.putAll(builder.properties);
    try {
      Files.createDirectories(dir);
      List<String> lines = new ArrayList<>();
      props.forEach((k, v) -> lines.add(k + "=" + v));
      Files.write(properties, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A broker whose files (properties, data, log) live in {@code dir}. */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  /** Settings of a broker process. */
  public static final class Builder {
    private final Path dir;
    private Path jar;
    private String heap = "512m";
    private final Map<String, String> properties = new LinkedHashMap<>();

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** A jar holding the Kafka broker classes; default: this JVM's class path. */
    public Builder jar(Path jar) {
      this.jar = jar;
      return this;
    }

    /** The {@code -Xmx} value, e.g. {@code 512m} (the default). */
    public Builder heap(String heap) {
      this.heap = heap;
      return this;
    }

    /** A broker property over the defaults (e.g. {@code log.segment.bytes}). */
    public Builder property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    /** Formats the storage, starts the broker and waits until it answers. */
    public BrokerProcess start() {
      BrokerProcess broker = new BrokerProcess(this);
      try {
        broker.format();
        broker.launch();
        return broker;
      } catch (RuntimeException e) {
        broker.close();
        throw e;
      }
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** The broker's stdout and stderr, appended across restarts. */
  public Path logFile() {
    return logFile;
  }

  /** The process id of the running broker. */
  public long pid() {
    return current().pid();
  }

  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Creates topics (replication factor 1); ones that exist already are left as they are. */
  public void createTopics(Map<String, Integer> partitionsByTopic) {
    createTopics(partitionsByTopic, Map.of());
  }

  /** Creates topics (replication factor 1), each with {@code configs}; existing ones are kept. */
  public void createTopics(Map<String, Integer> partitionsByTopic, Map<String, String> configs) {
    try (Admin admin = admin()) {
      List<NewTopic> topics =
          partitionsByTopic.entrySet().stream()
              .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1).configs(configs))
              .toList();
      for (var entry : admin.createTopics(topics).values().entrySet()) {
        try {
          entry.getValue().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("topics not created within 60 s", e);
    }
  }

  /** An admin client for this broker; the caller closes it. */
  public Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
  }

  /** SIGTERM (a controlled shutdown), waiting up to a minute for the exit; then SIGKILL. */
  public void stop() {
    Process p = process;
    if (p != null && p.isAlive()) {
      Processes.terminate(p, 60);
    }
  }

  /** SIGKILL, as a crash or a power cut would. */
  public void kill() {
    Process p = process;
    if (p != null && p.isAlive()) {
      Processes.kill(p);
    }
  }

  /**
   * Starts the broker again on the same ports and log directory (stopping it first if it runs) and
   * waits until it answers.
   */
  public void restart() {
    stop();
    launch();
  }

  /** Kills the broker if it is still running. Files stay in the directory. */
  @Override
  public void close() {
    kill();
  }

  private Process current() {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException("the broker was never started");
    }
    return p;
  }

  private void format() {
    String uuid = lastLine(runTool("random-uuid"));
    runTool("format", "-t", uuid, "-c", properties.toString());
  }

  private String runTool(String... args) {
    List<String> command = new ArrayList<>(List.of(Processes.java(), "-Xmx256m", "-cp"));
    command.add(classPath);
    command.add("kafka.tools.StorageTool");
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(dir, "storage-tool", ".out");
      Process tool =
          Processes.start(
              new ProcessBuilder(command)
                  .directory(dir.toFile())
                  .redirectErrorStream(true)
                  .redirectOutput(out.toFile()));
      if (!Processes.awaitExit(tool, 120)) {
        tool.destroyForcibly();
        throw new IllegalStateException("StorageTool " + args[0] + " did not finish in 120 s");
      }
      String text = Files.readString(out);
      Files.deleteIfExists(out);
      if (tool.exitValue() != 0) {
        throw new IllegalStateException(
            "StorageTool " + args[0] + " failed (" + tool.exitValue() + "): " + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\\R");
    return lines[lines.length - 1].strip();
  }

  private void launch() {
    List<String> command =
        List.of(
            Processes.java(),
            "-Xmx" + heap,
            "-cp",
            classPath,
            "kafka.Kafka",
            properties.toString());
    try {
      process =
          Processes.start(
              new ProcessBuilder(command)
                  .directory(dir.toFile())
                  .redirectErrorStream(true)
                  .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitReady();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the broker exited with " + process.exitValue() + "; see " + logFile);
      }
      try (Admin admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
        if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        last = new IllegalStateException(e.getCause() == null ? e : e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the broker", e);
      }
      Poll.pause(Duration.ofMillis(200));
    }
    throw new IllegalStateException(
        "the broker did not answer within " + READY_TIMEOUT.toSeconds() + " s; see " + logFile,
        last);
  }
}
