package dev.talea.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import dev.talea.actors.LedgerSettings;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUrl;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything {@code talead serve} is configured with, read once from the environment (real
 * variables over {@code ./.env}) through {@code application.conf}, and validated: a bad value stops
 * the server with a message that names the variable. The resolved {@link #config()} also configures
 * the actor system.
 */
record ServerSettings(
    String dbUrl,
    StoreUrl store,
    String apiToken,
    Path tokensFile,
    HostPort bind,
    int dbPool,
    int maxInflight,
    int writeQueueDepth,
    int writeBatchMax,
    Duration requestTimeout,
    HostPort metricsBind,
    Limits limits,
    Config config) {

  /**
   * What one client may hold: time limits on the way in, connections, live tails.
   *
   * @param headerTimeout a request's head must arrive within this ({@code TALEA_HEADER_TIMEOUT})
   * @param bodyTimeout its body within this after the head ({@code TALEA_BODY_TIMEOUT})
   * @param maxConnections connections served at once ({@code TALEA_MAX_CONNECTIONS})
   * @param maxSubscribers live tails at once ({@code TALEA_MAX_SUBSCRIBERS})
   * @param maxSubscribersPerToken live tails at once per token ({@code
   *     TALEA_MAX_SUBSCRIBERS_PER_TOKEN})
   */
  record Limits(
      Duration headerTimeout,
      Duration bodyTimeout,
      int maxConnections,
      int maxSubscribers,
      int maxSubscribersPerToken) {}

  /**
   * @param environment variable name to value; only {@code TALEA_*} entries are read
   * @throws SettingsException naming the first variable with a bad value
   */
  static ServerSettings load(Map<String, String> environment) {
    Config config = config(environment);
    String dbUrl = string(config, "db-url", "TALEA_DB_URL");
    StoreUrl store;
    try {
      store = StoreUrl.parse(dbUrl);
    } catch (IllegalArgumentException e) {
      throw new SettingsException("TALEA_DB_URL: " + e.getMessage());
    }
    String apiToken = emptyToNull(string(config, "api-token", "TALEA_API_TOKEN"));
    String tokensFile = emptyToNull(string(config, "tokens-file", "TALEA_TOKENS_FILE"));
    String metrics = emptyToNull(string(config, "metrics-bind", "TALEA_METRICS_BIND"));
    Duration requestTimeout;
    try {
      requestTimeout = config.getDuration("talea.request-timeout");
    } catch (ConfigException e) {
      throw new SettingsException(
          "TALEA_REQUEST_TIMEOUT must be a duration such as 10s or 1500ms (got '"
              + string(config, "request-timeout", "TALEA_REQUEST_TIMEOUT")
              + "')");
    }
    if (requestTimeout.toMillis() < 100 || requestTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new SettingsException("TALEA_REQUEST_TIMEOUT must be between 100ms and 10m");
    }
    Limits limits =
        new Limits(
            duration(config, "header-timeout", "TALEA_HEADER_TIMEOUT"),
            duration(config, "body-timeout", "TALEA_BODY_TIMEOUT"),
            integer(config, "max-connections", "TALEA_MAX_CONNECTIONS", 1, 1_000_000),
            integer(config, "max-subscribers", "TALEA_MAX_SUBSCRIBERS", 0, 1_000_000),
            integer(
                config,
                "max-subscribers-per-token",
                "TALEA_MAX_SUBSCRIBERS_PER_TOKEN",
                0,
                1_000_000));
    ServerSettings settings =
        new ServerSettings(
            dbUrl,
            store,
            apiToken,
            tokensFile == null ? null : Path.of(tokensFile),
            HostPort.parse(string(config, "bind", "TALEA_BIND"), "TALEA_BIND"),
            integer(config, "db-pool", "TALEA_DB_POOL", 1, 1000),
            integer(config, "max-inflight", "TALEA_MAX_INFLIGHT", 1, 100_000),
            integer(config, "write-queue-depth", "TALEA_WRITE_QUEUE_DEPTH", 1, 100_000),
            integer(config, "write-batch-max", "TALEA_WRITE_BATCH_MAX", 1, 1000),
            requestTimeout,
            metrics == null ? null : HostPort.parse(metrics, "TALEA_METRICS_BIND"),
            limits,
            config);
    settings.ledgerSettings();
    settings.keepalive();
    settings.listenUrl();
    settings.drainGrace();
    settings.shutdownTimeout();
    settings.accessLog();
    settings.cluster();
    return settings;
  }

  /** Each variable and the path of {@code application.conf} it sets. */
  static final Map<String, String> VARIABLES =
      Map.ofEntries(
          Map.entry("TALEA_DB_URL", "talea.db-url"),
          Map.entry("TALEA_API_TOKEN", "talea.api-token"),
          Map.entry("TALEA_TOKENS_FILE", "talea.tokens-file"),
          Map.entry("TALEA_BIND", "talea.bind"),
          Map.entry("TALEA_DB_POOL", "talea.db-pool"),
          Map.entry("TALEA_DB_LISTEN_URL", "talea.db-listen-url"),
          Map.entry("TALEA_MAX_INFLIGHT", "talea.max-inflight"),
          Map.entry("TALEA_WRITE_QUEUE_DEPTH", "talea.write-queue-depth"),
          Map.entry("TALEA_WRITE_BATCH_MAX", "talea.write-batch-max"),
          Map.entry("TALEA_REQUEST_TIMEOUT", "talea.request-timeout"),
          Map.entry("TALEA_METRICS_BIND", "talea.metrics-bind"),
          Map.entry("TALEA_HEADER_TIMEOUT", "talea.header-timeout"),
          Map.entry("TALEA_BODY_TIMEOUT", "talea.body-timeout"),
          Map.entry("TALEA_MAX_CONNECTIONS", "talea.max-connections"),
          Map.entry("TALEA_MAX_SUBSCRIBERS", "talea.max-subscribers"),
          Map.entry("TALEA_MAX_SUBSCRIBERS_PER_TOKEN", "talea.max-subscribers-per-token"),
          Map.entry("TALEA_DRAIN_GRACE", "talea.drain-grace"),
          Map.entry("TALEA_SHUTDOWN_TIMEOUT", "talea.shutdown-timeout"),
          Map.entry("TALEA_ACCESS_LOG", "talea.access-log"),
          Map.entry("TALEA_CLUSTER_BIND", "talea.cluster.bind"),
          Map.entry("TALEA_CLUSTER_SEEDS", "talea.cluster.seeds"),
          Map.entry("TALEA_CLUSTER_DISCOVERY", "talea.cluster.discovery"),
          Map.entry("TALEA_MANAGEMENT_BIND", "talea.cluster.management-bind"),
          Map.entry("TALEA_CLUSTER_SERVICE", "talea.cluster.service"),
          Map.entry("TALEA_CLUSTER_ENDPOINTS", "talea.cluster.endpoints"),
          Map.entry("TALEA_CLUSTER_DOWN_AFTER", "talea.cluster.down-after"),
          Map.entry("TALEA_CLUSTER_FORWARDS_IN_FLIGHT", "talea.cluster.forwards-in-flight"),
          Map.entry("TALEA_CLUSTER_FORWARD_LINGER", "talea.cluster.forward-linger"));

  /**
   * {@code application.conf} with the given variables laid over its defaults. The variables are
   * mapped onto their paths explicitly rather than through the file's {@code ${?VAR}}
   * substitutions, so that only the environment talead was given counts, and so that no library
   * error message can ever quote a value (the token among them).
   */
  private static Config config(Map<String, String> environment) {
    Map<String, String> overrides = new HashMap<>();
    VARIABLES.forEach(
        (variable, path) -> {
          String value = environment.get(variable);
          if (value != null) {
            overrides.put(path, value);
          }
        });
    ClassLoader loader = ServerSettings.class.getClassLoader();
    try {
      return ConfigFactory.load(
          loader,
          ConfigFactory.parseMap(overrides, "the environment")
              .withFallback(ConfigFactory.parseResources(loader, "application.conf")),
          ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
    } catch (ConfigException e) {
      throw new SettingsException(
          "the configuration cannot be loaded"
              + (e.origin() == null ? "" : " (" + e.origin().description() + ")"));
    }
  }

  /** The accepted bearer tokens; a bad token or tokens file fails with a message naming it. */
  Tokens tokens() {
    return Tokens.load(apiToken, tokensFile);
  }

  /** How often a quiet live tail gets a keepalive comment (at most 15 s, per the contract). */
  Duration keepalive() {
    Duration keepalive = config.getDuration("talea.subscriptions.keepalive");
    if (keepalive.isZero()
        || keepalive.isNegative()
        || keepalive.compareTo(Duration.ofSeconds(15)) > 0) {
      throw new SettingsException("talea.subscriptions.keepalive must be between 1ms and 15s");
    }
    return keepalive;
  }

  /**
   * After SIGTERM, how long talead goes on serving with {@code /health} answering 503 draining, so
   * that a balancer's health check takes it out of rotation before it stops listening ({@code
   * TALEA_DRAIN_GRACE}, 0s to 10m).
   */
  Duration drainGrace() {
    Duration grace = anyDuration(config, "drain-grace", "TALEA_DRAIN_GRACE");
    if (grace.isNegative() || grace.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new SettingsException("TALEA_DRAIN_GRACE must be between 0s and 10m");
    }
    return grace;
  }

  /**
   * Once the listener has closed, how long the requests in flight and their group commits have to
   * finish before the connections are cut ({@code TALEA_SHUTDOWN_TIMEOUT}, 1s to 10m).
   */
  Duration shutdownTimeout() {
    Duration timeout = anyDuration(config, "shutdown-timeout", "TALEA_SHUTDOWN_TIMEOUT");
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0
        || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new SettingsException("TALEA_SHUTDOWN_TIMEOUT must be between 1s and 10m");
    }
    return timeout;
  }

  /**
   * Whether every request is logged as a JSON line on standard output ({@code TALEA_ACCESS_LOG}).
   */
  boolean accessLog() {
    String value = string(config, "access-log", "TALEA_ACCESS_LOG").trim();
    return switch (value) {
      case "off", "" -> false;
      case "stdout" -> true;
      default ->
          throw new SettingsException(
              "TALEA_ACCESS_LOG must be off or stdout (got '" + value + "')");
    };
  }

  /** Cluster mode's settings; null for a single instance (TALEA_CLUSTER_BIND unset). */
  ClusterSettings cluster() {
    return ClusterSettings.load(config, store);
  }

  StoreSettings storeSettings() {
    return StoreSettings.defaults()
        .withPoolSize(dbPool)
        .withConnectionTimeout(connectionTimeout())
        .withListenUrl(listenUrl())
        .withUnsafeSkipReadSnapshots(config.getBoolean("talea.unsafe.skip-read-snapshots"));
  }

  /**
   * How long a store call waits for a pooled connection before it is answered {@code 503
   * unavailable}: half the request timeout, at most the store's default (5 s) and at least 250 ms,
   * so that while the database is unreachable requests are answered 503 well within {@code
   * TALEA_REQUEST_TIMEOUT} (not 408, and not after it).
   */
  Duration connectionTimeout() {
    Duration half = requestTimeout.dividedBy(2);
    if (half.compareTo(StoreSettings.DEFAULT_CONNECTION_TIMEOUT) > 0) {
      return StoreSettings.DEFAULT_CONNECTION_TIMEOUT;
    }
    return half.compareTo(Duration.ofMillis(250)) < 0 ? Duration.ofMillis(250) : half;
  }

  /**
   * Where the Postgres commit listener connects, if not to {@code TALEA_DB_URL}: past a
   * transaction-mode PgBouncer, straight to Postgres or to a session-mode pool.
   */
  StoreUrl.Postgres listenUrl() {
    String text = emptyToNull(string(config, "db-listen-url", "TALEA_DB_LISTEN_URL"));
    if (text == null) {
      return null;
    }
    if (!(store instanceof StoreUrl.Postgres)) {
      throw new SettingsException(
          "TALEA_DB_LISTEN_URL applies to a Postgres TALEA_DB_URL only (the store is "
              + store
              + ")");
    }
    StoreUrl parsed;
    try {
      parsed = StoreUrl.parse(text);
    } catch (IllegalArgumentException e) {
      throw new SettingsException("TALEA_DB_LISTEN_URL: " + e.getMessage());
    }
    if (!(parsed instanceof StoreUrl.Postgres postgres)) {
      throw new SettingsException(
          "TALEA_DB_LISTEN_URL must be a Postgres URL (postgres://user:pass@host:port/db)");
    }
    return postgres;
  }

  LedgerSettings ledgerSettings() {
    try {
      // Posts that reach a book while its writer backs off after a store failure wait out the
      // backoff, then one connection wait: both together must end well within the request
      // timeout, so that a store outage is answered 503 unavailable and not 408.
      Duration maxBackoff =
          shorter(
              config.getDuration("talea.books.restart-max-backoff"), requestTimeout.dividedBy(4));
      Duration minBackoff =
          shorter(config.getDuration("talea.books.restart-min-backoff"), maxBackoff);
      return new LedgerSettings(
          writeQueueDepth,
          writeBatchMax,
          requestTimeout,
          config.getDuration("talea.books.passivate-after"),
          minBackoff,
          maxBackoff,
          config.getInt("talea.subscriptions.subscriber-buffer"),
          config.getInt("talea.subscriptions.catch-up-page"),
          config.getInt("talea.subscriptions.feed-buffer"),
          config.getDuration("talea.verify.reuse-for"));
    } catch (ConfigException | IllegalArgumentException e) {
      throw new SettingsException(
          "talea.books / talea.subscriptions / talea.verify: " + e.getMessage());
    }
  }

  private static Duration shorter(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String string(Config config, String key, String variable) {
    try {
      return config.getString("talea." + key);
    } catch (ConfigException e) {
      throw new SettingsException(variable + " must be a single text value");
    }
  }

  private static int integer(Config config, String key, String variable, int min, int max) {
    String text = string(config, key, variable).trim();
    int value;
    try {
      value = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new SettingsException(variable + " must be a whole number (got '" + text + "')");
    }
    if (value < min || value > max) {
      throw new SettingsException(
          variable + " must be between " + min + " and " + max + " (got " + value + ")");
    }
    return value;
  }

  /** A duration between 100 ms and 10 minutes. */
  private static Duration duration(Config config, String key, String variable) {
    Duration value = anyDuration(config, key, variable);
    if (value.toMillis() < 100 || value.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new SettingsException(variable + " must be between 100ms and 10m");
    }
    return value;
  }

  private static Duration anyDuration(Config config, String key, String variable) {
    try {
      return config.getDuration("talea." + key);
    } catch (ConfigException e) {
      throw new SettingsException(
          variable
              + " must be a duration such as 5s or 1500ms (got '"
              + string(config, key, variable)
              + "')");
    }
  }

  private static String emptyToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  /** The settings as they may be logged: no secrets. */
  @Override
  public String toString() {
    return "ServerSettings[store="
        + store
        + ", bind="
        + bind
        + ", dbPool="
        + dbPool
        + (listenUrl() == null ? "" : ", listenUrl=" + listenUrl())
        + ", maxInflight="
        + maxInflight
        + ", writeQueueDepth="
        + writeQueueDepth
        + ", writeBatchMax="
        + writeBatchMax
        + ", requestTimeout="
        + requestTimeout
        + ", metricsBind="
        + metricsBind
        + ", limits="
        + limits
        + ", apiToken="
        + (apiToken == null ? "unset" : "set")
        + ", tokensFile="
        + tokensFile
        + (cluster() == null ? "" : ", cluster=" + cluster())
        + "]";
  }
}
