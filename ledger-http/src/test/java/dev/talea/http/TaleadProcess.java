package dev.talea.http;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.json.Json;
import dev.talea.testkit.HealthWait;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code talead serve} from the shaded jar in a child JVM, as an operator runs it, on a free port,
 * with only the given {@code TALEA_*} variables. For tests that need several real instances.
 */
final class TaleadProcess implements AutoCloseable {

  static final Path JAR = Path.of("target", "talead.jar");
  static final String TOKEN = "two-instances-token-0123456789";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final Process process;
  private final int port;
  private final Path log;
  private final HttpClient http;

  private TaleadProcess(String name, Process process, int port, Path log) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.log = log;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /**
   * Starts {@code talead serve} in {@code work} and waits until {@code /health} answers 200.
   *
   * @param variables TALEA_* settings; the bind address and the token are added
   */
  static TaleadProcess start(String name, Path work, Map<String, String> variables) {
    return start(name, work, variables, freePort());
  }

  /**
   * As {@link #start(String, Path, Map)}, on {@code port} (a restart on the port of an instance
   * that stopped). Unless the variables say otherwise, the drain's grace is 0s: only the tests of
   * the drain itself wait for it.
   */
  static TaleadProcess start(String name, Path work, Map<String, String> variables, int port) {
    TaleadProcess talead = launch(name, work, variables, port);
    talead.awaitHealthy();
    return talead;
  }

  /**
   * As {@link #start(String, Path, Map, int)}, without waiting for {@code /health}: for an instance
   * that is expected to refuse to start, or that others must start alongside.
   */
  static TaleadProcess launch(String name, Path work, Map<String, String> variables, int port) {
    if (!Files.isRegularFile(JAR)) {
      fail(
          "the talead jar is missing at "
              + JAR.toAbsolutePath()
              + "; these tests run after `package` (./mvnw verify builds it)");
    }
    Path log = work.resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Xmx512m");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.add("serve");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(key -> key.startsWith("TALEA_"));
    builder.environment().putAll(variables);
    builder.environment().put("TALEA_BIND", "127.0.0.1:" + port);
    builder.environment().putIfAbsent("TALEA_API_TOKEN", TOKEN);
    builder.environment().putIfAbsent("TALEA_DRAIN_GRACE", "0s");
    try {
      return new TaleadProcess(name, builder.start(), port, log);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start talead " + name, e);
    }
  }

  /** Waits until {@code /health} answers 200; fails (and stops the process) if it never does. */
  void awaitHealthy() {
    HealthWait.Outcome outcome;
    try {
      outcome = HealthWait.await(process, uri("/"), START_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (outcome == HealthWait.Outcome.EXITED) {
      fail("talead " + name + " exited with " + process.exitValue() + ":\n" + log());
    }
    if (outcome == HealthWait.Outcome.TIMED_OUT) {
      close();
      fail("talead " + name + " did not become healthy within " + START_TIMEOUT + ":\n" + log());
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  HttpResponse<String> post(String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  HttpResponse<String> put(String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  static JsonNode json(HttpResponse<String> response) {
    return Json.parseResponse(response.body().getBytes(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(
          request
              .header("Authorization", "Bearer " + TOKEN)
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("talead " + name + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A scrape of the metrics listener on {@code port} of this host (TALEA_METRICS_BIND). */
  String metrics(int port) {
    try {
      HttpResponse<String> scrape =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return scrape.body();
    } catch (IOException e) {
      throw new IllegalStateException("talead " + name + " metrics: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** What the process printed so far. */
  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  int port() {
    return port;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Sends SIGTERM, as an orchestrator stopping the instance does. */
  void terminate() {
    process.destroy();
  }

  /** Sends SIGSTOP: the instance freezes, connections and all, as in a long GC pause. */
  void pause() {
    signal("STOP");
  }

  /** Sends SIGCONT to a paused instance. */
  void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
      if (kill.waitFor() != 0) {
        fail("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends SIGKILL: the instance dies at once, mid-request. */
  void kill() {
    process.destroyForcibly();
  }

  /** Waits for the process to exit and returns its exit code. */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        fail("talead " + name + " did not exit within " + timeout + ":\n" + log());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return process.exitValue();
  }

  /** SIGTERM, then a forced kill if it does not exit in time. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
