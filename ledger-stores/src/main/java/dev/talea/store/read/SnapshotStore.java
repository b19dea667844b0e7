package dev.talea.store.read;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Asset;
import dev.talea.protocol.Balance;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.commit.BalanceKey;
import dev.talea.store.commit.ChainVerifier;
import dev.talea.store.commit.GroupCommit;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * The read side every store shares: each read of the {@link Store} contract answered from one
 * {@link ReadView}, so that it reflects one state of its book and reports that state's seq where
 * the answer has room for it. A store supplies the view ({@link #snapshot}) and its write path; the
 * rules of reading — what an unknown book or account answers, zero-filled balances, paging that
 * never splits a transaction, verification a page at a time, decimals from the asset registry,
 * replays answered with the stored commit — live here once.
 */
public abstract class SnapshotStore implements Store {

  /** Commits per page while verifying: memory stays bounded however long the book is. */
  static final int VERIFY_PAGE = 500;

  private static final Comparator<StoredEntry> ENTRY_ORDER =
      Comparator.comparingLong(StoredEntry::seq).thenComparingInt(StoredEntry::index);

  protected SnapshotStore() {}

  /** Runs {@code work} against one consistent view of the store (see {@link ReadView}). */
  protected abstract <T> T snapshot(Function<ReadView, T> work);

  /**
   * Runs {@code work}, which makes a single view call and so needs no snapshot around it; a store
   * may run it more cheaply than {@link #snapshot}. By default it is a snapshot.
   */
  protected <T> T single(Function<ReadView, T> work) {
    return snapshot(work);
  }

  // ---- assets and books -------------------------------------------------------------------------

  @Override
  public List<Asset> listAssets() {
    return single(ReadView::assets);
  }

  @Override
  public Optional<Asset> findAsset(String code) {
    return single(view -> Optional.ofNullable(view.asset(code)));
  }

  @Override
  public List<BookSummary> listBooks() {
    return single(ReadView::books);
  }

  @Override
  public Optional<BookSummary> findBook(String book) {
    return single(view -> Optional.ofNullable(view.head(book)));
  }

  // ---- accounts ---------------------------------------------------------------------------------

  @Override
  public Account getAccount(String book, String account) {
    return single(
        view -> {
          ReadView.AccountAtHead found = view.accountAtHead(book, account);
          if (found == null) {
            throw accountNotFound(book, account);
          }
          return account(book, found.account(), balances(view, found, null));
        });
  }

  @Override
  public AccountPage listAccounts(String book, String after, int limit) {
    Paging.requireLimit(limit);
    return snapshot(
        view -> {
          BookSummary head = requireBook(view, book);
          List<StoredAccount> rows = view.accounts(book, after, limit + 1);
          boolean more = rows.size() > limit;
          List<StoredAccount> page = more ? rows.subList(0, limit) : rows;
          Map<String, List<Balance>> balances = new HashMap<>();
          if (!page.isEmpty()) {
            Map<String, AccountKind> kinds = new HashMap<>();
            page.forEach(a -> kinds.put(a.name(), a.kind()));
            view.balances(book, kinds.keySet(), head.lastSeq()).entrySet().stream()
                .sorted(Map.Entry.comparingByKey(BALANCE_ORDER))
                .forEach(
                    entry -> {
                      BalanceKey key = entry.getKey();
                      balances
                          .computeIfAbsent(key.account(), a -> new ArrayList<>())
                          .add(
                              balance(
                                  view, key.asset(), kinds.get(key.account()), entry.getValue()));
                    });
          }
          List<Account> accounts = new ArrayList<>(page.size());
          for (StoredAccount a : page) {
            accounts.add(account(book, a, balances.getOrDefault(a.name(), List.of())));
          }
          return new AccountPage(accounts, more ? page.get(page.size() - 1).name() : null);
        });
  }

  /**
   * An account with its balances right after {@code seq}. For write paths that answer with the
   * account, as well as for reads.
   */
  protected static Account account(ReadView view, String book, StoredAccount account, long seq) {
    return account(book, account, balances(view, book, account, seq, null));
  }

  private static Account account(String book, StoredAccount account, List<Balance> balances) {
    return new Account(
        book,
        account.name(),
        account.kind(),
        account.minBalance(),
        account.metadata(),
        account.createdAt(),
        balances);
  }

  // ---- balances ---------------------------------------------------------------------------------

  @Override
  public AccountBalances balances(String book, String account, Instant asOf, String asset) {
    Instant moment = truncate(asOf);
    if (moment == null) {
      // The latest state, the common case: one view call.
      return single(
          view -> {
            ReadView.AccountAtHead found = view.accountAtHead(book, account);
            if (found == null) {
              throw accountNotFound(book, account);
            }
            requireAsset(view, asset);
            return new AccountBalances(
                book,
                account,
                found.account().kind(),
                null,
                found.head().lastSeq(),
                balances(view, found, asset));
          });
    }
    return snapshot(
        view -> {
          BookSummary head = view.head(book);
          StoredAccount stored = head == null ? null : view.account(book, account);
          if (stored == null) {
            throw accountNotFound(book, account);
          }
          requireAsset(view, asset);
          long seq = seqAt(view, head, moment);
          return new AccountBalances(
              book, account, stored.kind(), moment, seq, balances(view, book, stored, seq, asset));
        });
  }

  private static List<Balance> balances(ReadView view, ReadView.AccountAtHead found, String asset) {
    return balances(view, found.account(), new TreeMap<>(found.balances()), asset);
  }

  /**
   * An account's normal-side balances right after {@code seq}, sorted by asset: every asset it has
   * held by then, or exactly {@code asset} (zero if it never held it).
   */
  private static List<Balance> balances(
      ReadView view, String book, StoredAccount account, long seq, String asset) {
    Map<String, BigInteger> raw = new TreeMap<>();
    view.balances(book, List.of(account.name()), seq)
        .forEach((key, value) -> raw.put(key.asset(), value));
    return balances(view, account, raw, asset);
  }

  /** From raw balances sorted by asset. */
  private static List<Balance> balances(
      ReadView view, StoredAccount account, Map<String, BigInteger> raw, String asset) {
    if (asset != null) {
      return List.of(
          balance(view, asset, account.kind(), raw.getOrDefault(asset, BigInteger.ZERO)));
    }
    List<Balance> balances = new ArrayList<>(raw.size());
    raw.forEach((held, value) -> balances.add(balance(view, held, account.kind(), value)));
    return balances;
  }

  private static Balance balance(ReadView view, String asset, AccountKind kind, BigInteger raw) {
    return new Balance(asset, new Amount(kind.normalize(raw), decimals(view, asset)));
  }

  @Override
  public TrialBalance trialBalance(String book, Instant asOf) {
    Instant moment = truncate(asOf);
    return snapshot(
        view -> {
          BookSummary head = requireBook(view, book);
          long seq = seqAt(view, head, moment);
          Map<String, AccountKind> kinds = view.kinds(book);
          List<TrialBalance.RawBalance> lines = new ArrayList<>();
          view.balances(book, null, seq)
              .forEach(
                  (key, raw) ->
                      lines.add(
                          new TrialBalance.RawBalance(
                              key.account(),
                              kindOf(kinds, key.account()),
                              key.asset(),
                              decimals(view, key.asset()),
                              raw)));
          return TrialBalance.of(book, moment, seq, lines);
        });
  }

  /** The head's seq, or the last seq at or before {@code moment} (never beyond the head). */
  private static long seqAt(ReadView view, BookSummary head, Instant moment) {
    return moment == null
        ? head.lastSeq()
        : Math.min(head.lastSeq(), view.seqAsOf(head.book(), moment));
  }

  // ---- transactions -----------------------------------------------------------------------------

  @Override
  public Optional<Transaction> findTransaction(UUID txId) {
    return snapshot(
        view -> {
          ReadView.Location location = view.locate(txId);
          if (location == null) {
            return Optional.empty();
          }
          BookSummary head = view.head(location.book());
          return head == null || location.seq() > head.lastSeq()
              ? Optional.empty()
              : Optional.of(transaction(view, location.book(), location.seq()));
        });
  }

  @Override
  public Optional<Transaction> findTransactionByKey(String book, String idempotencyKey) {
    return snapshot(
        view -> {
          BookSummary head = requireBook(view, book);
          long seq = view.seqOfKey(book, idempotencyKey);
          return seq < 1 || seq > head.lastSeq()
              ? Optional.empty()
              : Optional.of(transaction(view, book, seq));
        });
  }

  @Override
  public TransactionPage listTransactions(String book, long afterSeq, int limit) {
    Paging.requireAfterSeq(afterSeq);
    Paging.requireLimit(limit);
    return snapshot(
        view -> {
          BookSummary head = requireBook(view, book);
          if (afterSeq >= head.lastSeq()) {
            return new TransactionPage(List.of(), null);
          }
          long last = Math.min(head.lastSeq(), afterSeq + limit);
          return new TransactionPage(
              transactions(view, book, afterSeq + 1, last), last < head.lastSeq() ? last : null);
        });
  }

  @Override
  public List<Transaction> readCommits(String book, long fromSeq, int limit) {
    Paging.requireLimit(limit);
    long first = Math.max(1, fromSeq);
    long last = first > Long.MAX_VALUE - limit ? Long.MAX_VALUE : first + limit - 1;
    return single(view -> transactions(view, book, first, last));
  }

  /** The stored commit at {@code seq}, which must exist in the view. */
  protected static Transaction transaction(ReadView view, String book, long seq) {
    List<StoredCommit> found = view.commits(book, seq, seq);
    if (found.size() != 1) {
      throw new StoreException("seq " + seq + " of book " + book + " is missing from the store");
    }
    return transaction(view, found.get(0));
  }

  private static List<Transaction> transactions(ReadView view, String book, long first, long last) {
    List<StoredCommit> commits = view.commits(book, first, last);
    List<Transaction> transactions = new ArrayList<>(commits.size());
    for (StoredCommit commit : commits) {
      transactions.add(transaction(view, commit));
    }
    return transactions;
  }

  /** A stored commit as the API reads it, with its assets' decimals. */
  static Transaction transaction(ReadView view, StoredCommit commit) {
    List<Posting> postings = new ArrayList<>(commit.postings().size());
    for (StoredPosting posting : commit.postings()) {
      int decimals = decimals(view, posting.asset());
      postings.add(
          new Posting(
              posting.account(),
              posting.asset(),
              posting.side(),
              new Amount(posting.amount(), decimals),
              new Amount(posting.balanceAfter(), decimals)));
    }
    return new Transaction(
        commit.txId(),
        commit.book(),
        commit.seq(),
        commit.committedAt(),
        commit.occurredAt(),
        commit.idempotencyKey(),
        false,
        commit.memo(),
        commit.metadata(),
        postings,
        commit.hash(),
        commit.prevHash());
  }

  /**
   * The answers of a planned group commit, once its commits are written: a replayed draft gets the
   * stored commit it replays, marked deduplicated. {@code view} reads inside the write.
   */
  protected static List<PostOutcome> outcomes(GroupCommit plan, ReadView view, String book) {
    List<PostOutcome> outcomes = new ArrayList<>(plan.outcomes());
    plan.replays()
        .forEach(
            (index, seq) ->
                outcomes.set(
                    index,
                    new PostOutcome.Committed(
                        transaction(view, book, seq).withDeduplicated(true))));
    return outcomes;
  }

  // ---- postings ---------------------------------------------------------------------------------

  @Override
  public PostingPage listPostings(
      String book, String account, String asset, long afterSeq, int limit) {
    Paging.requireAfterSeq(afterSeq);
    Paging.requireLimit(limit);
    return snapshot(
        view -> {
          BookSummary head = view.head(book);
          if (head == null || view.account(book, account) == null) {
            throw accountNotFound(book, account);
          }
          long through = head.lastSeq();
          List<String> assets;
          if (asset != null) {
            requireAsset(view, asset);
            assets = List.of(asset);
          } else {
            assets =
                view.balances(book, List.of(account), through).keySet().stream()
                    .map(BalanceKey::asset)
                    .sorted()
                    .toList();
          }
          // The first limit + 1 postings of each asset, merged: the page is within them.
          List<StoredEntry> rows = new ArrayList<>();
          List<String> cut = new ArrayList<>();
          for (String held : assets) {
            List<StoredEntry> some =
                view.postings(book, account, held, afterSeq, through, limit + 1);
            rows.addAll(some);
            if (some.size() > limit) {
              cut.add(held);
            }
          }
          rows.sort(ENTRY_ORDER);
          if (rows.size() <= limit) {
            return new PostingPage(accountPostings(view, rows), null);
          }
          // A page never splits a transaction: it ends with every posting of its last seq.
          long lastSeq = rows.get(limit - 1).seq();
          List<StoredEntry> page = new ArrayList<>();
          for (StoredEntry row : rows) {
            if (row.seq() < lastSeq) {
              page.add(row);
            }
          }
          for (String held : assets) {
            page.addAll(
                view.postings(
                    book, account, held, lastSeq - 1, lastSeq, TransactionDraft.MAX_POSTINGS));
          }
          page.sort(ENTRY_ORDER);
          boolean more = rows.get(rows.size() - 1).seq() > lastSeq;
          for (int i = 0; !more && i < cut.size(); i++) {
            more = !view.postings(book, account, cut.get(i), lastSeq, through, 1).isEmpty();
          }
          return new PostingPage(accountPostings(view, page), more ? lastSeq : null);
        });
  }

  private static List<AccountPosting> accountPostings(ReadView view, List<StoredEntry> rows) {
    List<AccountPosting> postings = new ArrayList<>(rows.size());
    for (StoredEntry row : rows) {
      int decimals = decimals(view, row.asset());
      postings.add(
          new AccountPosting(
              row.seq(),
              row.txId(),
              row.committedAt(),
              row.asset(),
              row.side(),
              new Amount(row.amount(), decimals),
              new Amount(row.balanceAfter(), decimals)));
    }
    return postings;
  }

  // ---- verify -----------------------------------------------------------------------------------

  @Override
  public VerifyResult verify(String book) {
    return snapshot(
        view -> {
          BookSummary head = requireBook(view, book);
          // The stored balances first: a store may answer them from its projection while the
          // book is still at the head, which is likelier now than after walking the chain.
          Map<BalanceKey, BigInteger> stored = view.balances(book, null, head.lastSeq());
          ChainVerifier verifier = new ChainVerifier(head, view.kinds(book));
          for (long first = 1; first <= head.lastSeq(); first += VERIFY_PAGE) {
            long last = Math.min(head.lastSeq(), first + VERIFY_PAGE - 1);
            Optional<VerifyResult> failure =
                verifier.check(first, last, transactions(view, book, first, last));
            if (failure.isPresent()) {
              return failure.get();
            }
          }
          return verifier.finish(stored);
        });
  }

  // ---- shared rules -----------------------------------------------------------------------------

  private static final Comparator<BalanceKey> BALANCE_ORDER =
      Comparator.comparing(BalanceKey::account).thenComparing(BalanceKey::asset);

  private static void requireAsset(ReadView view, String asset) {
    if (asset != null && view.decimals(asset) == null) {
      throw LedgerError.notFound("no asset " + asset).toException();
    }
  }

  private static BookSummary requireBook(ReadView view, String book) {
    BookSummary head = view.head(book);
    if (head == null) {
      throw LedgerError.notFound("no book " + book).toException();
    }
    return head;
  }

  private static LedgerException accountNotFound(String book, String account) {
    return LedgerError.notFound("no account " + account + " in book " + book).toException();
  }

  /** The decimals of an asset that stored data names: it must be registered. */
  private static int decimals(ReadView view, String code) {
    Integer decimals = view.decimals(code);
    if (decimals == null) {
      throw new StoreException("stored data names asset " + code + ", which is not registered");
    }
    return decimals;
  }

  private static AccountKind kindOf(Map<String, AccountKind> kinds, String account) {
    AccountKind kind = kinds.get(account);
    if (kind == null) {
      throw new StoreException("a stored balance names account " + account + ", which is not open");
    }
    return kind;
  }

  private static Instant truncate(Instant asOf) {
    return asOf == null ? null : Timestamps.truncate(asOf);
  }
}
