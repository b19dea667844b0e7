package dev.talea.store.jdbc;

import dev.talea.store.StoreException;
import java.util.Arrays;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Schema migrations with Flyway, tracked in the database's {@code flyway_schema_history}. Forward
 * only: a database already migrated by a newer talea makes this one refuse to start, because its
 * code would not know what the newer schema means.
 */
final class Migrations {

  private Migrations() {}

  /**
   * Brings the schema to this version's latest migration.
   *
   * @throws StoreException if the database holds migrations newer than this version knows
   */
  static void migrate(DataSource dataSource, Dialect dialect, String where) {
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(dataSource)
            .locations(dialect.migrationLocation())
            .failOnMissingLocations(true)
            .load();
    MigrationInfo[] future =
        Arrays.stream(flyway.info().all())
            .filter(
                info ->
                    info.getState() == MigrationState.FUTURE_SUCCESS
                        || info.getState() == MigrationState.FUTURE_FAILED)
            .toArray(MigrationInfo[]::new);
    if (future.length > 0) {
      String known =
          Arrays.stream(flyway.info().all())
              .filter(info -> info.getState().isResolved())
              .map(MigrationInfo::getVersion)
              .max(MigrationVersion::compareTo)
              .map(MigrationVersion::getVersion)
              .orElse("none");
      throw new StoreException(
          "the "
              + dialect.backend()
              + " database at "
              + where
              + " has schema version "
              + Arrays.stream(future)
                  .map(info -> info.getVersion().getVersion())
                  .collect(Collectors.joining(", "))
              + " applied by a newer talea, but this talea knows schema versions up to "
              + known
              + ". Run a talead at least as new as the one that migrated it; databases are never"
              + " migrated backwards.");
    }
    flyway.migrate();
  }
}
