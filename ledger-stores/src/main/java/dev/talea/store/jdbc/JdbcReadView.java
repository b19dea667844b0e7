package dev.talea.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Asset;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.Side;
import dev.talea.protocol.json.Json;
import dev.talea.store.StoreException;
import dev.talea.store.commit.BalanceKey;
import dev.talea.store.read.ReadView;
import dev.talea.store.read.StoredAccount;
import dev.talea.store.read.StoredCommit;
import dev.talea.store.read.StoredEntry;
import dev.talea.store.read.StoredPosting;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The SQL reads of the stores on a database, on one connection. In a snapshot transaction ({@link
 * Connections#snapshot}) every statement sees the same state, which is what makes it a {@link
 * ReadView}; inside a group commit it reads what the commit's own transaction sees.
 *
 * <p>Every method is one statement, so each call alone sees one state. Heads read through the view
 * are remembered, so that balances right after the head come from the balances table (one row per
 * account and asset) and older ones from the postings.
 */
final class JdbcReadView implements ReadView {

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private static final String ASSET_COLUMNS = "code, decimals, name, created_at";
  private static final String ACCOUNT_COLUMNS = "account, kind, min_balance, metadata, created_at";
  private static final String ENTRY_SQL =
      "SELECT p.seq, p.idx, t.tx_id, t.committed_at, p.asset, p.side, p.amount, p.balance_after"
          + " FROM postings p JOIN transactions t ON t.book = p.book AND t.seq = p.seq"
          + " WHERE p.book = ? AND p.account = ? AND p.asset = ? AND p.seq > ? AND p.seq <= ?"
          + " ORDER BY p.seq, p.idx LIMIT ?";

  private final Connection connection;
  private final Dialect dialect;
  private final Map<String, Asset> assetCache;
  private final Map<String, Long> heads = new HashMap<>();

  /**
   * @param assetCache assets by code, shared by every view of the store: an asset never changes its
   *     decimals, so a cached one is as good as a read one
   */
  JdbcReadView(Connection connection, Dialect dialect, Map<String, Asset> assetCache) {
    this.connection = connection;
    this.dialect = dialect;
    this.assetCache = assetCache;
  }

  // ---- assets and books -------------------------------------------------------------------------

  @Override
  public List<Asset> assets() {
    return list(
        "SELECT " + ASSET_COLUMNS + " FROM assets ORDER BY code", statement -> {}, this::asset);
  }

  @Override
  public Asset asset(String code) {
    List<Asset> found =
        list(
            "SELECT " + ASSET_COLUMNS + " FROM assets WHERE code = ?",
            statement -> statement.setString(1, code),
            this::asset);
    return found.isEmpty() ? null : found.get(0);
  }

  @Override
  public Integer decimals(String code) {
    Asset asset = cachedAsset(code);
    return asset == null ? null : asset.decimals();
  }

  /** The asset from the cache, or else from the database (its name may be out of date). */
  Asset cachedAsset(String code) {
    Asset cached = assetCache.get(code);
    return cached != null ? cached : asset(code);
  }

  private Asset asset(ResultSet rows) throws SQLException {
    Asset asset =
        new Asset(
            rows.getString("code"),
            rows.getInt("decimals"),
            rows.getString("name"),
            dialect.getTimestamp(rows, "created_at"));
    assetCache.put(asset.code(), asset);
    return asset;
  }

  @Override
  public List<BookSummary> books() {
    return list(
        "SELECT book, last_seq, head_hash FROM books ORDER BY book",
        statement -> {},
        rows ->
            new BookSummary(
                rows.getString("book"), rows.getLong("last_seq"), rows.getString("head_hash")));
  }

  @Override
  public BookSummary head(String book) {
    List<BookSummary> found =
        list(
            "SELECT last_seq, head_hash FROM books WHERE book = ?",
            statement -> statement.setString(1, book),
            rows -> new BookSummary(book, rows.getLong("last_seq"), rows.getString("head_hash")));
    if (found.isEmpty()) {
      return null;
    }
    heads.put(book, found.get(0).lastSeq());
    return found.get(0);
  }

  // ---- accounts and balances --------------------------------------------------------------------

  @Override
  public StoredAccount account(String book, String account) {
    List<StoredAccount> found =
        list(
            "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE book = ? AND account = ?",
            statement -> {
              statement.setString(1, book);
              statement.setString(2, account);
            },
            this::account);
    return found.isEmpty() ? null : found.get(0);
  }

  /**
   * Two statements: the account row (not versioned by seq), then the counter row and the account's
   * balance rows in one statement, so the balances are those of the head beside them. Cheaper for
   * Postgres than one statement joining all three.
   */
  @Override
  public AccountAtHead accountAtHead(String book, String account) {
    StoredAccount found = account(book, account);
    if (found == null) {
      return null;
    }
    BookSummary[] head = {null};
    Map<String, BigInteger> balances = new LinkedHashMap<>();
    query(
        "SELECT k.last_seq, k.head_hash, b.asset, b.balance FROM books k"
            + " LEFT JOIN balances b ON b.book = k.book AND b.account = ? WHERE k.book = ?",
        statement -> {
          statement.setString(1, account);
          statement.setString(2, book);
        },
        rows -> {
          head[0] = new BookSummary(book, rows.getLong("last_seq"), rows.getString("head_hash"));
          String asset = rows.getString("asset");
          if (asset != null) {
            balances.put(asset, dialect.getAmount(rows, "balance"));
          }
        });
    heads.put(book, head[0].lastSeq());
    return new AccountAtHead(head[0], found, balances);
  }

  @Override
  public List<StoredAccount> accounts(String book, String after, int limit) {
    return list(
        "SELECT "
            + ACCOUNT_COLUMNS
            + " FROM accounts WHERE book = ? AND account > ? ORDER BY account LIMIT ?",
        statement -> {
          statement.setString(1, book);
          statement.setString(2, after == null ? "" : after);
          statement.setInt(3, limit);
        },
        this::account);
  }

  private StoredAccount account(ResultSet rows) throws SQLException {
    return new StoredAccount(
        rows.getString("account"),
        kind(rows.getString("kind")),
        dialect.getDecimal(rows, "min_balance"),
        metadata(rows.getString("metadata")),
        dialect.getTimestamp(rows, "created_at"));
  }

  @Override
  public Map<String, AccountKind> kinds(String book) {
    Map<String, AccountKind> kinds = new HashMap<>();
    query(
        "SELECT account, kind FROM accounts WHERE book = ?",
        statement -> statement.setString(1, book),
        rows -> kinds.put(rows.getString("account"), kind(rows.getString("kind"))));
    return kinds;
  }

  @Override
  public Map<BalanceKey, BigInteger> balances(String book, Collection<String> accounts, long seq) {
    Map<BalanceKey, BigInteger> balances = new LinkedHashMap<>();
    String filter = accounts == null ? "" : " AND " + dialect.inList("b.account");
    Long head = heads.get(book);
    if (head != null && head == seq) {
      // Right after the head: the projection the group commits keep.
      query(
          "SELECT b.account, b.asset, b.balance FROM balances b WHERE b.book = ?" + filter,
          statement -> bindBookAndAccounts(statement, 1, book, accounts),
          rows ->
              balances.put(
                  new BalanceKey(rows.getString("account"), rows.getString("asset")),
                  dialect.getAmount(rows, "balance")));
      return balances;
    }
    // Earlier: each held balance as its last posting at or before seq left it.
    query(
        "SELECT b.account, b.asset, a.kind, (SELECT p.balance_after FROM postings p"
            + " WHERE p.book = b.book AND p.account = b.account AND p.asset = b.asset"
            + " AND p.seq <= ? ORDER BY p.seq DESC, p.idx DESC LIMIT 1) AS balance"
            + " FROM balances b JOIN accounts a ON a.book = b.book AND a.account = b.account"
            + " WHERE b.book = ?"
            + filter,
        statement -> {
          statement.setLong(1, seq);
          bindBookAndAccounts(statement, 2, book, accounts);
        },
        rows -> {
          if (rows.getString("balance") != null) {
            balances.put(
                new BalanceKey(rows.getString("account"), rows.getString("asset")),
                kind(rows.getString("kind")).normalize(dialect.getAmount(rows, "balance")));
          }
        });
    return balances;
  }

  private void bindBookAndAccounts(
      PreparedStatement statement, int index, String book, Collection<String> accounts)
      throws SQLException {
    statement.setString(index, book);
    if (accounts != null) {
      dialect.bindList(statement, index + 1, accounts);
    }
  }

  @Override
  public long seqAsOf(String book, Instant asOf) {
    long[] seq = {0};
    query(
        "SELECT MAX(seq) AS seq FROM transactions WHERE book = ? AND committed_at <= ?",
        statement -> {
          statement.setString(1, book);
          dialect.setTimestamp(statement, 2, asOf);
        },
        rows -> seq[0] = rows.getLong("seq"));
    return seq[0];
  }

  // ---- commits ----------------------------------------------------------------------------------

  /**
   * One statement for any number of commits (each row a posting with its commit's columns), so a
   * commit is read whole or not at all even outside a snapshot. Seqs are gapless: the range is
   * exact.
   */
  @Override
  public List<StoredCommit> commits(String book, long first, long last) {
    List<StoredCommit> commits = new ArrayList<>();
    List<StoredPosting> postings = new ArrayList<>();
    StoredCommit[] current = {null};
    query(
        "SELECT t.seq, t.tx_id, t.committed_at, t.occurred_at, t.idempotency_key,"
            + " t.request_fingerprint, t.memo, t.metadata, t.hash, t.prev_hash,"
            + " p.account, p.asset, p.side, p.amount, p.balance_after"
            + " FROM transactions t LEFT JOIN postings p ON p.book = t.book AND p.seq = t.seq"
            + " WHERE t.book = ? AND t.seq >= ? AND t.seq <= ? ORDER BY t.seq, p.idx",
        statement -> bindRange(statement, book, first, last),
        rows -> {
          long seq = rows.getLong("seq");
          if (current[0] == null || current[0].seq() != seq) {
            if (current[0] != null) {
              commits.add(current[0].withPostings(postings));
              postings.clear();
            }
            current[0] =
                new StoredCommit(
                    book,
                    seq,
                    dialect.getUuid(rows, "tx_id"),
                    dialect.getTimestamp(rows, "committed_at"),
                    dialect.getTimestamp(rows, "occurred_at"),
                    rows.getString("idempotency_key"),
                    rows.getString("request_fingerprint"),
                    rows.getString("memo"),
                    metadata(rows.getString("metadata")),
                    List.of(),
                    rows.getString("hash"),
                    rows.getString("prev_hash"));
          }
          if (rows.getString("account") != null) {
            postings.add(
                new StoredPosting(
                    rows.getString("account"),
                    rows.getString("asset"),
                    side(rows.getString("side")),
                    dialect.getAmount(rows, "amount"),
                    dialect.getAmount(rows, "balance_after")));
          }
        });
    if (current[0] != null) {
      commits.add(current[0].withPostings(postings));
    }
    return commits;
  }

  private static void bindRange(PreparedStatement statement, String book, long first, long last)
      throws SQLException {
    statement.setString(1, book);
    statement.setLong(2, first);
    statement.setLong(3, last);
  }

  @Override
  public long seqOfKey(String book, String idempotencyKey) {
    List<Long> found =
        list(
            "SELECT seq FROM transactions WHERE book = ? AND idempotency_key = ?",
            statement -> {
              statement.setString(1, book);
              statement.setString(2, idempotencyKey);
            },
            rows -> rows.getLong("seq"));
    return found.isEmpty() ? 0 : found.get(0);
  }

  @Override
  public Location locate(UUID txId) {
    List<Location> found =
        list(
            "SELECT book, seq FROM transactions WHERE tx_id = ?",
            statement -> dialect.setUuid(statement, 1, txId),
            rows -> new Location(rows.getString("book"), rows.getLong("seq")));
    return found.isEmpty() ? null : found.get(0);
  }

  /** One index range: the postings index is (book, account, asset, seq). */
  @Override
  public List<StoredEntry> postings(
      String book, String account, String asset, long afterSeq, long throughSeq, int limit) {
    return list(
        ENTRY_SQL,
        statement -> {
          statement.setString(1, book);
          statement.setString(2, account);
          statement.setString(3, asset);
          statement.setLong(4, afterSeq);
          statement.setLong(5, throughSeq);
          statement.setInt(6, limit);
        },
        rows ->
            new StoredEntry(
                rows.getLong("seq"),
                rows.getInt("idx"),
                dialect.getUuid(rows, "tx_id"),
                dialect.getTimestamp(rows, "committed_at"),
                rows.getString("asset"),
                side(rows.getString("side")),
                dialect.getAmount(rows, "amount"),
                dialect.getAmount(rows, "balance_after")));
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private interface Binder {
    void bind(PreparedStatement statement) throws SQLException;
  }

  private interface RowMapper<T> {
    T map(ResultSet rows) throws SQLException;
  }

  private interface RowReader {
    void read(ResultSet rows) throws SQLException;
  }

  private <T> List<T> list(String sql, Binder binder, RowMapper<T> mapper) {
    List<T> result = new ArrayList<>();
    query(sql, binder, rows -> result.add(mapper.map(rows)));
    return result;
  }

  private void query(String sql, Binder binder, RowReader reader) {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      binder.bind(statement);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          reader.read(rows);
        }
      }
    } catch (SQLException e) {
      throw new SqlFailure(e);
    }
  }

  static AccountKind kind(String wireName) {
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

  private static Map<String, String> metadata(String json) {
    try {
      return Json.mapper().readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw new StoreException("stored metadata is not a JSON object of strings", e);
    }
  }
}
