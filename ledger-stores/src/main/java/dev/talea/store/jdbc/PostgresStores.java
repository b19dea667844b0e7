package dev.talea.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.StoreUrl;

/** Opens the Postgres store: a HikariCP pool of {@code poolSize} connections, migrated on open. */
public final class PostgresStores {

  /**
   * How long a talead session may sit idle inside a transaction before Postgres ends it (its {@code
   * idle_in_transaction_session_timeout}).
   */
  public static final java.time.Duration IDLE_IN_TRANSACTION_TIMEOUT =
      java.time.Duration.ofSeconds(5);

  private PostgresStores() {}

  /**
   * Connects, migrates the schema forward, and returns the store.
   *
   * @throws StoreUnavailableException if the database cannot be reached
   * @throws StoreException if the schema is newer than this version knows, or migration fails
   */
  public static Store open(StoreUrl.Postgres url, StoreSettings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("talea-postgres");
    config.setJdbcUrl(url.jdbcUrl());
    if (url.user() != null) {
      config.setUsername(url.user());
    }
    if (url.password() != null) {
      config.setPassword(url.password());
    }
    config.setMaximumPoolSize(settings.poolSize());
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    config.setValidationTimeout(Math.min(settings.connectionTimeout().toMillis(), 5_000));
    // Group commits send their inserts as JDBC batches; this turns each into multi-row INSERTs.
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    config.addDataSourceProperty("ApplicationName", "talead");
    // Plan every execution with its parameters: a generic plan cached while a table was small could
    // stay a sequential scan as the table grows, until the next ANALYZE.
    // A session idle inside a transaction for 5 s is a talead that stopped mid-commit (a SIGSTOP,
    // a frozen VM, a partitioned cluster node): Postgres ends it, releasing the book's counter-row
    // lock for the book's next writer; a healthy talead never idles a second inside one.
    config.addDataSourceProperty(
        "options",
        "-c plan_cache_mode=force_custom_plan -c idle_in_transaction_session_timeout="
            + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
    config.addDataSourceProperty("tcpKeepAlive", "true");
    config.addDataSourceProperty(
        "connectTimeout", String.valueOf(Math.max(1, settings.connectionTimeout().toSeconds())));
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (HikariPool.PoolInitializationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreUnavailableException(
          "cannot connect to Postgres at " + url + ": " + cause.getMessage(), e);
    }
    try {
      PostgresDialect dialect = new PostgresDialect();
      Migrations.migrate(pool, dialect, url.toString());
      return new JdbcStore(
          dialect,
          new PooledConnections(pool),
          settings,
          new PostgresNotifications(
              settings.listenUrl() != null ? settings.listenUrl() : url,
              settings.connectionTimeout()));
    } catch (RuntimeException e) {
      pool.close();
      if (e instanceof StoreException) {
        throw e;
      }
      throw new StoreException(
          "cannot migrate the Postgres schema at " + url + ": " + e.getMessage(), e);
    }
  }
}
