package dev.talea.store.log;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Reopen time and retained heap of a log holding {@code bench.transactions} (default 1,000,000)
 * two-posting transactions on one book, reopened in a child JVM limited to {@code -Xmx512m}. Not
 * part of {@code verify}; run it with
 *
 * <pre>./mvnw -pl ledger-stores test -Dtest=LogReopenBenchmark
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.transactions=1000000]</pre>
 */
class LogReopenBenchmark {

  private static final int TRANSACTIONS = Integer.getInteger("bench.transactions", 1_000_000);
  private static final int ACCOUNTS = 1000;

  @Test
  void reopenAMillionTransactions() throws Exception {
    Path dir = Files.createTempDirectory("talea-reopen");
    long writeStart = System.nanoTime();
    try (Store store =
        LogStores.open(dir, StoreSettings.defaults(), LogStores.DEFAULT_SEGMENT_BYTES)) {
      store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
      store.openAccount("bench", "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
      for (int a = 0; a < ACCOUNTS; a++) {
        store.openAccount(
            "bench", "liabilities:customers:" + a, new AccountSpec(AccountKind.LIABILITY));
      }
      for (int n = 0; n < TRANSACTIONS; n += 1000) {
        List<TransactionDraft> drafts = new ArrayList<>(1000);
        for (int i = n; i < Math.min(TRANSACTIONS, n + 1000); i++) {
          drafts.add(
              new TransactionDraft(
                  "deposit-0x" + Integer.toHexString(i) + "-0",
                  List.of(
                      DraftPosting.debit("assets:hot-wallet", "BTC", "0.0001"),
                      DraftPosting.credit(
                          "liabilities:customers:" + (i % ACCOUNTS), "BTC", "0.0001"))));
        }
        store.commitBatch("bench", drafts);
      }
    }
    double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
    long bytes;
    try (Stream<Path> files = Files.list(dir)) {
      bytes = files.mapToLong(p -> p.toFile().length()).sum();
    }
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            Child.class.getName(),
            dir.toString());
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> output = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      in.lines().forEach(output::add);
    }
    int exit = child.waitFor();
    System.out.printf(
        "%nlog of %,d transactions (%,d MiB in segments), written in %.1f s%n",
        TRANSACTIONS, bytes >> 20, writeSeconds);
    output.forEach(line -> System.out.println("  " + line));
    if (exit != 0) {
      throw new AssertionError("the reopening JVM failed with exit code " + exit);
    }
  }

  /** Reopens the log under -Xmx512m and reports time and retained heap. */
  public static final class Child {
    public static void main(String[] args) {
      long start = System.nanoTime();
      try (Store store =
          LogStores.open(
              Path.of(args[0]), StoreSettings.defaults(), LogStores.DEFAULT_SEGMENT_BYTES)) {
        double openSeconds = (System.nanoTime() - start) / 1e9;
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long peak =
            ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == java.lang.management.MemoryType.HEAP)
                .mapToLong(pool -> pool.getPeakUsage().getUsed())
                .sum();
        System.out.printf(
            "reopened in %.2f s under -Xmx512m; heap after GC %d MiB (sum of pool peaks %d MiB);"
                + " last seq %d%n",
            openSeconds, heap >> 20, peak >> 20, store.findBook("bench").orElseThrow().lastSeq());
        long verifyStart = System.nanoTime();
        boolean ok = store.verify("bench").ok();
        System.out.printf(
            "verify of the whole book: %s in %.2f s%n",
            ok ? "ok" : "FAILED", (System.nanoTime() - verifyStart) / 1e9);
      }
    }
  }
}
