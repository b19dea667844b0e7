package dev.talea.store.jdbc;

import dev.talea.store.CommitNotices;
import dev.talea.store.StoreUrl;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

/**
 * How talead instances sharing one Postgres database tell each other about commits: every group
 * commit sends {@code pg_notify('talea_commits', '<instance> <first> <last> <book>')} inside its
 * transaction — so the notice is delivered if and only if the commit is — and each instance listens
 * on one dedicated connection ({@link PostgresListener}).
 */
final class PostgresNotifications {

  private final StoreUrl.Postgres listenUrl;
  private final Duration connectTimeout;
  private final String instanceId = UUID.randomUUID().toString();

  PostgresNotifications(StoreUrl.Postgres listenUrl, Duration connectTimeout) {
    this.listenUrl = listenUrl;
    this.connectTimeout = connectTimeout;
  }

  /**
   * Announces seqs {@code firstSeq..lastSeq} of {@code book}, within the committing transaction.
   */
  void announce(Connection connection, String book, long firstSeq, long lastSeq)
      throws SQLException {
    try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
      notify.setString(1, PostgresListener.CHANNEL);
      notify.setString(2, PostgresListener.payload(instanceId, book, firstSeq, lastSeq));
      notify.execute();
    }
  }

  AutoCloseable listen(CommitNotices notices) {
    return PostgresListener.start(listenUrl, instanceId, notices, connectTimeout);
  }
}
