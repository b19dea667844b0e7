package dev.talea.store.read;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Asset;
import dev.talea.protocol.BookSummary;
import dev.talea.store.commit.BalanceKey;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One consistent state of a store: the physical reads a store provides to the shared read core
 * ({@link SnapshotStore}), and nothing else. The core decides what to read and builds every answer;
 * a view only fetches.
 *
 * <p><b>One state.</b> Everything a view answers about a book comes from the book as it was right
 * after one seq, its head: {@code head(book).lastSeq()}. The view never shows a commit after the
 * head, nor anything such a commit changed (balances, idempotency keys, postings, commit times).
 * The Postgres store gets this from a {@code REPEATABLE READ} transaction, SQLite from one read
 * transaction, the log store by bounding every index it reads by the head it took first. Accounts
 * and assets are not versioned by seq: a view may show one opened after the head (it holds nothing
 * at the head). The core asks for the head first, and never for commits or postings beyond it.
 *
 * <p>Each call on its own also answers from one state, so a read that needs a single call may use a
 * view without a snapshot around it ({@link SnapshotStore#single}); the SQL stores answer each call
 * with one statement, which is why their hot reads need no transaction.
 *
 * <p>Answers are raw: amounts in minor units, balances as debits minus credits. A {@code null}
 * answer means "there is none".
 */
public interface ReadView {

  /** Every registered asset, sorted by code. */
  List<Asset> assets();

  /** The registered asset with this code as it is stored now, or {@code null}. */
  Asset asset(String code);

  /**
   * The decimals of a registered asset, or {@code null} if none has this code. Decimals never
   * change once an asset is registered, so a store may answer from a cache.
   */
  Integer decimals(String code);

  /** Every book with its head, sorted by name. */
  List<BookSummary> books();

  /** The book's head in this view, or {@code null} if there is no such book. */
  BookSummary head(String book);

  /** The open account, or {@code null}. */
  StoredAccount account(String book, String account);

  /**
   * The open account, the book's head, and the account's raw balances right after that head (by
   * asset, every asset it has held); {@code null} if the book has no such account.
   */
  AccountAtHead accountAtHead(String book, String account);

  /**
   * Up to {@code limit} accounts sorted by name, after {@code after} ({@code null}: from the
   * start).
   */
  List<StoredAccount> accounts(String book, String after, int limit);

  /** The kind of every open account of the book. */
  Map<String, AccountKind> kinds(String book);

  /**
   * Raw balances right after {@code seq} (at most the head) of the named accounts ({@code null}:
   * every account): one entry per account and asset with a posting at or before {@code seq}, zero
   * balances included.
   */
  Map<BalanceKey, BigInteger> balances(String book, Collection<String> accounts, long seq);

  /** The last seq committed at or before {@code asOf} (0 if none). */
  long seqAsOf(String book, Instant asOf);

  /**
   * The commits with {@code first <= seq <= last} in this view's state, in seq order: none beyond
   * the head, and none of an unknown book.
   */
  List<StoredCommit> commits(String book, long first, long last);

  /** The seq of the commit made under an idempotency key, or 0. */
  long seqOfKey(String book, String idempotencyKey);

  /** Where the transaction with this id lies, in any book, or {@code null}. */
  Location locate(UUID txId);

  /**
   * An account's postings in one asset with {@code afterSeq < seq <= throughSeq}, in (seq, index)
   * order, at most {@code limit}.
   */
  List<StoredEntry> postings(
      String book, String account, String asset, long afterSeq, long throughSeq, int limit);

  /** A commit's place: its book and seq. */
  record Location(String book, long seq) {}

  /** An account with its balances at a head. */
  record AccountAtHead(BookSummary head, StoredAccount account, Map<String, BigInteger> balances) {}
}
