package dev.talea.store.jdbc;

import java.sql.SQLException;

/**
 * Where a {@link JdbcStore} gets its connections: a pool, or SQLite's single writer and readers.
 */
interface Connections extends AutoCloseable {

  /** Runs {@code work} in one transaction on a connection that may write; commits if it returns. */
  <T> T write(SqlWork<T> work) throws SQLException;

  /** Runs {@code work} on a connection in auto-commit mode, for reads. */
  <T> T read(SqlWork<T> work) throws SQLException;

  @Override
  void close();
}
