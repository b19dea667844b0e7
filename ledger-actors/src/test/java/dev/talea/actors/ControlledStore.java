package dev.talea.actors;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreUnavailableException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real store with a hand on its write path: group commits can be held at a gate, made to fail,
 * and are recorded by size. Everything else passes straight through.
 */
final class ControlledStore implements Store {

  private final Store delegate;
  private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final Semaphore entered = new Semaphore(0);
  private volatile Semaphore gate;

  ControlledStore(Store delegate) {
    this.delegate = delegate;
  }

  /** From now on, every group commit waits at the gate until {@link #releaseCommits}. */
  void holdCommits() {
    gate = new Semaphore(0);
  }

  /** Lets held (and future) group commits pass. */
  void releaseCommits() {
    Semaphore held = gate;
    gate = null;
    if (held != null) {
      held.release(Integer.MAX_VALUE / 2);
    }
  }

  /** The next {@code count} group commits fail as if the database had gone away. */
  void failNext(int count) {
    failures.set(count);
  }

  /**
   * Waits until a group commit has reached the store (and is held there, if the gate is closed).
   */
  void awaitCommitEntered() throws InterruptedException {
    if (!entered.tryAcquire(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no group commit reached the store within 10 s");
    }
  }

  List<Integer> batchSizes() {
    return List.copyOf(batchSizes);
  }

  @Override
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    batchSizes.add(drafts.size());
    entered.release();
    Semaphore held = gate;
    if (held != null) {
      try {
        held.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted at the gate", e);
      }
    }
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new StoreUnavailableException("injected failure", new java.io.IOException("gone"));
    }
    return delegate.commitBatch(book, drafts);
  }

  @Override
  public String backend() {
    return delegate.backend();
  }

  @Override
  public Registration<Asset> registerAsset(AssetSpec spec) {
    return delegate.registerAsset(spec);
  }

  @Override
  public List<Asset> listAssets() {
    return delegate.listAssets();
  }

  @Override
  public Optional<Asset> findAsset(String code) {
    return delegate.findAsset(code);
  }

  @Override
  public Registration<Account> openAccount(String book, String account, AccountSpec spec) {
    return delegate.openAccount(book, account, spec);
  }

  @Override
  public Account getAccount(String book, String account) {
    return delegate.getAccount(book, account);
  }

  @Override
  public AccountPage listAccounts(String book, String after, int limit) {
    return delegate.listAccounts(book, after, limit);
  }

  @Override
  public Optional<Transaction> findTransaction(UUID txId) {
    return delegate.findTransaction(txId);
  }

  @Override
  public Optional<Transaction> findTransactionByKey(String book, String idempotencyKey) {
    return delegate.findTransactionByKey(book, idempotencyKey);
  }

  @Override
  public TransactionPage listTransactions(String book, long afterSeq, int limit) {
    return delegate.listTransactions(book, afterSeq, limit);
  }

  @Override
  public List<Transaction> readCommits(String book, long fromSeq, int limit) {
    return delegate.readCommits(book, fromSeq, limit);
  }

  @Override
  public PostingPage listPostings(
      String book, String account, String asset, long afterSeq, int limit) {
    return delegate.listPostings(book, account, asset, afterSeq, limit);
  }

  @Override
  public AccountBalances balances(String book, String account, Instant asOf, String asset) {
    return delegate.balances(book, account, asOf, asset);
  }

  @Override
  public TrialBalance trialBalance(String book, Instant asOf) {
    return delegate.trialBalance(book, asOf);
  }

  @Override
  public List<BookSummary> listBooks() {
    return delegate.listBooks();
  }

  @Override
  public Optional<BookSummary> findBook(String book) {
    return delegate.findBook(book);
  }

  @Override
  public VerifyResult verify(String book) {
    return delegate.verify(book);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
