package dev.talea.store.testing;

import dev.talea.store.StoreUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A fresh, uniquely named Postgres database for one test class, dropped on {@link #close()}.
 *
 * <p>The server is, in order: {@code TALEA_TEST_DB_URL} (any database on it; used to create the
 * test's own), else the local server on 127.0.0.1:5432 as user {@code postgres}, else a
 * Testcontainers Postgres when Docker is available. With none of them the test fails with a message
 * saying how to provide one: Postgres tests never skip silently.
 */
public final class PostgresTestDatabase implements AutoCloseable {

  private static final String LOCAL = "jdbc:postgresql://127.0.0.1:5432/postgres";
  private static PostgreSQLContainer container;

  private final StoreUrl.Postgres admin;
  private final String name;
  private final StoreUrl.Postgres url;

  private PostgresTestDatabase(StoreUrl.Postgres admin) {
    this.admin = admin;
    this.name = "talea_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection connection = connect(admin);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name + ": " + e, e);
    }
    this.url =
        new StoreUrl.Postgres(withDatabase(admin.jdbcUrl(), name), admin.user(), admin.password());
  }

  /** Creates a fresh database on the first Postgres server found (see the class comment). */
  public static PostgresTestDatabase create() {
    return new PostgresTestDatabase(server());
  }

  /** The test database, in the form the store takes. */
  public StoreUrl.Postgres url() {
    return url;
  }

  /** The database name, unique to this test class. */
  public String name() {
    return name;
  }

  /** A plain JDBC connection to the test database, for tampering and inspection in tests. */
  public Connection connect() throws SQLException {
    return connect(url);
  }

  @Override
  public void close() {
    try (Connection connection = connect(admin);
        Statement statement = connection.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test database " + name + ": " + e, e);
    }
  }

  private static synchronized StoreUrl.Postgres server() {
    String configured = System.getenv("TALEA_TEST_DB_URL");
    if (configured != null && !configured.isBlank()) {
      StoreUrl parsed = StoreUrl.parse(configured.trim());
      if (!(parsed instanceof StoreUrl.Postgres postgres)) {
        throw new IllegalStateException(
            "TALEA_TEST_DB_URL must be a Postgres URL (postgres://user:pass@host:port/db)");
      }
      requireReachable(postgres, "TALEA_TEST_DB_URL (" + postgres + ")");
      return postgres;
    }
    StoreUrl.Postgres local = new StoreUrl.Postgres(LOCAL, "postgres", null);
    if (reachable(local) == null) {
      return local;
    }
    if (container == null && dockerAvailable()) {
      container = new PostgreSQLContainer("postgres:17-alpine");
      container.start();
    }
    if (container != null) {
      return new StoreUrl.Postgres(
          container.getJdbcUrl(), container.getUsername(), container.getPassword());
    }
    throw new IllegalStateException(
        "No PostgreSQL server for the tests. Provide one of: TALEA_TEST_DB_URL="
            + "postgres://user:pass@host:port/db (a role that may CREATE DATABASE); a local server"
            + " on 127.0.0.1:5432 accepting user postgres; or a running Docker engine for"
            + " Testcontainers. Local server error: "
            + reachable(local));
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void requireReachable(StoreUrl.Postgres server, String what) {
    String failure = reachable(server);
    if (failure != null) {
      throw new IllegalStateException("cannot reach the test Postgres at " + what + ": " + failure);
    }
  }

  /** {@code null} if a connection succeeds, else why not. */
  private static String reachable(StoreUrl.Postgres server) {
    try (Connection connection = connect(server)) {
      return connection.isValid(3) ? null : "the connection is not valid";
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  private static Connection connect(StoreUrl.Postgres server) throws SQLException {
    Properties properties = new Properties();
    if (server.user() != null) {
      properties.setProperty("user", server.user());
    }
    if (server.password() != null) {
      properties.setProperty("password", server.password());
    }
    properties.setProperty("connectTimeout", "3");
    return DriverManager.getConnection(server.jdbcUrl(), properties);
  }

  private static String withDatabase(String jdbcUrl, String database) {
    int slash = jdbcUrl.indexOf('/', "jdbc:postgresql://".length());
    int query = jdbcUrl.indexOf('?');
    String base =
        slash < 0
            ? (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query))
            : jdbcUrl.substring(0, slash);
    return base + "/" + database + (query < 0 ? "" : jdbcUrl.substring(query));
  }
}
