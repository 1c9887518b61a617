package dev.bluejaybridge.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * One bridge instance as a separate process: {@code java -jar bluejay-bridge.jar run --config F
 * --log-format json}, with stdout and stderr appended to {@link #logFile()} across restarts.
 *
 * <p>The builder writes the config file once (bootstrap servers, application id, state dir,
 * registry URL, topics, Bluejay base URL, API key file, admin port, and any {@code call.*}, {@code
 * delivery.*} or {@code kafka.*} overrides); the key itself goes only into a file next to it, never
 * on the command line or in the environment. Instances of one application share {@code
 * applicationId}. {@link #close()} kills the process if it still runs.
 *
 * <pre>{@code
 * try (AppProcess app = AppProcess.builder("app-1", dir)
 *         .bootstrapServers(broker.bootstrapServers()).registryUrl(registry.url())
 *         .bluejayBaseUrl(receiver.baseUrl()).apiKey(key).topics(topics)
 *         .property("delivery.rate-limit-per-minute", "60000").start()) {
 *   app.awaitReady(Duration.ofSeconds(90));
 *   app.kill9(); app.start(); ...
 * }
 * }</pre>
 */
public final class AppProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String name;
  private final Path dir;
  private final Path jar;
  private final List<String> jvmOptions;
  private final int adminPort;
  private final Path config;
  private final Path logFile;
  private volatile Process process;
  private int starts;

  private AppProcess(Builder b) {
    this.name = b.name;
    this.dir = b.dir.toAbsolutePath();
    this.jar = b.jar == null ? Processes.jar() : b.jar.toAbsolutePath();
    this.jvmOptions = List.copyOf(b.jvmOptions);
    this.adminPort = b.adminPort > 0 ? b.adminPort : Processes.freePort();
    this.config = dir.resolve("bridge.properties");
    this.logFile = dir.resolve("app.log");
    Map<String, String> props = new LinkedHashMap<>();
    props.put("kafka.bootstrap.servers", Objects.requireNonNull(b.bootstrapServers, "bootstrap"));
    props.put("kafka.application.id", b.applicationId);
    props.put("kafka.state.dir", dir.resolve("state").toString());
    props.put("schema.registry.url", Objects.requireNonNull(b.registryUrl, "registryUrl"));
    props.putAll(b.topics.config());
    props.put("bluejay.base-url", Objects.requireNonNull(b.bluejayBaseUrl, "bluejayBaseUrl"));
    props.put("bluejay.api-key-file", dir.resolve("api-key").toString());
    props.put("admin.port", String.valueOf(adminPort));
    props.putAll(b.properties);
    try {
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve("api-key"),
          Objects.requireNonNull(b.apiKey, "apiKey"),
          StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>();
      props.forEach((k, v) -> lines.add(k + "=" + v));
      Files.write(config, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An instance named {@code name} (for logs and reports) whose files live in {@code dir}. */
  public static Builder builder(String name, Path dir) {
    return new Builder(name, dir, app -> {});
  }

  /** Settings of an app process. */
  public static final class Builder {
    private final String name;
    private final Path dir;
    private Path jar;
    private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx384m"));
    private String bootstrapServers;
    private String applicationId = "bluejay-bridge-harness";
    private String registryUrl;
    private String bluejayBaseUrl;
    private String apiKey;
    private TopicNames topics = TopicNames.defaults();
    private int adminPort;
    private final Map<String, String> properties = new LinkedHashMap<>();

    private final Consumer<AppProcess> onBuild;

    Builder(String name, Path dir, Consumer<AppProcess> onBuild) {
      this.name = Objects.requireNonNull(name, "name");
      this.dir = Objects.requireNonNull(dir, "dir");
      this.onBuild = Objects.requireNonNull(onBuild, "onBuild");
    }

    /** Default {@link Processes#jar()}. */
    public Builder jar(Path jar) {
      this.jar = jar;
      return this;
    }

    /** The {@code -Xmx} value (default {@code 384m}). */
    public Builder heap(String heap) {
      jvmOptions.removeIf(o -> o.startsWith("-Xmx"));
      jvmOptions.add("-Xmx" + heap);
      return this;
    }

    /** Another JVM option, e.g. {@code -XX:+UseSerialGC}. */
    public Builder jvmOption(String option) {
      jvmOptions.add(option);
      return this;
    }

    public Builder bootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** {@code kafka.application.id}; instances that share it share the work. */
    public Builder applicationId(String applicationId) {
      this.applicationId = applicationId;
      return this;
    }

    public Builder registryUrl(String registryUrl) {
      this.registryUrl = registryUrl;
      return this;
    }

    public Builder bluejayBaseUrl(String bluejayBaseUrl) {
      this.bluejayBaseUrl = bluejayBaseUrl;
      return this;
    }

    /** The API key, written to a file the config names ({@code bluejay.api-key-file}). */
    public Builder apiKey(String apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    public Builder topics(TopicNames topics) {
      this.topics = topics;
      return this;
    }

    /** Default: a free port. */
    public Builder adminPort(int adminPort) {
      this.adminPort = adminPort;
      return this;
    }

    /** Any config key over the harness's ones ({@code call.*}, {@code delivery.*}, ...). */
    public Builder property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    public Builder properties(Map<String, String> more) {
      properties.putAll(more);
      return this;
    }

    /** Writes the files; the process is not started. */
    public AppProcess build() {
      AppProcess app = new AppProcess(this);
      onBuild.accept(app);
      return app;
    }

    /** Writes the files and starts the process (not waiting for readiness). */
    public AppProcess start() {
      AppProcess app = build();
      app.start();
      return app;
    }
  }

  public String name() {
    return name;
  }

  /** Starts the process; a no-op while it runs. Each start appends to {@link #logFile()}. */
  public synchronized void start() {
    if (isAlive()) {
      return;
    }
    List<String> command = new ArrayList<>();
    command.add(Processes.java());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-jar", jar.toString(), "run", "--config", config.toString(), "--log-format", "json"));
    try {
      process =
          Processes.start(
              new ProcessBuilder(command)
                  .directory(dir.toFile())
                  .redirectErrorStream(true)
                  .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())));
      starts++;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How many times the process was started. */
  public synchronized int starts() {
    return starts;
  }

  /**
   * Waits until {@code /health/ready} answers 200 (Kafka Streams RUNNING).
   *
   * @throws IllegalStateException if the process exits or {@code timeout} passes first
   */
  public void awaitReady(Duration timeout) {
    Poll.require(
        timeout,
        Duration.ofMillis(250),
        () -> {
          Process p = process;
          if (p == null || !p.isAlive()) {
            throw new IllegalStateException(
                name
                    + " is not running"
                    + (p == null ? "" : " (exit " + p.exitValue() + ")")
                    + "; see "
                    + logFile);
          }
          return isReady();
        },
        () -> name + " to be ready; see " + logFile);
  }

  /** Whether {@code /health/ready} answers 200 right now. */
  public boolean isReady() {
    try {
      return get("/health/ready").statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** SIGKILL: no drain, no clean close; state and outbox must survive through the changelogs. */
  public void kill9() {
    Process p = process;
    if (p != null && p.isAlive()) {
      Processes.kill(p);
    }
  }

  /**
   * SIGTERM: the app drains requests in flight and closes Kafka Streams; waits up to {@code
   * timeout}, then kills.
   *
   * @return the exit code
   */
  public int terminate(Duration timeout) {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException(name + " was never started");
    }
    return p.isAlive() ? Processes.terminate(p, timeout.toSeconds()) : p.exitValue();
  }

  /** {@link #terminate} (60 s), then {@link #start()}. */
  public void restart() {
    if (isAlive()) {
      terminate(Duration.ofSeconds(60));
    }
    start();
  }

  /** The running process's id. */
  public long pid() {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException(name + " was never started");
    }
    return p.pid();
  }

  /** The resident set size from {@code /proc/<pid>/status}, when the process runs (Linux). */
  public OptionalLong rssBytes() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return OptionalLong.empty();
    }
    return ProcStatus.rssBytes(p.pid());
  }

  /** {@code GET /metrics}, parsed. */
  public PrometheusText metrics() {
    try {
      HttpResponse<String> response = get("/metrics");
      if (response.statusCode() != 200) {
        throw new IllegalStateException(name + " /metrics answered " + response.statusCode());
      }
      return PrometheusText.parse(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(name + " /metrics", e);
    }
  }

  /** {@code GET /status}, as JSON. */
  public JsonNode status() {
    try {
      return JSON.readTree(get("/status").body());
    } catch (IOException e) {
      throw new UncheckedIOException(name + " /status", e);
    }
  }

  public int adminPort() {
    return adminPort;
  }

  public Path logFile() {
    return logFile;
  }

  public Path configFile() {
    return config;
  }

  /** Whether the log holds {@code text} (e.g. the API key, which it must never hold). */
  public boolean logContains(String text) {
    try {
      if (!Files.exists(logFile)) {
        return false;
      }
      return Files.readString(logFile, StandardCharsets.UTF_8).contains(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last {@code n} lines of the log, for a failure message. */
  public List<String> logTail(int n) {
    try {
      if (!Files.exists(logFile)) {
        return List.of();
      }
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.ISO_8859_1);
      return List.copyOf(lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How many lines of the log (all starts) hold {@code text}. */
  public long logLinesContaining(String text) {
    try {
      if (!Files.exists(logFile)) {
        return 0;
      }
      try (java.util.stream.Stream<String> lines =
          Files.lines(logFile, StandardCharsets.ISO_8859_1)) {
        return lines.filter(line -> line.contains(text)).count();
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new UncheckedIOException(new IOException("reading " + logFile, e));
    }
  }

  /** Kills the process if it still runs. Files stay in the directory. */
  @Override
  public void close() {
    kill9();
  }

  @Override
  public String toString() {
    return name;
  }

  private HttpResponse<String> get(String path) throws IOException {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
