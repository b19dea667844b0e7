package dev.talea.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Connections from one HikariCP pool, for reads and writes alike (Postgres).
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
    try (Connection connection = pool.getConnection()) {
      connection.setNetworkTimeout(Runnable::run, (int) WRITE_NETWORK_TIMEOUT.toMillis());
      connection.setAutoCommit(false);
      T result;
      try {
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

  @Override
  public <T> T read(SqlWork<T> work) throws SQLException {
    try (Connection connection = pool.getConnection()) {
      connection.setNetworkTimeout(Runnable::run, (int) READ_NETWORK_TIMEOUT.toMillis());
      return work.apply(connection);
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
