package dev.talea.store.bench;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * {@code commitBatch} throughput on one hot book: two-posting transfers with unique keys, committed
 * back to back as the book actor would (one batch in flight per book). Not part of {@code verify}
 * (the class name matches no surefire pattern); run it with
 *
 * <pre>./mvnw -pl ledger-stores -am install -DskipTests && ./mvnw -pl ledger-stores test
 *     -Dtest=CommitBatchBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 *     [-Dbench.seconds=10] [-Dbench.batches=1,64] [-Dbench.memory=on,off,off,on]</pre>
 *
 * <p>The SQL stores run once per entry of {@code bench.memory}: with the writer's memory of its
 * book (the default, "on") or without it ("off"), to measure what it saves.
 */
class CommitBatchBenchmark {

  private static final int SECONDS = Integer.getInteger("bench.seconds", 10);
  private static final int[] BATCHES =
      Arrays.stream(System.getProperty("bench.batches", "1,64").split(","))
          .mapToInt(Integer::parseInt)
          .toArray();

  private static final boolean[] MEMORY =
      memoryOrder(System.getProperty("bench.memory", "on,off,off,on"));

  private static boolean[] memoryOrder(String list) {
    String[] parts = list.split(",");
    boolean[] order = new boolean[parts.length];
    for (int i = 0; i < parts.length; i++) {
      order[i] =
          switch (parts[i].trim()) {
            case "on" -> true;
            case "off" -> false;
            default ->
                throw new IllegalArgumentException("bench.memory: on or off, not " + parts[i]);
          };
    }
    return order;
  }

  @Test
  void everyStore() throws IOException {
    Path dir = Files.createTempDirectory("talea-bench");
    List<String> report = new ArrayList<>();
    for (int batch : BATCHES) {
      try (Store store =
          Stores.open("log:" + dir.resolve("bench-log-" + batch), StoreSettings.defaults())) {
        report.add(run(store, batch, () -> {}));
      }
      // The SQL stores with the writer's memory of its book on (the default) and off, in the order
      // bench.memory gives: on,off,off,on by default, so that a drift over the run (the database
      // server's checkpoints, the JIT) weighs on both alike.
      for (boolean memory : MEMORY) {
        StoreSettings settings = StoreSettings.defaults().withWriterMemory(memory);
        String suffix = memory ? "" : " (no writer memory)";
        try (Store store =
            Stores.open(
                "sqlite:" + dir.resolve("bench-" + batch + "-" + report.size() + ".db"),
                settings)) {
          report.add(run(store, batch, () -> {}) + suffix);
        }
        try (PostgresTestDatabase db = PostgresTestDatabase.create();
            Store store = Stores.open(db.url(), settings)) {
          report.add(run(store, batch, () -> analyze(db)) + suffix);
        }
      }
    }
    System.out.println();
    System.out.println("commitBatch, one hot book, two-posting transfers, " + SECONDS + " s each:");
    report.forEach(System.out::println);
  }

  /**
   * Gives the planner the statistics autovacuum would have gathered by now: this run grows an empty
   * database by tens of thousands of rows in seconds, faster than autovacuum's one-minute cycle.
   */
  private static void analyze(PostgresTestDatabase db) {
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement()) {
      statement.execute("ANALYZE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String run(Store store, int batchSize, Runnable afterWarmup) {
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    String book = "bench";
    store.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(book, "liabilities:customers", new AccountSpec(AccountKind.LIABILITY));
    long[] counter = {0};
    Supplier<List<TransactionDraft>> nextBatch =
        () -> {
          List<TransactionDraft> drafts = new ArrayList<>(batchSize);
          for (int i = 0; i < batchSize; i++) {
            drafts.add(
                new TransactionDraft(
                    "k-" + counter[0]++,
                    List.of(
                        DraftPosting.debit("assets:hot-wallet", "BTC", "0.00010000"),
                        DraftPosting.credit("liabilities:customers", "BTC", "0.0001"))));
          }
          return drafts;
        };
    // Warm up for two seconds, then measure.
    measure(store, book, nextBatch, 2);
    afterWarmup.run();
    long[] result = measure(store, book, nextBatch, SECONDS);
    if (!store.verify(book).ok()) {
      throw new AssertionError("the benchmark book does not verify");
    }
    long committed = result[0];
    long nanos = result[1];
    long[] latencies = Arrays.copyOfRange(result, 2, result.length);
    Arrays.sort(latencies);
    double seconds = nanos / 1e9;
    return String.format(
        Locale.ROOT,
        "  %-8s batch %4d: %9.0f drafts/s, %7.0f batches/s, batch latency p50 %6.2f ms p99 %6.2f ms",
        store.backend(),
        batchSize,
        committed / seconds,
        latencies.length / seconds,
        latencies[latencies.length / 2] / 1e6,
        latencies[(int) (latencies.length * 0.99)] / 1e6);
  }

  /**
   * Commits for {@code seconds}; returns {committed drafts, elapsed nanos, per-batch latencies...}.
   */
  private static long[] measure(
      Store store, String book, Supplier<List<TransactionDraft>> nextBatch, int seconds) {
    long committed = 0;
    List<Long> latencies = new ArrayList<>();
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      List<TransactionDraft> drafts = nextBatch.get();
      long before = System.nanoTime();
      List<PostOutcome> outcomes = store.commitBatch(book, drafts);
      latencies.add(System.nanoTime() - before);
      for (PostOutcome outcome : outcomes) {
        if (!(outcome instanceof PostOutcome.Committed)) {
          throw new AssertionError("unexpected outcome " + outcome);
        }
      }
      committed += outcomes.size();
    }
    long[] result = new long[2 + latencies.size()];
    result[0] = committed;
    result[1] = System.nanoTime() - start;
    for (int i = 0; i < latencies.size(); i++) {
      result[2 + i] = latencies.get(i);
    }
    return result;
  }
}
