package dev.talea.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** Connections from one HikariCP pool, for reads and writes alike (Postgres). */
final class PooledConnections implements Connections {

  private final HikariDataSource pool;

  PooledConnections(HikariDataSource pool) {
    this.pool = pool;
  }

  @Override
  public <T> T write(SqlWork<T> work) throws SQLException {
    try (Connection connection = pool.getConnection()) {
      connection.setAutoCommit(false);
      try {
        T result = work.apply(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(connection, e);
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  @Override
  public <T> T read(SqlWork<T> work) throws SQLException {
    try (Connection connection = pool.getConnection()) {
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

  @Override
  public void close() {
    pool.close();
  }
}
