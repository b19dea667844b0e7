package dev.talea.store;

import dev.talea.protocol.TxIds;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * How a store is run, as opposed to where it is ({@link StoreUrl}).
 *
 * @param poolSize connections in the Postgres pool, or readers of the SQLite store ({@code
 *     TALEA_DB_POOL})
 * @param connectionTimeout how long an operation waits for a pooled connection before the store is
 *     reported unavailable
 * @param txIds the source of transaction ids (UUIDv7 in production; fixed ids in the conformance
 *     suite's hash-chain vector)
 * @param clock the commit clock, or {@code null} for the store's own: the database clock on
 *     Postgres, the system clock on the embedded stores. Tests fix it to reproduce a chain exactly.
 * @param unsafeSkipReadSnapshots breaks the SQL stores on purpose: reads of several statements run
 *     without a snapshot, as before issue 15. Only for proving that the history checker ({@code
 *     talea-torture}) catches what that breaks; never in production.
 * @param writerMemory whether the SQL stores' writer of a book remembers, between its group
 *     commits, the accounts it touched, and skips reading them again while nobody else has
 *     committed to the book (on by default; off only to measure what it saves)
 */
public record StoreSettings(
    int poolSize,
    Duration connectionTimeout,
    Supplier<UUID> txIds,
    Clock clock,
    StoreUrl.Postgres listenUrl,
    boolean unsafeSkipReadSnapshots,
    boolean writerMemory) {

  public static final int DEFAULT_POOL_SIZE = 10;
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);

  public StoreSettings {
    if (poolSize < 1) {
      throw new IllegalArgumentException("poolSize must be at least 1: " + poolSize);
    }
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    if (connectionTimeout.toMillis() < 250) {
      throw new IllegalArgumentException(
          "connectionTimeout must be at least 250ms: " + connectionTimeout);
    }
    Objects.requireNonNull(txIds, "txIds");
  }

  public static StoreSettings defaults() {
    return new StoreSettings(
        DEFAULT_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT, TxIds::newId, null, null, false, true);
  }

  public StoreSettings withPoolSize(int value) {
    return new StoreSettings(
        value, connectionTimeout, txIds, clock, listenUrl, unsafeSkipReadSnapshots, writerMemory);
  }

  public StoreSettings withConnectionTimeout(Duration value) {
    return new StoreSettings(
        poolSize, value, txIds, clock, listenUrl, unsafeSkipReadSnapshots, writerMemory);
  }

  public StoreSettings withTxIds(Supplier<UUID> value) {
    return new StoreSettings(
        poolSize,
        connectionTimeout,
        value,
        clock,
        listenUrl,
        unsafeSkipReadSnapshots,
        writerMemory);
  }

  public StoreSettings withClock(Clock value) {
    return new StoreSettings(
        poolSize,
        connectionTimeout,
        txIds,
        value,
        listenUrl,
        unsafeSkipReadSnapshots,
        writerMemory);
  }

  public StoreSettings withListenUrl(StoreUrl.Postgres value) {
    return new StoreSettings(
        poolSize, connectionTimeout, txIds, clock, value, unsafeSkipReadSnapshots, writerMemory);
  }

  public StoreSettings withUnsafeSkipReadSnapshots(boolean value) {
    return new StoreSettings(
        poolSize, connectionTimeout, txIds, clock, listenUrl, value, writerMemory);
  }

  public StoreSettings withWriterMemory(boolean value) {
    return new StoreSettings(
        poolSize, connectionTimeout, txIds, clock, listenUrl, unsafeSkipReadSnapshots, value);
  }
}
