package dev.talea.bench;

import dev.talea.testkit.HealthWait;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The talead under test: either one this tool starts for a single run (a child JVM from the shaded
 * jar, on a fresh store: a new log directory, SQLite file or Postgres database, dropped
 * afterwards), or one that is already running elsewhere.
 */
final class Server implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** One talead process this tool started: its API and its metrics. */
  record Node(URI url, URI metrics, Process process, long startedNanos) {}

  private final URI url;
  private final String token;
  private final URI metrics;
  private final Process process;
  private final String backend;
  private final Runnable cleanUp;
  private final List<Node> nodes = new ArrayList<>();
  private Runnable analyze = () -> {};

  private Server(
      URI url, String token, URI metrics, Process process, String backend, Runnable cleanUp) {
    this.url = url;
    this.token = token;
    this.metrics = metrics;
    this.process = process;
    this.backend = backend;
    this.cleanUp = cleanUp;
    nodes.add(new Node(url, metrics, process, -1));
  }

  /**
   * Updates the planner's statistics of a scratch Postgres database (nothing for other stores). A
   * deployment's tables have statistics long before they hold a benchmark's worth of rows:
   * autovacuum analyzes within a minute or so of the first writes. A run's database is minutes old,
   * so the run does it itself at the end of the warm-up, as the store benchmark does.
   */
  private long startedNanos = -1;

  void analyze() {
    analyze.run();
  }

  /** A talead that is already running; nothing is started or cleaned up. */
  static Server target(URI url, String token, URI metrics) {
    return new Server(url, token, metrics, null, "target", () -> {});
  }

  /**
   * Starts {@code java -jar talead.jar serve} on a fresh store.
   *
   * @param store {@code log}, {@code sqlite} or {@code postgres}
   * @param postgresAdmin libpq URL of a Postgres role that may create databases (for {@code
   *     postgres})
   * @param environment extra TALEA_* settings for the server (batch max, pool size, ...)
   */
  static Server start(
      Path jar,
      String store,
      String postgresAdmin,
      List<String> jvmOptions,
      Map<String, String> environment,
      Path work,
      Path log) {
    return start(jar, store, postgresAdmin, jvmOptions, environment, work, log, 1, false);
  }

  /**
   * As {@link #start(Path, String, String, List, Map, Path, Path)}, with {@code instances} talead
   * processes on the one store (Postgres only when more than one), each on its own ports; with
   * {@code cluster} they form a Pekko cluster seeded by the first. The first is started alone (it
   * migrates the schema and forms the cluster), then the others; each is ready once its {@code
   * /health} answers 200, which for a cluster node means it has joined. The extra instances log to
   * {@code log} with {@code -2}, {@code -3}, ... before its extension.
   */
  static Server start(
      Path jar,
      String store,
      String postgresAdmin,
      List<String> jvmOptions,
      Map<String, String> environment,
      Path work,
      Path log,
      int instances,
      boolean cluster) {
    if (!Files.isRegularFile(jar)) {
      throw new BenchException(
          "no talead jar at "
              + jar.toAbsolutePath()
              + "; build it with `./mvnw -q -DskipTests -pl ledger-http -am package`"
              + " or name it with --talead-jar");
    }
    String dbUrl;
    Runnable dropStore;
    Runnable analyzeStore = () -> {};
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new BenchException("cannot create " + work + ": " + e.getMessage());
    }
    switch (store) {
      case "log" -> {
        dbUrl = "log:" + work.resolve("log").toAbsolutePath();
        dropStore = () -> deleteTree(work.resolve("log"));
      }
      case "sqlite" -> {
        dbUrl = "sqlite:" + work.resolve("talea.db").toAbsolutePath();
        dropStore =
            () -> {
              for (String suffix : new String[] {"", "-wal", "-shm"}) {
                deleteTree(work.resolve("talea.db" + suffix));
              }
            };
      }
      case "postgres" -> {
        String database = "talea_bench_" + HexFormat.of().formatHex(randomBytes(6));
        createDatabase(postgresAdmin, database);
        String scratch = withDatabase(postgresAdmin, database);
        dbUrl = scratch;
        dropStore = () -> dropDatabase(postgresAdmin, database);
        analyzeStore = () -> execute(scratch, "ANALYZE");
      }
      default -> throw new BenchException("--store must be log, sqlite or postgres, not " + store);
    }
    String token = HexFormat.of().formatHex(randomBytes(24));
    int[] clusterPorts = new int[instances];
    for (int i = 0; i < instances; i++) {
      clusterPorts[i] = freePort();
    }
    Server server = null;
    for (int i = 0; i < instances; i++) {
      Map<String, String> nodeEnv = new java.util.LinkedHashMap<>(environment);
      if (cluster) {
        nodeEnv.put("TALEA_CLUSTER_BIND", "127.0.0.1:" + clusterPorts[i]);
        nodeEnv.put("TALEA_CLUSTER_SEEDS", "127.0.0.1:" + clusterPorts[0]);
      }
      Path nodeLog =
          i == 0
              ? log
              : log.resolveSibling(
                  log.getFileName().toString().replaceFirst("(\\.[^.]*)?$", "-" + (i + 1) + "$1"));
      try {
        Node node = startNode(jar, jvmOptions, nodeEnv, work, nodeLog, dbUrl, token);
        if (server == null) {
          server = new Server(node.url(), token, node.metrics(), node.process(), store, dropStore);
          server.analyze = analyzeStore;
          server.startedNanos = node.startedNanos();
        } else {
          server.nodes.add(node);
        }
      } catch (RuntimeException e) {
        if (server != null) {
          server.close();
        } else {
          dropStore.run();
        }
        throw e;
      }
    }
    return server;
  }

  private static Node startNode(
      Path jar,
      List<String> jvmOptions,
      Map<String, String> environment,
      Path work,
      Path log,
      String dbUrl,
      String token) {
    int port = freePort();
    int metricsPort = freePort();
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
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(key -> key.startsWith("TALEA_"));
    env.put("TALEA_DB_URL", dbUrl);
    env.put("TALEA_API_TOKEN", token);
    env.put("TALEA_BIND", "127.0.0.1:" + port);
    env.put("TALEA_METRICS_BIND", "127.0.0.1:" + metricsPort);
    env.putAll(environment);
    Process process;
    long startedNanos = System.nanoTime();
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new BenchException("cannot start talead: " + e.getMessage());
    }
    Node node =
        new Node(
            URI.create("http://127.0.0.1:" + port),
            URI.create("http://127.0.0.1:" + metricsPort + "/metrics"),
            process,
            startedNanos);
    try {
      awaitHealthy(node, log);
    } catch (RuntimeException e) {
      stop(process);
      throw e;
    }
    return node;
  }

  URI url() {
    return url;
  }

  /**
   * When this tool started the server's process ({@link System#nanoTime}), or -1 for a server that
   * was running already.
   */
  long startedNanos() {
    return startedNanos;
  }

  String token() {
    return token;
  }

  /** The Prometheus endpoint, or null if unknown. */
  URI metrics() {
    return metrics;
  }

  String backend() {
    return backend;
  }

  /** The server's process id when this tool started it. */
  OptionalLong pid() {
    return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
  }

  /** Every instance this run loads: one, or several sharing the store. */
  List<Node> nodes() {
    return List.copyOf(nodes);
  }

  private static void awaitHealthy(Node node, Path log) {
    Process process = node.process();
    HealthWait.Outcome outcome;
    try {
      outcome = HealthWait.await(process, node.url(), START_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchException("interrupted while waiting for talead");
    }
    switch (outcome) {
      case HEALTHY:
        return;
      case EXITED:
        throw new BenchException(
            "talead exited with " + process.exitValue() + " at start-up; its log: " + log);
      default:
        throw new BenchException(
            "talead did not become healthy within " + START_TIMEOUT + "; " + log);
    }
  }

  /** Stops a server this tool started (SIGTERM, then a kill after 30 s) and drops its store. */
  @Override
  public void close() {
    for (Node node : nodes) {
      if (node.process() != null) {
        node.process().destroy();
      }
    }
    for (Node node : nodes) {
      if (node.process() != null) {
        stop(node.process());
      }
    }
    cleanUp.run();
  }

  private static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  // ---- Postgres scratch databases ---------------------------------------------------------------

  /** A libpq-style URL ({@code postgres://user:pass@host:port/db}) as JDBC URL and properties. */
  record Jdbc(String url, Properties properties) {
    static Jdbc of(String libpq) {
      URI uri = URI.create(libpq.replaceFirst("^postgresql://", "postgres://"));
      if (!"postgres".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new BenchException(
            "a Postgres URL is postgres://user:pass@host:port/db, not " + redacted(libpq));
      }
      Properties properties = new Properties();
      if (uri.getRawUserInfo() != null) {
        String[] parts = uri.getRawUserInfo().split(":", 2);
        properties.setProperty("user", URLDecoder.decode(parts[0], StandardCharsets.UTF_8));
        if (parts.length > 1) {
          properties.setProperty("password", URLDecoder.decode(parts[1], StandardCharsets.UTF_8));
        }
      }
      int port = uri.getPort() < 0 ? 5432 : uri.getPort();
      String db =
          uri.getPath() == null || uri.getPath().length() <= 1 ? "/postgres" : uri.getPath();
      return new Jdbc("jdbc:postgresql://" + uri.getHost() + ":" + port + db, properties);
    }
  }

  /** The URL with its password replaced, for messages. */
  static String redacted(String url) {
    return url.replaceAll("://([^:/@]*):[^@]*@", "://$1:***@");
  }

  static String withDatabase(String libpq, String database) {
    URI uri = URI.create(libpq.replaceFirst("^postgresql://", "postgres://"));
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    String authority = uri.getRawAuthority();
    return "postgres://" + authority + "/" + database + query;
  }

  private static void createDatabase(String admin, String database) {
    execute(admin, "CREATE DATABASE " + database);
  }

  private static void dropDatabase(String admin, String database) {
    execute(admin, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  }

  private static void execute(String admin, String sql) {
    Jdbc jdbc = Jdbc.of(admin);
    try (Connection connection = DriverManager.getConnection(jdbc.url(), jdbc.properties());
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new BenchException(
          "Postgres at " + redacted(admin) + " refused `" + sql + "`: " + e.getMessage(), e);
    }
  }

  // ---- small things -----------------------------------------------------------------------------

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new BenchException("no free port: " + e.getMessage());
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  static void deleteTree(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (var paths = Files.walk(path)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException ignored) {
                  // Best effort: a scratch directory.
                }
              });
    } catch (IOException ignored) {
      // Best effort: a scratch directory.
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchException("interrupted");
    }
  }
}
