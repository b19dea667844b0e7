package dev.talea.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.HashChain;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.StoreUrl;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schema migrations: forward only, idempotent, and refusing a schema from a newer talea. */
class MigrationsTest {

  @TempDir Path directory;

  private interface Connector {
    Connection connect() throws SQLException;
  }

  @Test
  void reopeningAMigratedSqliteDatabaseKeepsItsDataAndAppliesNothingNew() throws SQLException {
    Path file = directory.resolve("talea.db");
    StoreUrl url = StoreUrl.parse("sqlite:" + file);

    reopeningKeepsDataAndAppliesNothingNew(
        url, () -> DriverManager.getConnection("jdbc:sqlite:" + file));
  }

  @Test
  void reopeningAMigratedPostgresDatabaseKeepsItsDataAndAppliesNothingNew() throws SQLException {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      reopeningKeepsDataAndAppliesNothingNew(db.url(), db::connect);
    }
  }

  @Test
  void aSqliteDatabaseMigratedByANewerTaleaIsRefusedNamingBothVersions() throws SQLException {
    Path file = directory.resolve("newer.db");

    refusesASchemaFromANewerTalea(
        new StoreUrl.Sqlite(file), () -> DriverManager.getConnection("jdbc:sqlite:" + file));
  }

  @Test
  void aPostgresDatabaseMigratedByANewerTaleaIsRefusedNamingBothVersions() throws SQLException {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      refusesASchemaFromANewerTalea(db.url(), db::connect);
    }
  }

  @Test
  void anUnsupportedUrlSchemeIsRefusedNamingTheSupportedForms() {
    Throwable thrown =
        catchThrowable(() -> Stores.open("mysql://u:hunter2@x/db", StoreSettings.defaults()));

    assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
    assertThat(thrown.getMessage())
        .contains(
            "postgres://user:pass@host:port/db",
            "jdbc:postgresql://",
            "sqlite:<path>",
            "log:<directory>")
        .doesNotContain("hunter2");
  }

  @Test
  void aPostgresUrlNeverShowsItsPassword() {
    StoreUrl url = StoreUrl.parse("postgres://u:secret@h:5/db");

    assertThat(url).isEqualTo(new StoreUrl.Postgres("jdbc:postgresql://h:5/db", "u", "secret"));
    assertThat(url.toString()).doesNotContain("secret").contains("h:5/db");
    assertThat(StoreUrl.parse("jdbc:postgresql://h:5/db?user=u&password=secret").toString())
        .doesNotContain("secret");
  }

  private static void reopeningKeepsDataAndAppliesNothingNew(StoreUrl url, Connector connector)
      throws SQLException {
    try (Store store = open(url)) {
      store.registerAsset(new AssetSpec("MIG", 2, null));
      store.openAccount("migrated", "assets:cash", new AccountSpec(AccountKind.ASSET));
    }
    List<String> historyBefore = history(connector);

    try (Store again = open(url)) {
      assertThat(again.findAsset("MIG")).isPresent();
      assertThat(again.findBook("migrated"))
          .contains(new BookSummary("migrated", 0, HashChain.GENESIS));
      assertThat(again.registerAsset(new AssetSpec("MIG", 2, null)).created()).isFalse();
    }
    try (Store third = open(url)) {
      assertThat(third.getAccount("migrated", "assets:cash").kind()).isEqualTo(AccountKind.ASSET);
    }

    assertThat(historyBefore).containsExactly("1 true");
    assertThat(history(connector)).isEqualTo(historyBefore);
  }

  private static void refusesASchemaFromANewerTalea(StoreUrl url, Connector connector)
      throws SQLException {
    try (Store store = open(url)) {
      store.registerAsset(new AssetSpec("MIG", 2, null));
    }
    try (Connection connection = connector.connect()) {
      int rank;
      try (Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery("SELECT MAX(installed_rank) FROM flyway_schema_history")) {
        rows.next();
        rank = rows.getInt(1) + 1;
      }
      try (PreparedStatement insert =
          connection.prepareStatement(
              "INSERT INTO flyway_schema_history (installed_rank, version, description, type,"
                  + " script, checksum, installed_by, execution_time, success)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setInt(1, rank);
        insert.setString(2, "7");
        insert.setString(3, "from a newer talea");
        insert.setString(4, "SQL");
        insert.setString(5, "V7__from_a_newer_talea.sql");
        insert.setInt(6, 123456789);
        insert.setString(7, "newer-talead");
        insert.setInt(8, 12);
        insert.setBoolean(9, true);
        assertThat(insert.executeUpdate()).isEqualTo(1);
      }
    }

    Throwable thrown = catchThrowable(() -> open(url).close());

    assertThat(thrown)
        .isInstanceOf(StoreException.class)
        .isNotInstanceOf(StoreUnavailableException.class);
    assertThat(thrown.getMessage())
        .contains("schema version 7 applied by a newer talea")
        .contains("schema versions up to 1");
  }

  private static Store open(StoreUrl url) {
    return Stores.open(url, StoreSettings.defaults());
  }

  /** The applied versioned migrations, in order, as "version success". */
  private static List<String> history(Connector connector) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection connection = connector.connect();
        Statement statement = connection.createStatement();
        ResultSet result =
            statement.executeQuery(
                "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL"
                    + " ORDER BY installed_rank")) {
      while (result.next()) {
        rows.add(result.getString("version") + " " + result.getBoolean("success"));
      }
    }
    return rows;
  }
}
