package dev.talea.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a store lives, parsed from {@code TALEA_DB_URL}: {@code postgres://user:pass@host:port/db}
 * (libpq form, also {@code postgresql://}), {@code jdbc:postgresql://...}, {@code sqlite:<path>} or
 * {@code log:<dir>}. {@link #toString()} never shows a password.
 */
public sealed interface StoreUrl {

  /** The form safe to log: no password. */
  @Override
  String toString();

  /** A Postgres database; credentials are kept apart from the JDBC URL so it can be logged. */
  record Postgres(String jdbcUrl, String user, String password) implements StoreUrl {
    public Postgres {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    }

    @Override
    public String toString() {
      return StoreUrl.redact(jdbcUrl) + (user == null ? "" : " (user " + user + ")");
    }
  }

  /** An SQLite database file. */
  record Sqlite(Path file) implements StoreUrl {
    @Override
    public String toString() {
      return "sqlite:" + file;
    }
  }

  /** An append-log directory. */
  record Log(Path directory) implements StoreUrl {
    @Override
    public String toString() {
      return "log:" + directory;
    }
  }

  /**
   * Parses a store URL.
   *
   * @throws IllegalArgumentException naming what is wrong (never echoing a password)
   */
  static StoreUrl parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("the store URL is empty");
    }
    if (url.startsWith("sqlite:")) {
      return new Sqlite(Path.of(requirePath(url.substring("sqlite:".length()), "sqlite:<path>")));
    }
    if (url.startsWith("log:")) {
      return new Log(Path.of(requirePath(url.substring("log:".length()), "log:<directory>")));
    }
    if (url.startsWith("jdbc:postgresql:")) {
      return new Postgres(url, null, null);
    }
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      return parseLibpq(url);
    }
    throw new IllegalArgumentException(
        "unsupported store URL scheme in '"
            + redact(url)
            + "': use postgres://user:pass@host:port/db, jdbc:postgresql://..., sqlite:<path> or"
            + " log:<directory>");
  }

  private static String requirePath(String path, String form) {
    if (path.isBlank()) {
      throw new IllegalArgumentException("a store URL of the form " + form + " needs a path");
    }
    return path;
  }

  private static Postgres parseLibpq(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "malformed Postgres URL '" + redact(url) + "': " + e.getReason());
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("the Postgres URL '" + redact(url) + "' names no host");
    }
    String database = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
    if (database.isEmpty()) {
      throw new IllegalArgumentException(
          "the Postgres URL '" + redact(url) + "' names no database (…/dbname)");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String info = uri.getRawUserInfo();
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? null : decode(info.substring(colon + 1));
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
    if (uri.getPort() > 0) {
      jdbc.append(':').append(uri.getPort());
    }
    jdbc.append('/').append(database);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    return new Postgres(jdbc.toString(), user, password);
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * The URL with its credentials replaced by {@code ***}: everything between {@code //} and the
   * last {@code @} (user and password; a password may itself hold {@code /}, {@code :} or
   * {@code @}), and the value of every {@code password=} parameter.
   */
  static String redact(String url) {
    String redacted = url;
    int start = redacted.indexOf("//");
    int at = redacted.lastIndexOf('@');
    if (start >= 0 && at > start + 1) {
      redacted = redacted.substring(0, start + 2) + "***" + redacted.substring(at);
    }
    return redacted.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
