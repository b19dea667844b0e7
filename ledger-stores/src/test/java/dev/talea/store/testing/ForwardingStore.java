package dev.talea.store.testing;

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
import dev.talea.store.CommitNotices;
import dev.talea.store.Store;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A store that passes every call to another: tests override the calls they want a hand on (hold a
 * group commit, fail it, count verifies) and leave the rest to the real store.
 */
public abstract class ForwardingStore implements Store {

  private final Store delegate;

  protected ForwardingStore(Store delegate) {
    this.delegate = delegate;
  }

  protected final Store delegate() {
    return delegate;
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
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    return delegate.commitBatch(book, drafts);
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
  public AutoCloseable listen(CommitNotices notices) {
    return delegate.listen(notices);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
