package dev.talea.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.store.Store;
import dev.talea.store.StoreContractTest;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite store passes the conformance suite; its data lives in a file of this class's own. */
class SqliteStoreTest extends StoreContractTest {

  @TempDir static Path directory;

  private final AtomicInteger freshFiles = new AtomicInteger();

  private Path file() {
    return directory.resolve("talea.db");
  }

  @Override
  protected Store openStore(StoreSettings settings) {
    return Stores.open("sqlite:" + file(), settings);
  }

  @Override
  protected Store openFreshStore(StoreSettings settings) {
    return Stores.open(
        "sqlite:" + directory.resolve("fresh-" + freshFiles.incrementAndGet() + ".db"), settings);
  }

  @Override
  protected void changePostingAmount(
      String book, long seq, int postingIndex, BigInteger newMinorUnits) {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file());
        PreparedStatement update =
            connection.prepareStatement(
                "UPDATE postings SET amount = ? WHERE book = ? AND seq = ? AND idx = ?")) {
      update.setString(1, newMinorUnits.toString());
      update.setString(2, book);
      update.setLong(3, seq);
      update.setInt(4, postingIndex);
      assertThat(update.executeUpdate()).isEqualTo(1);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot tamper with " + file(), e);
    }
  }

  @Test
  void reportsItselfAsTheSqliteBackend() {
    assertThat(store.backend()).isEqualTo("sqlite");
  }
}
