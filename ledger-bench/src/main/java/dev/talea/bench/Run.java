package dev.talea.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

/** One scenario against one talead: set up, load, measure, check. */
final class Run {

  /** How long in-flight requests may take to finish after the load stops. */
  private static final Duration DRAIN = Duration.ofSeconds(30);

  private static final Duration HEAP_EVERY = Duration.ofSeconds(5);

  private final TaleaBench options;
  private final String scenario;
  private final Integer batchMax;
  private final double rate;
  private final int clients;
  private final int accounts;
  private final String id;

  Run(
      TaleaBench options,
      String scenario,
      Integer batchMax,
      double rate,
      int clients,
      int accounts) {
    this.options = options;
    this.scenario = scenario;
    this.batchMax = batchMax;
    this.rate = rate;
    this.clients = clients;
    this.accounts = accounts;
    this.id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  }

  RunResult execute(PrintWriter printer) throws Exception {
    RunResult result = new RunResult(scenario, id);
    result.started = Instant.now();
    result.backend = options.target != null ? "target" : options.store;
    result.batchMax = batchMax;
    result.rate = rate;
    result.clients = clients;
    result.accounts = accounts;
    result.duration = options.duration;
    result.warmup = options.warmup;
    result.instances = options.instances();
    result.cluster = options.cluster != null;
    printer.println(result.title());
    printer.flush();

    Map<String, String> env = new LinkedHashMap<>(options.serverEnv);
    if (batchMax != null) {
      env.put("TALEA_WRITE_BATCH_MAX", String.valueOf(batchMax));
    }
    result.serverEnv = env;
    Path work = Files.createTempDirectory("talea-bench-");
    Path log = options.out.toAbsolutePath().resolve(result.fileName().replace(".json", ".log"));
    try (Server server =
        options.target != null
            ? Server.target(options.target, options.token, options.metrics)
            : Server.start(
                options.taleadJar,
                options.store,
                options.postgres,
                Arrays.stream(options.serverJvm.trim().split("\\s+"))
                    .filter(s -> !s.isEmpty())
                    .toList(),
                env,
                work,
                log,
                options.instances(),
                options.cluster != null)) {
      if (options.target == null) {
        result.serverLog = log.toString();
      }
      load(server, result);
    } finally {
      Server.deleteTree(work);
    }
    return result;
  }

  private void load(Server server, RunResult result) throws Exception {
    Admin admin = new Admin(server.url(), server.token());
    admin.registerAsset(Requests.ASSET, Requests.DECIMALS);
    List<String> books = new ArrayList<>();
    if (scenario.equals("many-books")) {
      for (int i = 0; i < options.books; i++) {
        books.add("bench-" + id + "-" + i);
      }
    } else {
      books.add("bench-" + id);
    }
    List<String> customers = new ArrayList<>();
    for (int i = 0; i < accounts; i++) {
      customers.add(Requests.customer(i));
    }
    for (String book : books) {
      admin.openAccounts(book, customers, "liability", 32);
    }
    result.books = books.size();

    InetSocketAddress address =
        new InetSocketAddress(server.url().getHost(), server.url().getPort());
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (Server.Node node : server.nodes()) {
      addresses.add(new InetSocketAddress(node.url().getHost(), node.url().getPort()));
    }
    Requests requests =
        new Requests(server.url().getHost() + ":" + server.url().getPort(), server.token());
    long start = System.nanoTime();
    if (server.startedNanos() >= 0) {
      result.measuredFromAfterStart =
          (start + options.warmup.toNanos() - server.startedNanos()) / 1e9;
    }
    long measureFrom = start + options.warmup.toNanos();
    long measureUntil = measureFrom + options.duration.toNanos();
    Recorder recorder = new Recorder(measureFrom, measureUntil);
    Workloads.Commits commits = new Workloads.Commits();
    long seed = ThreadLocalRandom.current().nextLong();
    LoadEngine.Workload workload =
        switch (scenario) {
          case "batch" ->
              new Workloads.Batches(
                  requests, books.get(0), accounts, options.batchSize, id, recorder, commits, seed);
          case "read-mix" ->
              new Workloads.Transfers(
                  requests, books, accounts, options.readShare, id, recorder, commits, seed);
          default ->
              new Workloads.Transfers(requests, books, accounts, 0, id, recorder, commits, seed);
        };
    int maxResponse = scenario.equals("batch") ? 64 * 1024 * 1024 : 1024 * 1024;
    int backlogLimit = rate > 0 ? (int) Math.min(10_000_000, Math.max(1_000, rate * 10)) : 1;
    LoadEngine engine = new LoadEngine(addresses, clients, rate, maxResponse, backlogLimit);

    SseFleet fleet = null;
    if (scenario.equals("fanout")) {
      fleet = new SseFleet(address, requests, books.get(0), options.subscribers);
    }
    try {
      AtomicReference<Object> outcome = new AtomicReference<>();
      Thread loader =
          new Thread(
              () -> {
                try {
                  outcome.set(engine.run(workload, measureFrom, measureUntil, DRAIN));
                } catch (Exception | Error e) {
                  outcome.set(e);
                }
              },
              "talea-bench-load");
      HeapSampler heap = new HeapSampler(server);
      loader.start();
      heap.start();

      // Statistics early in the warm-up, so the planner stops guessing once there are rows, and
      // again at its end.
      sleepUntil(start + options.warmup.toNanos() / 3);
      server.analyze();
      sleepUntil(measureFrom);
      server.analyze();
      OptionalLong serverCpu0 = cpu(server);
      OptionalLong benchCpu0 = Probes.processCpuNanos(ProcessHandle.current().pid());
      OptionalLong machine0 = Probes.machineBusyNanos();
      if (fleet != null) {
        long fromMicros = SseFleet.nowMicros();
        fleet.measure(fromMicros, fromMicros + options.duration.toNanos() / 1_000);
      }
      heap.markMeasuring();
      GroupCommits commits0 = GroupCommits.scrape(server);
      sleepUntil(measureUntil);
      GroupCommits commits1 = GroupCommits.scrape(server);
      OptionalLong serverCpu1 = cpu(server);
      OptionalLong benchCpu1 = Probes.processCpuNanos(ProcessHandle.current().pid());
      OptionalLong machine1 = Probes.machineBusyNanos();
      loader.join();
      heap.stop();
      if (outcome.get() instanceof Throwable failure) {
        throw new BenchException("the load generator failed: " + failure, failure);
      }
      result.engine = (LoadEngine.Summary) outcome.get();
      result.recorder = recorder;
      result.heapSamples = heap.samples();
      result.heapMeasuredFrom = heap.measuredFrom();
      result.serverCpuNanos = difference(serverCpu0, serverCpu1);
      result.benchCpuNanos = difference(benchCpu0, benchCpu1);
      result.machineCpuNanos = difference(machine0, machine1);
      result.groupCommits = commits1 == null || commits0 == null ? null : commits1.minus(commits0);

      // The checks: every book holds exactly the acknowledged commits, and verifies.
      Map<String, Long> heads = admin.heads();
      long unknown = commits.unknown();
      for (String book : books) {
        long head = heads.getOrDefault(book, 0L);
        long acknowledged = commits.of(book);
        boolean countOk =
            unknown == 0
                ? head == acknowledged
                : head >= acknowledged && head <= acknowledged + unknown;
        JsonNode verify = admin.verify(book, options.verifyTimeout);
        result.addBook(
            book, head, acknowledged, countOk, verify.path("ok").asBoolean(false), verify);
      }
      result.unknownOutcomes = unknown;
      if (fleet != null) {
        long last = heads.getOrDefault(books.get(0), 0L);
        boolean all = fleet.awaitAll(last, 30_000);
        result.fanout =
            new RunResult.Fanout(
                fleet.size(),
                fleet.resumed(),
                last,
                fleet.minReceived(),
                fleet.totalReceived(),
                all,
                fleet.delivery(),
                fleet.problems());
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
    }
  }

  /**
   * Whether a book's head agrees with what the server acknowledged: exactly, or — when some posts
   * ended with an unknown outcome (408, a dropped connection) — within those.
   */
  static boolean countMatches(long head, long acknowledged, long unknown) {
    return head >= acknowledged && head <= acknowledged + unknown;
  }

  /** CPU time of every instance this tool started, together. */
  private static OptionalLong cpu(Server server) {
    long total = 0;
    for (Server.Node node : server.nodes()) {
      if (node.process() == null) {
        return OptionalLong.empty();
      }
      OptionalLong one = Probes.processCpuNanos(node.process().pid());
      if (one.isEmpty()) {
        return OptionalLong.empty();
      }
      total += one.getAsLong();
    }
    return OptionalLong.of(total);
  }

  private static Long difference(OptionalLong before, OptionalLong after) {
    return before.isPresent() && after.isPresent() ? after.getAsLong() - before.getAsLong() : null;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, Math.min(1_000, left / 1_000_000)));
    }
  }

  /**
   * The group commits so far, from the Prometheus histograms (sums and counts) of every instance,
   * together, and the drafts each instance committed ({@code perNode}, in start order): in a
   * cluster, who the writers were.
   */
  record GroupCommits(double commits, double drafts, double storeSeconds, double[] perNode) {
    static GroupCommits scrape(Server server) {
      double commits = 0;
      double drafts = 0;
      double seconds = 0;
      List<Server.Node> nodes = server.nodes();
      double[] perNode = new double[nodes.size()];
      for (int i = 0; i < nodes.size(); i++) {
        if (nodes.get(i).metrics() == null) {
          return null;
        }
        String text = Probes.scrapeText(nodes.get(i).metrics());
        if (text == null) {
          return null;
        }
        commits += Probes.sample(text, "talea_commit_batch_size_count").orElse(0);
        perNode[i] = Probes.sample(text, "talea_commit_batch_size_sum").orElse(0);
        drafts += perNode[i];
        seconds += Probes.sample(text, "talea_store_commit_duration_seconds_sum").orElse(0);
      }
      return new GroupCommits(commits, drafts, seconds, perNode);
    }

    GroupCommits minus(GroupCommits earlier) {
      double[] delta = new double[perNode.length];
      for (int i = 0; i < delta.length; i++) {
        delta[i] = perNode[i] - earlier.perNode[i];
      }
      return new GroupCommits(
          commits - earlier.commits,
          drafts - earlier.drafts,
          storeSeconds - earlier.storeSeconds,
          delta);
    }
  }

  /** Samples the server's heap after its last GC every few seconds. */
  private static final class HeapSampler {
    private final Server server;
    private final List<double[]> samples = new ArrayList<>();
    private final Thread thread;
    private final long started = System.nanoTime();
    private volatile boolean stopping;
    private volatile double measuredFrom = -1;

    HeapSampler(Server server) {
      this.server = server;
      this.thread = new Thread(this::run, "talea-bench-heap");
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void markMeasuring() {
      measuredFrom = (System.nanoTime() - started) / 1e9;
    }

    double measuredFrom() {
      return measuredFrom;
    }

    private void run() {
      while (!stopping) {
        OptionalDouble afterGc = Probes.scrape(server.metrics(), "talea_jvm_heap_after_gc_bytes");
        if (afterGc.isPresent()) {
          synchronized (samples) {
            samples.add(new double[] {(System.nanoTime() - started) / 1e9, afterGc.getAsDouble()});
          }
        }
        try {
          Thread.sleep(HEAP_EVERY.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stop() throws InterruptedException {
      stopping = true;
      thread.interrupt();
      thread.join();
    }

    List<double[]> samples() {
      synchronized (samples) {
        return new ArrayList<>(samples);
      }
    }
  }
}
