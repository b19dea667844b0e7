package dev.talea.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two Postgres store objects on one database, each with its own connection pool, stand for two
 * server instances behind a load balancer: the book's counter row is their only arbiter.
 */
class PostgresTwoInstancesTest {

  private static PostgresTestDatabase db;
  private static Store first;
  private static Store second;

  @BeforeAll
  static void openTwoInstances() {
    db = PostgresTestDatabase.create();
    first = Stores.open(db.url(), StoreSettings.defaults());
    second = Stores.open(db.url(), StoreSettings.defaults());
    first.registerAsset(new AssetSpec("USD", 2, null));
  }

  @AfterAll
  static void closeTwoInstances() {
    try {
      if (first != null) {
        first.close();
      }
      if (second != null) {
        second.close();
      }
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }

  @Test
  void twoInstancesCommittingToOneBookShareOneGaplessChain() throws Exception {
    String book = newBook();
    first.openAccount(book, "assets:cash", new AccountSpec(AccountKind.ASSET));
    second.openAccount(book, "equity:capital", new AccountSpec(AccountKind.EQUITY));
    int threadsPerInstance = 8;
    int batchesPerThread = 20;

    List<List<Transaction>> perThread =
        runConcurrently(
            2 * threadsPerInstance,
            thread -> {
              Store instance = thread % 2 == 0 ? first : second;
              List<Transaction> committed = new ArrayList<>();
              for (int b = 0; b < batchesPerThread; b++) {
                List<TransactionDraft> drafts = new ArrayList<>();
                for (int d = 0; d <= (thread + b) % 3; d++) {
                  drafts.add(fund("t" + thread + "-b" + b + "-d" + d, "0.01"));
                }
                List<Transaction> batch = new ArrayList<>();
                for (PostOutcome outcome : instance.commitBatch(book, drafts)) {
                  batch.add(committed(outcome));
                }
                for (int i = 0; i < batch.size(); i++) {
                  assertThat(batch.get(i).seq()).isEqualTo(batch.get(0).seq() + i);
                  assertThat(batch.get(i).committedAt()).isEqualTo(batch.get(0).committedAt());
                }
                committed.addAll(batch);
              }
              return committed;
            });

    int n = perThread.stream().mapToInt(List::size).sum();
    List<Long> expectedSeqs = LongStream.rangeClosed(1, n).boxed().toList();
    assertThat(perThread.stream().flatMap(List::stream).map(Transaction::seq).toList())
        .containsExactlyInAnyOrderElementsOf(expectedSeqs);
    for (Store reader : List.of(first, second)) {
      List<Transaction> chain = readAll(reader, book);
      assertThat(chain).extracting(Transaction::seq).containsExactlyElementsOf(expectedSeqs);
      String previousHash = HashChain.GENESIS;
      Instant previousTime = Instant.EPOCH;
      for (Transaction tx : chain) {
        assertThat(tx.prevHash()).isEqualTo(previousHash);
        assertThat(HashChain.hash(tx)).isEqualTo(tx.hash());
        assertThat(tx.committedAt()).isAfterOrEqualTo(previousTime);
        previousHash = tx.hash();
        previousTime = tx.committedAt();
      }
      VerifyResult verify = reader.verify(book);
      assertThat(verify).isEqualTo(VerifyResult.ok(book, n, previousHash));
      assertThat(reader.findBook(book)).contains(new BookSummary(book, n, previousHash));
    }
    assertThat(second.balances(book, "assets:cash", null, "USD").balances().get(0).balance())
        .hasToString(DecimalAmount.ofMinorUnits(BigInteger.valueOf(n), 2).asWritten());
  }

  @Test
  void aKeyCommittedThroughOneInstanceIsAReplayThroughTheOther() {
    String book = newBook();
    first.openAccount(book, "assets:cash", new AccountSpec(AccountKind.ASSET));
    first.openAccount(book, "equity:capital", new AccountSpec(AccountKind.EQUITY));
    Transaction original = committed(first.commitBatch(book, List.of(fund("k", "3"))).get(0));

    Transaction replay = committed(second.commitBatch(book, List.of(fund("k", "3.00"))).get(0));
    LedgerError reused = rejected(second.commitBatch(book, List.of(fund("k", "4"))).get(0));

    assertThat(original.deduplicated()).isFalse();
    assertThat(replay.deduplicated()).isTrue();
    assertThat(replay.txId()).isEqualTo(original.txId());
    assertThat(replay).isEqualTo(original.withDeduplicated(true));
    assertThat(reused.code()).isEqualTo(ErrorCode.IDEMPOTENCY_KEY_REUSED);
    assertThat(reused.fields()).isEqualTo(Map.of("tx_id", original.txId().toString()));
    assertThat(second.findBook(book).orElseThrow().lastSeq()).isEqualTo(1);
  }

  @Test
  void minBalanceHoldsAgainstWithdrawalsThroughBothInstances() throws Exception {
    String book = newBook();
    first.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    second.openAccount(
        book,
        "liabilities:alice",
        new AccountSpec(
            AccountKind.LIABILITY, DecimalAmount.parseSigned("0", "min_balance"), Map.of()));
    committed(first.commitBatch(book, withdraw("deposit", "-0.10")).get(0));

    List<PostOutcome> outcomes =
        runConcurrently(
            20,
            i ->
                (i % 2 == 0 ? first : second)
                    .commitBatch(book, withdraw("withdraw-" + i, "0.01"))
                    .get(0));

    assertThat(outcomes.stream().filter(PostOutcome.Committed.class::isInstance)).hasSize(10);
    assertThat(outcomes.stream().filter(PostOutcome.Rejected.class::isInstance))
        .hasSize(10)
        .allSatisfy(
            outcome ->
                assertThat(((PostOutcome.Rejected) outcome).error().code())
                    .isEqualTo(ErrorCode.INSUFFICIENT_BALANCE));
    assertThat(first.balances(book, "liabilities:alice", null, "USD").balances().get(0).balance())
        .hasToString("0.00");
    assertThat(second.verify(book).ok()).isTrue();
  }

  @Test
  void aWritersMemoryOfItsBookIsReadAgainOnceTheOtherInstanceHasCommitted() {
    String book = newBook();
    first.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    first.openAccount(
        book,
        "liabilities:alice",
        new AccountSpec(
            AccountKind.LIABILITY, DecimalAmount.parseSigned("0", "min_balance"), Map.of()));
    long[] before = ((JdbcStore) first).writerMemoryHitsAndMisses();

    assertThat(aliceAfter(committed(first.commitBatch(book, withdraw("deposit", "-0.10")).get(0))))
        .isEqualTo("0.10");
    // Nobody else has written: the second commit takes alice's balance from the first's memory.
    Transaction spent = committed(first.commitBatch(book, withdraw("w1", "0.03")).get(0));
    assertThat(aliceAfter(spent)).isEqualTo("0.07");
    assertThat(delta(before)).containsExactly(1, 1);

    // The other instance spends in between: 0.02 left, where the first remembers 0.07.
    Transaction other = committed(second.commitBatch(book, withdraw("w2", "0.05")).get(0));
    assertThat(other.seq()).isEqualTo(3);
    assertThat(aliceAfter(other)).isEqualTo("0.02");

    // The first sees seq 3 under the lock, not the 2 it left: it reads alice again and refuses.
    LedgerError refused = rejected(first.commitBatch(book, withdraw("w3", "0.03")).get(0));
    assertThat(refused.code()).isEqualTo(ErrorCode.INSUFFICIENT_BALANCE);
    assertThat(delta(before)).containsExactly(1, 2);
    // What it read is its memory now: the next commit needs no read, and lands at the true 0.00.
    Transaction last = committed(first.commitBatch(book, withdraw("w4", "0.02")).get(0));
    assertThat(last.seq()).isEqualTo(4);
    assertThat(aliceAfter(last)).isEqualTo("0.00");
    assertThat(delta(before)).containsExactly(2, 2);
    assertThat(second.verify(book).ok()).isTrue();
    assertThat(first.balances(book, "liabilities:alice", null, "USD").balances().get(0).balance())
        .hasToString("0.00");
  }

  /** Alice pays {@code amount} out to the hot wallet (a negative amount: she deposits). */
  private static List<TransactionDraft> withdraw(String key, String amount) {
    boolean deposit = amount.startsWith("-");
    String value = deposit ? amount.substring(1) : amount;
    return List.of(
        new TransactionDraft(
            key,
            deposit
                ? List.of(
                    DraftPosting.debit("assets:hot-wallet", "USD", value),
                    DraftPosting.credit("liabilities:alice", "USD", value))
                : List.of(
                    DraftPosting.debit("liabilities:alice", "USD", value),
                    DraftPosting.credit("assets:hot-wallet", "USD", value))));
  }

  private static String aliceAfter(Transaction tx) {
    return tx.postings().stream()
        .filter(posting -> posting.account().equals("liabilities:alice"))
        .findFirst()
        .orElseThrow()
        .balanceAfter()
        .toString();
  }

  /** The first instance's writer-memory hits and misses since {@code before}. */
  private static long[] delta(long[] before) {
    long[] now = ((JdbcStore) first).writerMemoryHitsAndMisses();
    return new long[] {now[0] - before[0], now[1] - before[1]};
  }

  private static String newBook() {
    return "t-" + String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  private static TransactionDraft fund(String key, String amount) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:cash", "USD", amount),
            DraftPosting.credit("equity:capital", "USD", amount)));
  }

  private static Transaction committed(PostOutcome outcome) {
    assertThat(outcome)
        .as("expected a commit, got %s", outcome)
        .isInstanceOf(PostOutcome.Committed.class);
    Transaction tx = ((PostOutcome.Committed) outcome).transaction();
    assertThat(HashChain.hash(tx)).isEqualTo(tx.hash());
    return tx;
  }

  private static LedgerError rejected(PostOutcome outcome) {
    assertThat(outcome)
        .as("expected a rejection, got %s", outcome)
        .isInstanceOf(PostOutcome.Rejected.class);
    return ((PostOutcome.Rejected) outcome).error();
  }

  private static List<Transaction> readAll(Store reader, String book) {
    List<Transaction> all = new ArrayList<>();
    long after = 0;
    while (true) {
      TransactionPage page = reader.listTransactions(book, after, 100);
      all.addAll(page.transactions());
      if (page.nextAfterSeq() == null) {
        return all;
      }
      after = page.nextAfterSeq();
    }
  }

  private interface Task<T> {
    T run(int index) throws Exception;
  }

  private static <T> List<T> runConcurrently(int threads, Task<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int index = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.run(index);
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
