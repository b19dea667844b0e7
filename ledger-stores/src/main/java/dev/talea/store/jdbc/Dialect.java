package dev.talea.store.jdbc;

import dev.talea.protocol.DecimalAmount;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.UUID;

/**
 * What differs between the SQL databases talea runs on: column types, the write arbiter, the clock,
 * and which failures mean "unavailable". Everything else is shared SQL in {@link JdbcStore}.
 */
interface Dialect {

  /** The backend name reported in {@code X-Talea-Backend}. */
  String backend();

  /** Where Flyway finds this dialect's migrations. */
  String migrationLocation();

  /**
   * The statement that reads a book's counter row and holds it against every other writer of the
   * book until the transaction ends (selecting {@code last_seq, head_hash, last_committed_at}).
   */
  String lockBookSql();

  /** The database's clock, read inside the current transaction. */
  Instant now(Connection connection) throws SQLException;

  /** A predicate fragment testing {@code column} against a bound collection: one {@code ?}. */
  String inList(String column);

  void bindList(PreparedStatement statement, int index, Collection<String> values)
      throws SQLException;

  /** The placeholder for a metadata JSON text parameter. */
  String jsonParameter();

  void setAmount(PreparedStatement statement, int index, BigInteger value) throws SQLException;

  BigInteger getAmount(ResultSet rows, String column) throws SQLException;

  void setDecimal(PreparedStatement statement, int index, DecimalAmount value) throws SQLException;

  DecimalAmount getDecimal(ResultSet rows, String column) throws SQLException;

  /** Sets a timestamp, or SQL NULL for {@code null}. */
  void setTimestamp(PreparedStatement statement, int index, Instant value) throws SQLException;

  /** A timestamp, or {@code null} for SQL NULL. */
  Instant getTimestamp(ResultSet rows, String column) throws SQLException;

  void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException;

  UUID getUuid(ResultSet rows, String column) throws SQLException;

  /** Whether a failure means the database cannot be reached now, rather than a bug. */
  boolean isUnavailable(SQLException failure);
}
