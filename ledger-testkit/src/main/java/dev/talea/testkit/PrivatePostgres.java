package dev.talea.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 cluster of its owner's own (a fault test, a talea-torture run): created with
 * {@code initdb} in a temporary directory (trust authentication, superuser {@code postgres}),
 * listening on 127.0.0.1 on a free port, with its Unix socket in that directory. The owner may stop
 * it — cleanly, or as a crash — and start it again on the same port; {@link #close()} stops it and
 * deletes everything.
 *
 * <p>{@code initdb} and {@code postgres} refuse to run as root, so when the tests run as root the
 * server runs as the {@code postgres} OS user (through {@code runuser}) in a directory that user
 * owns; otherwise it runs as the current user. The binaries are those of the Debian package {@code
 * postgresql-15} ({@code /usr/lib/postgresql/15/bin}), or of the directory named by {@code
 * TALEA_TEST_PG_BIN}; without them {@link #start()} throws, saying what to install (a test fails,
 * it never skips).
 */
public final class PrivatePostgres implements AutoCloseable {

  private static final Path DEFAULT_BIN = Path.of("/usr/lib/postgresql/15/bin");
  private static final String OS_USER = "postgres";
  private static final long COMMAND_TIMEOUT_SECONDS = 60;

  private final Path bin;
  private final Path base;
  private final Path data;
  private final Path sockets;
  private final Path serverLog;
  private final Path commandLog;
  private final boolean asPostgresUser;
  private final Thread cleanupOnExit;
  private int port;
  private volatile boolean running;

  private PrivatePostgres(Path bin, Path base, boolean asPostgresUser) {
    this.bin = bin;
    this.base = base;
    this.data = base.resolve("data");
    this.sockets = base.resolve("sockets");
    this.serverLog = base.resolve("server.log");
    this.commandLog = base.resolve("commands.log");
    this.asPostgresUser = asPostgresUser;
    this.cleanupOnExit = new Thread(this::crashQuietly, "private-postgres-cleanup");
  }

  /**
   * Creates the cluster and starts it.
   *
   * @throws IllegalStateException if the PostgreSQL 15 binaries are missing or the cluster cannot
   *     be created or started (with the server's log)
   */
  public static PrivatePostgres start() {
    Path bin = binaries();
    Path base;
    try {
      base = Files.createTempDirectory("talea-pg-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for the private cluster", e);
    }
    PrivatePostgres postgres = null;
    try {
      postgres = new PrivatePostgres(bin, base, runningAsRoot(base));
      Runtime.getRuntime().addShutdownHook(postgres.cleanupOnExit);
      postgres.initdb();
      postgres.firstStart();
      return postgres;
    } catch (RuntimeException | Error e) {
      if (postgres != null) {
        try {
          postgres.close();
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
      } else {
        deleteTree(base);
      }
      throw e;
    }
  }

  public int port() {
    return port;
  }

  /**
   * The database {@code postgres} as superuser {@code postgres}, in the form TALEA_DB_URL takes.
   */
  public String url() {
    return url("postgres");
  }

  public String url(String database) {
    return "postgres://postgres@127.0.0.1:" + port + "/" + database;
  }

  /** The JDBC form of {@link #url(String)}, for inspection with plain JDBC. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
  }

  public boolean running() {
    return running;
  }

  /** Starts the (stopped) server again on the same port; returns once it accepts connections. */
  public void startAgain() {
    if (running) {
      throw new IllegalStateException("the private Postgres is already running");
    }
    pgCtlStart();
  }

  /** Stops the server as a crash would: {@code pg_ctl stop -m immediate} (no checkpoint). */
  public void crash() {
    pgCtlStop("immediate");
  }

  /** Stops the server cleanly: {@code pg_ctl stop -m fast}. */
  public void stop() {
    pgCtlStop("fast");
  }

  /** The end of the server's log, for failure messages. */
  public String logTail() {
    return tail(serverLog, 40);
  }

  /** Stops the server if it runs, and deletes its directory. */
  @Override
  public void close() {
    try {
      if (running) {
        try {
          stop();
        } catch (RuntimeException e) {
          crash();
        }
      }
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook runs anyway.
      }
      deleteTree(base);
    }
  }

  // ---- the commands ---------------------------------------------------------------------------

  private void initdb() {
    if (asPostgresUser) {
      chownToPostgres(base);
    }
    run(
        List.of(
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync"),
        "initdb");
    try {
      Files.createDirectories(sockets);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (asPostgresUser) {
      chownToPostgres(sockets);
    }
  }

  /** Starts on a free port, trying another if the one picked was taken meanwhile. */
  private void firstStart() {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      port = freePort();
      try {
        pgCtlStart();
        return;
      } catch (IllegalStateException e) {
        last = e;
        if (!tail(serverLog, 20).contains("could not bind")) {
          throw e;
        }
      }
    }
    throw last;
  }

  private void pgCtlStart() {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            serverLog.toString(),
            "-o",
            "-p " + port + " -k " + sockets + " -c listen_addresses=127.0.0.1",
            "-w",
            "-t",
            "30",
            "start"),
        "pg_ctl start");
    running = true;
  }

  private void pgCtlStop(String mode) {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-w",
            "-t",
            "30",
            "stop",
            "-m",
            mode),
        "pg_ctl stop -m " + mode);
    running = false;
  }

  private void crashQuietly() {
    if (running) {
      try {
        crash();
      } catch (RuntimeException ignored) {
        // Best effort while the JVM exits.
      }
    }
  }

  private void run(List<String> command, String what) {
    List<String> full = new ArrayList<>();
    if (asPostgresUser) {
      full.addAll(List.of("runuser", "-u", OS_USER, "--"));
    }
    full.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(full)
            .directory(base.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(commandLog.toFile()));
    builder.environment().remove("PGDATA");
    builder.environment().put("LC_ALL", "C");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException(what + " could not be run: " + e.getMessage(), e);
    }
    try {
      if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            what + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s" + diagnostics());
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " was interrupted", e);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          what + " failed with exit code " + process.exitValue() + diagnostics());
    }
  }

  private String diagnostics() {
    return "\n--- commands ---\n" + tail(commandLog, 20) + "\n--- server log ---\n" + logTail();
  }

  // ---- environment ----------------------------------------------------------------------------

  private static Path binaries() {
    String configured = System.getenv("TALEA_TEST_PG_BIN");
    Path bin =
        configured == null || configured.isBlank() ? DEFAULT_BIN : Path.of(configured.trim());
    for (String tool : List.of("initdb", "pg_ctl", "postgres")) {
      if (!Files.isExecutable(bin.resolve(tool))) {
        throw new IllegalStateException(
            "PostgreSQL 15 server binaries are missing: no executable "
                + bin.resolve(tool)
                + ". This test runs a private PostgreSQL cluster of its own; install them with"
                + " `apt-get install postgresql-15` (Debian/Ubuntu), or point TALEA_TEST_PG_BIN at"
                + " a directory holding initdb, pg_ctl and postgres.");
      }
    }
    return bin;
  }

  /** Whether this JVM runs as root, judged by the owner of a directory it just created. */
  private static boolean runningAsRoot(Path created) {
    try {
      return ((Number) Files.getAttribute(created, "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static void chownToPostgres(Path root) {
    UserPrincipalLookupService lookup = root.getFileSystem().getUserPrincipalLookupService();
    UserPrincipal user;
    GroupPrincipal group;
    try {
      user = lookup.lookupPrincipalByName(OS_USER);
      group = lookup.lookupPrincipalByGroupName(OS_USER);
    } catch (IOException e) {
      throw new IllegalStateException(
          "running as root, this test starts PostgreSQL as the OS user '"
              + OS_USER
              + "' (initdb and postgres refuse root), but there is no such user or group: "
              + e.getMessage()
              + ". Installing the Debian package postgresql-15 creates it.",
          e);
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        PosixFileAttributeView view =
            Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(user);
        view.setGroup(group);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hand " + root + " to the postgres user", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    }
  }

  private static String tail(Path file, int lines) {
    try {
      if (!Files.isRegularFile(file)) {
        return "(no " + file.getFileName() + ")";
      }
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.deleteIfExists(path);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
