package dev.talea.store.jdbc;

import dev.talea.protocol.DecimalAmount;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Set;
import java.util.UUID;

/** Postgres: NUMERIC amounts, TIMESTAMPTZ, the counter row locked FOR UPDATE, clock_timestamp(). */
final class PostgresDialect implements Dialect {

  /** Connection failures, and the server refusing work while it shuts down or starts. */
  private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300");

  @Override
  public String backend() {
    return "postgres";
  }

  @Override
  public String migrationLocation() {
    return "classpath:db/postgres";
  }

  @Override
  public String lockBookSql() {
    return "SELECT last_seq, head_hash, last_committed_at FROM books WHERE book = ? FOR UPDATE";
  }

  @Override
  public Instant now(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT clock_timestamp()")) {
      rows.next();
      return rows.getObject(1, OffsetDateTime.class).toInstant();
    }
  }

  @Override
  public String inList(String column) {
    return column + " = ANY(?)";
  }

  @Override
  public void bindList(PreparedStatement statement, int index, Collection<String> values)
      throws SQLException {
    statement.setArray(
        index, statement.getConnection().createArrayOf("text", values.toArray(new String[0])));
  }

  @Override
  public String jsonParameter() {
    return "?::jsonb";
  }

  @Override
  public void setAmount(PreparedStatement statement, int index, BigInteger value)
      throws SQLException {
    statement.setBigDecimal(index, new BigDecimal(value));
  }

  @Override
  public BigInteger getAmount(ResultSet rows, String column) throws SQLException {
    return rows.getBigDecimal(column).toBigIntegerExact();
  }

  @Override
  public void setDecimal(PreparedStatement statement, int index, DecimalAmount value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.NUMERIC);
    } else {
      statement.setBigDecimal(index, new BigDecimal(value.unscaled(), value.scale()));
    }
  }

  @Override
  public DecimalAmount getDecimal(ResultSet rows, String column) throws SQLException {
    BigDecimal value = rows.getBigDecimal(column);
    if (value == null) {
      return null;
    }
    if (value.scale() < 0) {
      value = value.setScale(0);
    }
    return DecimalAmount.ofMinorUnits(value.unscaledValue(), value.scale());
  }

  @Override
  public void setTimestamp(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, OffsetDateTime.ofInstant(value, ZoneOffset.UTC));
    }
  }

  @Override
  public Instant getTimestamp(ResultSet rows, String column) throws SQLException {
    OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  @Override
  public void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
    statement.setObject(index, value);
  }

  @Override
  public UUID getUuid(ResultSet rows, String column) throws SQLException {
    return rows.getObject(column, UUID.class);
  }

  @Override
  public boolean isUnavailable(SQLException failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || UNAVAILABLE_STATES.contains(state)) {
          return true;
        }
      }
    }
    return false;
  }
}
