package dev.talea.actors;

import com.sun.management.OperatingSystemMXBean;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUrl;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit end to end: an in-process {@link LedgerService}, one hot book, {@value #CALLERS}
 * callers each posting two-posting transfers with unique keys back to back (so {@value #CALLERS}
 * posts are always in flight), for {@code bench.seconds} (default 10) after a two-second warm-up.
 * Every store (SQLite, Postgres, the append log) runs twice in the same run, with {@code
 * writeBatchMax} 64 and 1, and the report gives transfers/s, p50/p99 post latency, the mean group
 * commit size (estimated from distinct commit timestamps), this JVM's CPU time per transfer and,
 * per store, the ratio batch-64 / batch-1. Afterwards every book must verify and hold exactly as
 * many commits as posts succeeded, and no post may fail, or the benchmark fails.
 *
 * <p>The header names the common {@code ForkJoinPool}'s parallelism: below 2 (a machine with two
 * CPUs or fewer), {@code CompletableFuture}'s default asynchronous executor starts a new thread per
 * task, and anything on the post path that completes on it pays for that thread.
 *
 * <p>Postgres comes from {@link PostgresTestDatabase} (a fresh database per run), and is {@code
 * ANALYZE}d after the warm-up: the run grows an empty database by tens of thousands of rows in
 * seconds, faster than autovacuum would gather statistics, and the planner would otherwise keep
 * planning for empty tables.
 *
 * <p>Not part of {@code verify} (the class name matches no surefire include pattern). Run it with
 *
 * <pre>./mvnw -q -B install -DskipTests &amp;&amp; ./mvnw -pl ledger-actors test
 *     -Dtest=GroupCommitBenchmark -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.seconds=10]
 * </pre>
 */
@ExtendWith(LogCapturingExtension.class)
class GroupCommitBenchmark {

  private static final int SECONDS = Integer.getInteger("bench.seconds", 10);
  private static final int WARMUP_SECONDS = 2;
  private static final int CALLERS = 64;
  private static final int[] BATCH_MAX = {64, 1};
  private static final String BOOK = "bench";
  private static final String WALLET = "assets:hot-wallet";
  private static final String CUSTOMERS = "liabilities:customers";

  /** This JVM's CPU time, to put the throughput in relation to the CPU it cost. */
  private static final OperatingSystemMXBean PROCESS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  @TempDir Path temp;

  /** One store at one writeBatchMax. */
  private record Result(
      String backend,
      int batchMax,
      double transfersPerSecond,
      double p50Millis,
      double p99Millis,
      long commits,
      double meanGroupSize,
      double cpuMicrosPerTransfer) {}

  @Test
  void everyStoreWithAndWithoutBatching() throws Exception {
    List<Result> results = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (int batchMax : BATCH_MAX) {
      Path file = temp.resolve("bench-" + batchMax + ".db");
      results.add(run(StoreUrl.parse("sqlite:" + file), batchMax, () -> {}, problems));
    }
    for (int batchMax : BATCH_MAX) {
      try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
        results.add(run(db.url(), batchMax, () -> analyze(db), problems));
      }
    }
    for (int batchMax : BATCH_MAX) {
      Path dir = temp.resolve("bench-log-" + batchMax);
      results.add(run(StoreUrl.parse("log:" + dir), batchMax, () -> {}, problems));
    }

    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "LedgerService group commit: one hot book, %d callers, two-posting transfers,"
            + " %d s after a %d s warm-up, %d CPUs (common pool parallelism %d)%n",
        CALLERS,
        SECONDS,
        WARMUP_SECONDS,
        Runtime.getRuntime().availableProcessors(),
        ForkJoinPool.getCommonPoolParallelism());
    Map<String, Map<Integer, Result>> byStore = new LinkedHashMap<>();
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "  %-8s writeBatchMax %2d: %8.0f transfers/s, latency p50 %7.2f ms p99 %7.2f ms,"
              + " %7d commits, mean group %5.1f, %5.0f us CPU per transfer%n",
          r.backend(),
          r.batchMax(),
          r.transfersPerSecond(),
          r.p50Millis(),
          r.p99Millis(),
          r.commits(),
          r.meanGroupSize(),
          r.cpuMicrosPerTransfer());
      byStore.computeIfAbsent(r.backend(), b -> new TreeMap<>()).put(r.batchMax(), r);
    }
    byStore.forEach(
        (backend, runs) ->
            System.out.printf(
                Locale.ROOT,
                "  %-8s batch-64 / batch-1: %.1fx%n",
                backend,
                runs.get(64).transfersPerSecond() / runs.get(1).transfersPerSecond()));
    if (!problems.isEmpty()) {
      throw new AssertionError(String.join("\n", problems));
    }
  }

  private Result run(StoreUrl url, int batchMax, Runnable afterWarmup, List<String> problems)
      throws InterruptedException {
    ActorTestKit kit = ActorTestKit.create();
    try (Store store = Stores.open(url, StoreSettings.defaults())) {
      store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
      store.openAccount(BOOK, WALLET, new AccountSpec(AccountKind.ASSET));
      store.openAccount(BOOK, CUSTOMERS, new AccountSpec(AccountKind.LIABILITY));
      LedgerService service =
          LedgerService.start(
              kit.system(), store, LedgerSettings.defaults().withWriteBatchMax(batchMax));

      Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
      Caller[] callers = new Caller[CALLERS];
      Thread[] threads = new Thread[CALLERS];
      for (int i = 0; i < CALLERS; i++) {
        callers[i] = new Caller(i, service, errors);
        threads[i] = new Thread(callers[i], "bench-caller-" + i);
        threads[i].start();
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(WARMUP_SECONDS));
      afterWarmup.run();
      long start = System.nanoTime();
      long cpuStart = PROCESS.getProcessCpuTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(SECONDS));
      long end = System.nanoTime();
      long cpu = PROCESS.getProcessCpuTime() - cpuStart;
      for (Caller caller : callers) {
        caller.stop = true;
      }
      for (Thread thread : threads) {
        thread.join();
      }

      // Posts that started and finished inside the measured window.
      long[] latencies =
          Arrays.stream(callers)
              .flatMapToLong(caller -> caller.latenciesWithin(start, end))
              .sorted()
              .toArray();
      long succeeded = Arrays.stream(callers).mapToLong(caller -> caller.succeeded).sum();
      String backend = store.backend();
      String label = backend + " writeBatchMax " + batchMax;

      VerifyResult verify = service.verify(BOOK);
      long commits = store.findBook(BOOK).orElseThrow().lastSeq();
      if (!verify.ok()) {
        problems.add(
            label + ": verify failed at seq " + verify.firstBadSeq() + ": " + verify.reason());
      }
      if (commits != succeeded) {
        problems.add(
            label
                + ": the book holds "
                + commits
                + " commits but "
                + succeeded
                + " posts succeeded");
      }
      if (!errors.isEmpty()) {
        problems.add(label + ": posts failed: " + new TreeMap<>(errors));
      }
      if (latencies.length == 0) {
        problems.add(label + ": no post completed inside the measured window");
        return new Result(backend, batchMax, 0, 0, 0, commits, 0, 0);
      }
      return new Result(
          backend,
          batchMax,
          latencies.length / ((end - start) / 1e9),
          latencies[latencies.length / 2] / 1e6,
          latencies[(int) (latencies.length * 0.99)] / 1e6,
          commits,
          (double) commits / groupCommits(store, commits),
          cpu / 1e3 / latencies.length);
    } finally {
      kit.shutdownTestKit();
    }
  }

  /**
   * The number of group commits in the book: a group commit gives all its commits one timestamp,
   * and timestamps never decrease with seq, so this counts distinct {@code committed_at} values (an
   * estimate: two group commits within the same microsecond count as one).
   */
  private static long groupCommits(Store store, long commits) {
    Set<Instant> stamps = new HashSet<>();
    for (long from = 1; from <= commits; ) {
      List<Transaction> page = store.readCommits(BOOK, from, 1000);
      if (page.isEmpty()) {
        break;
      }
      page.forEach(tx -> stamps.add(tx.committedAt()));
      from = page.get(page.size() - 1).seq() + 1;
    }
    return Math.max(1, stamps.size());
  }

  /** See the class comment. */
  private static void analyze(PostgresTestDatabase db) {
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement()) {
      statement.execute("ANALYZE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One caller: posts transfers with unique keys back to back until stopped. */
  private static final class Caller implements Runnable {
    private final int id;
    private final LedgerService service;
    private final Map<String, AtomicLong> errors;
    private final Function<String, TransactionDraft> drafts =
        key ->
            new TransactionDraft(
                key,
                List.of(
                    DraftPosting.debit(WALLET, "BTC", "0.0001"),
                    DraftPosting.credit(CUSTOMERS, "BTC", "0.0001")));
    volatile boolean stop;
    long succeeded;
    private long[] starts = new long[1 << 14];
    private long[] latencies = new long[1 << 14];
    private int recorded;

    Caller(int id, LedgerService service, Map<String, AtomicLong> errors) {
      this.id = id;
      this.service = service;
      this.errors = errors;
    }

    @Override
    public void run() {
      for (long n = 0; !stop; n++) {
        TransactionDraft draft = drafts.apply("c" + id + "-" + n);
        long before = System.nanoTime();
        try {
          Transaction tx = service.post(BOOK, draft);
          long latency = System.nanoTime() - before;
          if (tx.deduplicated()) {
            errors.computeIfAbsent("deduplicated", k -> new AtomicLong()).incrementAndGet();
            continue;
          }
          succeeded++;
          record(before, latency);
        } catch (LedgerException e) {
          errors.computeIfAbsent(e.code().wireName(), k -> new AtomicLong()).incrementAndGet();
        }
      }
    }

    private void record(long start, long latency) {
      if (recorded == starts.length) {
        starts = Arrays.copyOf(starts, recorded * 2);
        latencies = Arrays.copyOf(latencies, recorded * 2);
      }
      starts[recorded] = start;
      latencies[recorded] = latency;
      recorded++;
    }

    /** Latencies of the posts that started at or after {@code from} and ended by {@code to}. */
    LongStream latenciesWithin(long from, long to) {
      return IntStream.range(0, recorded)
          .filter(i -> starts[i] >= from && starts[i] + latencies[i] <= to)
          .mapToLong(i -> latencies[i]);
    }
  }
}
