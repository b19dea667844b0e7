package dev.talea.store.jdbc;

import dev.talea.store.CommitNotices;
import dev.talea.store.StoreUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One talead's single listening connection: {@code LISTEN talea_commits} on a dedicated connection
 * outside the pool, turning other instances' commit notifications into {@link CommitNotices}.
 *
 * <p>The connection is opened with the driver directly, so it can point somewhere the pool does
 * not: a transaction-mode PgBouncer drops {@code LISTEN} registrations between transactions, so the
 * listener must reach Postgres directly or through a session-mode pool ({@code
 * TALEA_DB_LISTEN_URL}). If the connection drops, the listener reconnects with a growing backoff
 * (100 ms up to 5 s, with jitter) and reports {@link CommitNotices#resumed()}, because whatever was
 * notified meanwhile is lost; it does the same after its first connect. A silent connection is
 * probed every {@link #PROBE_AFTER}, so a half-open TCP connection is noticed too.
 */
final class PostgresListener implements AutoCloseable {

  static final String CHANNEL = "talea_commits";

  private static final Logger LOG = LoggerFactory.getLogger(PostgresListener.class);
  private static final int POLL_MILLIS = 500;
  private static final Duration PROBE_AFTER = Duration.ofSeconds(10);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final StoreUrl.Postgres url;
  private final String instanceId;
  private final CommitNotices notices;
  private final Duration connectTimeout;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Connection connection;

  private PostgresListener(
      StoreUrl.Postgres url, String instanceId, CommitNotices notices, Duration connectTimeout) {
    this.url = url;
    this.instanceId = instanceId;
    this.notices = notices;
    this.connectTimeout = connectTimeout;
    this.thread = new Thread(this::run, "talea-postgres-listener");
    this.thread.setDaemon(true);
  }

  /**
   * Starts listening on a thread of its own.
   *
   * @param instanceId this process's id in the notification payloads; its own notices are skipped
   */
  static PostgresListener start(
      StoreUrl.Postgres url, String instanceId, CommitNotices notices, Duration connectTimeout) {
    PostgresListener listener = new PostgresListener(url, instanceId, notices, connectTimeout);
    listener.thread.start();
    return listener;
  }

  /** The payload of one group commit's notification: {@code <instance> <first> <last> <book>}. */
  static String payload(String instanceId, String book, long firstSeq, long lastSeq) {
    return instanceId + ' ' + firstSeq + ' ' + lastSeq + ' ' + book;
  }

  private void run() {
    int failures = 0;
    while (!closed) {
      try {
        listen();
        failures = 0;
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          break;
        }
        failures++;
        // Never the URL's password: the driver's messages name host and port at most.
        LOG.warn(
            "the commit listener lost its connection to {} ({}); reconnecting",
            url,
            e.getMessage());
      } finally {
        closeConnection();
      }
      if (!closed) {
        sleep(backoff(failures));
      }
    }
  }

  /** Connects, listens and delivers notices until the connection fails or the listener closes. */
  private void listen() throws SQLException {
    Properties properties = new Properties();
    if (url.user() != null) {
      properties.setProperty("user", url.user());
    }
    if (url.password() != null) {
      properties.setProperty("password", url.password());
    }
    properties.setProperty("ApplicationName", "talead-listener");
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty(
        "connectTimeout", String.valueOf(Math.max(1, connectTimeout.toSeconds())));
    Connection opened = DriverManager.getConnection(url.jdbcUrl(), properties);
    connection = opened;
    if (closed) {
      return;
    }
    try (Statement statement = opened.createStatement()) {
      statement.execute("LISTEN " + CHANNEL);
    }
    LOG.info("the commit listener is listening on {}", url);
    notices.resumed();
    PGConnection pg = opened.unwrap(PGConnection.class);
    long quietSince = System.nanoTime();
    while (!closed) {
      PGNotification[] received = pg.getNotifications(POLL_MILLIS);
      if (received != null && received.length > 0) {
        quietSince = System.nanoTime();
        for (PGNotification notification : received) {
          deliver(notification.getParameter());
        }
      } else if (System.nanoTime() - quietSince > PROBE_AFTER.toNanos()) {
        if (!opened.isValid((int) Math.max(1, connectTimeout.toSeconds()))) {
          throw new SQLException("the listening connection stopped answering", "08006");
        }
        quietSince = System.nanoTime();
      }
    }
  }

  private void deliver(String payload) {
    String[] parts = payload.split(" ", 4);
    if (parts.length != 4) {
      LOG.warn("ignoring a malformed commit notification: {}", payload);
      return;
    }
    if (parts[0].equals(instanceId)) {
      return;
    }
    try {
      notices.committed(parts[3], Long.parseLong(parts[1]), Long.parseLong(parts[2]));
    } catch (NumberFormatException e) {
      LOG.warn("ignoring a malformed commit notification: {}", payload);
    } catch (RuntimeException e) {
      LOG.error("a commit notice failed to be handled", e);
    }
  }

  private static Duration backoff(int failures) {
    long ceiling =
        Math.min(MAX_BACKOFF.toMillis(), MIN_BACKOFF.toMillis() << Math.min(failures - 1, 10));
    long half = Math.max(1, ceiling / 2);
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
  }

  private void sleep(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  private void closeConnection() {
    Connection current = connection;
    connection = null;
    if (current != null) {
      try {
        current.close();
      } catch (SQLException ignored) {
        // It is broken already, or being shut down.
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    closeConnection();
    try {
      thread.join(Duration.ofSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
