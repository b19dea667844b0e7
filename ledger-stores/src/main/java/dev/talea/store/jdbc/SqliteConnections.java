package dev.talea.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * SQLite allows one writer at a time, so the store keeps exactly one writer connection (its
 * transactions begin IMMEDIATE, taking the database's write lock, which also excludes other
 * processes) and a pool of readers, which WAL lets run beside the writer. A reader's transactions
 * are deferred: they take no lock, and each sees the database as of its first query.
 */
final class SqliteConnections implements Connections {

  private final Connection writer;
  private final ReentrantLock writerLock = new ReentrantLock(true);
  private final Duration writerWait;
  private final HikariDataSource readers;

  SqliteConnections(Connection writer, Duration writerWait, HikariDataSource readers) {
    this.writer = writer;
    this.writerWait = writerWait;
    this.readers = readers;
  }

  @Override
  public <T> T write(SqlWork<T> work) throws SQLException {
    try {
      if (!writerLock.tryLock(writerWait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new SQLTransientConnectionException(
            "the SQLite writer stayed busy for " + writerWait.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLTransientConnectionException("interrupted waiting for the SQLite writer", e);
    }
    try {
      writer.setAutoCommit(false);
      try {
        T result = work.apply(writer);
        writer.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        PooledConnections.rollbackQuietly(writer, e);
        throw e;
      } finally {
        writer.setAutoCommit(true);
      }
    } finally {
      writerLock.unlock();
    }
  }

  @Override
  public <T> T read(SqlWork<T> work) throws SQLException {
    try (Connection connection = readers.getConnection()) {
      return work.apply(connection);
    }
  }

  /**
   * One deferred transaction on a reader: in WAL mode its first query fixes the state it reads (the
   * last commit before it), and the writer goes on committing beside it.
   */
  @Override
  public <T> T snapshot(SqlWork<T> work) throws SQLException {
    try (Connection connection = readers.getConnection()) {
      connection.setAutoCommit(false);
      try {
        T result = work.apply(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        PooledConnections.rollbackQuietly(connection, e);
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  @Override
  public void close() {
    readers.close();
    writerLock.lock();
    try {
      writer.close();
    } catch (SQLException e) {
      // Closing releases the file either way; nothing is left to do with the failure.
    } finally {
      writerLock.unlock();
    }
  }
}
