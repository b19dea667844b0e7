package dev.talea.store.jdbc;

import java.sql.SQLException;

/**
 * Where a {@link JdbcStore} gets its connections: a pool, or SQLite's single writer and readers.
 */
interface Connections extends AutoCloseable {

  /** Runs {@code work} in one transaction on a connection that may write; commits if it returns. */
  <T> T write(SqlWork<T> work) throws SQLException;

  /**
   * Runs {@code work}, a read of a single statement, on a connection in auto-commit mode: one
   * statement needs no transaction to see one state.
   */
  <T> T read(SqlWork<T> work) throws SQLException;

  /**
   * Runs {@code work}, a read of several statements, in one read-only transaction in which every
   * statement sees the same state of the database (a snapshot).
   */
  <T> T snapshot(SqlWork<T> work) throws SQLException;

  @Override
  void close();
}
