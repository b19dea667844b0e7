package dev.talea.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Connections from one HikariCP pool, for reads and writes alike (Postgres). Writes run in {@code
 * READ COMMITTED} transactions serialized per book by the counter row's lock; reads of several
 * statements run in {@code REPEATABLE READ READ ONLY} transactions, so that they see one state.
 *
 * <p>Every call bounds how long it waits for the database to answer on the socket: {@link
 * #WRITE_NETWORK_TIMEOUT} for a group commit (a few milliseconds of work, or a wait for another
 * instance's commit to the same book), {@link #READ_NETWORK_TIMEOUT} for a read (a verify of a
 * large book reads every posting). A database host that vanishes from the network without closing
 * its connections then fails the call with {@code unavailable} instead of holding a connection and
 * a book's writer until TCP keepalive gives up (hours, by default).
 */
final class PooledConnections implements Connections {

  static final Duration WRITE_NETWORK_TIMEOUT = Duration.ofSeconds(30);
  static final Duration READ_NETWORK_TIMEOUT = Duration.ofMinutes(5);

  private final HikariDataSource pool;

  PooledConnections(HikariDataSource pool) {
    this.pool = pool;
  }

  @Override
  public <T> T write(SqlWork<T> work) throws SQLException {
    return inTransaction(WRITE_NETWORK_TIMEOUT, null, work);
  }

  @Override
  public <T> T read(SqlWork<T> work) throws SQLException {
    try (Connection connection = pool.getConnection()) {
      connection.setNetworkTimeout(Runnable::run, (int) READ_NETWORK_TIMEOUT.toMillis());
      return work.apply(connection);
    }
  }

  /**
   * A {@code REPEATABLE READ} transaction: its snapshot is taken at its first query and holds for
   * every statement after it. Read-only, so it can never fail to serialize.
   */
  @Override
  public <T> T snapshot(SqlWork<T> work) throws SQLException {
    return inTransaction(
        READ_NETWORK_TIMEOUT, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", work);
  }

  private <T> T inTransaction(Duration networkTimeout, String begin, SqlWork<T> work)
      throws SQLException {
    try (Connection connection = pool.getConnection()) {
      connection.setNetworkTimeout(Runnable::run, (int) networkTimeout.toMillis());
      connection.setAutoCommit(false);
      T result;
      try {
        if (begin != null) {
          try (Statement statement = connection.createStatement()) {
            statement.execute(begin);
          }
        }
        result = work.apply(connection);
        connection.commit();
      } catch (SQLException | RuntimeException | Error e) {
        // Once the pool has found the connection broken, every further call on it fails with a
        // bare "Connection is closed": it must not replace the failure that says what happened.
        rollbackQuietly(connection, e);
        restoreAutoCommitQuietly(connection, e);
        throw e;
      }
      // Committed: a connection that breaks now changes nothing (the pool resets or drops it).
      restoreAutoCommitQuietly(connection, new SQLException("ignored"));
      return result;
    }
  }

  static void rollbackQuietly(Connection connection, Throwable cause) {
    try {
      connection.rollback();
    } catch (SQLException rollbackFailure) {
      cause.addSuppressed(rollbackFailure);
    }
  }

  static void restoreAutoCommitQuietly(Connection connection, Throwable cause) {
    try {
      connection.setAutoCommit(true);
    } catch (SQLException restoreFailure) {
      cause.addSuppressed(restoreFailure);
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
