package dev.talea.torture;

import dev.talea.testkit.HealthWait;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The talead under test: a child JVM from the shaded jar on one store and one port, which the fault
 * schedule kills, pauses and restarts. Every restart keeps the store and the port, so clients find
 * the same server again; its output is appended to one log file.
 */
final class Talead {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path jar;
  private final String dbUrl;
  private final int port;
  private final String token;
  private final Map<String, String> environment;
  private final List<String> jvmOptions;
  private final Path work;
  private final Path log;
  private volatile Process process;
  private volatile boolean paused;

  Talead(
      Path jar,
      String dbUrl,
      int port,
      String token,
      Map<String, String> environment,
      List<String> jvmOptions,
      Path work,
      Path log) {
    this.jar = jar;
    this.dbUrl = dbUrl;
    this.port = port;
    this.token = token;
    this.environment = environment;
    this.jvmOptions = jvmOptions;
    this.work = work;
    this.log = log;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  String token() {
    return token;
  }

  Path log() {
    return log;
  }

  boolean alive() {
    Process current = process;
    return current != null && current.isAlive();
  }

  /**
   * Starts the server and waits until {@code /health} answers 200. A cluster node that stops at
   * start-up with exit code 3 (it was downed, or found no cluster to join, while the others were
   * still recovering from an earlier fault) is started again, up to five times, as an orchestrator
   * restarts it.
   */
  void start() {
    for (int attempt = 1; ; attempt++) {
      try {
        startOnce();
        return;
      } catch (LeftCluster e) {
        if (attempt == 5) {
          throw new TortureException(e.getMessage());
        }
        sleep(1_000);
      }
    }
  }

  /** A cluster node that exited with code 3 while starting. */
  private static final class LeftCluster extends RuntimeException {
    LeftCluster(String message) {
      super(message);
    }
  }

  private void startOnce() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.add("serve");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(key -> key.startsWith("TALEA_"));
    env.put("TALEA_DB_URL", dbUrl);
    env.put("TALEA_API_TOKEN", token);
    env.put("TALEA_BIND", "127.0.0.1:" + port);
    env.putAll(environment);
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new TortureException("cannot start talead: " + e.getMessage());
    }
    paused = false;
    awaitHealthy();
  }

  /**
   * Waits until a running node answers {@code /health} 200 again (a paused node resumed, a node
   * rejoining); one that exits meanwhile, as a downed cluster node does, is started again.
   */
  void awaitServing() {
    if (!alive()) {
      start();
      return;
    }
    try {
      awaitHealthy();
    } catch (LeftCluster e) {
      start();
    }
  }

  private void awaitHealthy() {
    Process current = process;
    HealthWait.Outcome outcome;
    try {
      outcome = HealthWait.await(current, url(), START_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TortureException("interrupted while waiting for talead");
    }
    switch (outcome) {
      case HEALTHY:
        return;
      case EXITED:
        String message =
            "talead exited with " + current.exitValue() + " at start-up; its log: " + log;
        if (current.exitValue() == 3) {
          throw new LeftCluster(message);
        }
        throw new TortureException(message);
      default:
        throw new TortureException(
            "talead did not become healthy within " + START_TIMEOUT + "; " + log);
    }
  }

  /** {@code kill -9}: no drain, no flush beyond what was already acknowledged. */
  void kill() {
    Process current = process;
    resumeIfPaused();
    current.destroyForcibly();
    try {
      current.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@code kill -9} while one of talead's threads is inside {@code fsync} or {@code fdatasync}, as
   * {@code /proc/PID/task/TID/syscall} shows it; a plain kill when none is seen within {@code
   * within} (an idle server, or a system without {@code /proc}).
   *
   * @return whether the kill landed during an fsync
   */
  boolean killDuringFsync(Duration within) {
    Process current = process;
    resumeIfPaused();
    Set<String> syncCalls = SYNC_SYSCALLS.getOrDefault(System.getProperty("os.arch"), Set.of());
    Path tasks = Path.of("/proc", String.valueOf(current.pid()), "task");
    boolean caught = false;
    long deadline = System.nanoTime() + within.toNanos();
    List<Path> threads = List.of();
    long listed = 0;
    while (!syncCalls.isEmpty() && !caught && System.nanoTime() < deadline) {
      if (System.nanoTime() - listed > 100_000_000L) {
        threads = syscallFiles(tasks);
        listed = System.nanoTime();
      }
      for (Path file : threads) {
        if (syncCalls.contains(firstField(file))) {
          caught = true;
          break;
        }
      }
    }
    current.destroyForcibly();
    try {
      current.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return caught;
  }

  /** Syscall numbers of fsync and fdatasync, by {@code os.arch}. */
  private static final Map<String, Set<String>> SYNC_SYSCALLS =
      Map.of("amd64", Set.of("74", "75"), "aarch64", Set.of("82", "83"));

  private static List<Path> syscallFiles(Path tasks) {
    try (Stream<Path> threads = Files.list(tasks)) {
      return threads.map(thread -> thread.resolve("syscall")).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String firstField(Path file) {
    try {
      String text = Files.readString(file);
      int space = text.indexOf(' ');
      return space < 0 ? text.trim() : text.substring(0, space);
    } catch (IOException e) {
      return ""; // the thread ended
    }
  }

  /** SIGSTOP: the process stops answering, its connections stay open. */
  void pause() {
    signal("STOP");
    paused = true;
  }

  /** SIGCONT. */
  void resume() {
    signal("CONT");
    paused = false;
  }

  private void resumeIfPaused() {
    if (paused) {
      resume();
    }
  }

  private void signal(String name) {
    Process current = process;
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, String.valueOf(current.pid()))
              .redirectErrorStream(true)
              .start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new TortureException("cannot send SIG" + name + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM and wait (talead drains and exits 0); a kill after 30 s. */
  int stop() {
    Process current = process;
    if (current == null || !current.isAlive()) {
      return current == null ? 0 : current.exitValue();
    }
    resumeIfPaused();
    current.destroy();
    try {
      if (!current.waitFor(30, TimeUnit.SECONDS)) {
        current.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      current.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    return current.exitValue();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TortureException("interrupted");
    }
  }
}
