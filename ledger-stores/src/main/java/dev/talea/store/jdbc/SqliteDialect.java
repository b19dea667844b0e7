package dev.talea.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.json.Json;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Collection;
import java.util.UUID;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * SQLite: amounts as decimal text, timestamps as integer microseconds, the database's write lock
 * (taken by {@code BEGIN IMMEDIATE} on the single writer connection) as the write arbiter, and the
 * system clock.
 */
final class SqliteDialect implements Dialect {

  @Override
  public String backend() {
    return "sqlite";
  }

  @Override
  public String migrationLocation() {
    return "classpath:db/sqlite";
  }

  @Override
  public String lockBookSql() {
    // The writer's transaction began IMMEDIATE: it already excludes every other writer.
    return "SELECT last_seq, head_hash, last_committed_at FROM books WHERE book = ?";
  }

  @Override
  public Instant now(Connection connection) {
    return Instant.now();
  }

  @Override
  public String inList(String column) {
    return column + " IN (SELECT value FROM json_each(?))";
  }

  @Override
  public void bindList(PreparedStatement statement, int index, Collection<String> values)
      throws SQLException {
    try {
      statement.setString(index, Json.mapper().writeValueAsString(values));
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot encode a list of strings", e);
    }
  }

  @Override
  public String jsonParameter() {
    return "?";
  }

  @Override
  public void setAmount(PreparedStatement statement, int index, BigInteger value)
      throws SQLException {
    statement.setString(index, value.toString());
  }

  @Override
  public BigInteger getAmount(ResultSet rows, String column) throws SQLException {
    return new BigInteger(rows.getString(column));
  }

  @Override
  public void setDecimal(PreparedStatement statement, int index, DecimalAmount value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.VARCHAR);
    } else {
      statement.setString(index, value.normalized());
    }
  }

  @Override
  public DecimalAmount getDecimal(ResultSet rows, String column) throws SQLException {
    String value = rows.getString(column);
    return value == null ? null : DecimalAmount.parseSigned(value, column);
  }

  @Override
  public void setTimestamp(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.BIGINT);
    } else {
      statement.setLong(index, Timestamps.toEpochMicros(value));
    }
  }

  @Override
  public Instant getTimestamp(ResultSet rows, String column) throws SQLException {
    long micros = rows.getLong(column);
    return rows.wasNull() ? null : Timestamps.fromEpochMicros(micros);
  }

  @Override
  public void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
    statement.setString(index, value.toString());
  }

  @Override
  public UUID getUuid(ResultSet rows, String column) throws SQLException {
    return UUID.fromString(rows.getString(column));
  }

  @Override
  public boolean isUnavailable(SQLException failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLiteException sqlite) {
        SQLiteErrorCode code = sqlite.getResultCode();
        if (code == SQLiteErrorCode.SQLITE_BUSY
            || code == SQLiteErrorCode.SQLITE_LOCKED
            || code == SQLiteErrorCode.SQLITE_FULL
            || code == SQLiteErrorCode.SQLITE_IOERR
            || code == SQLiteErrorCode.SQLITE_CANTOPEN
            || code.name().startsWith("SQLITE_BUSY")
            || code.name().startsWith("SQLITE_IOERR")) {
          return true;
        }
      }
    }
    return false;
  }
}
