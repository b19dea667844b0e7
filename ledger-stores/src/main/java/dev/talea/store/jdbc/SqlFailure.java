package dev.talea.store.jdbc;

import java.sql.SQLException;

/** Carries an {@link SQLException} through code that cannot throw it (a {@link JdbcReadView}). */
final class SqlFailure extends RuntimeException {

  SqlFailure(SQLException cause) {
    super(cause);
  }

  @Override
  public synchronized SQLException getCause() {
    return (SQLException) super.getCause();
  }
}
