package dev.talea.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.store.Store;
import dev.talea.store.StoreContractTest;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The Postgres store passes the conformance suite on a database of this class's own. */
class PostgresStoreTest extends StoreContractTest {

  private final PostgresTestDatabase db = PostgresTestDatabase.create();
  private final List<PostgresTestDatabase> freshDatabases = new CopyOnWriteArrayList<>();

  @Override
  protected Store openStore(StoreSettings settings) {
    return Stores.open(db.url(), settings);
  }

  @Override
  protected Store openFreshStore(StoreSettings settings) {
    PostgresTestDatabase fresh = PostgresTestDatabase.create();
    freshDatabases.add(fresh);
    return Stores.open(fresh.url(), settings);
  }

  @Override
  protected void changePostingAmount(
      String book, long seq, int postingIndex, BigInteger newMinorUnits) {
    try (Connection connection = db.connect();
        PreparedStatement update =
            connection.prepareStatement(
                "UPDATE postings SET amount = ? WHERE book = ? AND seq = ? AND idx = ?")) {
      update.setBigDecimal(1, new BigDecimal(newMinorUnits));
      update.setString(2, book);
      update.setLong(3, seq);
      update.setInt(4, postingIndex);
      assertThat(update.executeUpdate()).isEqualTo(1);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot tamper with " + db.name(), e);
    }
  }

  @Override
  protected void releaseStorage() {
    try {
      for (PostgresTestDatabase fresh : freshDatabases) {
        fresh.close();
      }
    } finally {
      db.close();
    }
  }

  @Test
  void reportsItselfAsThePostgresBackend() {
    assertThat(store.backend()).isEqualTo("postgres");
  }
}
