package dev.talea.store.log;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The process that {@link LogCrashTest} kills. {@code hold DIR}: opens the store, prints {@code
 * LOCKED}, and waits. {@code commit DIR SEGMENT_BYTES ROUND}: commits batches to three books from
 * three threads as fast as it can, printing {@code ACK book seq key} for each commit once {@code
 * commitBatch} has returned — that is, once it is acknowledged.
 */
public final class LogCrashChild {

  static final String[] BOOKS = {"alpha", "beta", "gamma"};

  private LogCrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    if (args[0].equals("hold")) {
      try (Store store = LogStores.open(dir, StoreSettings.defaults(), 1 << 20)) {
        System.out.println(store.backend().equals("log") ? "LOCKED" : "UNEXPECTED");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
      }
      return;
    }
    long segmentBytes = Long.parseLong(args[2]);
    String round = args[3];
    Store store = LogStores.open(dir, StoreSettings.defaults(), segmentBytes);
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    for (String book : BOOKS) {
      store.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
      store.openAccount(book, "liabilities:customers", new AccountSpec(AccountKind.LIABILITY));
    }
    List<Thread> threads = new ArrayList<>();
    for (String book : BOOKS) {
      Thread thread =
          new Thread(
              () -> {
                for (long n = 0; ; n++) {
                  int size = ThreadLocalRandom.current().nextInt(1, 9);
                  List<TransactionDraft> drafts = new ArrayList<>(size);
                  for (int i = 0; i < size; i++) {
                    drafts.add(
                        new TransactionDraft(
                            "r" + round + "-" + n + "-" + i,
                            List.of(
                                DraftPosting.debit("assets:hot-wallet", "BTC", "0.001"),
                                DraftPosting.credit("liabilities:customers", "BTC", "0.001"))));
                  }
                  StringBuilder acks = new StringBuilder();
                  for (PostOutcome outcome : store.commitBatch(book, drafts)) {
                    Transaction tx = ((PostOutcome.Committed) outcome).transaction();
                    acks.append("ACK ")
                        .append(book)
                        .append(' ')
                        .append(tx.seq())
                        .append(' ')
                        .append(tx.idempotencyKey())
                        .append('\n');
                  }
                  synchronized (System.out) {
                    System.out.print(acks);
                    System.out.flush();
                  }
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
  }
}
