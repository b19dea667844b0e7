package dev.talea.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.talea.store.StoreUrl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cluster mode (contract §18): where this node listens for the others ({@code TALEA_CLUSTER_BIND}),
 * how it finds them ({@code TALEA_CLUSTER_SEEDS}, or discovery through Pekko Management), and when
 * an unreachable node is downed. Read only when {@code TALEA_CLUSTER_BIND} is set; without it
 * talead is a single instance and starts no cluster machinery.
 *
 * @param bind this node's remoting address, as the other nodes reach it
 * @param seeds the seed nodes' remoting addresses (empty when discovery is used)
 * @param discovery {@code config}, {@code dns} or {@code kubernetes-api}; null with seeds
 * @param managementBind Pekko Management's HTTP listener (discovery only; null with seeds)
 * @param downAfter how long membership must be stable with a node unreachable before the split
 *     brain resolver decides (its {@code stable-after})
 */
record ClusterSettings(
    HostPort bind,
    List<HostPort> seeds,
    String discovery,
    HostPort managementBind,
    Duration downAfter) {

  /** The actor system's name: part of every node's address, so the same on all of them. */
  static final String SYSTEM_NAME = "talead";

  static final List<String> DISCOVERY_METHODS = List.of("config", "dns", "kubernetes-api");

  /**
   * @return null when {@code TALEA_CLUSTER_BIND} is unset (and then no other cluster variable may
   *     be set)
   * @throws SettingsException naming the variable at fault
   */
  static ClusterSettings load(Config config, StoreUrl store) {
    String bind = text(config, "talea.cluster.bind", "TALEA_CLUSTER_BIND");
    String seeds = text(config, "talea.cluster.seeds", "TALEA_CLUSTER_SEEDS");
    String discovery = text(config, "talea.cluster.discovery", "TALEA_CLUSTER_DISCOVERY");
    String management = text(config, "talea.cluster.management-bind", "TALEA_MANAGEMENT_BIND");
    if (bind == null) {
      for (Map.Entry<String, String> set :
          Map.of(
                  "TALEA_CLUSTER_SEEDS", nullToEmpty(seeds),
                  "TALEA_CLUSTER_DISCOVERY", nullToEmpty(discovery),
                  "TALEA_MANAGEMENT_BIND", nullToEmpty(management))
              .entrySet()) {
        if (!set.getValue().isEmpty()) {
          throw new SettingsException(
              set.getKey()
                  + " is set but TALEA_CLUSTER_BIND is not: set TALEA_CLUSTER_BIND to this"
                  + " node's host:port for cluster traffic to run talead as a cluster node");
        }
      }
      return null;
    }
    if (!(store instanceof StoreUrl.Postgres)) {
      throw new SettingsException(
          "TALEA_CLUSTER_BIND is set but TALEA_DB_URL is the embedded store "
              + store
              + ": a cluster's instances share one database, and an embedded store belongs to"
              + " one process. Use a postgres:// TALEA_DB_URL for a cluster, or unset"
              + " TALEA_CLUSTER_BIND to run a single instance");
    }
    HostPort self = HostPort.parse(bind, "TALEA_CLUSTER_BIND");
    if (self.port() == 0 || self.host().equals("0.0.0.0") || self.host().equals("::")) {
      throw new SettingsException(
          "TALEA_CLUSTER_BIND must name the host and port the other nodes reach this one at"
              + " (got '"
              + bind
              + "'): not a wildcard address and not port 0");
    }
    if ((seeds == null) == (discovery == null)) {
      throw new SettingsException(
          "a cluster node needs exactly one of TALEA_CLUSTER_SEEDS (host:port,... of seed nodes)"
              + " and TALEA_CLUSTER_DISCOVERY ("
              + String.join(", ", DISCOVERY_METHODS)
              + ")");
    }
    Duration downAfter = duration(config, "talea.cluster.down-after", "TALEA_CLUSTER_DOWN_AFTER");
    if (seeds != null) {
      if (management != null) {
        throw new SettingsException(
            "TALEA_MANAGEMENT_BIND serves cluster bootstrap, which TALEA_CLUSTER_DISCOVERY turns"
                + " on; with TALEA_CLUSTER_SEEDS it is not used: unset it");
      }
      List<HostPort> parsed = new ArrayList<>();
      for (String seed : seeds.split(",")) {
        if (!seed.isBlank()) {
          parsed.add(HostPort.parse(seed, "TALEA_CLUSTER_SEEDS"));
        }
      }
      if (parsed.isEmpty()) {
        throw new SettingsException("TALEA_CLUSTER_SEEDS must list at least one host:port");
      }
      return new ClusterSettings(self, List.copyOf(parsed), null, null, downAfter);
    }
    String method = discovery.toLowerCase(Locale.ROOT);
    if (!DISCOVERY_METHODS.contains(method)) {
      throw new SettingsException(
          "TALEA_CLUSTER_DISCOVERY must be one of "
              + String.join(", ", DISCOVERY_METHODS)
              + " (got '"
              + discovery
              + "')");
    }
    if (management == null) {
      throw new SettingsException(
          "TALEA_CLUSTER_DISCOVERY needs TALEA_MANAGEMENT_BIND (host:port of Pekko Management's"
              + " HTTP listener, which the other nodes' bootstrap contacts)");
    }
    return new ClusterSettings(
        self, List.of(), method, HostPort.parse(management, "TALEA_MANAGEMENT_BIND"), downAfter);
  }

  /** The address of a node of this cluster at {@code node}. */
  static String address(HostPort node) {
    return "pekko://" + SYSTEM_NAME + "@" + node;
  }

  /**
   * The actor system's configuration for cluster mode, laid over talead's own: remoting, seeds, the
   * split brain resolver, sharding, and no Java serialization anywhere.
   */
  Config pekkoConfig(Config base) {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("pekko.actor.provider", "cluster");
    values.put("pekko.remote.artery.canonical.hostname", bind.host());
    values.put("pekko.remote.artery.canonical.port", bind.port());
    values.put("pekko.cluster.seed-nodes", seeds.stream().map(ClusterSettings::address).toList());
    values.put("pekko.cluster.split-brain-resolver.stable-after", downAfter.toMillis() + "ms");
    return ConfigFactory.parseMap(values, "the TALEA_CLUSTER_* variables")
        .withFallback(base.getConfig("talea.cluster.pekko").atKey("pekko"))
        .withFallback(base);
  }

  private static String text(Config config, String path, String variable) {
    try {
      String value = config.getString(path).trim();
      return value.isEmpty() ? null : value;
    } catch (ConfigException e) {
      throw new SettingsException(variable + " must be a single text value");
    }
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static Duration duration(Config config, String path, String variable) {
    Duration value;
    try {
      value = config.getDuration(path);
    } catch (ConfigException e) {
      throw new SettingsException(variable + " must be a duration such as 20s or 1500ms");
    }
    if (value.compareTo(Duration.ofSeconds(1)) < 0 || value.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new SettingsException(variable + " must be between 1s and 10m");
    }
    return value;
  }
}
