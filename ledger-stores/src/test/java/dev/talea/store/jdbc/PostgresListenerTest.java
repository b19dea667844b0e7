package dev.talea.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.CommitNotices;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUrl;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commit notices between two Postgres store objects on one database, standing for two talead
 * instances: every group commit through one is announced to the other's listener, exactly as the
 * seqs it committed, and never to its own; a rolled-back commit announces nothing; a listener whose
 * connection is killed reconnects and says so.
 */
class PostgresListenerTest {

  private PostgresTestDatabase db;
  private Store a;
  private Store b;
  private final Recorder heardByA = new Recorder();
  private AutoCloseable listening;

  @BeforeEach
  void open() {
    db = PostgresTestDatabase.create();
    a = Stores.open(db.url(), StoreSettings.defaults());
    b = Stores.open(db.url(), StoreSettings.defaults());
    a.registerAsset(new AssetSpec("USD", 2, null));
    listening = a.listen(heardByA);
    await("the listener to connect", () -> heardByA.resumes.get() == 1);
  }

  @AfterEach
  void close() throws Exception {
    try {
      if (listening != null) {
        listening.close();
      }
      if (a != null) {
        a.close();
      }
      if (b != null) {
        b.close();
      }
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }

  @Test
  void commitsThroughTheOtherInstanceAreAnnouncedAsTheirSeqRanges() {
    String book = newBook();
    openAccounts(b, book);

    assertThat(committedSeq(b.commitBatch(book, List.of(fund("k1", "1.00"))).get(0))).isEqualTo(1);
    List<PostOutcome> batch =
        b.commitBatch(book, List.of(fund("k2", "2.00"), fund("k3", "3.00"), fund("k4", "4.00")));
    assertThat(batch).hasSize(3);

    await("two notices", () -> heardByA.notices().size() == 2);
    assertThat(heardByA.notices()).containsExactly(book + " 1..1", book + " 2..4");
  }

  @Test
  void anInstanceIsNotToldAboutItsOwnCommits() {
    String own = newBook();
    String other = newBook();
    openAccounts(a, own);
    openAccounts(b, other);

    a.commitBatch(own, List.of(fund("mine", "1.00")));
    b.commitBatch(other, List.of(fund("theirs", "1.00")));

    // The other instance's notice arrives after the own one would have: only it is there.
    await("the other instance's notice", () -> heardByA.notices().size() == 1);
    assertThat(heardByA.notices()).containsExactly(other + " 1..1");
  }

  @Test
  void aGroupCommitThatWritesNothingAnnouncesNothing() {
    String book = newBook();
    openAccounts(b, book);
    b.commitBatch(book, List.of(fund("once", "1.00")));
    await("the first notice", () -> heardByA.notices().size() == 1);

    // A replay of a stored key commits nothing new.
    PostOutcome replay = b.commitBatch(book, List.of(fund("once", "1.00"))).get(0);
    assertThat(committedSeq(replay)).isEqualTo(1);
    b.commitBatch(book, List.of(fund("twice", "1.00")));

    await("the next notice", () -> heardByA.notices().size() == 2);
    assertThat(heardByA.notices()).containsExactly(book + " 1..1", book + " 2..2");
  }

  @Test
  void aKilledListeningConnectionIsReestablishedAndReportsResumed() throws SQLException {
    String book = newBook();
    openAccounts(b, book);

    assertThat(terminateListeners()).isEqualTo(1);
    await("the listener to reconnect", () -> heardByA.resumes.get() == 2);
    assertThat(listenerConnections()).isEqualTo(1);

    b.commitBatch(book, List.of(fund("after", "1.00")));
    await("a notice after reconnecting", () -> heardByA.notices().size() == 1);
    assertThat(heardByA.notices()).containsExactly(book + " 1..1");
  }

  @Test
  void theListenerUsesOneConnectionOfItsOwnAndGivesItBackWhenClosed() throws Exception {
    assertThat(listenerConnections()).isEqualTo(1);
    listening.close();
    listening = null;
    await("the listening connection to close", () -> listenerConnections() == 0);
  }

  @Test
  void theListenUrlMayPointElsewhereThanThePool() throws Exception {
    listening.close();
    listening = null;
    // A listen URL that cannot connect: the pool works, the listener keeps retrying.
    StoreUrl.Postgres unreachable =
        new StoreUrl.Postgres("jdbc:postgresql://127.0.0.1:1/nowhere", "postgres", null);
    Recorder heard = new Recorder();
    try (Store c = Stores.open(db.url(), StoreSettings.defaults().withListenUrl(unreachable));
        AutoCloseable ignored = c.listen(heard)) {
      String book = newBook();
      openAccounts(c, book);
      assertThat(committedSeq(c.commitBatch(book, List.of(fund("k", "1.00"))).get(0))).isEqualTo(1);
      Thread.sleep(300);
      assertThat(heard.resumes.get()).isZero();
      assertThat(listenerConnections()).isZero();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private int terminateListeners() throws SQLException {
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name = 'talead-listener' AND datname = current_database()")) {
      rows.next();
      return rows.getInt(1);
    }
  }

  private int listenerConnections() {
    try (Connection connection = db.connect();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity"
                    + " WHERE application_name = 'talead-listener' AND datname = current_database()");
        ResultSet rows = select.executeQuery()) {
      rows.next();
      return rows.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void openAccounts(Store store, String book) {
    store.openAccount(book, "assets:cash", new AccountSpec(AccountKind.ASSET));
    store.openAccount(book, "equity:capital", new AccountSpec(AccountKind.EQUITY));
  }

  private static String newBook() {
    return "n-" + String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  private static TransactionDraft fund(String key, String amount) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:cash", "USD", amount),
            DraftPosting.credit("equity:capital", "USD", amount)));
  }

  private static long committedSeq(PostOutcome outcome) {
    assertThat(outcome).isInstanceOf(PostOutcome.Committed.class);
    return ((PostOutcome.Committed) outcome).transaction().seq();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static final class Recorder implements CommitNotices {
    final AtomicInteger resumes = new AtomicInteger();
    private final List<String> notices = new ArrayList<>();

    @Override
    public synchronized void committed(String book, long firstSeq, long lastSeq) {
      notices.add(book + " " + firstSeq + ".." + lastSeq);
    }

    @Override
    public void resumed() {
      resumes.incrementAndGet();
    }

    synchronized List<String> notices() {
      return List.copyOf(notices);
    }
  }
}
