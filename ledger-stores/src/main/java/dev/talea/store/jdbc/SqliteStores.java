package dev.talea.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.talea.store.FileModes;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.StoreUrl;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Opens the SQLite store: WAL journal, {@code synchronous=FULL} (a commit is on disk before it is
 * acknowledged), a busy timeout for other processes, one writer connection and a pool of readers.
 */
public final class SqliteStores {

  private SqliteStores() {}

  /**
   * Opens (creating if needed) the database file, migrates the schema forward, and returns the
   * store.
   *
   * @throws StoreUnavailableException if the file cannot be opened
   * @throws StoreException if the schema is newer than this version knows, or migration fails
   */
  public static Store open(StoreUrl.Sqlite url, StoreSettings settings) {
    Path file = url.file().toAbsolutePath();
    try {
      if (file.getParent() != null) {
        FileModes.createDirectories(file.getParent());
      }
      // SQLite gives its -wal and -shm files the mode of the database file.
      FileModes.createFileIfAbsent(file);
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot create the directory of " + file, e);
    }
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout((int) settings.connectionTimeout().toMillis());
    config.enforceForeignKeys(true);
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    SQLiteDataSource dataSource = new SQLiteDataSource(config);
    dataSource.setUrl("jdbc:sqlite:" + file);

    SqliteDialect dialect = new SqliteDialect();
    Migrations.migrate(dataSource, dialect, file.toString());

    Connection writer;
    try {
      writer = dataSource.getConnection();
    } catch (SQLException e) {
      throw new StoreUnavailableException("cannot open " + file + ": " + e.getMessage(), e);
    }
    // Readers begin deferred transactions: an immediate one would take the write lock.
    SQLiteConfig readerConfig = new SQLiteConfig(config.toProperties());
    readerConfig.setTransactionMode(SQLiteConfig.TransactionMode.DEFERRED);
    SQLiteDataSource readerSource = new SQLiteDataSource(readerConfig);
    readerSource.setUrl("jdbc:sqlite:" + file);
    HikariConfig readers = new HikariConfig();
    readers.setPoolName("talea-sqlite-readers");
    readers.setDataSource(readerSource);
    readers.setMaximumPoolSize(settings.poolSize());
    readers.setConnectionTimeout(settings.connectionTimeout().toMillis());
    try {
      return new JdbcStore(
          dialect,
          new SqliteConnections(
              writer, settings.connectionTimeout(), new HikariDataSource(readers)),
          settings,
          null);
    } catch (RuntimeException e) {
      try {
        writer.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }
}
