package dev.talea.store;

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
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Everything talea persists goes through this interface. Three implementations (Postgres, SQLite
 * and the append-log store) pass one conformance suite, so they are interchangeable.
 *
 * <p>Every method blocks; callers run them on a dedicated blocking dispatcher, never on an actor
 * thread. Implementations are thread-safe. Business outcomes are the contract's codes: a {@link
 * dev.talea.protocol.LedgerException} for the single-item operations ({@code not_found}, {@code
 * conflict}, ...), a {@link PostOutcome} per draft for {@link #commitBatch}. Infrastructure
 * failures are {@link StoreUnavailableException} (the store cannot be reached; retry later) or
 * another {@link StoreException} (a bug or a corrupted store).
 */
public interface Store extends AutoCloseable {

  /**
   * {@code postgres}, {@code sqlite} or {@code log}: the value of the {@code X-Talea-Backend}
   * header.
   */
  String backend();

  /**
   * Registers an asset, or confirms it: the identical code and decimals again answer the stored
   * asset with {@code created} false (a different name replaces the old one).
   *
   * @throws dev.talea.protocol.LedgerException {@code conflict} on field {@code decimals} if the
   *     code exists with other decimals
   */
  Registration<Asset> registerAsset(AssetSpec spec);

  /** Every asset, sorted by code. */
  List<Asset> listAssets();

  Optional<Asset> findAsset(String code);

  /**
   * Opens an account, creating its book on first use, or confirms it: the same kind and min_balance
   * answer the stored account with {@code created} false and its metadata replaced by the given
   * one.
   *
   * @throws dev.talea.protocol.LedgerException {@code conflict} on field {@code kind} or {@code
   *     min_balance} if the account exists with another one
   */
  Registration<Account> openAccount(String book, String account, AccountSpec spec);

  /**
   * An account with its current balances.
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book or account
   */
  Account getAccount(String book, String account);

  /**
   * The book's accounts sorted by name, after {@code after} (exclusive; {@code null} for the
   * start).
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book
   */
  AccountPage listAccounts(String book, String after, int limit);

  /**
   * Commits drafts to one book as a group: one storage transaction, seqs assigned gaplessly in the
   * order of {@code drafts}, one commit timestamp for the whole group taken under the book's write
   * arbiter. Each draft is independent: its outcome is a new commit, the original commit of a
   * replay ({@code deduplicated}), or a rejection that leaves no trace (its key stays free).
   *
   * @return one outcome per draft, in order
   * @throws StoreUnavailableException if the store cannot be reached; whether the group was
   *     committed is then unknown, and retrying the same drafts is safe
   */
  List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts);

  /** The transaction with this id, in any book. */
  Optional<Transaction> findTransaction(UUID txId);

  /**
   * The transaction committed under an idempotency key in a book.
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book
   */
  Optional<Transaction> findTransactionByKey(String book, String idempotencyKey);

  /**
   * The book's transactions with {@code seq > afterSeq}, in seq order.
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book
   */
  TransactionPage listTransactions(String book, long afterSeq, int limit);

  /**
   * Commits with {@code seq >= fromSeq} in seq order, at most {@code limit}: the catch-up read of a
   * subscription. An unknown book has none.
   */
  List<Transaction> readCommits(String book, long fromSeq, int limit);

  /**
   * An account's postings with {@code seq > afterSeq} in seq order, of one asset or ({@code null})
   * all.
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book, account or
   *     asset
   */
  PostingPage listPostings(String book, String account, String asset, long afterSeq, int limit);

  /**
   * An account's normal-side-adjusted balances after every commit with {@code committed_at <= asOf}
   * ({@code null}: the latest state). Without {@code asset}, one balance per asset the account held
   * by then; with it, exactly that asset's balance (zero if never held).
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book, account or
   *     asset
   */
  AccountBalances balances(String book, String account, Instant asOf, String asset);

  /**
   * The book's trial balance after every commit with {@code committed_at <= asOf} ({@code null}:
   * the latest state).
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book
   */
  TrialBalance trialBalance(String book, Instant asOf);

  /** Every book, sorted by name. */
  List<BookSummary> listBooks();

  Optional<BookSummary> findBook(String book);

  /**
   * Recomputes the book's hash chain and every stored balance (per posting and per account) from
   * the postings, and reports the first seq where stored data disagrees.
   *
   * @throws dev.talea.protocol.LedgerException {@code not_found} for an unknown book
   */
  VerifyResult verify(String book);

  /**
   * Starts delivering notices of commits that other processes make in this store, until the
   * returned handle is closed. Stores that only one process can write (SQLite as talea uses it, the
   * append log) have nothing to deliver; the Postgres store listens on one dedicated connection.
   */
  default AutoCloseable listen(CommitNotices notices) {
    return () -> {};
  }

  /** Releases connections, files and locks. */
  @Override
  void close();
}
