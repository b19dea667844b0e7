package dev.talea.store;

import dev.talea.store.jdbc.PostgresStores;
import dev.talea.store.jdbc.SqliteStores;
import dev.talea.store.log.LogStores;

/** Opens the store a URL names ({@link StoreUrl}), migrated and ready. */
public final class Stores {

  private Stores() {}

  /**
   * @throws IllegalArgumentException for a URL that is not one of the supported forms
   * @throws StoreUnavailableException if the store cannot be reached or opened
   * @throws StoreException if its schema is newer than this version knows
   */
  public static Store open(String url, StoreSettings settings) {
    return open(StoreUrl.parse(url), settings);
  }

  public static Store open(StoreUrl url, StoreSettings settings) {
    if (url instanceof StoreUrl.Postgres postgres) {
      return PostgresStores.open(postgres, settings);
    }
    if (url instanceof StoreUrl.Sqlite sqlite) {
      return SqliteStores.open(sqlite, settings);
    }
    return LogStores.open((StoreUrl.Log) url, settings);
  }
}
