package dev.talea.torture;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.VerifyResult;
import dev.talea.testkit.PrivatePostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ServerSocket;
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
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code talea-torture}: a bank workload against a talead under faults, then the history checked.
 */
@Command(
    name = "talea-torture",
    mixinStandardHelpOptions = true,
    version = "talea-torture 0.1.0",
    sortOptions = false,
    description = {
      "Runs a bank workload against a talead it starts on a fresh store, while a fault schedule"
          + " kills, pauses and restarts it (and, on Postgres, crashes the database and cuts"
          + " talead's LISTEN connection). Every operation is recorded with what it returned;"
          + " after the run the book is read back in full and the history checked against it:"
          + " acknowledged commits kept exactly once at their seq, unknown outcomes present once"
          + " or absent, refused drafts absent, replays deduplicated, changed bodies 409, no"
          + " balance below min_balance, every read equal to the book at the seq it reports, live"
          + " tails complete and in order, funds conserved, verify always ok.",
      "",
      "The same --seed, --duration and --faults give the same fault schedule.",
      "",
      "Exit codes: 0 when every rule held, 1 with the violations and their evidence, 2 when the"
          + " run could not be carried out."
    })
public final class TaleaTorture implements Callable<Integer> {

  @Option(
      names = "--store",
      description = "log, sqlite or postgres (a private cluster made with initdb). Default: log.")
  String store = "log";

  @Option(
      names = "--duration",
      description = "How long the clients run (30s, 10m, ...). Default: 60s.",
      converter = DurationConverter.class)
  Duration duration = Duration.ofSeconds(60);

  @Option(
      names = "--seed",
      description = "Seed of the workload and the fault schedule. Default: random.")
  Long seed;

  @Option(
      names = "--faults",
      description =
          "Comma-separated: kill, pause, postgres, listen; or all (those the store has) or none."
              + " Default: all.")
  String faults = "all";

  @Option(
      names = "--cluster",
      description =
          "Run N talead instances (2-9) as a Pekko cluster on the one Postgres database, the"
              + " clients spread over them, and aim each kill and pause at one node, some pauses"
              + " long enough for the node to be downed. Needs --store postgres. Default: one"
              + " instance, no cluster.")
  Integer cluster;

  @Option(names = "--clients", description = "Client threads. Default: 6.")
  int clients = 6;

  @Option(names = "--books", description = "Books. Default: 2.")
  int books = 2;

  @Option(names = "--customers", description = "Customer accounts per book. Default: 8.")
  int customers = 8;

  @Option(names = "--talead-jar", required = true, description = "The talead.jar to run.")
  Path taleadJar;

  @Option(
      names = "--server-jvm",
      description = "JVM options for talead, space-separated (for example -Xmx512m).")
  String serverJvm = "";

  @Option(
      names = "--work",
      description =
          "Directory for the store, the logs and the history. Default: a new temporary one.")
  Path work;

  @Option(names = "--keep", description = "Keep the work directory (and its store) afterwards.")
  boolean keep;

  private final PrintStream out;

  TaleaTorture(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(run(System.out, System.err, args));
  }

  static int run(PrintStream out, PrintStream err, String... args) {
    CommandLine line = new CommandLine(new TaleaTorture(out));
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    line.setExecutionExceptionHandler(
        (e, commandLine, parsed) -> {
          err.println("talea-torture: " + e.getMessage());
          return 2;
        });
    return line.execute(args);
  }

  @Override
  public Integer call() throws IOException {
    long runSeed = seed != null ? seed : new SecureRandom().nextLong();
    Set<Faults.Kind> kinds = parseFaults();
    if (cluster != null && (cluster < 2 || cluster > 9 || !store.equals("postgres"))) {
      throw new TortureException(
          "--cluster takes 2-9 nodes and needs --store postgres (a cluster shares one database)");
    }
    Path dir = work != null ? work : Files.createTempDirectory("talea-torture-");
    Files.createDirectories(dir);
    out.printf(
        Locale.ROOT,
        "talea-torture: store %s%s, %s, seed %d, faults %s, %d clients, %d books x %d"
            + " customers%n",
        store,
        cluster == null ? "" : ", a " + cluster + "-node cluster",
        duration,
        runSeed,
        kinds,
        clients,
        books,
        customers);
    PrivatePostgres postgres = null;
    List<Talead> servers = new ArrayList<>();
    try {
      String dbUrl;
      String database = "torture";
      switch (store) {
        case "log" -> dbUrl = "log:" + dir.resolve("log").toAbsolutePath();
        case "sqlite" -> dbUrl = "sqlite:" + dir.resolve("talea.db").toAbsolutePath();
        case "postgres" -> {
          postgres = PrivatePostgres.start();
          createDatabase(postgres, database);
          dbUrl = postgres.url(database);
        }
        default -> throw new TortureException("--store must be log, sqlite or postgres");
      }
      List<String> jvm = serverJvm.isBlank() ? List.of() : List.of(serverJvm.trim().split("\\s+"));
      int nodes = cluster == null ? 1 : cluster;
      String token = HexFormat.of().formatHex(random(24));
      int[] clusterPorts = new int[nodes];
      for (int i = 0; i < nodes; i++) {
        clusterPorts[i] = freePort();
      }
      for (int i = 0; i < nodes; i++) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("TALEA_REQUEST_TIMEOUT", "5s");
        if (cluster != null) {
          environment.put("TALEA_CLUSTER_BIND", "127.0.0.1:" + clusterPorts[i]);
          // Every node is a seed: a first seed restarted while the second is down would otherwise
          // form a cluster of its own.
          StringBuilder seeds = new StringBuilder();
          for (int port : clusterPorts) {
            seeds.append(seeds.length() == 0 ? "" : ",").append("127.0.0.1:").append(port);
          }
          environment.put("TALEA_CLUSTER_SEEDS", seeds.toString());
          environment.put("TALEA_CLUSTER_DOWN_AFTER", "2s");
        }
        servers.add(
            new Talead(
                taleadJar,
                dbUrl,
                freePort(),
                token,
                environment,
                jvm,
                dir,
                dir.resolve(nodes == 1 ? "talead.log" : "talead-" + (i + 1) + ".log")));
        // One after the other: the first migrates the schema and forms the cluster.
        servers.get(i).start();
      }
      Bank bank = new Bank(books, customers);
      Workload workload = new Workload(bank, servers, runSeed, clients);
      workload.setUp();

      List<Faults.Fault> schedule = Faults.schedule(runSeed, duration, kinds, nodes);
      out.printf("  %d faults scheduled%n", schedule.size());
      Faults injector = new Faults(schedule, servers, postgres, database, out);
      long started = System.nanoTime();
      workload.start();
      injector.start();
      Talead.sleep(duration.toMillis());
      List<Faults.Injected> injected = injector.stop();
      workload.stop();
      double seconds = (System.nanoTime() - started) / 1e9;

      // Whatever the last fault left behind is set right before the book is read back.
      if (postgres != null && !postgres.running()) {
        postgres.startAgain();
      }
      for (Talead server : servers) {
        if (!server.alive()) {
          server.start();
        }
      }
      Map<String, List<Transaction>> finalBooks = readBack(workload, bank);
      awaitFollowers(workload, finalBooks);
      workload.close();
      List<Op> history = workload.history();
      List<Checker.Violation> violations = new Checker(bank).check(history, finalBooks);
      finalVerify(workload, bank, finalBooks, violations);
      report(history, injected, finalBooks, violations, seconds, dir);
      for (int i = 0; i < servers.size(); i++) {
        int exit = servers.get(i).stop();
        out.printf(
            "  talead%s stopped with exit code %d%n",
            servers.size() == 1 ? "" : " " + (i + 1), exit);
      }
      servers.clear();
      return violations.isEmpty() ? 0 : 1;
    } finally {
      for (Talead server : servers) {
        server.stop();
      }
      if (postgres != null) {
        postgres.close();
      }
      if (!keep && work == null) {
        deleteTree(dir);
      }
    }
  }

  private Set<Faults.Kind> parseFaults() {
    Set<Faults.Kind> kinds = EnumSet.noneOf(Faults.Kind.class);
    boolean postgres = store.equals("postgres");
    for (String name : faults.split(",")) {
      switch (name.trim()) {
        case "all" -> {
          kinds.add(Faults.Kind.KILL);
          kinds.add(Faults.Kind.PAUSE);
          if (postgres) {
            kinds.add(Faults.Kind.POSTGRES);
            kinds.add(Faults.Kind.LISTEN);
          }
        }
        case "none", "" -> {}
        case "kill" -> kinds.add(Faults.Kind.KILL);
        case "pause" -> kinds.add(Faults.Kind.PAUSE);
        case "postgres", "listen" -> {
          if (!postgres) {
            throw new TortureException("--faults " + name + " needs --store postgres");
          }
          kinds.add(name.trim().equals("postgres") ? Faults.Kind.POSTGRES : Faults.Kind.LISTEN);
        }
        default ->
            throw new TortureException(
                "unknown fault " + name + " (kill, pause, postgres, listen, all, none)");
      }
    }
    return kinds;
  }

  /** Every commit of every book, in seq order, read with a patient client. */
  private static Map<String, List<Transaction>> readBack(Workload workload, Bank bank) {
    TaleaClient reader = workload.client(Workload.patient());
    Map<String, List<Transaction>> result = new LinkedHashMap<>();
    for (String book : bank.books) {
      List<Transaction> all = new ArrayList<>();
      long after = 0;
      while (true) {
        TransactionPage page = reader.listTransactions(book, after, 1000);
        all.addAll(page.transactions());
        if (page.nextAfterSeq() == null) {
          break;
        }
        after = page.nextAfterSeq();
      }
      result.put(book, all);
    }
    return result;
  }

  /** Waits (up to a minute) for the whole-run tails to reach each book's last commit. */
  private static void awaitFollowers(Workload workload, Map<String, List<Transaction>> books) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (Map.Entry<String, List<Transaction>> book : books.entrySet()) {
      Op follower = workload.followers.get(book.getKey());
      @SuppressWarnings("unchecked")
      List<Transaction> events = (List<Transaction>) follower.answer;
      while (events.size() < book.getValue().size() && System.nanoTime() < deadline) {
        Talead.sleep(50);
      }
    }
  }

  private static void finalVerify(
      Workload workload,
      Bank bank,
      Map<String, List<Transaction>> books,
      List<Checker.Violation> violations) {
    TaleaClient reader = workload.client(Workload.patient());
    for (String book : bank.books) {
      VerifyResult result = reader.verify(book);
      if (!result.ok() || result.seq() != books.get(book).size()) {
        violations.add(
            new Checker.Violation(
                "verify is ok", book + ": the final verify answered " + result, List.of()));
      }
    }
  }

  private void report(
      List<Op> history,
      List<Faults.Injected> injected,
      Map<String, List<Transaction>> books,
      List<Checker.Violation> violations,
      double seconds,
      Path dir)
      throws IOException {
    Map<String, int[]> byKind = new TreeMap<>();
    for (Op op : history) {
      int[] counts =
          byKind.computeIfAbsent(op.kind.name().toLowerCase(Locale.ROOT), k -> new int[3]);
      counts[op.outcome == null ? 2 : op.outcome.ordinal()]++;
    }
    out.printf(Locale.ROOT, "  %d operations in %.0f s:%n", history.size(), seconds);
    byKind.forEach(
        (kind, c) ->
            out.printf(
                Locale.ROOT, "    %-15s ok %6d  fail %6d  unknown %6d%n", kind, c[0], c[1], c[2]));
    Map<String, Integer> faultCounts = new TreeMap<>();
    injected.forEach(f -> faultCounts.merge(f.fault().kind().wireName(), 1, Integer::sum));
    out.printf("  faults injected: %s%n", faultCounts.isEmpty() ? "none" : faultCounts);
    long duringFsync = injected.stream().filter(f -> f.note().contains("during an fsync")).count();
    if (duringFsync > 0) {
      out.printf("  kills that landed during an fsync: %d%n", duringFsync);
    }
    books.forEach((book, commits) -> out.printf("  %s: %d commits%n", book, commits.size()));
    if (violations.isEmpty()) {
      out.println("  OK: every rule held");
      return;
    }
    Path evidence = dir.resolve("violations.txt");
    StringBuilder text = new StringBuilder();
    violations.forEach(v -> text.append(v).append("\n\n"));
    Files.writeString(evidence, text, StandardCharsets.UTF_8);
    out.printf("  VIOLATIONS: %d (all in %s); the first:%n", violations.size(), evidence);
    violations.stream()
        .limit(5)
        .forEach(v -> out.println("  " + v.toString().replace("\n", "\n  ")));
  }

  // ---- small things -----------------------------------------------------------------------------

  private static void createDatabase(PrivatePostgres postgres, String database) {
    try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("postgres"));
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + database);
    } catch (SQLException e) {
      throw new TortureException("cannot create the database: " + e.getMessage(), e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new TortureException("no free port: " + e.getMessage());
    }
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  private static void deleteTree(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (var paths = Files.walk(path)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // Best effort: a scratch directory.
    }
  }

  /** {@code 30s}, {@code 10m}, {@code 1500ms}, {@code 1h}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      var matcher = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
      if (!matcher.matches()) {
        throw new CommandLine.TypeConversionException("a duration such as 60s or 10m: " + text);
      }
      long n = Long.parseLong(matcher.group(1));
      return switch (matcher.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
  }
}
