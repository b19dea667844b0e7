package dev.talea.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * Every operation of the talea contract, as one Java interface with two implementations: {@code
 * LedgerService} in-process over a store, and {@code TaleaClient} over HTTP. Code written against
 * it runs against either.
 *
 * <p>Each operation has an asynchronous form ({@code …Async}, which completes exceptionally with a
 * {@link LedgerException} for a contract error) and a blocking form that waits for it and throws
 * the {@link LedgerException} directly. Implementations are thread-safe.
 *
 * <p>Posting is safe to retry: a draft carries its idempotency key, and a replay of the same
 * request answers the original commit with {@link Transaction#deduplicated()} set.
 */
public interface LedgerApi {

  // ---- assets (global) -------------------------------------------------------------------------

  /** Registers an asset; {@code created} is false if the identical asset was already there. */
  CompletionStage<Registration<Asset>> registerAssetAsync(AssetSpec spec);

  /** Every registered asset, sorted by code. */
  CompletionStage<List<Asset>> listAssetsAsync();

  /** The asset with this code; {@code not_found} if none. */
  CompletionStage<Asset> getAssetAsync(String code);

  // ---- books and accounts ----------------------------------------------------------------------

  /** Every book (a book exists once it has an account), sorted by name. */
  CompletionStage<List<BookSummary>> listBooksAsync();

  /**
   * Opens an account, or confirms an identical one ({@code created} false, metadata updated); a
   * different kind or min_balance is a {@code conflict}.
   */
  CompletionStage<Registration<Account>> openAccountAsync(
      String book, String account, AccountSpec spec);

  /** A page of the book's accounts after {@code after} (exclusive; {@code null} for the first). */
  CompletionStage<AccountPage> listAccountsAsync(String book, String after, int limit);

  /** An account with its current balances; {@code not_found} if the book or account is unknown. */
  CompletionStage<Account> getAccountAsync(String book, String account);

  // ---- transactions ----------------------------------------------------------------------------

  /**
   * Posts a transaction. A new commit has {@code deduplicated} false; a replay of the same request
   * answers the original commit with {@code deduplicated} true; the same key with a different
   * request fails with {@code idempotency_key_reused}.
   */
  CompletionStage<Transaction> postAsync(String book, TransactionDraft draft);

  /** Posts independent drafts through the same group commit; one outcome per draft, in order. */
  CompletionStage<List<PostOutcome>> postBatchAsync(String book, List<TransactionDraft> drafts);

  /** The transaction with this id in any book; {@code not_found} if none. */
  CompletionStage<Transaction> getTransactionAsync(UUID txId);

  /** A page of the book's transactions with {@code seq > afterSeq}, in seq order. */
  CompletionStage<TransactionPage> listTransactionsAsync(String book, long afterSeq, int limit);

  /** The transaction posted under this idempotency key in the book, if any. */
  CompletionStage<Optional<Transaction>> findTransactionAsync(String book, String idempotencyKey);

  /**
   * A page of an account's postings with {@code seq > afterSeq}, in seq order, optionally of one
   * asset ({@code null} for all).
   */
  CompletionStage<PostingPage> listPostingsAsync(
      String book, String account, String asset, long afterSeq, int limit);

  // ---- balances --------------------------------------------------------------------------------

  /**
   * An account's balances as of a moment of commit time ({@code null} for the latest), optionally
   * of one asset ({@code null} for all).
   */
  CompletionStage<AccountBalances> balancesAsync(
      String book, String account, Instant asOf, String asset);

  /** The book's trial balance as of a moment of commit time ({@code null} for the latest). */
  CompletionStage<TrialBalance> trialBalanceAsync(String book, Instant asOf);

  // ---- operations ------------------------------------------------------------------------------

  /** Recomputes the book's hash chain and balances from its postings. */
  CompletionStage<VerifyResult> verifyAsync(String book);

  /**
   * The book's commits in seq order: first every commit with {@code seq >= fromSeq} from the store,
   * then live commits, with no gap and no duplicate. With an empty {@code fromSeq}, only commits
   * made after the subscription starts. Each call to {@link Flow.Publisher#subscribe} starts its
   * own stream. A malformed book name is refused at once, with {@code invalid_request}; an unknown
   * book fails the stream with {@code not_found}.
   */
  Flow.Publisher<Transaction> subscribe(String book, OptionalLong fromSeq);

  // ---- blocking forms --------------------------------------------------------------------------

  default Registration<Asset> registerAsset(AssetSpec spec) {
    return await(registerAssetAsync(spec));
  }

  default List<Asset> listAssets() {
    return await(listAssetsAsync());
  }

  default Asset getAsset(String code) {
    return await(getAssetAsync(code));
  }

  default List<BookSummary> listBooks() {
    return await(listBooksAsync());
  }

  default Registration<Account> openAccount(String book, String account, AccountSpec spec) {
    return await(openAccountAsync(book, account, spec));
  }

  default AccountPage listAccounts(String book, String after, int limit) {
    return await(listAccountsAsync(book, after, limit));
  }

  default Account getAccount(String book, String account) {
    return await(getAccountAsync(book, account));
  }

  default Transaction post(String book, TransactionDraft draft) {
    return await(postAsync(book, draft));
  }

  default List<PostOutcome> postBatch(String book, List<TransactionDraft> drafts) {
    return await(postBatchAsync(book, drafts));
  }

  default Transaction getTransaction(UUID txId) {
    return await(getTransactionAsync(txId));
  }

  default TransactionPage listTransactions(String book, long afterSeq, int limit) {
    return await(listTransactionsAsync(book, afterSeq, limit));
  }

  default Optional<Transaction> findTransaction(String book, String idempotencyKey) {
    return await(findTransactionAsync(book, idempotencyKey));
  }

  default PostingPage listPostings(
      String book, String account, String asset, long afterSeq, int limit) {
    return await(listPostingsAsync(book, account, asset, afterSeq, limit));
  }

  default AccountBalances balances(String book, String account, Instant asOf, String asset) {
    return await(balancesAsync(book, account, asOf, asset));
  }

  default TrialBalance trialBalance(String book, Instant asOf) {
    return await(trialBalanceAsync(book, asOf));
  }

  default VerifyResult verify(String book) {
    return await(verifyAsync(book));
  }

  /**
   * Waits for an asynchronous result. A {@link LedgerException} is rethrown as a new one with the
   * same error, whose cause is the original, so that the stack trace shows the caller. The wait is
   * interruptible: an interrupted caller stops waiting at once, keeps its interrupt flag and gets a
   * {@link CancellationException} (the asynchronous call is cancelled where it can be).
   */
  private static <T> T await(CompletionStage<T> stage) {
    CompletableFuture<T> future = stage.toCompletableFuture();
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      CancellationException cancelled =
          new CancellationException("interrupted while waiting for the ledger's answer");
      cancelled.initCause(e);
      throw cancelled;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof LedgerException ledger) {
        throw new LedgerException(ledger.error(), ledger);
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new CompletionException(cause);
    }
  }
}
