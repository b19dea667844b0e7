package dev.talea.store.log;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.Names;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.commit.BalanceKey;
import dev.talea.store.commit.BookSnapshot;
import dev.talea.store.commit.GroupCommit;
import dev.talea.store.commit.GroupCommitPlanner;
import dev.talea.store.commit.Registrations;
import dev.talea.store.read.ReadView;
import dev.talea.store.read.SnapshotStore;
import dev.talea.store.read.StoredAccount;
import dev.talea.store.read.StoredCommit;
import dev.talea.store.read.StoredEntry;
import dev.talea.store.read.StoredPosting;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The append-log store: every asset registration, account opening and commit is a record in one log
 * ({@link LogFile}); the in-memory indexes are rebuilt from it on open. A group commit plans its
 * drafts with the shared {@link GroupCommitPlanner} under its book's writer lock, appends the
 * accepted commits, and returns only after they are durable (strict ack-after-fsync); only then
 * does it update the indexes that readers see. Commits to different books append concurrently and
 * share fsyncs.
 *
 * <p>Reads are the shared read core's ({@link SnapshotStore}) over a {@link View}: a view takes a
 * book's head once and bounds every index it reads by it, so a commit applied meanwhile is never
 * half seen. Records on disk never change, so they are read outside the book's lock.
 *
 * <p>Single process by construction: a directory lock is held for the store's lifetime.
 */
final class LogStore extends SnapshotStore {

  private static final TreeMap<String, LongList> EMPTY_POSTINGS = new TreeMap<>();

  private final Path directory;
  private final DirectoryLock lock;
  private final StoreSettings settings;
  private final Consumer<StoredCommit> beforeApply;
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

  /**
   * @param beforeApply called with each durable commit just before it is applied to the indexes in
   *     memory; a seam for tests of the fail-stop (production passes a no-op)
   */
  LogStore(
      Path directory,
      long segmentBytes,
      StoreSettings settings,
      Consumer<StoredCommit> beforeApply) {
    this.directory = directory;
    this.settings = settings;
    this.beforeApply = beforeApply;
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

  @Override
  protected <T> T snapshot(Function<ReadView, T> work) {
    return work.apply(new View());
  }

  // ---- opening: replay the log into the indexes -------------------------------------------------

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
        book.accounts.put(account.account().name(), account.account());
      } else if (record instanceof Records.CommitRecord logged) {
        StoredCommit commit = logged.commit();
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
          StoredAccount opened = opened(account, spec, now());
          appendDurably(List.of(Records.encode(new Records.AccountRecord(book, opened))));
          // Filled before it is published: readers never see a book without its first account.
          BookLog created = new BookLog(book, booksByNumber.size() + 1);
          created.accounts.put(account, opened);
          booksByNumber.add(created);
          books.put(book, created);
          return new Registration<>(newAccount(book, opened), true);
        }
      }
    }
    BookLog target = existing;
    target.commitLock.lock();
    try {
      StoredAccount current = read(target, () -> target.accounts.get(account));
      if (current == null) {
        StoredAccount opened = opened(account, spec, now());
        appendDurably(List.of(Records.encode(new Records.AccountRecord(book, opened))));
        write(target, () -> target.accounts.put(account, opened));
        return new Registration<>(newAccount(book, opened), true);
      }
      Registrations.requireCompatible(account, current.kind(), current.minBalance(), spec);
      StoredAccount updated = current;
      if (!current.metadata().equals(spec.metadata())) {
        updated =
            new StoredAccount(
                account,
                current.kind(),
                current.minBalance(),
                spec.metadata(),
                current.createdAt());
        appendDurably(List.of(Records.encode(new Records.AccountRecord(book, updated))));
        StoredAccount replacement = updated;
        write(target, () -> target.accounts.put(account, replacement));
      }
      // The book's writer lock is held: no commit changes its balances meanwhile.
      View view = new View();
      return new Registration<>(account(view, book, updated, view.head(book).lastSeq()), false);
    } finally {
      target.commitLock.unlock();
    }
  }

  private static StoredAccount opened(String account, AccountSpec spec, Instant createdAt) {
    return new StoredAccount(account, spec.kind(), spec.minBalance(), spec.metadata(), createdAt);
  }

  private static Account newAccount(String book, StoredAccount opened) {
    return new Account(
        book,
        opened.name(),
        opened.kind(),
        opened.minBalance(),
        opened.metadata(),
        opened.createdAt(),
        List.of());
  }

  // ---- the write path ---------------------------------------------------------------------------

  @Override
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    if (drafts.isEmpty()) {
      return List.of();
    }
    BookLog target = books.get(book);
    if (target == null) {
      return GroupCommitPlanner.toMissingBook(book, drafts, assets::get);
    }
    target.commitLock.lock();
    try {
      BookSnapshot snapshot = read(target, () -> snapshot(target, drafts));
      Instant committedAt = GroupCommitPlanner.commitTimestamp(clock(), snapshot.lastCommittedAt());
      GroupCommit plan =
          GroupCommitPlanner.plan(
              book, snapshot, committedAt, drafts, assets::get, settings.txIds());
      if (!plan.writesNothing()) {
        List<StoredCommit> commits = new ArrayList<>(plan.commits().size());
        List<byte[]> bodies = new ArrayList<>(plan.commits().size());
        for (GroupCommit.NewCommit planned : plan.commits()) {
          StoredCommit commit = StoredCommit.of(planned);
          commits.add(commit);
          bodies.add(Records.encode(commit));
        }
        apply(target, commits, appendDurably(bodies));
      }
      return outcomes(plan, new View(), book);
    } finally {
      target.commitLock.unlock();
    }
  }

  /** Publishes durable commits to the indexes that readers see. */
  private void apply(BookLog target, List<StoredCommit> commits, long[] positions) {
    Lock writeLock = target.state.writeLock();
    writeLock.lock();
    txIdLock.writeLock().lock();
    try {
      for (int i = 0; i < commits.size(); i++) {
        beforeApply.accept(commits.get(i));
        target.apply(commits.get(i), positions[i]);
        txIds.put(commits.get(i).txId(), target.number, commits.get(i).seq());
      }
    } catch (RuntimeException | Error e) {
      // The commits are durable but the indexes in memory may now disagree with the log (the
      // heap ran out while an index grew, say). Taking more writes could build on that, so the
      // store stops writing; a restart rebuilds the indexes from the log, and the posts answered
      // unavailable meanwhile are found there when retried with their keys.
      failure =
          new IOException(
              "commits up to seq "
                  + commits.get(commits.size() - 1).seq()
                  + " of book "
                  + target.name
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

  /** The state the drafts touch. Caller holds the book's read lock. */
  private BookSnapshot snapshot(BookLog book, List<TransactionDraft> drafts) {
    Map<String, BookSnapshot.StoredKey> keys = new HashMap<>();
    for (String key : GroupCommitPlanner.keysOf(drafts)) {
      long seq = book.keys.find(key, s -> commitAt(book, s).idempotencyKey());
      if (seq > 0) {
        StoredCommit stored = commitAt(book, seq);
        keys.put(key, new BookSnapshot.StoredKey(stored.fingerprint(), seq, stored.txId()));
      }
    }
    Map<String, BookSnapshot.AccountRule> rules = new HashMap<>();
    Map<BalanceKey, BigInteger> balances = new HashMap<>();
    Set<String> names = GroupCommitPlanner.accountsOf(drafts);
    for (String name : names) {
      StoredAccount account = book.accounts.get(name);
      if (account != null) {
        rules.put(name, new BookSnapshot.AccountRule(account.kind(), account.minBalance()));
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

  // ---- reading records --------------------------------------------------------------------------

  /** Where a commit's record lies in the log; the book must have reached {@code seq}. */
  long positionOf(String book, long seq) {
    BookLog target = books.get(book);
    return read(target, () -> target.positionOf(seq));
  }

  private StoredCommit commitAt(BookLog book, long seq) {
    return commitAt(book, seq, read(book, () -> book.positionOf(seq)));
  }

  private StoredCommit commitAt(BookLog book, long seq, long position) {
    try {
      Records.Record record = Records.decode(log.read(position));
      if (!(record instanceof Records.CommitRecord logged)
          || !logged.commit().book().equals(book.name)
          || logged.commit().seq() != seq) {
        throw new StoreException(
            "the log record at "
                + log.describe(position)
                + " is not seq "
                + seq
                + " of "
                + book.name);
      }
      return logged.commit();
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot read the append log: " + e.getMessage(), e);
    }
  }

  /**
   * One consistent view of the store's books: the first {@link #head} of a book pins it, and
   * everything read of the book afterwards is bounded by that seq. Indexes are read under the
   * book's read lock; records are read from the log outside it.
   */
  private final class View implements ReadView {

    private final Map<String, BookSummary> heads = new HashMap<>();

    @Override
    public List<Asset> assets() {
      return new ArrayList<>(new TreeMap<>(assets).values());
    }

    @Override
    public Asset asset(String code) {
      return assets.get(code);
    }

    @Override
    public Integer decimals(String code) {
      Asset asset = assets.get(code);
      return asset == null ? null : asset.decimals();
    }

    @Override
    public List<BookSummary> books() {
      List<BookSummary> summaries = new ArrayList<>();
      for (String name : new TreeMap<>(books).keySet()) {
        summaries.add(head(name));
      }
      return summaries;
    }

    @Override
    public BookSummary head(String book) {
      BookSummary pinned = heads.get(book);
      if (pinned == null) {
        BookLog target = books.get(book);
        if (target == null) {
          return null;
        }
        pinned = read(target, () -> new BookSummary(target.name, target.lastSeq, target.headHash));
        heads.put(book, pinned);
      }
      return pinned;
    }

    @Override
    public StoredAccount account(String book, String account) {
      BookLog target = books.get(book);
      return target == null ? null : read(target, () -> target.accounts.get(account));
    }

    @Override
    public AccountAtHead accountAtHead(String book, String account) {
      BookSummary head = head(book);
      StoredAccount found = head == null ? null : account(book, account);
      if (found == null) {
        return null;
      }
      Map<String, BigInteger> balances = new LinkedHashMap<>();
      balances(book, List.of(account), head.lastSeq())
          .forEach((key, raw) -> balances.put(key.asset(), raw));
      return new AccountAtHead(head, found, balances);
    }

    @Override
    public List<StoredAccount> accounts(String book, String after, int limit) {
      BookLog target = books.get(book);
      if (target == null) {
        return List.of();
      }
      return read(
          target,
          () -> {
            List<StoredAccount> page = new ArrayList<>();
            for (StoredAccount account :
                (after == null ? target.accounts : target.accounts.tailMap(after, false))
                    .values()) {
              if (page.size() == limit) {
                break;
              }
              page.add(account);
            }
            return page;
          });
    }

    @Override
    public Map<String, AccountKind> kinds(String book) {
      BookLog target = books.get(book);
      Map<String, AccountKind> kinds = new HashMap<>();
      if (target != null) {
        read(
            target,
            () -> {
              target.accounts.forEach((name, account) -> kinds.put(name, account.kind()));
              return null;
            });
      }
      return kinds;
    }

    /**
     * While the book is still at {@code seq}, its balance projection; once a commit has gone past,
     * the {@code balance_after} of each balance's last posting at or before {@code seq}.
     */
    @Override
    public Map<BalanceKey, BigInteger> balances(
        String book, Collection<String> accounts, long seq) {
      BookLog target = books.get(book);
      Map<BalanceKey, BigInteger> balances = new LinkedHashMap<>();
      if (target == null) {
        return balances;
      }
      Map<BalanceKey, Long> entries = new LinkedHashMap<>();
      Map<String, AccountKind> kinds = new HashMap<>();
      read(
          target,
          () -> {
            Collection<String> names = accounts == null ? target.postings.keySet() : accounts;
            for (String name : names) {
              for (String asset : target.postings.getOrDefault(name, EMPTY_POSTINGS).keySet()) {
                BalanceKey key = new BalanceKey(name, asset);
                if (target.lastSeq == seq) {
                  balances.put(key, target.balances.get(key));
                } else {
                  long entry = target.lastPostingAtOrBefore(name, asset, seq);
                  if (entry >= 0) {
                    entries.put(key, entry);
                    kinds.put(name, target.accounts.get(name).kind());
                  }
                }
              }
            }
            return null;
          });
      entries.forEach(
          (key, entry) -> {
            StoredPosting posting =
                commitAt(target, entry >>> 8).postings().get((int) (entry & 0xFF));
            balances.put(key, kinds.get(key.account()).normalize(posting.balanceAfter()));
          });
      return balances;
    }

    @Override
    public long seqAsOf(String book, Instant asOf) {
      BookLog target = books.get(book);
      return target == null ? 0 : read(target, () -> target.seqAsOf(asOf));
    }

    @Override
    public List<StoredCommit> commits(String book, long first, long last) {
      BookLog target = books.get(book);
      BookSummary head = head(book);
      long end = head == null ? 0 : Math.min(last, head.lastSeq());
      if (first > end) {
        return List.of();
      }
      long[] positions = new long[(int) (end - first + 1)];
      read(
          target,
          () -> {
            for (int i = 0; i < positions.length; i++) {
              positions[i] = target.positionOf(first + i);
            }
            return null;
          });
      List<StoredCommit> commits = new ArrayList<>(positions.length);
      for (int i = 0; i < positions.length; i++) {
        commits.add(commitAt(target, first + i, positions[i]));
      }
      return commits;
    }

    @Override
    public long seqOfKey(String book, String idempotencyKey) {
      BookLog target = books.get(book);
      if (target == null) {
        return 0;
      }
      long seq =
          read(
              target,
              () -> target.keys.find(idempotencyKey, s -> commitAt(target, s).idempotencyKey()));
      return seq <= head(book).lastSeq() ? seq : 0;
    }

    @Override
    public Location locate(UUID txId) {
      long packed;
      txIdLock.readLock().lock();
      try {
        packed = txIds.find(txId);
      } finally {
        txIdLock.readLock().unlock();
      }
      if (packed < 0) {
        return null;
      }
      BookLog book;
      synchronized (registry) {
        book = booksByNumber.get(TxIdIndex.bookOf(packed) - 1);
      }
      return new Location(book.name, TxIdIndex.seqOf(packed));
    }

    /** Entries are {@code seq << 8 | index}, ascending, in the account's list for the asset. */
    @Override
    public List<StoredEntry> postings(
        String book, String account, String asset, long afterSeq, long throughSeq, int limit) {
      BookLog target = books.get(book);
      long through = Math.min(throughSeq, head(book).lastSeq());
      long[] entries =
          read(
              target,
              () -> {
                LongList list = target.postings.getOrDefault(account, EMPTY_POSTINGS).get(asset);
                if (list == null) {
                  return new long[0];
                }
                int from = list.countAtMost(afterSeq << 8 | 0xFF);
                int to = Math.min(list.countAtMost(through << 8 | 0xFF), from + limit);
                long[] found = new long[Math.max(0, to - from)];
                for (int i = 0; i < found.length; i++) {
                  found[i] = list.get(from + i);
                }
                return found;
              });
      List<StoredEntry> result = new ArrayList<>(entries.length);
      StoredCommit commit = null;
      for (long entry : entries) {
        long seq = entry >>> 8;
        if (commit == null || commit.seq() != seq) {
          commit = commitAt(target, seq);
        }
        int index = (int) (entry & 0xFF);
        StoredPosting posting = commit.postings().get(index);
        result.add(
            new StoredEntry(
                seq,
                index,
                commit.txId(),
                commit.committedAt(),
                posting.asset(),
                posting.side(),
                posting.amount(),
                posting.balanceAfter()));
      }
      return result;
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private Instant clock() {
    return settings.clock() != null ? settings.clock().instant() : Instant.now();
  }

  private Instant now() {
    return Timestamps.truncate(clock());
  }

  private static <T> T read(BookLog book, Supplier<T> work) {
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
