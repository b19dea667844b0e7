package dev.talea.store.bench;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.VerifyResult;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How long {@code verify} takes on a long book, on every store: a book of {@code bench.commits}
 * two-posting transfers over {@code bench.accounts} accounts (committed in groups of 64), verified
 * {@code bench.runs} times after two warm-up runs, then verified again while a writer keeps
 * committing to the same book (the live case: verify checks the prefix up to the seq it reports).
 * Not part of {@code verify} (the class name matches no surefire pattern); run it with
 *
 * <pre>./mvnw -q install -DskipTests -DskipITs && ./mvnw -pl ledger-stores test
 *     -Dtest=VerifyBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 *     [-Dbench.commits=100000] [-Dbench.accounts=1000] [-Dbench.runs=3]</pre>
 */
class VerifyBenchmark {

  private static final int COMMITS = Integer.getInteger("bench.commits", 100_000);
  private static final int ACCOUNTS = Integer.getInteger("bench.accounts", 1_000);
  private static final int RUNS = Integer.getInteger("bench.runs", 3);
  private static final int BATCH = 64;
  private static final String BOOK = "verify-bench";

  @Test
  void everyStore() throws Exception {
    Path dir = Files.createTempDirectory("talea-verify-bench");
    List<String> report = new ArrayList<>();
    try (Store store = Stores.open("log:" + dir.resolve("log"), StoreSettings.defaults())) {
      report.add(run(store));
    }
    try (Store store = Stores.open("sqlite:" + dir.resolve("bench.db"), StoreSettings.defaults())) {
      report.add(run(store));
    }
    try (PostgresTestDatabase db = PostgresTestDatabase.create();
        Store store = Stores.open(db.url(), StoreSettings.defaults())) {
      fill(store);
      analyze(db);
      report.add(measure(store));
    }
    System.out.printf(
        "%nverify of a %,d-commit book over %,d accounts (%d runs after 2 warm-up runs):%n",
        COMMITS, ACCOUNTS, RUNS);
    report.forEach(System.out::println);
    deleteRecursively(dir);
  }

  private static String run(Store store) throws Exception {
    fill(store);
    return measure(store);
  }

  private static void fill(Store store) {
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    for (int i = 0; i < ACCOUNTS; i++) {
      store.openAccount(BOOK, account(i), new AccountSpec(AccountKind.ASSET));
    }
    long start = System.nanoTime();
    int committed = 0;
    while (committed < COMMITS) {
      List<TransactionDraft> drafts = new ArrayList<>();
      for (int d = 0; d < BATCH && committed + d < COMMITS; d++) {
        drafts.add(transfer("fill-" + (committed + d), committed + d));
      }
      for (PostOutcome outcome : store.commitBatch(BOOK, drafts)) {
        if (!(outcome instanceof PostOutcome.Committed)) {
          throw new IllegalStateException("a transfer was refused: " + outcome);
        }
      }
      committed += drafts.size();
    }
    System.out.printf(
        Locale.ROOT,
        "%s: %,d commits written in %.1f s%n",
        store.backend(),
        COMMITS,
        (System.nanoTime() - start) / 1e9);
  }

  private static String measure(Store store) throws Exception {
    for (int i = 0; i < 2; i++) {
      check(store.verify(BOOK), COMMITS);
    }
    long best = Long.MAX_VALUE;
    long total = 0;
    for (int i = 0; i < RUNS; i++) {
      long start = System.nanoTime();
      check(store.verify(BOOK), COMMITS);
      long took = System.nanoTime() - start;
      best = Math.min(best, took);
      total += took;
    }
    // The live case: a writer commits one transfer at a time while verify runs.
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong written = new AtomicLong();
    Thread writer =
        new Thread(
            () -> {
              for (long n = 0; !stop.get(); n++) {
                store.commitBatch(BOOK, List.of(transfer("live-" + n, (int) n)));
                written.incrementAndGet();
              }
            });
    writer.start();
    long liveStart = System.nanoTime();
    VerifyResult live = store.verify(BOOK);
    long liveTook = System.nanoTime() - liveStart;
    long during = written.get();
    stop.set(true);
    writer.join();
    check(live, -1);
    return String.format(
        Locale.ROOT,
        "%-8s best %6.0f ms, mean %6.0f ms (%,.0f commits/s); while writing: %6.0f ms,"
            + " ok at seq %,d, %d commits landed meanwhile",
        store.backend(),
        best / 1e6,
        total / 1e6 / RUNS,
        COMMITS / (best / 1e9),
        liveTook / 1e6,
        live.seq(),
        during);
  }

  private static void check(VerifyResult result, long seq) {
    if (!result.ok() || (seq >= 0 && result.seq() != seq)) {
      throw new IllegalStateException("verify failed: " + result);
    }
  }

  private static String account(int i) {
    return String.format("assets:a%04d", i);
  }

  private static TransactionDraft transfer(String key, int n) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit(account(n % ACCOUNTS), "BTC", "0.00000001"),
            DraftPosting.credit(account((n * 7 + 1) % ACCOUNTS), "BTC", "0.00000001")));
  }

  private static void analyze(PostgresTestDatabase db) throws SQLException {
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement()) {
      statement.execute("ANALYZE");
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
