package dev.talea.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
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
import dev.talea.protocol.HashChain;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.Names;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Side;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.protocol.json.Json;
import dev.talea.store.CommitNotices;
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
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
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
 * <p><b>Reads</b> go to any connection and never take the book's lock. Each answer that pairs state
 * with a seq reads both in a single statement, so they are consistent.
 *
 * <p>Assets never change their decimals once registered, so they are cached in memory after first
 * use; a code missing from the cache is looked up again, since another instance may have registered
 * it.
 */
final class JdbcStore implements Store {

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private static final String TX_COLUMNS =
      "seq, tx_id, committed_at, occurred_at, idempotency_key, memo, metadata, hash, prev_hash";
  private static final String POSTING_COLUMNS =
      "seq, idx, account, asset, side, amount, balance_after";

  private final Dialect dialect;
  private final Connections connections;
  private final StoreSettings settings;
  private final Map<String, Asset> assets = new ConcurrentHashMap<>();
  private final PostgresNotifications notifications;

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
  }

  @Override
  public String backend() {
    return dialect.backend();
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
          Asset existing = selectAsset(connection, spec.code()).orElseThrow();
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

  @Override
  public List<Asset> listAssets() {
    return read(
        connection -> {
          List<Asset> list = new ArrayList<>();
          try (PreparedStatement select =
                  connection.prepareStatement(
                      "SELECT code, decimals, name, created_at FROM assets ORDER BY code");
              ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
              list.add(assetRow(rows));
            }
          }
          return list;
        });
  }

  @Override
  public Optional<Asset> findAsset(String code) {
    return read(connection -> selectAsset(connection, code));
  }

  private Optional<Asset> selectAsset(Connection connection, String code) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT code, decimals, name, created_at FROM assets WHERE code = ?")) {
      select.setString(1, code);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? Optional.of(assetRow(rows)) : Optional.empty();
      }
    }
  }

  private Asset assetRow(ResultSet rows) throws SQLException {
    Asset asset =
        new Asset(
            rows.getString("code"),
            rows.getInt("decimals"),
            rows.getString("name"),
            dialect.getTimestamp(rows, "created_at"));
    assets.put(asset.code(), asset);
    return asset;
  }

  /** A registered asset from the cache or the database, or {@code null}. */
  private Asset asset(Connection connection, String code) throws SQLException {
    Asset cached = assets.get(code);
    return cached != null ? cached : selectAsset(connection, code).orElse(null);
  }

  private int decimals(Connection connection, String code) throws SQLException {
    Asset asset = asset(connection, code);
    if (asset == null) {
      throw new StoreException(
          "a stored posting names asset " + code + ", which is not registered");
    }
    return asset.decimals();
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
          Account existing = selectAccount(connection, book, account).orElseThrow();
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
          return new Registration<>(
              new Account(
                  book,
                  account,
                  existing.kind(),
                  existing.minBalance(),
                  spec.metadata(),
                  existing.createdAt(),
                  existing.balances()),
              false);
        });
  }

  @Override
  public Account getAccount(String book, String account) {
    return read(
        connection ->
            selectAccount(connection, book, account)
                .orElseThrow(() -> accountNotFound(book, account)));
  }

  @Override
  public AccountPage listAccounts(String book, String after, int limit) {
    Paging.requireLimit(limit);
    return read(
        connection -> {
          requireBook(connection, book);
          List<Account> page = new ArrayList<>();
          try (PreparedStatement select =
              connection.prepareStatement(
                  "SELECT account, kind, min_balance, metadata, created_at FROM accounts"
                      + " WHERE book = ? AND account > ? ORDER BY account LIMIT ?")) {
            select.setString(1, book);
            select.setString(2, after == null ? "" : after);
            select.setInt(3, limit + 1);
            try (ResultSet rows = select.executeQuery()) {
              while (rows.next()) {
                page.add(accountRow(book, rows, List.of()));
              }
            }
          }
          boolean more = page.size() > limit;
          if (more) {
            page = page.subList(0, limit);
          }
          Map<String, List<Balance>> balances = new HashMap<>();
          if (!page.isEmpty()) {
            List<String> names = page.stream().map(Account::account).toList();
            try (PreparedStatement select =
                connection.prepareStatement(
                    "SELECT account, asset, balance FROM balances WHERE book = ? AND "
                        + dialect.inList("account")
                        + " ORDER BY account, asset")) {
              select.setString(1, book);
              dialect.bindList(select, 2, names);
              try (ResultSet rows = select.executeQuery()) {
                Map<String, AccountKind> kinds = new HashMap<>();
                page.forEach(a -> kinds.put(a.account(), a.kind()));
                while (rows.next()) {
                  String name = rows.getString("account");
                  String asset = rows.getString("asset");
                  BigInteger raw = dialect.getAmount(rows, "balance");
                  balances
                      .computeIfAbsent(name, n -> new ArrayList<>())
                      .add(
                          new Balance(
                              asset,
                              new Amount(
                                  kinds.get(name).normalize(raw), decimals(connection, asset))));
                }
              }
            }
          }
          List<Account> accounts = new ArrayList<>(page.size());
          for (Account a : page) {
            accounts.add(
                new Account(
                    a.book(),
                    a.account(),
                    a.kind(),
                    a.minBalance(),
                    a.metadata(),
                    a.createdAt(),
                    balances.getOrDefault(a.account(), List.of())));
          }
          return new AccountPage(
              accounts, more ? accounts.get(accounts.size() - 1).account() : null);
        });
  }

  private Optional<Account> selectAccount(Connection connection, String book, String account)
      throws SQLException {
    Account row;
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT account, kind, min_balance, metadata, created_at FROM accounts"
                + " WHERE book = ? AND account = ?")) {
      select.setString(1, book);
      select.setString(2, account);
      try (ResultSet rows = select.executeQuery()) {
        if (!rows.next()) {
          return Optional.empty();
        }
        row = accountRow(book, rows, List.of());
      }
    }
    List<Balance> balances = new ArrayList<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT asset, balance FROM balances WHERE book = ? AND account = ? ORDER BY asset")) {
      select.setString(1, book);
      select.setString(2, account);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String asset = rows.getString("asset");
          balances.add(
              new Balance(
                  asset,
                  new Amount(
                      row.kind().normalize(dialect.getAmount(rows, "balance")),
                      decimals(connection, asset))));
        }
      }
    }
    return Optional.of(
        new Account(
            book,
            account,
            row.kind(),
            row.minBalance(),
            row.metadata(),
            row.createdAt(),
            balances));
  }

  private Account accountRow(String book, ResultSet rows, List<Balance> balances)
      throws SQLException {
    return new Account(
        book,
        rows.getString("account"),
        kind(rows.getString("kind")),
        dialect.getDecimal(rows, "min_balance"),
        metadata(rows.getString("metadata")),
        dialect.getTimestamp(rows, "created_at"),
        balances);
  }

  @Override
  public List<BookSummary> listBooks() {
    return read(
        connection -> {
          List<BookSummary> books = new ArrayList<>();
          try (PreparedStatement select =
                  connection.prepareStatement(
                      "SELECT book, last_seq, head_hash FROM books ORDER BY book");
              ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
              books.add(
                  new BookSummary(
                      rows.getString("book"),
                      rows.getLong("last_seq"),
                      rows.getString("head_hash")));
            }
          }
          return books;
        });
  }

  @Override
  public Optional<BookSummary> findBook(String book) {
    return read(connection -> selectBook(connection, book));
  }

  private Optional<BookSummary> selectBook(Connection connection, String book) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement("SELECT last_seq, head_hash FROM books WHERE book = ?")) {
      select.setString(1, book);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next()
            ? Optional.of(
                new BookSummary(book, rows.getLong("last_seq"), rows.getString("head_hash")))
            : Optional.empty();
      }
    }
  }

  private BookSummary requireBook(Connection connection, String book) throws SQLException {
    return selectBook(connection, book)
        .orElseThrow(() -> LedgerError.notFound("no book " + book).toException());
  }

  // ---- the write path ---------------------------------------------------------------------------

  @Override
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    if (drafts.isEmpty()) {
      return List.of();
    }
    Set<String> keys = GroupCommitPlanner.keysOf(drafts);
    Set<String> accountNames = GroupCommitPlanner.accountsOf(drafts);
    return write(
        connection -> {
          BookSnapshot snapshot;
          Instant committedAt;
          try (PreparedStatement lock = connection.prepareStatement(dialect.lockBookSql())) {
            lock.setString(1, book);
            try (ResultSet rows = lock.executeQuery()) {
              if (!rows.next()) {
                // No book, so no accounts: every draft is rejected and nothing is written.
                return GroupCommitPlanner.plan(
                        book,
                        BookSnapshot.empty(Map.of(), Map.of()),
                        Timestamps.truncate(Instant.now()),
                        drafts,
                        code -> cachedOrLoaded(connection, code),
                        settings.txIds())
                    .outcomes();
              }
              Instant lastCommittedAt = dialect.getTimestamp(rows, "last_committed_at");
              committedAt = GroupCommitPlanner.commitTimestamp(clock(connection), lastCommittedAt);
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
          loadAccounts(connection, book, accountNames, snapshot);
          GroupCommit plan =
              GroupCommitPlanner.plan(
                  book,
                  snapshot,
                  committedAt,
                  drafts,
                  code -> cachedOrLoaded(connection, code),
                  settings.txIds());
          if (!plan.writesNothing()) {
            writeCommits(connection, book, plan);
          }
          List<PostOutcome> outcomes = new ArrayList<>(plan.outcomes());
          for (Map.Entry<Integer, Long> replay : plan.replays().entrySet()) {
            Transaction original =
                loadTransactions(connection, book, replay.getValue(), replay.getValue()).get(0);
            outcomes.set(
                replay.getKey(), new PostOutcome.Committed(original.withDeduplicated(true)));
          }
          return outcomes;
        });
  }

  private Asset cachedOrLoaded(Connection connection, String code) {
    try {
      return asset(connection, code);
    } catch (SQLException e) {
      throw new SqlFailure(e);
    }
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
                          kind(rows.getString("kind")), dialect.getDecimal(rows, "min_balance"));
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

  // ---- transactions -----------------------------------------------------------------------------

  @Override
  public Optional<Transaction> findTransaction(UUID txId) {
    return read(
        connection -> {
          String book;
          long seq;
          try (PreparedStatement select =
              connection.prepareStatement("SELECT book, seq FROM transactions WHERE tx_id = ?")) {
            dialect.setUuid(select, 1, txId);
            try (ResultSet rows = select.executeQuery()) {
              if (!rows.next()) {
                return Optional.empty();
              }
              book = rows.getString("book");
              seq = rows.getLong("seq");
            }
          }
          return Optional.of(loadTransactions(connection, book, seq, seq).get(0));
        });
  }

  @Override
  public Optional<Transaction> findTransactionByKey(String book, String idempotencyKey) {
    return read(
        connection -> {
          requireBook(connection, book);
          long seq;
          try (PreparedStatement select =
              connection.prepareStatement(
                  "SELECT seq FROM transactions WHERE book = ? AND idempotency_key = ?")) {
            select.setString(1, book);
            select.setString(2, idempotencyKey);
            try (ResultSet rows = select.executeQuery()) {
              if (!rows.next()) {
                return Optional.empty();
              }
              seq = rows.getLong("seq");
            }
          }
          return Optional.of(loadTransactions(connection, book, seq, seq).get(0));
        });
  }

  @Override
  public TransactionPage listTransactions(String book, long afterSeq, int limit) {
    Paging.requireAfterSeq(afterSeq);
    Paging.requireLimit(limit);
    return read(
        connection -> {
          BookSummary head = requireBook(connection, book);
          if (afterSeq >= head.lastSeq()) {
            return new TransactionPage(List.of(), null);
          }
          long last = Math.min(head.lastSeq(), afterSeq + limit);
          List<Transaction> page = loadTransactions(connection, book, afterSeq + 1, last);
          return new TransactionPage(page, last < head.lastSeq() ? last : null);
        });
  }

  @Override
  public List<Transaction> readCommits(String book, long fromSeq, int limit) {
    Paging.requireLimit(limit);
    long first = Math.max(1, fromSeq);
    long last = first > Long.MAX_VALUE - limit ? Long.MAX_VALUE : first + limit - 1;
    return read(connection -> loadTransactions(connection, book, first, last));
  }

  /**
   * The commits with seq in {@code [first, last]} that exist, in seq order. Seqs are gapless, so a
   * range read is exact and needs just two statements for any number of commits.
   */
  private List<Transaction> loadTransactions(
      Connection connection, String book, long first, long last) throws SQLException {
    Map<Long, List<Posting>> postings = new HashMap<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT "
                + POSTING_COLUMNS
                + " FROM postings WHERE book = ? AND seq >= ? AND seq <= ? ORDER BY seq, idx")) {
      select.setString(1, book);
      select.setLong(2, first);
      select.setLong(3, last);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String asset = rows.getString("asset");
          int decimals = decimals(connection, asset);
          postings
              .computeIfAbsent(rows.getLong("seq"), s -> new ArrayList<>())
              .add(
                  new Posting(
                      rows.getString("account"),
                      asset,
                      side(rows.getString("side")),
                      new Amount(dialect.getAmount(rows, "amount"), decimals),
                      new Amount(dialect.getAmount(rows, "balance_after"), decimals)));
        }
      }
    }
    List<Transaction> transactions = new ArrayList<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT "
                + TX_COLUMNS
                + " FROM transactions WHERE book = ? AND seq >= ? AND seq <= ? ORDER BY seq")) {
      select.setString(1, book);
      select.setLong(2, first);
      select.setLong(3, last);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          long seq = rows.getLong("seq");
          transactions.add(
              new Transaction(
                  dialect.getUuid(rows, "tx_id"),
                  book,
                  seq,
                  dialect.getTimestamp(rows, "committed_at"),
                  dialect.getTimestamp(rows, "occurred_at"),
                  rows.getString("idempotency_key"),
                  false,
                  rows.getString("memo"),
                  metadata(rows.getString("metadata")),
                  postings.getOrDefault(seq, List.of()),
                  rows.getString("hash"),
                  rows.getString("prev_hash")));
        }
      }
    }
    return transactions;
  }

  @Override
  public PostingPage listPostings(
      String book, String account, String asset, long afterSeq, int limit) {
    Paging.requireAfterSeq(afterSeq);
    Paging.requireLimit(limit);
    return read(
        connection -> {
          if (selectAccountKind(connection, book, account) == null) {
            throw accountNotFound(book, account);
          }
          List<String> assetsHeld;
          if (asset != null) {
            if (asset(connection, asset) == null) {
              throw LedgerError.notFound("no asset " + asset).toException();
            }
            assetsHeld = List.of(asset);
          } else {
            assetsHeld = heldAssets(connection, book, account);
          }
          // One index range per asset, merged by (seq, idx): the index is (book, account, asset,
          // seq).
          List<PostingRow> rows = new ArrayList<>();
          for (String held : assetsHeld) {
            rows.addAll(postingRows(connection, book, account, held, afterSeq, limit + 1));
          }
          rows.sort(Comparator.comparingLong(PostingRow::seq).thenComparingInt(PostingRow::idx));
          if (rows.size() <= limit) {
            return new PostingPage(postings(rows), null);
          }
          // A page never splits a transaction: finish the last seq even beyond the limit.
          List<PostingRow> page = new ArrayList<>(rows.subList(0, limit));
          PostingRow last = page.get(page.size() - 1);
          page.addAll(restOfSeq(connection, book, account, asset, last));
          boolean more = false;
          for (String held : assetsHeld) {
            if (!postingRows(connection, book, account, held, last.seq(), 1).isEmpty()) {
              more = true;
              break;
            }
          }
          return new PostingPage(postings(page), more ? last.seq() : null);
        });
  }

  private record PostingRow(int idx, AccountPosting posting) {
    long seq() {
      return posting.seq();
    }
  }

  private static List<AccountPosting> postings(List<PostingRow> rows) {
    return rows.stream().map(PostingRow::posting).toList();
  }

  private static final String ACCOUNT_POSTING_SQL =
      "SELECT p.seq, p.idx, t.tx_id, t.committed_at, p.asset, p.side, p.amount, p.balance_after"
          + " FROM postings p JOIN transactions t ON t.book = p.book AND t.seq = p.seq";

  private List<PostingRow> postingRows(
      Connection connection, String book, String account, String asset, long afterSeq, int limit)
      throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            ACCOUNT_POSTING_SQL
                + " WHERE p.book = ? AND p.account = ? AND p.asset = ? AND p.seq > ?"
                + " ORDER BY p.seq, p.idx LIMIT ?")) {
      select.setString(1, book);
      select.setString(2, account);
      select.setString(3, asset);
      select.setLong(4, afterSeq);
      select.setInt(5, limit);
      return postingRows(connection, select);
    }
  }

  /** The account's postings in {@code last}'s transaction after it (of {@code asset}, if given). */
  private List<PostingRow> restOfSeq(
      Connection connection, String book, String account, String asset, PostingRow last)
      throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            ACCOUNT_POSTING_SQL
                + " WHERE p.book = ? AND p.seq = ? AND p.idx > ? AND p.account = ?"
                + (asset == null ? "" : " AND p.asset = ?")
                + " ORDER BY p.idx")) {
      select.setString(1, book);
      select.setLong(2, last.seq());
      select.setInt(3, last.idx());
      select.setString(4, account);
      if (asset != null) {
        select.setString(5, asset);
      }
      return postingRows(connection, select);
    }
  }

  private List<PostingRow> postingRows(Connection connection, PreparedStatement select)
      throws SQLException {
    List<PostingRow> result = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        String asset = rows.getString("asset");
        int decimals = decimals(connection, asset);
        result.add(
            new PostingRow(
                rows.getInt("idx"),
                new AccountPosting(
                    rows.getLong("seq"),
                    dialect.getUuid(rows, "tx_id"),
                    dialect.getTimestamp(rows, "committed_at"),
                    asset,
                    side(rows.getString("side")),
                    new Amount(dialect.getAmount(rows, "amount"), decimals),
                    new Amount(dialect.getAmount(rows, "balance_after"), decimals))));
      }
    }
    return result;
  }

  private List<String> heldAssets(Connection connection, String book, String account)
      throws SQLException {
    List<String> held = new ArrayList<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT asset FROM balances WHERE book = ? AND account = ? ORDER BY asset")) {
      select.setString(1, book);
      select.setString(2, account);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          held.add(rows.getString("asset"));
        }
      }
    }
    return held;
  }

  // ---- balances ---------------------------------------------------------------------------------

  @Override
  public AccountBalances balances(String book, String account, Instant asOf, String asset) {
    return read(
        connection -> {
          AccountKind kind = selectAccountKind(connection, book, account);
          if (kind == null) {
            throw accountNotFound(book, account);
          }
          if (asset != null && asset(connection, asset) == null) {
            throw LedgerError.notFound("no asset " + asset).toException();
          }
          long seq;
          Map<String, BigInteger> normal = new TreeMap<>();
          if (asOf == null) {
            // One statement: the balances and the seq they belong to are one snapshot.
            seq = -1;
            try (PreparedStatement select =
                connection.prepareStatement(
                    "SELECT k.last_seq, b.asset, b.balance FROM books k"
                        + " LEFT JOIN balances b ON b.book = k.book AND b.account = ?"
                        + " WHERE k.book = ?")) {
              select.setString(1, account);
              select.setString(2, book);
              try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                  seq = rows.getLong("last_seq");
                  String held = rows.getString("asset");
                  if (held != null) {
                    normal.put(held, kind.normalize(dialect.getAmount(rows, "balance")));
                  }
                }
              }
            }
          } else {
            seq = seqAsOf(connection, book, asOf);
            try (PreparedStatement select =
                connection.prepareStatement(
                    "SELECT b.asset, (SELECT p.balance_after FROM postings p"
                        + " WHERE p.book = b.book AND p.account = b.account AND p.asset = b.asset"
                        + " AND p.seq <= ? ORDER BY p.seq DESC, p.idx DESC LIMIT 1) AS balance"
                        + " FROM balances b WHERE b.book = ? AND b.account = ?")) {
              select.setLong(1, seq);
              select.setString(2, book);
              select.setString(3, account);
              try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                  if (rows.getString("balance") != null) {
                    normal.put(rows.getString("asset"), dialect.getAmount(rows, "balance"));
                  }
                }
              }
            }
          }
          List<Balance> balances = new ArrayList<>();
          for (Map.Entry<String, BigInteger> entry : normal.entrySet()) {
            if (asset == null || asset.equals(entry.getKey())) {
              balances.add(
                  new Balance(
                      entry.getKey(),
                      new Amount(entry.getValue(), decimals(connection, entry.getKey()))));
            }
          }
          if (asset != null && balances.isEmpty()) {
            balances.add(new Balance(asset, Amount.zero(decimals(connection, asset))));
          }
          return new AccountBalances(
              book, account, kind, truncate(asOf), Math.max(seq, 0), balances);
        });
  }

  @Override
  public TrialBalance trialBalance(String book, Instant asOf) {
    return read(
        connection -> {
          List<TrialBalance.RawBalance> raw = new ArrayList<>();
          long seq = -1;
          if (asOf == null) {
            try (PreparedStatement select =
                connection.prepareStatement(
                    "SELECT k.last_seq, b.account, a.kind, b.asset, b.balance FROM books k"
                        + " LEFT JOIN balances b ON b.book = k.book"
                        + " LEFT JOIN accounts a ON a.book = b.book AND a.account = b.account"
                        + " WHERE k.book = ?")) {
              select.setString(1, book);
              try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                  seq = rows.getLong("last_seq");
                  String asset = rows.getString("asset");
                  if (asset != null) {
                    raw.add(
                        new TrialBalance.RawBalance(
                            rows.getString("account"),
                            kind(rows.getString("kind")),
                            asset,
                            decimals(connection, asset),
                            dialect.getAmount(rows, "balance")));
                  }
                }
              }
            }
            if (seq < 0) {
              throw LedgerError.notFound("no book " + book).toException();
            }
          } else {
            requireBook(connection, book);
            seq = seqAsOf(connection, book, asOf);
            try (PreparedStatement select =
                connection.prepareStatement(
                    "SELECT b.account, a.kind, b.asset, (SELECT p.balance_after FROM postings p"
                        + " WHERE p.book = b.book AND p.account = b.account AND p.asset = b.asset"
                        + " AND p.seq <= ? ORDER BY p.seq DESC, p.idx DESC LIMIT 1) AS balance"
                        + " FROM balances b JOIN accounts a"
                        + " ON a.book = b.book AND a.account = b.account WHERE b.book = ?")) {
              select.setLong(1, seq);
              select.setString(2, book);
              try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                  if (rows.getString("balance") == null) {
                    continue;
                  }
                  AccountKind kind = kind(rows.getString("kind"));
                  String asset = rows.getString("asset");
                  raw.add(
                      new TrialBalance.RawBalance(
                          rows.getString("account"),
                          kind,
                          asset,
                          decimals(connection, asset),
                          kind.normalize(dialect.getAmount(rows, "balance"))));
                }
              }
            }
          }
          return TrialBalance.of(book, truncate(asOf), seq, raw);
        });
  }

  /** The last seq committed at or before {@code asOf} (0 if none). */
  private long seqAsOf(Connection connection, String book, Instant asOf) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT MAX(seq) AS seq FROM transactions WHERE book = ? AND committed_at <= ?")) {
      select.setString(1, book);
      dialect.setTimestamp(select, 2, Timestamps.truncate(asOf));
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getLong("seq");
      }
    }
  }

  private AccountKind selectAccountKind(Connection connection, String book, String account)
      throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement("SELECT kind FROM accounts WHERE book = ? AND account = ?")) {
      select.setString(1, book);
      select.setString(2, account);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? kind(rows.getString("kind")) : null;
      }
    }
  }

  // ---- verify -----------------------------------------------------------------------------------

  private static final int VERIFY_PAGE = 500;

  @Override
  public VerifyResult verify(String book) {
    return read(
        connection -> {
          BookSummary head = requireBook(connection, book);
          Map<String, AccountKind> kinds = new HashMap<>();
          try (PreparedStatement select =
              connection.prepareStatement("SELECT account, kind FROM accounts WHERE book = ?")) {
            select.setString(1, book);
            try (ResultSet rows = select.executeQuery()) {
              while (rows.next()) {
                kinds.put(rows.getString("account"), kind(rows.getString("kind")));
              }
            }
          }
          ChainVerifier verifier = new ChainVerifier(book, kinds);
          for (long first = 1; first <= head.lastSeq(); first += VERIFY_PAGE) {
            long last = Math.min(head.lastSeq(), first + VERIFY_PAGE - 1);
            List<Transaction> page = loadTransactions(connection, book, first, last);
            Optional<VerifyResult> failure = verifier.check(first, last, page);
            if (failure.isPresent()) {
              return failure.get();
            }
          }
          Map<BalanceKey, BigInteger> stored = new LinkedHashMap<>();
          try (PreparedStatement select =
              connection.prepareStatement(
                  "SELECT account, asset, balance FROM balances WHERE book = ?")) {
            select.setString(1, book);
            try (ResultSet rows = select.executeQuery()) {
              while (rows.next()) {
                stored.put(
                    new BalanceKey(rows.getString("account"), rows.getString("asset")),
                    dialect.getAmount(rows, "balance"));
              }
            }
          }
          return verifier.finish(head, stored);
        });
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private Instant clock(Connection connection) throws SQLException {
    return settings.clock() != null ? settings.clock().instant() : dialect.now(connection);
  }

  private static Instant truncate(Instant asOf) {
    return asOf == null ? null : Timestamps.truncate(asOf);
  }

  private Instant now(Connection connection) throws SQLException {
    return Timestamps.truncate(clock(connection));
  }

  private static dev.talea.protocol.LedgerException accountNotFound(String book, String account) {
    return LedgerError.notFound("no account " + account + " in book " + book).toException();
  }

  private static AccountKind kind(String wireName) {
    AccountKind kind = AccountKind.fromWire(wireName);
    if (kind == null) {
      throw new StoreException("stored account kind is unknown: " + wireName);
    }
    return kind;
  }

  private static Side side(String code) {
    return switch (code) {
      case "D" -> Side.DEBIT;
      case "C" -> Side.CREDIT;
      default -> throw new StoreException("stored posting side is unknown: " + code);
    };
  }

  private static String json(Map<String, String> metadata) {
    try {
      return Json.mapper().writeValueAsString(metadata);
    } catch (JsonProcessingException e) {
      throw new StoreException("metadata does not serialise", e);
    }
  }

  private static Map<String, String> metadata(String json) {
    try {
      return Json.mapper().readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw new StoreException("stored metadata is not a JSON object of strings", e);
    }
  }

  private <T> T write(SqlWork<T> work) {
    try {
      return connections.write(work);
    } catch (SQLException e) {
      throw translate(e);
    } catch (SqlFailure e) {
      throw translate(e.getCause());
    }
  }

  private <T> T read(SqlWork<T> work) {
    try {
      return connections.read(work);
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

  /** Carries an {@link SQLException} through a lambda that cannot throw it. */
  private static final class SqlFailure extends RuntimeException {
    SqlFailure(SQLException cause) {
      super(cause);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
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
