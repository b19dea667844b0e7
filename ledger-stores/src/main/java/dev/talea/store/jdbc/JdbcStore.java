package dev.talea.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.Names;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Side;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.store.CommitNotices;
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
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The store on a SQL database (Postgres or SQLite; the differences live in {@link Dialect}).
 *
 * <p><b>Write path.</b> A group commit is one database transaction: lock the book's counter row
 * (the write arbiter), read the clock once, read just the state the drafts touch (their idempotency
 * keys, their accounts and balances), let {@link GroupCommitPlanner} decide every draft, then write
 * the accepted commits with JDBC batches — transactions, postings, balances, the counter row — and
 * commit. A rejected draft is decided before anything is written, so it leaves no row behind and
 * its key stays free. The number of round trips does not grow with the batch (about ten on
 * Postgres, notification and commit included), which is what makes group commit pay.
 *
 * <p><b>Reads</b> are the shared read core's ({@link SnapshotStore}) over a {@link JdbcReadView}: a
 * read of several statements runs in one snapshot transaction ({@link Connections#snapshot}), a
 * read of one statement in auto-commit mode. Reads never take the book's lock.
 *
 * <p>Assets never change their decimals once registered, so they are cached in memory after first
 * use; a code missing from the cache is looked up again, since another instance may have registered
 * it.
 */
final class JdbcStore extends SnapshotStore {

  private final Dialect dialect;
  private final Connections connections;
  private final StoreSettings settings;
  private final Map<String, Asset> assets = new ConcurrentHashMap<>();
  private final PostgresNotifications notifications;

  /** What each book's writer here knows since its last group commit; null when switched off. */
  private final WriterMemory memory;

  /**
   * @param notifications how commits are announced to other processes, or {@code null} where no
   *     other process can write (SQLite)
   */
  JdbcStore(
      Dialect dialect,
      Connections connections,
      StoreSettings settings,
      PostgresNotifications notifications) {
    this.dialect = dialect;
    this.connections = connections;
    this.settings = settings;
    this.notifications = notifications;
    this.memory = settings.writerMemory() ? new WriterMemory() : null;
  }

  /** Group commits that took their accounts from the writer's memory, and those that read them. */
  long[] writerMemoryHitsAndMisses() {
    return memory == null ? new long[] {0, 0} : memory.hitsAndMisses();
  }

  @Override
  public String backend() {
    return dialect.backend();
  }

  @Override
  protected <T> T snapshot(Function<ReadView, T> work) {
    if (settings.unsafeSkipReadSnapshots()) {
      return single(work);
    }
    return call(() -> connections.snapshot(connection -> work.apply(view(connection))));
  }

  @Override
  protected <T> T single(Function<ReadView, T> work) {
    return call(() -> connections.read(connection -> work.apply(view(connection))));
  }

  private JdbcReadView view(Connection connection) {
    return new JdbcReadView(connection, dialect, assets);
  }

  // ---- assets -----------------------------------------------------------------------------------

  @Override
  public Registration<Asset> registerAsset(AssetSpec spec) {
    return write(
        connection -> {
          Instant now = now(connection);
          int inserted;
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO assets (code, decimals, name, created_at) VALUES (?, ?, ?, ?)"
                      + " ON CONFLICT (code) DO NOTHING")) {
            insert.setString(1, spec.code());
            insert.setInt(2, spec.decimals());
            insert.setString(3, spec.name());
            dialect.setTimestamp(insert, 4, now);
            inserted = insert.executeUpdate();
          }
          if (inserted == 1) {
            return new Registration<>(
                new Asset(spec.code(), spec.decimals(), spec.name(), now), true);
          }
          Asset existing = view(connection).asset(spec.code());
          Registrations.requireCompatible(existing, spec);
          if (!Objects.equals(existing.name(), spec.name())) {
            try (PreparedStatement update =
                connection.prepareStatement("UPDATE assets SET name = ? WHERE code = ?")) {
              update.setString(1, spec.name());
              update.setString(2, spec.code());
              update.executeUpdate();
            }
            existing =
                new Asset(existing.code(), existing.decimals(), spec.name(), existing.createdAt());
          }
          return new Registration<>(existing, false);
        });
  }

  // ---- books and accounts -----------------------------------------------------------------------

  @Override
  public Registration<Account> openAccount(String book, String account, AccountSpec spec) {
    Names.requireBook(book, "book");
    Names.requireAccount(account, "account");
    return write(
        connection -> {
          Instant now = now(connection);
          try (PreparedStatement insertBook =
              connection.prepareStatement(
                  "INSERT INTO books (book, last_seq, head_hash, last_committed_at, created_at)"
                      + " VALUES (?, 0, ?, NULL, ?) ON CONFLICT (book) DO NOTHING")) {
            insertBook.setString(1, book);
            insertBook.setString(2, HashChain.GENESIS);
            dialect.setTimestamp(insertBook, 3, now);
            insertBook.executeUpdate();
          }
          int inserted;
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO accounts (book, account, kind, min_balance, metadata, created_at)"
                      + " VALUES (?, ?, ?, ?, "
                      + dialect.jsonParameter()
                      + ", ?) ON CONFLICT (book, account) DO NOTHING")) {
            insert.setString(1, book);
            insert.setString(2, account);
            insert.setString(3, spec.kind().wireName());
            dialect.setDecimal(insert, 4, spec.minBalance());
            insert.setString(5, json(spec.metadata()));
            dialect.setTimestamp(insert, 6, now);
            inserted = insert.executeUpdate();
          }
          if (inserted == 1) {
            return new Registration<>(
                new Account(
                    book, account, spec.kind(), spec.minBalance(), spec.metadata(), now, List.of()),
                true);
          }
          JdbcReadView view = view(connection);
          StoredAccount existing = view.account(book, account);
          Registrations.requireCompatible(account, existing.kind(), existing.minBalance(), spec);
          if (!existing.metadata().equals(spec.metadata())) {
            try (PreparedStatement update =
                connection.prepareStatement(
                    "UPDATE accounts SET metadata = "
                        + dialect.jsonParameter()
                        + " WHERE book = ? AND account = ?")) {
              update.setString(1, json(spec.metadata()));
              update.setString(2, book);
              update.setString(3, account);
              update.executeUpdate();
            }
          }
          StoredAccount updated =
              new StoredAccount(
                  account,
                  existing.kind(),
                  existing.minBalance(),
                  spec.metadata(),
                  existing.createdAt());
          BookSummary head = view.head(book);
          return new Registration<>(account(view, book, updated, head.lastSeq()), false);
        });
  }

  // ---- the write path ---------------------------------------------------------------------------

  @Override
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    if (drafts.isEmpty()) {
      return List.of();
    }
    Set<String> keys = GroupCommitPlanner.keysOf(drafts);
    Set<String> accountNames = GroupCommitPlanner.accountsOf(drafts);
    WriterMemory.Book remembered = memory == null ? null : memory.checkOut(book);
    WriterMemory.Book[] after = {null};
    GroupCommit[] planned = {null};
    List<PostOutcome> outcomes =
        write(
            connection -> {
              JdbcReadView view = view(connection);
              BookSnapshot snapshot;
              Instant committedAt;
              try (PreparedStatement lock = connection.prepareStatement(dialect.lockBookSql())) {
                lock.setString(1, book);
                try (ResultSet rows = lock.executeQuery()) {
                  if (!rows.next()) {
                    return GroupCommitPlanner.toMissingBook(book, drafts, view::cachedAsset);
                  }
                  Instant lastCommittedAt = dialect.getTimestamp(rows, "last_committed_at");
                  committedAt =
                      GroupCommitPlanner.commitTimestamp(clock(connection), lastCommittedAt);
                  snapshot =
                      new BookSnapshot(
                          rows.getLong("last_seq"),
                          rows.getString("head_hash"),
                          lastCommittedAt,
                          storedKeys(connection, book, keys),
                          new HashMap<>(),
                          new HashMap<>());
                }
              }
              after[0] = fillAccounts(connection, book, accountNames, snapshot, remembered);
              GroupCommit plan =
                  GroupCommitPlanner.plan(
                      book, snapshot, committedAt, drafts, view::cachedAsset, settings.txIds());
              if (!plan.writesNothing()) {
                writeCommits(connection, book, plan);
              }
              planned[0] = plan;
              return outcomes(plan, view, book);
            });
    // Durable now: the memory is true at the book's new head. (Had the commit failed, or had its
    // outcome been lost, write would have thrown, and the book's memory would be gone with it.)
    if (after[0] != null && planned[0] != null) {
      after[0].advance(planned[0].lastSeq(), planned[0].balances());
      memory.checkIn(book, after[0]);
    }
    return outcomes;
  }

  /**
   * Fills the snapshot with the named accounts, from the writer's memory when it is of the seq just
   * read under the lock and knows them all, else from the database; returns the memory to check in
   * after the commit, or {@code null} when it is switched off.
   */
  private WriterMemory.Book fillAccounts(
      Connection connection,
      String book,
      Set<String> names,
      BookSnapshot snapshot,
      WriterMemory.Book remembered)
      throws SQLException {
    if (memory != null && memory.fill(remembered, snapshot.lastSeq(), names, snapshot)) {
      return remembered;
    }
    loadAccounts(connection, book, names, snapshot);
    return memory == null ? null : WriterMemory.afterRead(remembered, snapshot.lastSeq(), snapshot);
  }

  private Map<String, BookSnapshot.StoredKey> storedKeys(
      Connection connection, String book, Set<String> keys) throws SQLException {
    Map<String, BookSnapshot.StoredKey> stored = new HashMap<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT idempotency_key, request_fingerprint, seq, tx_id FROM transactions"
                + " WHERE book = ? AND "
                + dialect.inList("idempotency_key"))) {
      select.setString(1, book);
      dialect.bindList(select, 2, keys);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          stored.put(
              rows.getString("idempotency_key"),
              new BookSnapshot.StoredKey(
                  rows.getString("request_fingerprint"),
                  rows.getLong("seq"),
                  dialect.getUuid(rows, "tx_id")));
        }
      }
    }
    return stored;
  }

  /** Fills the snapshot with the rules and raw balances of the named accounts that are open. */
  private void loadAccounts(
      Connection connection, String book, Set<String> names, BookSnapshot snapshot)
      throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT a.account, a.kind, a.min_balance, b.asset, b.balance FROM accounts a"
                + " LEFT JOIN balances b ON b.book = a.book AND b.account = a.account"
                + " WHERE a.book = ? AND "
                + dialect.inList("a.account"))) {
      select.setString(1, book);
      dialect.bindList(select, 2, names);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String account = rows.getString("account");
          snapshot
              .accounts()
              .computeIfAbsent(
                  account,
                  a -> {
                    try {
                      return new BookSnapshot.AccountRule(
                          JdbcReadView.kind(rows.getString("kind")),
                          dialect.getDecimal(rows, "min_balance"));
                    } catch (SQLException e) {
                      throw new SqlFailure(e);
                    }
                  });
          String asset = rows.getString("asset");
          if (asset != null) {
            snapshot
                .balances()
                .put(new BalanceKey(account, asset), dialect.getAmount(rows, "balance"));
          }
        }
      }
    }
  }

  private void writeCommits(Connection connection, String book, GroupCommit plan)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO transactions (book, seq, tx_id, committed_at, occurred_at,"
                + " idempotency_key, request_fingerprint, memo, metadata, hash, prev_hash)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                + dialect.jsonParameter()
                + ", ?, ?)")) {
      for (GroupCommit.NewCommit commit : plan.commits()) {
        Transaction tx = commit.transaction();
        insert.setString(1, book);
        insert.setLong(2, tx.seq());
        dialect.setUuid(insert, 3, tx.txId());
        dialect.setTimestamp(insert, 4, tx.committedAt());
        dialect.setTimestamp(insert, 5, tx.occurredAt());
        insert.setString(6, tx.idempotencyKey());
        insert.setString(7, commit.fingerprint());
        insert.setString(8, tx.memo());
        insert.setString(9, json(tx.metadata()));
        insert.setString(10, tx.hash());
        insert.setString(11, tx.prevHash());
        insert.addBatch();
      }
      insert.executeBatch();
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO postings (book, seq, idx, account, asset, side, amount, balance_after)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (GroupCommit.NewCommit commit : plan.commits()) {
        Transaction tx = commit.transaction();
        for (int i = 0; i < tx.postings().size(); i++) {
          Posting posting = tx.postings().get(i);
          insert.setString(1, book);
          insert.setLong(2, tx.seq());
          insert.setInt(3, i);
          insert.setString(4, posting.account());
          insert.setString(5, posting.asset());
          insert.setString(6, posting.side() == Side.DEBIT ? "D" : "C");
          dialect.setAmount(insert, 7, posting.amount().minorUnits());
          dialect.setAmount(insert, 8, posting.balanceAfter().minorUnits());
          insert.addBatch();
        }
      }
      insert.executeBatch();
    }
    try (PreparedStatement upsert =
        connection.prepareStatement(
            "INSERT INTO balances (book, account, asset, balance) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (book, account, asset) DO UPDATE SET balance = excluded.balance")) {
      for (Map.Entry<BalanceKey, BigInteger> balance : plan.balances().entrySet()) {
        upsert.setString(1, book);
        upsert.setString(2, balance.getKey().account());
        upsert.setString(3, balance.getKey().asset());
        dialect.setAmount(upsert, 4, balance.getValue());
        upsert.addBatch();
      }
      upsert.executeBatch();
    }
    try (PreparedStatement update =
        connection.prepareStatement(
            "UPDATE books SET last_seq = ?, head_hash = ?, last_committed_at = ? WHERE book = ?")) {
      update.setLong(1, plan.lastSeq());
      update.setString(2, plan.headHash());
      dialect.setTimestamp(update, 3, plan.committedAt());
      update.setString(4, book);
      if (update.executeUpdate() != 1) {
        throw new StoreException("the counter row of book " + book + " vanished under its lock");
      }
    }
    if (notifications != null && !plan.commits().isEmpty()) {
      notifications.announce(
          connection, book, plan.commits().get(0).transaction().seq(), plan.lastSeq());
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private Instant clock(Connection connection) throws SQLException {
    return settings.clock() != null ? settings.clock().instant() : dialect.now(connection);
  }

  private Instant now(Connection connection) throws SQLException {
    return Timestamps.truncate(clock(connection));
  }

  private static String json(Map<String, String> metadata) {
    try {
      return Json.mapper().writeValueAsString(metadata);
    } catch (JsonProcessingException e) {
      throw new StoreException("metadata does not serialise", e);
    }
  }

  private <T> T write(SqlWork<T> work) {
    return call(() -> connections.write(work));
  }

  private interface SqlCall<T> {
    T call() throws SQLException;
  }

  private <T> T call(SqlCall<T> call) {
    try {
      return call.call();
    } catch (SQLException e) {
      throw translate(e);
    } catch (SqlFailure e) {
      throw translate(e.getCause());
    }
  }

  private StoreException translate(SQLException e) {
    if (dialect.isUnavailable(e)) {
      return new StoreUnavailableException(
          "the " + dialect.backend() + " store is unavailable: " + e.getMessage(), e);
    }
    return new StoreException("the " + dialect.backend() + " store failed: " + e.getMessage(), e);
  }

  @Override
  public AutoCloseable listen(CommitNotices notices) {
    return notifications == null ? () -> {} : notifications.listen(notices);
  }

  @Override
  public void close() {
    connections.close();
  }
}
