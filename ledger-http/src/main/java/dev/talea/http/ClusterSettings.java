package dev.talea.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import dev.talea.store.StoreUrl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

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
 * @param service the name bootstrap looks up in discovery ({@code TALEA_CLUSTER_SERVICE}, default
 *     {@code talead}; null with seeds)
 * @param endpoints every node's management listener, for {@code config} discovery ({@code
 *     TALEA_CLUSTER_ENDPOINTS}); empty otherwise
 * @param downAfter how long membership must be stable with a node unreachable before the split
 *     brain resolver decides (its {@code stable-after})
 * @param forwardsInFlight messages carrying posts that this node keeps on their way to one book's
 *     writer at a time ({@code TALEA_CLUSTER_FORWARDS_IN_FLIGHT}); posts arriving meanwhile leave
 *     together in the next one
 * @param forwardLinger how long a post that finds a message on its way to its book's writer waits
 *     on this node for others to travel with ({@code TALEA_CLUSTER_FORWARD_LINGER}); zero sends it
 *     at once while fewer than {@code forwardsInFlight} are on their way
 */
record ClusterSettings(
    HostPort bind,
    List<HostPort> seeds,
    String discovery,
    HostPort managementBind,
    String service,
    List<HostPort> endpoints,
    Duration downAfter,
    int forwardsInFlight,
    Duration forwardLinger) {

  /** The actor system's name: part of every node's address, so the same on all of them. */
  static final String SYSTEM_NAME = "talead";

  static final List<String> DISCOVERY_METHODS = List.of("config", "dns", "kubernetes-api");

  /** {@code TALEA_CLUSTER_SERVICE}'s default. */
  static final String DEFAULT_SERVICE = "talead";

  /**
   * Contact points that dns and kubernetes-api discovery must find, and hear from, before the
   * lowest of them forms a new cluster. With {@code config} it is every endpoint listed.
   */
  static final int DISCOVERED_CONTACT_POINTS = 2;

  /** {@code TALEA_CLUSTER_FORWARDS_IN_FLIGHT}'s default. */
  static final int DEFAULT_FORWARDS_IN_FLIGHT = 4;

  static final int MAX_FORWARDS_IN_FLIGHT = 64;

  /** {@code TALEA_CLUSTER_FORWARD_LINGER}'s default. */
  static final Duration DEFAULT_FORWARD_LINGER = Duration.ofMillis(2);

  /** {@code TALEA_CLUSTER_FORWARD_LINGER}'s largest value. */
  static final Duration MAX_FORWARD_LINGER = Duration.ofMillis(100);

  /** The one route provider the management listener serves: bootstrap's {@code /bootstrap/}. */
  static final String BOOTSTRAP_ROUTES = "cluster-bootstrap";

  private static final String BOOTSTRAP_ROUTES_CLASS =
      "org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap$";

  /** A DNS name, a Kubernetes label value or a config key: letters, digits, '-', '.', '_'. */
  private static final Pattern SERVICE_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?");

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
    String service = text(config, "talea.cluster.service", "TALEA_CLUSTER_SERVICE");
    String endpoints = text(config, "talea.cluster.endpoints", "TALEA_CLUSTER_ENDPOINTS");
    String forwards =
        text(config, "talea.cluster.forwards-in-flight", "TALEA_CLUSTER_FORWARDS_IN_FLIGHT");
    String linger = text(config, "talea.cluster.forward-linger", "TALEA_CLUSTER_FORWARD_LINGER");
    if (bind == null) {
      Map<String, String> others = new LinkedHashMap<>();
      others.put("TALEA_CLUSTER_SEEDS", nullToEmpty(seeds));
      others.put("TALEA_CLUSTER_DISCOVERY", nullToEmpty(discovery));
      others.put("TALEA_MANAGEMENT_BIND", nullToEmpty(management));
      others.put("TALEA_CLUSTER_SERVICE", nullToEmpty(service));
      others.put("TALEA_CLUSTER_ENDPOINTS", nullToEmpty(endpoints));
      others.put("TALEA_CLUSTER_FORWARDS_IN_FLIGHT", nullToEmpty(forwards));
      others.put("TALEA_CLUSTER_FORWARD_LINGER", nullToEmpty(linger));
      for (Map.Entry<String, String> set : others.entrySet()) {
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
    int forwardsInFlight = forwardsInFlight(forwards);
    Duration forwardLinger = forwardLinger(config, linger);
    if (seeds != null) {
      if (management != null) {
        throw new SettingsException(
            "TALEA_MANAGEMENT_BIND serves cluster bootstrap, which TALEA_CLUSTER_DISCOVERY turns"
                + " on; with TALEA_CLUSTER_SEEDS it is not used: unset it");
      }
      for (Map.Entry<String, String> set :
          Map.of(
                  "TALEA_CLUSTER_SERVICE", nullToEmpty(service),
                  "TALEA_CLUSTER_ENDPOINTS", nullToEmpty(endpoints))
              .entrySet()) {
        if (!set.getValue().isEmpty()) {
          throw new SettingsException(
              set.getKey()
                  + " is for TALEA_CLUSTER_DISCOVERY; with TALEA_CLUSTER_SEEDS it is not used:"
                  + " unset it");
        }
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
      return new ClusterSettings(
          self,
          List.copyOf(parsed),
          null,
          null,
          null,
          List.of(),
          downAfter,
          forwardsInFlight,
          forwardLinger);
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
    HostPort managementBind = HostPort.parse(management, "TALEA_MANAGEMENT_BIND");
    if (managementBind.port() == 0
        || managementBind.host().equals("0.0.0.0")
        || managementBind.host().equals("::")) {
      throw new SettingsException(
          "TALEA_MANAGEMENT_BIND must name the host and port the other nodes reach this one's"
              + " management listener at (got '"
              + management
              + "'): not a wildcard address and not port 0, since bootstrap finds itself among"
              + " the discovered nodes by this address");
    }
    if (managementBind.equals(self)) {
      throw new SettingsException(
          "TALEA_MANAGEMENT_BIND and TALEA_CLUSTER_BIND are both "
              + self
              + ": give Pekko Management its own port");
    }
    String name = service == null ? DEFAULT_SERVICE : service;
    if (!SERVICE_NAME.matcher(name).matches()) {
      throw new SettingsException(
          "TALEA_CLUSTER_SERVICE must be a name of letters, digits, '-', '.' and '_' that starts"
              + " and ends with a letter or digit, at most 253 characters (got '"
              + name
              + "')");
    }
    List<HostPort> contacts = List.of();
    if (method.equals("config")) {
      if (endpoints == null) {
        throw new SettingsException(
            "TALEA_CLUSTER_DISCOVERY=config needs TALEA_CLUSTER_ENDPOINTS: host:port,... of"
                + " every node's TALEA_MANAGEMENT_BIND, this node's own included");
      }
      contacts = endpoints(endpoints, managementBind);
    } else if (endpoints != null) {
      throw new SettingsException(
          "TALEA_CLUSTER_ENDPOINTS lists the nodes for TALEA_CLUSTER_DISCOVERY=config; with "
              + method
              + " the nodes are discovered: unset it");
    }
    return new ClusterSettings(
        self,
        List.of(),
        method,
        managementBind,
        name,
        contacts,
        downAfter,
        forwardsInFlight,
        forwardLinger);
  }

  private static List<HostPort> endpoints(String text, HostPort self) {
    LinkedHashSet<HostPort> parsed = new LinkedHashSet<>();
    for (String endpoint : text.split(",")) {
      if (endpoint.isBlank()) {
        continue;
      }
      HostPort contact = HostPort.parse(endpoint, "TALEA_CLUSTER_ENDPOINTS");
      if (contact.port() == 0 || contact.host().equals("0.0.0.0") || contact.host().equals("::")) {
        throw new SettingsException(
            "TALEA_CLUSTER_ENDPOINTS must list addresses the nodes reach each other at, not a"
                + " wildcard address or port 0 (got '"
                + endpoint.trim()
                + "')");
      }
      parsed.add(contact);
    }
    if (!parsed.contains(self)) {
      throw new SettingsException(
          "TALEA_CLUSTER_ENDPOINTS must include this node's own TALEA_MANAGEMENT_BIND ("
              + self
              + ") exactly as written there: every node lists all of them, itself included, so"
              + " that the node with the lowest address knows to form the cluster");
    }
    return List.copyOf(parsed);
  }

  /**
   * Pekko discovery's name for the method: {@code config} and {@code kubernetes-api} as they are,
   * {@code dns} is {@code pekko-dns}. Null with seeds.
   */
  String pekkoDiscoveryMethod() {
    if (discovery == null) {
      return null;
    }
    return discovery.equals("dns") ? "pekko-dns" : discovery;
  }

  /**
   * How many contact points bootstrap must find and hear from (none of them in a cluster yet)
   * before the lowest one forms a new cluster: every endpoint with {@code config}, {@link
   * #DISCOVERED_CONTACT_POINTS} with dns and kubernetes-api. A node that finds an existing cluster
   * joins it at once, whatever this says.
   */
  int requiredContactPoints() {
    return discovery.equals("config") ? endpoints.size() : DISCOVERED_CONTACT_POINTS;
  }

  /** The address of a node of this cluster at {@code node}. */
  static String address(HostPort node) {
    return "pekko://" + SYSTEM_NAME + "@" + node;
  }

  /**
   * The actor system's configuration for cluster mode, laid over talead's own: remoting, seeds (or
   * Pekko Management and cluster bootstrap, with discovery), the split brain resolver, sharding,
   * and no Java serialization anywhere.
   */
  Config pekkoConfig(Config base) {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("pekko.actor.provider", "cluster");
    values.put("pekko.remote.artery.canonical.hostname", bind.host());
    values.put("pekko.remote.artery.canonical.port", bind.port());
    values.put("pekko.cluster.seed-nodes", seeds.stream().map(ClusterSettings::address).toList());
    values.put("pekko.cluster.split-brain-resolver.stable-after", downAfter.toMillis() + "ms");
    values.put("talea.cluster.forwards-in-flight", forwardsInFlight);
    values.put("talea.cluster.forward-linger", forwardLinger.toNanos() + "ns");
    if (discovery != null) {
      values.put("pekko.management.http.hostname", managementBind.host());
      values.put("pekko.management.http.port", managementBind.port());
      values.put("pekko.management.http.route-providers-read-only", true);
      // Only bootstrap's own route (GET /bootstrap/seed-nodes). Every other provider a jar's
      // reference.conf registers is switched off: the health checks (talead has /health), and the
      // cluster management routes, with which anyone reaching the port could make nodes leave,
      // should pekko-management-cluster-http ever land on the classpath.
      if (base.hasPath("pekko.management.http.routes")) {
        for (String route : base.getObject("pekko.management.http.routes").keySet()) {
          values.put(ConfigUtil.joinPath("pekko", "management", "http", "routes", route), "");
        }
      }
      values.put(
          ConfigUtil.joinPath("pekko", "management", "http", "routes", "cluster-management"), "");
      values.put(
          ConfigUtil.joinPath("pekko", "management", "http", "routes", BOOTSTRAP_ROUTES),
          BOOTSTRAP_ROUTES_CLASS);
      String lookup = "pekko.management.cluster.bootstrap.contact-point-discovery.";
      values.put(lookup + "service-name", service);
      values.put(lookup + "discovery-method", pekkoDiscoveryMethod());
      values.put(lookup + "required-contact-point-nr", requiredContactPoints());
      if (discovery.equals("config")) {
        List<Map<String, Object>> listed = new ArrayList<>();
        for (HostPort endpoint : endpoints) {
          listed.add(Map.of("host", endpoint.host(), "port", endpoint.port()));
        }
        values.put(
            ConfigUtil.joinPath("pekko", "discovery", "config", "services", service, "endpoints"),
            listed);
        // The endpoints are the management listeners themselves, each with its port: probe them
        // all. By default bootstrap keeps, of several contact points on one host, only the one on
        // its own management port, which would leave nodes sharing a host unable to see each
        // other.
        values.put(
            "pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port", false);
      }
    }
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

  private static int forwardsInFlight(String text) {
    if (text == null) {
      return DEFAULT_FORWARDS_IN_FLIGHT;
    }
    int value;
    try {
      value = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      value = 0;
    }
    if (value < 1 || value > MAX_FORWARDS_IN_FLIGHT) {
      throw new SettingsException(
          "TALEA_CLUSTER_FORWARDS_IN_FLIGHT must be a whole number from 1 to "
              + MAX_FORWARDS_IN_FLIGHT);
    }
    return value;
  }

  private static Duration forwardLinger(Config config, String text) {
    if (text == null) {
      return DEFAULT_FORWARD_LINGER;
    }
    Duration value;
    try {
      value = config.getDuration("talea.cluster.forward-linger");
    } catch (ConfigException e) {
      value = null;
    }
    if (value == null || value.isNegative() || value.compareTo(MAX_FORWARD_LINGER) > 0) {
      throw new SettingsException(
          "TALEA_CLUSTER_FORWARD_LINGER must be a duration from 0ms to 100ms, such as 1ms or"
              + " 500us");
    }
    return value;
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
