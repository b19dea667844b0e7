package dev.talea.bench;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code talea-bench}: runs named load scenarios over HTTP against a talead — one it starts for
 * each run on a fresh store, or one already running — and reports throughput, latency percentiles
 * and errors by code, checks afterwards that the books verify and hold exactly the commits that
 * were acknowledged, and writes each run's result as JSON.
 */
@Command(
    name = "talea-bench",
    mixinStandardHelpOptions = true,
    versionProvider = TaleaBench.Version.class,
    sortOptions = false,
    description = {
      "Benchmarks a talead over HTTP with named scenarios:",
      "  hot-book    one book, concurrent two-posting transfers with unique idempotency keys",
      "  many-books  the same load spread over --books books",
      "  batch       the batch endpoint, --batch-size drafts per request",
      "  read-mix    --read-share balance reads, the rest transfers, on one book",
      "  fanout      --subscribers live tails of a book taking transfers at --rate;"
          + " commit-to-delivery latency",
      "",
      "By default each run starts its own talead (java -jar talead.jar serve) on a fresh store"
          + " (--store: a new log directory, SQLite file or Postgres database), and stops it and"
          + " drops the store afterwards. With --target it loads a talead that is already running,"
          + " on books of its own.",
      "",
      "Each run prints throughput, latency p50/p99/p99.9/max and errors by code, then checks that"
          + " every book it loaded verifies and that its commit count equals the number of posts"
          + " the server acknowledged. The result goes to --out as JSON. Exit code 0 when every"
          + " check passed, 1 when one failed, 2 on bad usage."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  bin/talea-bench --scenario hot-book --store postgres --baseline",
      "  bin/talea-bench --scenario hot-book --store log --rate half --duration 60s",
      "  bin/talea-bench --scenario all --store log --duration 20s --warmup 5s",
      "  bin/talea-bench --scenario fanout --subscribers 1000 --rate 500 --store postgres",
      "  bin/talea-bench --scenario hot-book --store postgres --cluster 3",
      "  bin/talea-bench --target http://10.0.0.5:8080 --token $TALEA_TOKEN --scenario many-books"
    })
public final class TaleaBench implements Callable<Integer> {

  static final List<String> SCENARIOS =
      List.of("hot-book", "many-books", "batch", "read-mix", "fanout");

  @Option(
      names = "--scenario",
      split = ",",
      paramLabel = "NAME",
      description = "Scenarios to run, comma-separated, or all. Default: hot-book.")
  List<String> scenarios = new ArrayList<>(List.of("hot-book"));

  @Option(
      names = "--store",
      paramLabel = "KIND",
      description = "log, sqlite or postgres: the fresh store of a started talead. Default: log.")
  String store = "log";

  @Option(
      names = "--postgres",
      paramLabel = "URL",
      description = {
        "A Postgres role that may create databases, for --store postgres; each run gets a new"
            + " database, dropped afterwards.",
        "Default: $TALEA_BENCH_POSTGRES, else postgres://postgres@127.0.0.1:5432/postgres."
      })
  String postgres;

  @Option(
      names = "--duration",
      paramLabel = "TIME",
      converter = Durations.class,
      description = "Measured time of each run (30s, 5m, ...). Default: 30s.")
  Duration duration = Duration.ofSeconds(30);

  @Option(
      names = "--warmup",
      paramLabel = "TIME",
      converter = Durations.class,
      description = "Load before measuring starts. Default: 5s.")
  Duration warmup = Duration.ofSeconds(5);

  @Option(
      names = "--timeline",
      description =
          "Also print the throughput of every second of the measured window, counted from"
              + " talead's process start: with --warmup 0s, how long a fresh talead takes to reach"
              + " its peak. (The JSON result always has it, as per_second.)")
  boolean timeline;

  @Option(
      names = "--clients",
      paramLabel = "N",
      description = "Concurrent connections sending requests. Default: 64 (batch: 4, fanout: 16).")
  Integer clients;

  @Option(
      names = "--rate",
      paramLabel = "R",
      description = {
        "Requests per second in an open loop (latency counts from when each request fell due);"
            + " 0 for a closed loop (each client sends again as soon as it is answered); half to"
            + " run closed first, then open at half the throughput measured.",
        "Default: 0 (fanout: 500)."
      })
  String rate;

  @Option(
      names = "--baseline",
      description =
          "Also run each scenario with TALEA_WRITE_BATCH_MAX=1 (no group commit), in the same"
              + " invocation, and print the ratio.")
  boolean baseline;

  @Option(
      names = "--batch-max",
      paramLabel = "N",
      description = "TALEA_WRITE_BATCH_MAX of the started talead. Default: its own (64).")
  Integer batchMax;

  @Option(
      names = "--server-env",
      paramLabel = "NAME=VALUE",
      description = "More settings for the started talead (repeatable), e.g. TALEA_DB_POOL=20.")
  Map<String, String> serverEnv = new LinkedHashMap<>();

  @Option(
      names = "--server-jvm",
      paramLabel = "OPTIONS",
      description = "JVM options of the started talead. Default: -Xms1g -Xmx1g.")
  String serverJvm = "-Xms1g -Xmx1g";

  @Option(
      names = "--talead-jar",
      paramLabel = "PATH",
      description = "The talead jar to start. Default: ledger-http/target/talead.jar.")
  Path taleadJar = Path.of("ledger-http", "target", "talead.jar");

  @Option(
      names = "--target",
      paramLabel = "URL",
      description = "Load this running talead instead of starting one (needs --token).")
  URI target;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "Bearer token for --target, scoped to all books, rw. Default: $TALEA_TOKEN.")
  String token;

  @Option(
      names = "--metrics",
      paramLabel = "URL",
      description = "The Prometheus endpoint of --target, for its heap. Optional.")
  URI metrics;

  @Option(names = "--books", paramLabel = "N", description = "Books of many-books. Default: 64.")
  int books = 64;

  @Option(
      names = "--accounts",
      paramLabel = "N",
      description = "Customer accounts per book. Default: 1000 (many-books: 100).")
  Integer accounts;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "Drafts per request of batch (1-1000). Default: 1000.")
  int batchSize = 1000;

  @Option(
      names = "--read-share",
      paramLabel = "F",
      description = "Share of balance reads in read-mix. Default: 0.8.")
  double readShare = 0.8;

  @Option(
      names = "--subscribers",
      paramLabel = "N",
      description = "Live tails of fanout. Default: 100.")
  int subscribers = 100;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description =
          "Where result JSON files (and started servers' logs) go. Default: bench-results.")
  Path out = Path.of("bench-results");

  @Option(
      names = "--cluster",
      paramLabel = "N",
      description = {
        "Start N talead instances (1-9) on one fresh Postgres database, forming a Pekko cluster"
            + " (TALEA_CLUSTER_BIND/SEEDS), and spread the connections evenly over them as a"
            + " round-robin balancer does. Needs --store postgres."
      })
  Integer cluster;

  @Option(
      names = "--instances",
      paramLabel = "N",
      description = {
        "As --cluster, but N independent instances sharing the database (no cluster): how"
            + " talead scaled before cluster mode, for comparison."
      })
  Integer independent;

  /** How many talead instances a run starts. */
  int instances() {
    return cluster != null ? cluster : independent != null ? independent : 1;
  }

  @Option(
      names = "--verify-timeout",
      paramLabel = "TIME",
      converter = Durations.class,
      description = "How long to wait for the server's verify of a book. Default: 10m.")
  Duration verifyTimeout = Duration.ofMinutes(10);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new TaleaBench());
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof BenchException) {
            cmd.getErr().println("talea-bench: " + e.getMessage());
            return 1;
          }
          throw e;
        });
    return line;
  }

  @Override
  public Integer call() throws Exception {
    List<String> names = scenarioNames();
    validate(names);
    PrintWriter printer = spec.commandLine().getOut();
    Files.createDirectories(out);
    List<RunResult> results = new ArrayList<>();
    for (String name : names) {
      String rateText = rate != null ? rate : name.equals("fanout") ? "500" : "0";
      List<Integer> batchMaxes = new ArrayList<>();
      batchMaxes.add(batchMax);
      if (baseline) {
        batchMaxes.add(1);
      }
      for (Integer max : batchMaxes) {
        if (rateText.equals("half")) {
          RunResult closed = run(name, max, 0, printer);
          results.add(closed);
          double perRequest = name.equals("batch") ? batchSize : 1;
          double half = closed.throughput() / perRequest / 2;
          results.add(run(name, max, Math.max(1, half), printer));
        } else {
          results.add(run(name, max, Double.parseDouble(rateText), printer));
        }
      }
    }
    RunResult.printSummary(printer, results);
    printer.flush();
    return results.stream().allMatch(RunResult::ok) ? 0 : 1;
  }

  private RunResult run(String scenario, Integer max, double ratePerSecond, PrintWriter printer)
      throws Exception {
    Run run =
        new Run(
            this,
            scenario,
            max,
            ratePerSecond,
            clients != null ? clients : defaultClients(scenario),
            accounts != null ? accounts : scenario.equals("many-books") ? 100 : 1000);
    RunResult result = run.execute(printer);
    result.printTimeline = timeline;
    result.print(printer);
    Path file = out.resolve(result.fileName());
    result.write(file);
    printer.println("  result       " + file);
    printer.println();
    printer.flush();
    return result;
  }

  static int defaultClients(String scenario) {
    return switch (scenario) {
      case "batch" -> 4;
      case "fanout" -> 16;
      default -> 64;
    };
  }

  private List<String> scenarioNames() {
    if (scenarios.contains("all")) {
      return SCENARIOS;
    }
    return scenarios;
  }

  private void validate(List<String> names) {
    for (String name : names) {
      if (!SCENARIOS.contains(name)) {
        throw usage("unknown scenario " + name + "; the scenarios are " + SCENARIOS + " or all");
      }
    }
    if (target != null) {
      if (token == null) {
        token = System.getenv("TALEA_TOKEN");
      }
      if (token == null || token.isBlank()) {
        throw usage("--target needs --token (or $TALEA_TOKEN): an rw token for all books");
      }
      if (baseline || batchMax != null || !serverEnv.isEmpty()) {
        throw usage(
            "--baseline, --batch-max and --server-env configure a talead this tool starts;"
                + " they do not apply with --target");
      }
    } else if (!List.of("log", "sqlite", "postgres").contains(store)) {
      throw usage("--store must be log, sqlite or postgres, not " + store);
    }
    if (cluster != null || independent != null) {
      if (cluster != null && independent != null) {
        throw usage("--cluster and --instances exclude each other");
      }
      if (target != null) {
        throw usage("--cluster and --instances start talead instances; not with --target");
      }
      if (instances() < 1 || instances() > 9) {
        throw usage("--cluster and --instances take 1-9 instances");
      }
      if (!store.equals("postgres")) {
        throw usage(
            "--cluster and --instances need --store postgres: several instances share one"
                + " database, and the embedded stores belong to one process");
      }
    }
    if (postgres == null) {
      String fromEnv = System.getenv("TALEA_BENCH_POSTGRES");
      postgres = fromEnv != null ? fromEnv : "postgres://postgres@127.0.0.1:5432/postgres";
    }
    if (duration.isZero() || duration.isNegative() || warmup.isNegative()) {
      throw usage("--duration must be positive and --warmup not negative");
    }
    if (clients != null && (clients < 1 || clients > 10_000)) {
      throw usage("--clients must be 1-10000");
    }
    if (rate != null && !rate.equals("half")) {
      try {
        if (Double.parseDouble(rate) < 0) {
          throw usage("--rate must be 0 or more, or half");
        }
      } catch (NumberFormatException e) {
        throw usage("--rate must be a number of requests per second, or half, not " + rate);
      }
    }
    if (batchSize < 1 || batchSize > 1000) {
      throw usage("--batch-size must be 1-1000 (the batch endpoint's limit)");
    }
    if (books < 1 || books > 10_000) {
      throw usage("--books must be 1-10000");
    }
    if (accounts != null && (accounts < 2 || accounts > 1_000_000)) {
      throw usage("--accounts must be 2-1000000");
    }
    if (readShare < 0 || readShare > 1) {
      throw usage("--read-share must be between 0 and 1");
    }
    if (subscribers < 1 || subscribers > 100_000) {
      throw usage("--subscribers must be 1-100000");
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** Durations as {@code 30s}, {@code 5m}, {@code 500ms}, {@code 1h}, or plain seconds. */
  static final class Durations implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String text = value.trim().toLowerCase();
      try {
        if (text.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
        }
        if (text.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
        }
        if (text.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
        }
        if (text.endsWith("h")) {
          return Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1)));
        }
        return Duration.ofSeconds(Long.parseLong(text));
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a duration such as 30s, 5m, 500ms");
      }
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = TaleaBench.class.getPackage().getImplementationVersion();
      return new String[] {"talea-bench " + (version == null ? "(development)" : version)};
    }
  }
}
