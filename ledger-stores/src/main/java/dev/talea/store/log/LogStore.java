package dev.talea.store.log;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.Balance;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Names;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.commit.BalanceKey;
import dev.talea.store.commit.BookSnapshot;
import dev.talea.store.commit.ChainVerifier;
import dev.talea.store.commit.GroupCommit;
import dev.talea.store.commit.GroupCommitPlanner;
import dev.talea.store.commit.Registrations;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The append-log store: every asset registration, account opening and commit is a record in one log
 * ({@link LogFile}); the in-memory indexes are rebuilt from it on open. A group commit plans its
 * drafts with the shared {@link GroupCommitPlanner} under its book's writer lock, appends the
 * accepted commits, and returns only after they are durable (strict ack-after-fsync); only then
 * does it update the indexes that readers see. Commits to different books append concurrently and
 * share fsyncs.
 *
 * <p>Single process by construction: a directory lock is held for the store's lifetime.
 */
final class LogStore implements Store {

  private static final TreeMap<String, LongList> EMPTY_POSTINGS = new TreeMap<>();

  private final Path directory;
  private final DirectoryLock lock;
  private final StoreSettings settings;
  private final LogFile log;

  /** Guards asset registration and book creation. */
  private final Object registry = new Object();

  private final Map<String, Asset> assets = new ConcurrentHashMap<>();
  private final Map<String, BookLog> books = new ConcurrentHashMap<>();
  private final List<BookLog> booksByNumber = new ArrayList<>();
  private final TxIdIndex txIds = new TxIdIndex();
  private final ReentrantReadWriteLock txIdLock = new ReentrantReadWriteLock();

  /**
   * Set when a write or fsync failed: what reached the disk is unknown until the log is reopened.
   */
  private volatile IOException failure;

  /** A fault to raise while durable commits are applied in memory; for tests of the fail-stop. */
  private volatile Error applyFault;

  LogStore(Path directory, long segmentBytes, StoreSettings settings) {
    this.directory = directory;
    this.settings = settings;
    this.lock = DirectoryLock.acquire(directory);
    try {
      Recovery recovery = new Recovery();
      this.log = LogFile.open(directory, segmentBytes, recovery);
      recovery.confirmKeyCollisions();
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  @Override
  public String backend() {
    return "log";
  }

  // ---- opening: replay the log into the indexes
  // ---------------------------------------------------

  private final class Recovery implements LogFile.RecordSink {
    private final List<Object[]> collisions = new ArrayList<>();

    @Override
    public void accept(long position, ByteBuffer body) {
      Records.Record record = Records.decode(body);
      if (record instanceof Records.AssetRecord asset) {
        assets.put(asset.asset().code(), asset.asset());
      } else if (record instanceof Records.AccountRecord account) {
        BookLog book = books.get(account.book());
        if (book == null) {
          book = newBook(account.book());
        }
        book.accounts.put(
            account.account(),
            new BookLog.AccountState(
                account.kind(), account.minBalance(), account.metadata(), account.createdAt()));
      } else if (record instanceof Records.CommitRecord commit) {
        BookLog book = books.get(commit.book());
        if (book == null || commit.seq() != book.lastSeq + 1) {
          throw new IllegalArgumentException(
              "a commit of book "
                  + commit.book()
                  + " at seq "
                  + commit.seq()
                  + " does not follow seq "
                  + (book == null ? 0 : book.lastSeq));
        }
        if (!book.apply(commit, position)) {
          collisions.add(new Object[] {book, commit.idempotencyKey(), commit.seq(), position});
        }
        txIds.put(commit.txId(), book.number, commit.seq());
      }
    }

    /** A key whose hash collided must be a different key: the same key twice is damage. */
    void confirmKeyCollisions() {
      for (Object[] c : collisions) {
        BookLog book = (BookLog) c[0];
        long seq = (Long) c[2];
        long first = book.keys.find((String) c[1], s -> commitAt(book, s).idempotencyKey());
        if (first != seq) {
          long position = (Long) c[3];
          throw new LogCorruptedException(
              directory.resolve(String.format("%08d.log", LogFile.segmentOf(position))),
              LogFile.offsetOf(position),
              "idempotency key "
                  + c[1]
                  + " of book "
                  + book.name
                  + " was already used at seq "
                  + first);
        }
      }
    }
  }

  private BookLog newBook(String name) {
    BookLog book = new BookLog(name, booksByNumber.size() + 1);
    booksByNumber.add(book);
    books.put(name, book);
    return book;
  }

  // ---- assets -----------------------------------------------------------------------------------

  @Override
  public Registration<Asset> registerAsset(AssetSpec spec) {
    synchronized (registry) {
      Asset existing = assets.get(spec.code());
      if (existing != null) {
        Registrations.requireCompatible(existing, spec);
        if (Objects.equals(existing.name(), spec.name())) {
          return new Registration<>(existing, false);
        }
        Asset renamed =
            new Asset(existing.code(), existing.decimals(), spec.name(), existing.createdAt());
        appendDurably(List.of(Records.encode(new Records.AssetRecord(renamed))));
        assets.put(renamed.code(), renamed);
        return new Registration<>(renamed, false);
      }
      Asset asset = new Asset(spec.code(), spec.decimals(), spec.name(), now());
      appendDurably(List.of(Records.encode(new Records.AssetRecord(asset))));
      assets.put(asset.code(), asset);
      return new Registration<>(asset, true);
    }
  }

  @Override
  public List<Asset> listAssets() {
    return new ArrayList<>(new TreeMap<>(assets).values());
  }

  @Override
  public Optional<Asset> findAsset(String code) {
    return Optional.ofNullable(assets.get(code));
  }

  private int decimals(String asset) {
    Asset registered = assets.get(asset);
    if (registered == null) {
      throw new StoreException(
          "a logged posting names asset " + asset + ", which is not registered");
    }
    return registered.decimals();
  }

  // ---- books and accounts -----------------------------------------------------------------------

  @Override
  public Registration<Account> openAccount(String book, String account, AccountSpec spec) {
    Names.requireBook(book, "book");
    Names.requireAccount(account, "account");
    BookLog existing = books.get(book);
    if (existing == null) {
      synchronized (registry) {
        existing = books.get(book);
        if (existing == null) {
          Instant now = now();
          appendDurably(List.of(Records.encode(accountRecord(book, account, spec, now))));
          // Filled before it is published: readers never see a book without its first account.
          BookLog created = new BookLog(book, booksByNumber.size() + 1);
          created.accounts.put(
              account,
              new BookLog.AccountState(spec.kind(), spec.minBalance(), spec.metadata(), now));
          booksByNumber.add(created);
          books.put(book, created);
          return new Registration<>(
              new Account(
                  book, account, spec.kind(), spec.minBalance(), spec.metadata(), now, List.of()),
              true);
        }
      }
    }
    BookLog target = existing;
    target.commitLock.lock();
    try {
      BookLog.AccountState current = read(target, () -> target.accounts.get(account));
      if (current == null) {
        Instant now = now();
        appendDurably(List.of(Records.encode(accountRecord(book, account, spec, now))));
        write(
            target,
            () ->
                target.accounts.put(
                    account,
                    new BookLog.AccountState(
                        spec.kind(), spec.minBalance(), spec.metadata(), now)));
        return new Registration<>(
            new Account(
                book, account, spec.kind(), spec.minBalance(), spec.metadata(), now, List.of()),
            true);
      }
      Registrations.requireCompatible(account, current.kind(), current.minBalance(), spec);
      if (!current.metadata().equals(spec.metadata())) {
        appendDurably(
            List.of(
                Records.encode(
                    new Records.AccountRecord(
                        book,
                        account,
                        current.kind(),
                        current.minBalance(),
                        spec.metadata(),
                        current.createdAt()))));
        write(
            target,
            () ->
                target.accounts.put(
                    account,
                    new BookLog.AccountState(
                        current.kind(),
                        current.minBalance(),
                        spec.metadata(),
                        current.createdAt())));
      }
      return new Registration<>(
          read(target, () -> account(target, account, target.accounts.get(account))), false);
    } finally {
      target.commitLock.unlock();
    }
  }

  private static Records.AccountRecord accountRecord(
      String book, String account, AccountSpec spec, Instant createdAt) {
    return new Records.AccountRecord(
        book, account, spec.kind(), spec.minBalance(), spec.metadata(), createdAt);
  }

  /** An account with its current balances. Caller holds the book's read lock. */
  private Account account(BookLog book, String name, BookLog.AccountState state) {
    List<Balance> balances = new ArrayList<>();
    TreeMap<String, LongList> held = book.postings.get(name);
    if (held != null) {
      for (String asset : held.keySet()) {
        BigInteger raw = book.balances.getOrDefault(new BalanceKey(name, asset), BigInteger.ZERO);
        balances.add(new Balance(asset, new Amount(state.kind().normalize(raw), decimals(asset))));
      }
    }
    return new Account(
        book.name,
        name,
        state.kind(),
        state.minBalance(),
        state.metadata(),
        state.createdAt(),
        balances);
  }

  @Override
  public Account getAccount(String book, String account) {
    BookLog target = books.get(book);
    if (target == null) {
      throw accountNotFound(book, account);
    }
    return read(
        target,
        () -> {
          BookLog.AccountState state = target.accounts.get(account);
          if (state == null) {
            throw accountNotFound(book, account);
          }
          return account(target, account, state);
        });
  }

  @Override
  public AccountPage listAccounts(String book, String after, int limit) {
    Paging.requireLimit(limit);
    BookLog target = requireBook(book);
    return read(
        target,
        () -> {
          List<Account> page = new ArrayList<>();
          Map<String, BookLog.AccountState> tail =
              after == null ? target.accounts : target.accounts.tailMap(after, false);
          boolean more = false;
          for (Map.Entry<String, BookLog.AccountState> entry : tail.entrySet()) {
            if (page.size() == limit) {
              more = true;
              break;
            }
            page.add(account(target, entry.getKey(), entry.getValue()));
          }
          return new AccountPage(page, more ? page.get(page.size() - 1).account() : null);
        });
  }

  @Override
  public List<BookSummary> listBooks() {
    List<BookSummary> summaries = new ArrayList<>();
    for (BookLog book : new TreeMap<>(books).values()) {
      summaries.add(summary(book));
    }
    return summaries;
  }

  @Override
  public Optional<BookSummary> findBook(String book) {
    BookLog target = books.get(book);
    return target == null ? Optional.empty() : Optional.of(summary(target));
  }

  private BookSummary summary(BookLog book) {
    return read(book, () -> new BookSummary(book.name, book.lastSeq, book.headHash));
  }

  private BookLog requireBook(String book) {
    BookLog target = books.get(book);
    if (target == null) {
      throw LedgerError.notFound("no book " + book).toException();
    }
    return target;
  }

  // ---- the write path ---------------------------------------------------------------------------

  /** Makes the next in-memory apply of durable commits fail with {@code fault} (tests only). */
  void injectApplyFault(Error fault) {
    applyFault = fault;
  }

  @Override
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    if (drafts.isEmpty()) {
      return List.of();
    }
    BookLog target = books.get(book);
    if (target == null) {
      // No book, so no accounts: every draft is rejected and nothing is written.
      return GroupCommitPlanner.plan(
              book,
              BookSnapshot.empty(Map.of(), Map.of()),
              now(),
              drafts,
              assets::get,
              settings.txIds())
          .outcomes();
    }
    target.commitLock.lock();
    try {
      BookSnapshot snapshot = read(target, () -> snapshot(target, drafts));
      Instant committedAt = GroupCommitPlanner.commitTimestamp(clock(), snapshot.lastCommittedAt());
      GroupCommit plan =
          GroupCommitPlanner.plan(
              book, snapshot, committedAt, drafts, assets::get, settings.txIds());
      if (!plan.writesNothing()) {
        List<Records.CommitRecord> records = new ArrayList<>(plan.commits().size());
        List<byte[]> bodies = new ArrayList<>(plan.commits().size());
        for (GroupCommit.NewCommit commit : plan.commits()) {
          Records.CommitRecord record = commitRecord(commit);
          records.add(record);
          bodies.add(Records.encode(record));
        }
        long[] positions = appendDurably(bodies);
        Lock writeLock = target.state.writeLock();
        writeLock.lock();
        txIdLock.writeLock().lock();
        try {
          for (int i = 0; i < records.size(); i++) {
            Error fault = applyFault;
            if (fault != null) {
              throw fault;
            }
            target.apply(records.get(i), positions[i]);
            txIds.put(records.get(i).txId(), target.number, records.get(i).seq());
          }
        } catch (RuntimeException | Error e) {
          // The commits are durable but the indexes in memory may now disagree with the log (the
          // heap ran out while an index grew, say). Taking more writes could build on that, so
          // the store stops writing; a restart rebuilds the indexes from the log, and the posts
          // answered unavailable meanwhile are found there when retried with their keys.
          failure =
              new IOException(
                  "commits up to seq "
                      + records.get(records.size() - 1).seq()
                      + " of book "
                      + book
                      + " are in the log but could not be applied in memory: "
                      + e,
                  e);
          throw new StoreUnavailableException(
              "the append log store stopped writing: " + failure.getMessage(), e);
        } finally {
          txIdLock.writeLock().unlock();
          writeLock.unlock();
        }
      }
      List<PostOutcome> outcomes = new ArrayList<>(plan.outcomes());
      for (Map.Entry<Integer, Long> replay : plan.replays().entrySet()) {
        Transaction original = transaction(target, replay.getValue());
        outcomes.set(replay.getKey(), new PostOutcome.Committed(original.withDeduplicated(true)));
      }
      return outcomes;
    } finally {
      target.commitLock.unlock();
    }
  }

  /** The state the drafts touch. Caller holds the book's read lock. */
  private BookSnapshot snapshot(BookLog book, List<TransactionDraft> drafts) {
    Map<String, BookSnapshot.StoredKey> keys = new HashMap<>();
    for (String key : GroupCommitPlanner.keysOf(drafts)) {
      long seq = book.keys.find(key, s -> commitAt(book, s).idempotencyKey());
      if (seq > 0) {
        Records.CommitRecord stored = commitAt(book, seq);
        keys.put(key, new BookSnapshot.StoredKey(stored.fingerprint(), seq, stored.txId()));
      }
    }
    Map<String, BookSnapshot.AccountRule> rules = new HashMap<>();
    Map<BalanceKey, BigInteger> balances = new HashMap<>();
    Set<String> names = GroupCommitPlanner.accountsOf(drafts);
    for (String name : names) {
      BookLog.AccountState state = book.accounts.get(name);
      if (state != null) {
        rules.put(name, new BookSnapshot.AccountRule(state.kind(), state.minBalance()));
      }
    }
    for (String name : names) {
      for (String asset : book.postings.getOrDefault(name, EMPTY_POSTINGS).keySet()) {
        BalanceKey key = new BalanceKey(name, asset);
        balances.put(key, book.balances.get(key));
      }
    }
    return new BookSnapshot(
        book.lastSeq, book.headHash, book.lastCommittedAt, keys, rules, balances);
  }

  private static Records.CommitRecord commitRecord(GroupCommit.NewCommit commit) {
    Transaction tx = commit.transaction();
    List<Records.LoggedPosting> postings = new ArrayList<>(tx.postings().size());
    for (Posting posting : tx.postings()) {
      postings.add(
          new Records.LoggedPosting(
              posting.account(),
              posting.asset(),
              posting.side(),
              posting.amount().minorUnits(),
              posting.balanceAfter().minorUnits()));
    }
    return new Records.CommitRecord(
        tx.book(),
        tx.seq(),
        tx.txId(),
        tx.committedAt(),
        tx.occurredAt(),
        tx.idempotencyKey(),
        commit.fingerprint(),
        tx.memo(),
        tx.metadata(),
        postings,
        tx.hash(),
        tx.prevHash());
  }

  /** Appends records and returns their positions once they are durable. */
  private long[] appendDurably(List<byte[]> bodies) {
    IOException failed = failure;
    if (failed != null) {
      throw new StoreUnavailableException(
          "the append log in "
              + directory
              + " failed to write earlier ("
              + failed.getMessage()
              + "); restart talead to recover it",
          failed);
    }
    try {
      long[] positions = log.append(bodies);
      log.flush(positions[positions.length - 1]);
      return positions;
    } catch (IOException e) {
      failure = e;
      throw new StoreUnavailableException(
          "the append log in " + directory + " cannot write: " + e.getMessage(), e);
    }
  }

  // ---- transactions -----------------------------------------------------------------------------

  private Records.CommitRecord commitAt(BookLog book, long seq) {
    long position;
    Lock readLock = book.state.readLock();
    readLock.lock();
    try {
      position = book.positionOf(seq);
    } finally {
      readLock.unlock();
    }
    try {
      Records.Record record = Records.decode(log.read(position));
      if (!(record instanceof Records.CommitRecord commit)
          || !commit.book().equals(book.name)
          || commit.seq() != seq) {
        throw new StoreException(
            "the log record at "
                + log.describe(position)
                + " is not seq "
                + seq
                + " of "
                + book.name);
      }
      return commit;
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot read the append log: " + e.getMessage(), e);
    }
  }

  private Transaction transaction(BookLog book, long seq) {
    return toTransaction(commitAt(book, seq));
  }

  private Transaction toTransaction(Records.CommitRecord commit) {
    List<Posting> postings = new ArrayList<>(commit.postings().size());
    for (Records.LoggedPosting posting : commit.postings()) {
      int decimals = decimals(posting.asset());
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

  @Override
  public Optional<Transaction> findTransaction(UUID txId) {
    long packed;
    txIdLock.readLock().lock();
    try {
      packed = txIds.find(txId);
    } finally {
      txIdLock.readLock().unlock();
    }
    if (packed < 0) {
      return Optional.empty();
    }
    BookLog book;
    synchronized (registry) {
      book = booksByNumber.get(TxIdIndex.bookOf(packed) - 1);
    }
    return Optional.of(transaction(book, TxIdIndex.seqOf(packed)));
  }

  @Override
  public Optional<Transaction> findTransactionByKey(String book, String idempotencyKey) {
    BookLog target = requireBook(book);
    long seq =
        read(
            target,
            () -> target.keys.find(idempotencyKey, s -> commitAt(target, s).idempotencyKey()));
    return seq > 0 ? Optional.of(transaction(target, seq)) : Optional.empty();
  }

  @Override
  public TransactionPage listTransactions(String book, long afterSeq, int limit) {
    Paging.requireAfterSeq(afterSeq);
    Paging.requireLimit(limit);
    BookLog target = requireBook(book);
    long last = read(target, () -> target.lastSeq);
    if (afterSeq >= last) {
      return new TransactionPage(List.of(), null);
    }
    long end = Math.min(last, afterSeq + limit);
    return new TransactionPage(range(target, afterSeq + 1, end), end < last ? end : null);
  }

  @Override
  public List<Transaction> readCommits(String book, long fromSeq, int limit) {
    Paging.requireLimit(limit);
    BookLog target = books.get(book);
    if (target == null) {
      return List.of();
    }
    long first = Math.max(1, fromSeq);
    long last = read(target, () -> target.lastSeq);
    if (first > last) {
      return List.of();
    }
    return range(target, first, Math.min(last, first + limit - 1));
  }

  private List<Transaction> range(BookLog book, long first, long last) {
    List<Transaction> transactions = new ArrayList<>((int) (last - first + 1));
    for (long seq = first; seq <= last; seq++) {
      transactions.add(transaction(book, seq));
    }
    return transactions;
  }

  @Override
  public PostingPage listPostings(
      String book, String account, String asset, long afterSeq, int limit) {
    Paging.requireAfterSeq(afterSeq);
    Paging.requireLimit(limit);
    BookLog target = books.get(book);
    if (target == null) {
      throw accountNotFound(book, account);
    }
    if (asset != null && !assets.containsKey(asset)) {
      throw LedgerError.notFound("no asset " + asset).toException();
    }
    // Entries are seq << 8 | index; merge the account's assets in (seq, index) order.
    List<Long> entries = new ArrayList<>();
    boolean more =
        read(
            target,
            () -> {
              if (!target.accounts.containsKey(account)) {
                throw accountNotFound(book, account);
              }
              TreeMap<String, LongList> byAsset =
                  target.postings.getOrDefault(account, EMPTY_POSTINGS);
              List<LongList> lists = new ArrayList<>();
              for (Map.Entry<String, LongList> held : byAsset.entrySet()) {
                if (asset == null || asset.equals(held.getKey())) {
                  lists.add(held.getValue());
                }
              }
              int[] cursor = new int[lists.size()];
              for (int i = 0; i < lists.size(); i++) {
                cursor[i] = lists.get(i).countAtMost(afterSeq << 8 | 0xFF);
              }
              long lastSeq = -1;
              while (true) {
                int best = -1;
                for (int i = 0; i < lists.size(); i++) {
                  if (cursor[i] < lists.get(i).size()
                      && (best < 0
                          || lists.get(i).get(cursor[i]) < lists.get(best).get(cursor[best]))) {
                    best = i;
                  }
                }
                if (best < 0) {
                  return false;
                }
                long entry = lists.get(best).get(cursor[best]);
                if (entries.size() >= limit && entry >>> 8 != lastSeq) {
                  return true;
                }
                entries.add(entry);
                lastSeq = entry >>> 8;
                cursor[best]++;
              }
            });
    List<AccountPosting> page = new ArrayList<>(entries.size());
    Records.CommitRecord commit = null;
    for (long entry : entries) {
      long seq = entry >>> 8;
      if (commit == null || commit.seq() != seq) {
        commit = commitAt(target, seq);
      }
      Records.LoggedPosting posting = commit.postings().get((int) (entry & 0xFF));
      int decimals = decimals(posting.asset());
      page.add(
          new AccountPosting(
              seq,
              commit.txId(),
              commit.committedAt(),
              posting.asset(),
              posting.side(),
              new Amount(posting.amount(), decimals),
              new Amount(posting.balanceAfter(), decimals)));
    }
    return new PostingPage(page, more ? page.get(page.size() - 1).seq() : null);
  }

  // ---- balances ---------------------------------------------------------------------------------

  @Override
  public AccountBalances balances(String book, String account, Instant asOf, String asset) {
    BookLog target = books.get(book);
    if (target == null) {
      throw accountNotFound(book, account);
    }
    if (asset != null && !assets.containsKey(asset)) {
      throw LedgerError.notFound("no asset " + asset).toException();
    }
    Map<String, BigInteger> normal = new TreeMap<>();
    Map<String, Long> asOfEntries = new TreeMap<>();
    Object[] header =
        read(
            target,
            () -> {
              BookLog.AccountState state = target.accounts.get(account);
              if (state == null) {
                throw accountNotFound(book, account);
              }
              long seq = asOf == null ? target.lastSeq : target.seqAsOf(asOf);
              for (String held : target.postings.getOrDefault(account, EMPTY_POSTINGS).keySet()) {
                if (asOf == null) {
                  normal.put(
                      held,
                      state
                          .kind()
                          .normalize(
                              target.balances.getOrDefault(
                                  new BalanceKey(account, held), BigInteger.ZERO)));
                } else {
                  long entry = target.lastPostingAtOrBefore(account, held, seq);
                  if (entry >= 0) {
                    asOfEntries.put(held, entry);
                  }
                }
              }
              return new Object[] {state.kind(), seq};
            });
    for (Map.Entry<String, Long> entry : asOfEntries.entrySet()) {
      normal.put(entry.getKey(), balanceAfter(target, entry.getValue()));
    }
    List<Balance> balances = new ArrayList<>();
    for (Map.Entry<String, BigInteger> entry : normal.entrySet()) {
      if (asset == null || asset.equals(entry.getKey())) {
        balances.add(
            new Balance(entry.getKey(), new Amount(entry.getValue(), decimals(entry.getKey()))));
      }
    }
    if (asset != null && balances.isEmpty()) {
      balances.add(new Balance(asset, Amount.zero(decimals(asset))));
    }
    return new AccountBalances(
        book, account, (AccountKind) header[0], truncate(asOf), (Long) header[1], balances);
  }

  /** The normal-side-adjusted balance_after of the posting an index entry names. */
  private BigInteger balanceAfter(BookLog book, long entry) {
    return commitAt(book, entry >>> 8).postings().get((int) (entry & 0xFF)).balanceAfter();
  }

  @Override
  public TrialBalance trialBalance(String book, Instant asOf) {
    BookLog target = requireBook(book);
    List<TrialBalance.RawBalance> raw = new ArrayList<>();
    Map<BalanceKey, Long> asOfEntries = new LinkedHashMap<>();
    Map<String, AccountKind> kinds = new HashMap<>();
    long seq =
        read(
            target,
            () -> {
              long upTo = asOf == null ? target.lastSeq : target.seqAsOf(asOf);
              for (Map.Entry<BalanceKey, BigInteger> balance : target.balances.entrySet()) {
                BalanceKey key = balance.getKey();
                AccountKind kind = target.accounts.get(key.account()).kind();
                kinds.put(key.account(), kind);
                if (asOf == null) {
                  raw.add(
                      new TrialBalance.RawBalance(
                          key.account(),
                          kind,
                          key.asset(),
                          decimals(key.asset()),
                          balance.getValue()));
                } else {
                  long entry = target.lastPostingAtOrBefore(key.account(), key.asset(), upTo);
                  if (entry >= 0) {
                    asOfEntries.put(key, entry);
                  }
                }
              }
              return upTo;
            });
    for (Map.Entry<BalanceKey, Long> entry : asOfEntries.entrySet()) {
      BalanceKey key = entry.getKey();
      AccountKind kind = kinds.get(key.account());
      raw.add(
          new TrialBalance.RawBalance(
              key.account(),
              kind,
              key.asset(),
              decimals(key.asset()),
              kind.normalize(balanceAfter(target, entry.getValue()))));
    }
    return TrialBalance.of(book, truncate(asOf), seq, raw);
  }

  // ---- verify -----------------------------------------------------------------------------------

  private static final int VERIFY_PAGE = 500;

  @Override
  public VerifyResult verify(String book) {
    BookLog target = requireBook(book);
    Map<String, AccountKind> kinds = new HashMap<>();
    Map<BalanceKey, BigInteger> balances = new HashMap<>();
    BookSummary head =
        read(
            target,
            () -> {
              target.accounts.forEach((name, state) -> kinds.put(name, state.kind()));
              balances.putAll(target.balances);
              return new BookSummary(target.name, target.lastSeq, target.headHash);
            });
    ChainVerifier verifier = new ChainVerifier(book, kinds);
    for (long first = 1; first <= head.lastSeq(); first += VERIFY_PAGE) {
      long last = Math.min(head.lastSeq(), first + VERIFY_PAGE - 1);
      Optional<VerifyResult> failure = verifier.check(first, last, range(target, first, last));
      if (failure.isPresent()) {
        return failure.get();
      }
    }
    return verifier.finish(head, balances);
  }

  // ---- test support -----------------------------------------------------------------------------

  /**
   * Replaces a logged posting amount on disk with a correct record checksum, behind the indexes'
   * back, as a malicious edit would. For the conformance suite's verify test only.
   */
  void tamperPostingAmount(String book, long seq, int index, BigInteger amount) throws IOException {
    BookLog target = requireBook(book);
    Records.CommitRecord commit = commitAt(target, seq);
    List<Records.LoggedPosting> postings = new ArrayList<>(commit.postings());
    Records.LoggedPosting posting = postings.get(index);
    postings.set(
        index,
        new Records.LoggedPosting(
            posting.account(), posting.asset(), posting.side(), amount, posting.balanceAfter()));
    Records.CommitRecord changed =
        new Records.CommitRecord(
            commit.book(),
            commit.seq(),
            commit.txId(),
            commit.committedAt(),
            commit.occurredAt(),
            commit.idempotencyKey(),
            commit.fingerprint(),
            commit.memo(),
            commit.metadata(),
            postings,
            commit.hash(),
            commit.prevHash());
    long position = read(target, () -> target.positionOf(seq));
    log.overwrite(position, Records.encode(changed));
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private Instant clock() {
    return settings.clock() != null ? settings.clock().instant() : Instant.now();
  }

  private Instant now() {
    return Timestamps.truncate(clock());
  }

  private static Instant truncate(Instant asOf) {
    return asOf == null ? null : Timestamps.truncate(asOf);
  }

  private static LedgerException accountNotFound(String book, String account) {
    return LedgerError.notFound("no account " + account + " in book " + book).toException();
  }

  private interface Locked<T> {
    T get();
  }

  private static <T> T read(BookLog book, Locked<T> work) {
    Lock readLock = book.state.readLock();
    readLock.lock();
    try {
      return work.get();
    } finally {
      readLock.unlock();
    }
  }

  private static void write(BookLog book, Runnable work) {
    Lock writeLock = book.state.writeLock();
    writeLock.lock();
    try {
      work.run();
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public void close() {
    try {
      log.close();
    } finally {
      lock.close();
    }
  }
}
