package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TALEA_CLUSTER_* variables (contract §18): what they configure, and what they refuse. */
class ClusterSettingsTest {

  private static final String POSTGRES = "postgres://talea:secret@127.0.0.1:5432/talea";

  @Test
  void withoutAClusterBindTaleadIsASingleInstanceWithNoRemoting() {
    ServerSettings settings = ServerSettings.load(Map.of("TALEA_DB_URL", POSTGRES));
    assertThat(settings.cluster()).isNull();
    assertThat(settings.config().getString("pekko.actor.provider")).isEqualTo("local");
    // See application.conf: pekko-discovery is pinned below the rest of Pekko.
    assertThat(settings.config().getBoolean("pekko.fail-mixed-versions")).isFalse();
  }

  @Test
  void seedsGiveTheActorSystemItsClusterConfiguration() {
    ServerSettings settings =
        ServerSettings.load(
            Map.of(
                "TALEA_DB_URL", POSTGRES,
                "TALEA_CLUSTER_BIND", "10.0.0.1:2552",
                "TALEA_CLUSTER_SEEDS", "10.0.0.1:2552, 10.0.0.2:2552",
                "TALEA_CLUSTER_DOWN_AFTER", "7s"));
    ClusterSettings cluster = settings.cluster();
    assertThat(cluster.bind()).isEqualTo(new HostPort("10.0.0.1", 2552));
    assertThat(cluster.seeds())
        .containsExactly(new HostPort("10.0.0.1", 2552), new HostPort("10.0.0.2", 2552));
    assertThat(cluster.downAfter()).isEqualTo(Duration.ofSeconds(7));
    Config pekko = cluster.pekkoConfig(settings.config()).resolve();
    assertThat(pekko.getString("pekko.actor.provider")).isEqualTo("cluster");
    assertThat(pekko.getString("pekko.remote.artery.canonical.hostname")).isEqualTo("10.0.0.1");
    assertThat(pekko.getInt("pekko.remote.artery.canonical.port")).isEqualTo(2552);
    assertThat(pekko.getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://talead@10.0.0.1:2552", "pekko://talead@10.0.0.2:2552");
    assertThat(pekko.getString("pekko.cluster.downing-provider-class"))
        .isEqualTo("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
    assertThat(pekko.getString("pekko.cluster.split-brain-resolver.active-strategy"))
        .isEqualTo("keep-majority");
    assertThat(pekko.getDuration("pekko.cluster.split-brain-resolver.stable-after"))
        .isEqualTo(Duration.ofSeconds(7));
    assertThat(pekko.getBoolean("pekko.actor.allow-java-serialization")).isFalse();
    assertThat(pekko.getInt("pekko.cluster.sharding.number-of-shards")).isEqualTo(100);
    assertThat(pekko.getString("pekko.cluster.sharding.passivation.strategy")).isEqualTo("none");
    assertThat(pekko.getStringList("pekko.cluster.sharding.healthcheck.names"))
        .containsExactly("book");
    // talead's own settings survive underneath.
    assertThat(pekko.getString("pekko.http.server.server-header")).isEqualTo("talead");
    assertThat(settings.toString()).doesNotContain("secret");
    // Seeds start nothing of Pekko Management: its settings are left at their defaults.
    assertThat(cluster.discovery()).isNull();
    assertThat(cluster.managementBind()).isNull();
    assertThat(cluster.endpoints()).isEmpty();
    assertThat(pekko.getString("pekko.management.http.hostname")).isEqualTo("<hostname>");
    assertThat(
            pekko.getString(
                "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("pekko.discovery");
  }

  private static final String BOOTSTRAP = "pekko.management.cluster.bootstrap.";

  @Test
  void configDiscoveryStartsBootstrapOnTheManagementListenerWithTheListedEndpoints() {
    ServerSettings settings =
        ServerSettings.load(
            Map.of(
                "TALEA_DB_URL", POSTGRES,
                "TALEA_CLUSTER_BIND", "10.0.0.1:2552",
                "TALEA_CLUSTER_DISCOVERY", "config",
                "TALEA_MANAGEMENT_BIND", "10.0.0.1:7626",
                "TALEA_CLUSTER_ENDPOINTS", "10.0.0.1:7626, 10.0.0.2:7626,10.0.0.3:7626,"));
    ClusterSettings cluster = settings.cluster();
    assertThat(cluster.seeds()).isEmpty();
    assertThat(cluster.discovery()).isEqualTo("config");
    assertThat(cluster.managementBind()).isEqualTo(new HostPort("10.0.0.1", 7626));
    assertThat(cluster.service()).isEqualTo("talead");
    assertThat(cluster.endpoints())
        .containsExactly(
            new HostPort("10.0.0.1", 7626),
            new HostPort("10.0.0.2", 7626),
            new HostPort("10.0.0.3", 7626));
    assertThat(cluster.requiredContactPoints()).isEqualTo(3);
    Config pekko = cluster.pekkoConfig(settings.config()).resolve();
    // Bootstrap bails out when seed nodes are configured: there are none.
    assertThat(pekko.getStringList("pekko.cluster.seed-nodes")).isEmpty();
    assertThat(pekko.getString("pekko.management.http.hostname")).isEqualTo("10.0.0.1");
    assertThat(pekko.getInt("pekko.management.http.port")).isEqualTo(7626);
    assertThat(pekko.getString("pekko.management.http.bind-hostname")).isEmpty();
    assertThat(pekko.getBoolean("pekko.management.http.route-providers-read-only")).isTrue();
    assertOnlyBootstrapRoutes(pekko);
    assertThat(pekko.getString(BOOTSTRAP + "contact-point-discovery.service-name"))
        .isEqualTo("talead");
    assertThat(pekko.getString(BOOTSTRAP + "contact-point-discovery.discovery-method"))
        .isEqualTo("config");
    assertThat(pekko.getInt(BOOTSTRAP + "contact-point-discovery.required-contact-point-nr"))
        .isEqualTo(3);
    // Pekko's defaults, which the docs describe.
    assertThat(pekko.getDuration(BOOTSTRAP + "contact-point-discovery.stable-margin"))
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(
            pekko.getBoolean(BOOTSTRAP + "contact-point-discovery.contact-with-all-contact-points"))
        .isTrue();
    assertThat(pekko.getBoolean(BOOTSTRAP + "new-cluster-enabled")).isTrue();
    List<Map<String, Object>> endpoints = new ArrayList<>();
    for (Config endpoint :
        pekko.getConfigList("pekko.discovery.config.services.talead.endpoints")) {
      endpoints.add(endpoint.root().unwrapped());
    }
    assertThat(endpoints)
        .containsExactly(
            Map.of("host", "10.0.0.1", "port", 7626),
            Map.of("host", "10.0.0.2", "port", 7626),
            Map.of("host", "10.0.0.3", "port", 7626));
    assertThat(pekko.getBoolean(BOOTSTRAP + "contact-point.filter-on-fallback-port")).isFalse();
    assertThat(pekko.getString("pekko.discovery.config.class"))
        .isEqualTo("org.apache.pekko.discovery.config.ConfigServiceDiscovery");
    // The rest of cluster mode is as with seeds.
    assertThat(pekko.getString("pekko.actor.provider")).isEqualTo("cluster");
    assertThat(pekko.getString("pekko.cluster.split-brain-resolver.active-strategy"))
        .isEqualTo("keep-majority");
  }

  @Test
  void dnsDiscoveryLooksUpTheServiceNameThroughPekkoDns() {
    ServerSettings settings =
        ServerSettings.load(
            Map.of(
                "TALEA_DB_URL", POSTGRES,
                "TALEA_CLUSTER_BIND", "10.0.0.7:2552",
                "TALEA_CLUSTER_DISCOVERY", "DNS",
                "TALEA_MANAGEMENT_BIND", "10.0.0.7:7626",
                "TALEA_CLUSTER_SERVICE", "talead-nodes.ledger.svc.cluster.local"));
    ClusterSettings cluster = settings.cluster();
    assertThat(cluster.discovery()).isEqualTo("dns");
    assertThat(cluster.pekkoDiscoveryMethod()).isEqualTo("pekko-dns");
    assertThat(cluster.endpoints()).isEmpty();
    assertThat(cluster.requiredContactPoints()).isEqualTo(2);
    Config pekko = cluster.pekkoConfig(settings.config()).resolve();
    assertThat(pekko.getString(BOOTSTRAP + "contact-point-discovery.discovery-method"))
        .isEqualTo("pekko-dns");
    assertThat(pekko.getString(BOOTSTRAP + "contact-point-discovery.service-name"))
        .isEqualTo("talead-nodes.ledger.svc.cluster.local");
    assertThat(pekko.getInt(BOOTSTRAP + "contact-point-discovery.required-contact-point-nr"))
        .isEqualTo(2);
    assertThat(pekko.getString("pekko.discovery.pekko-dns.class"))
        .isEqualTo("org.apache.pekko.discovery.dns.DnsServiceDiscovery");
    assertThat(pekko.getObject("pekko.discovery.config.services")).isEmpty();
    // A records carry no port: every node is probed on this node's management port.
    assertThat(pekko.getBoolean(BOOTSTRAP + "contact-point.filter-on-fallback-port")).isTrue();
    assertThat(pekko.getString("pekko.management.http.hostname")).isEqualTo("10.0.0.7");
    assertThat(pekko.getInt("pekko.management.http.port")).isEqualTo(7626);
    assertOnlyBootstrapRoutes(pekko);
  }

  @Test
  void kubernetesApiDiscoveryFindsThePodsLabelledWithTheServiceName() {
    ServerSettings settings =
        ServerSettings.load(
            Map.of(
                "TALEA_DB_URL", POSTGRES,
                "TALEA_CLUSTER_BIND", "10.1.2.3:2552",
                "TALEA_CLUSTER_DISCOVERY", "kubernetes-api",
                "TALEA_MANAGEMENT_BIND", "10.1.2.3:7626",
                "TALEA_CLUSTER_SERVICE", "ledger"));
    ClusterSettings cluster = settings.cluster();
    assertThat(cluster.requiredContactPoints()).isEqualTo(2);
    Config pekko = cluster.pekkoConfig(settings.config()).resolve();
    assertThat(pekko.getString(BOOTSTRAP + "contact-point-discovery.discovery-method"))
        .isEqualTo("kubernetes-api");
    assertThat(pekko.getString(BOOTSTRAP + "contact-point-discovery.service-name"))
        .isEqualTo("ledger");
    assertThat(pekko.getInt(BOOTSTRAP + "contact-point-discovery.required-contact-point-nr"))
        .isEqualTo(2);
    // From pekko-discovery-kubernetes-api's reference.conf: pods labelled app=<service name>.
    assertThat(pekko.getString("pekko.discovery.kubernetes-api.class"))
        .isEqualTo("org.apache.pekko.discovery.kubernetes.KubernetesApiServiceDiscovery");
    assertThat(pekko.getString("pekko.discovery.kubernetes-api.pod-label-selector"))
        .isEqualTo("app=%s");
    assertOnlyBootstrapRoutes(pekko);
  }

  /**
   * The management listener serves bootstrap's route and nothing else: no health checks, and no
   * cluster management (leave, down) even if its jar were on the classpath.
   */
  private static void assertOnlyBootstrapRoutes(Config pekko) {
    Map<String, Object> routes = pekko.getObject("pekko.management.http.routes").unwrapped();
    Map<String, Object> enabled = new HashMap<>();
    routes.forEach(
        (name, provider) -> {
          if (provider != null && !provider.toString().isBlank()) {
            enabled.put(name, provider);
          }
        });
    assertThat(enabled)
        .isEqualTo(
            Map.of(
                "cluster-bootstrap",
                "org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap$"));
    assertThat(routes).containsEntry("health-checks", "").containsEntry("cluster-management", "");
  }

  @Test
  void theEmbeddedStoresRefuseClusterModeSayingWhy() {
    for (String embedded : List.of("sqlite:./talea.db", "log:./data")) {
      assertThatThrownBy(
              () ->
                  ServerSettings.load(
                      Map.of(
                          "TALEA_DB_URL", embedded,
                          "TALEA_CLUSTER_BIND", "127.0.0.1:2552",
                          "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552")))
          .isInstanceOf(SettingsException.class)
          .hasMessageStartingWith(
              "TALEA_CLUSTER_BIND is set but TALEA_DB_URL is the embedded store")
          .hasMessageContaining("an embedded store belongs to one process")
          .hasMessageContaining("Use a postgres:// TALEA_DB_URL");
    }
  }

  @Test
  void badCombinationsAreRefusedNamingTheVariable() {
    assertRefused(
        Map.of("TALEA_CLUSTER_SEEDS", "127.0.0.1:2552"),
        "TALEA_CLUSTER_SEEDS is set but TALEA_CLUSTER_BIND is not");
    assertRefused(
        Map.of("TALEA_MANAGEMENT_BIND", "127.0.0.1:8558"),
        "TALEA_MANAGEMENT_BIND is set but TALEA_CLUSTER_BIND is not");
    assertRefused(
        Map.of("TALEA_CLUSTER_BIND", "127.0.0.1:2552"),
        "a cluster node needs exactly one of TALEA_CLUSTER_SEEDS");
    assertRefused(
        Map.of(
            "TALEA_CLUSTER_BIND", "127.0.0.1:2552",
            "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552",
            "TALEA_CLUSTER_DISCOVERY", "dns"),
        "a cluster node needs exactly one of TALEA_CLUSTER_SEEDS");
    assertRefused(
        Map.of("TALEA_CLUSTER_BIND", "0.0.0.0:2552", "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552"),
        "TALEA_CLUSTER_BIND must name the host and port the other nodes reach this one at");
    assertRefused(
        Map.of("TALEA_CLUSTER_BIND", "127.0.0.1:0", "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552"),
        "TALEA_CLUSTER_BIND must name the host and port");
    assertRefused(
        Map.of("TALEA_CLUSTER_BIND", "127.0.0.1:2552", "TALEA_CLUSTER_SEEDS", "nohost"),
        "TALEA_CLUSTER_SEEDS must be host:port");
    assertRefused(
        Map.of("TALEA_CLUSTER_BIND", "127.0.0.1:2552", "TALEA_CLUSTER_DISCOVERY", "consul"),
        "TALEA_CLUSTER_DISCOVERY must be one of config, dns, kubernetes-api (got 'consul')");
    assertRefused(
        Map.of("TALEA_CLUSTER_BIND", "127.0.0.1:2552", "TALEA_CLUSTER_DISCOVERY", "dns"),
        "TALEA_CLUSTER_DISCOVERY needs TALEA_MANAGEMENT_BIND");
    assertRefused(
        Map.of(
            "TALEA_CLUSTER_BIND", "127.0.0.1:2552",
            "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552",
            "TALEA_MANAGEMENT_BIND", "127.0.0.1:8558"),
        "TALEA_MANAGEMENT_BIND serves cluster bootstrap");
    assertRefused(
        Map.of(
            "TALEA_CLUSTER_BIND", "127.0.0.1:2552",
            "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552",
            "TALEA_CLUSTER_DOWN_AFTER", "500ms"),
        "TALEA_CLUSTER_DOWN_AFTER must be between 1s and 10m");
    assertRefused(
        Map.of("TALEA_CLUSTER_FORWARDS_IN_FLIGHT", "4"),
        "TALEA_CLUSTER_FORWARDS_IN_FLIGHT is set but TALEA_CLUSTER_BIND is not");
    assertANodeRefusesEach(
        "TALEA_CLUSTER_FORWARDS_IN_FLIGHT",
        List.of("0", "65", "two", "-1"),
        "TALEA_CLUSTER_FORWARDS_IN_FLIGHT must be a whole number from 1 to 64");
    assertRefused(
        Map.of("TALEA_CLUSTER_FORWARD_LINGER", "1ms"),
        "TALEA_CLUSTER_FORWARD_LINGER is set but TALEA_CLUSTER_BIND is not");
    assertANodeRefusesEach(
        "TALEA_CLUSTER_FORWARD_LINGER",
        List.of("-1ms", "101ms", "1s", "soon"),
        "TALEA_CLUSTER_FORWARD_LINGER must be a duration from 0ms to 100ms, such as 1ms or"
            + " 500us");
  }

  @Test
  void forwardLingerDefaultsToTwoMillisecondsAndReachesTheActorSystem() {
    Map<String, String> seeds =
        Map.of(
            "TALEA_DB_URL", POSTGRES,
            "TALEA_CLUSTER_BIND", "10.0.0.1:2552",
            "TALEA_CLUSTER_SEEDS", "10.0.0.1:2552");
    ServerSettings defaults = ServerSettings.load(seeds);
    assertThat(defaults.cluster().forwardLinger()).isEqualTo(Duration.ofMillis(2));
    assertThat(
            defaults
                .cluster()
                .pekkoConfig(defaults.config())
                .resolve()
                .getDuration("talea.cluster.forward-linger"))
        .isEqualTo(Duration.ofMillis(2));
    for (Map.Entry<String, Duration> value :
        Map.of("500us", Duration.ofNanos(500_000), "0ms", Duration.ZERO).entrySet()) {
      Map<String, String> set = new HashMap<>(seeds);
      set.put("TALEA_CLUSTER_FORWARD_LINGER", value.getKey());
      ServerSettings loaded = ServerSettings.load(set);
      assertThat(loaded.cluster().forwardLinger()).isEqualTo(value.getValue());
      assertThat(
              loaded
                  .cluster()
                  .pekkoConfig(loaded.config())
                  .resolve()
                  .getDuration("talea.cluster.forward-linger"))
          .isEqualTo(value.getValue());
    }
  }

  @Test
  void forwardsInFlightDefaultsToFourAndReachesTheActorSystem() {
    Map<String, String> seeds =
        Map.of(
            "TALEA_DB_URL", POSTGRES,
            "TALEA_CLUSTER_BIND", "10.0.0.1:2552",
            "TALEA_CLUSTER_SEEDS", "10.0.0.1:2552");
    ServerSettings defaults = ServerSettings.load(seeds);
    assertThat(defaults.cluster().forwardsInFlight()).isEqualTo(4);
    assertThat(
            defaults
                .cluster()
                .pekkoConfig(defaults.config())
                .resolve()
                .getInt("talea.cluster.forwards-in-flight"))
        .isEqualTo(4);
    Map<String, String> eight = new HashMap<>(seeds);
    eight.put("TALEA_CLUSTER_FORWARDS_IN_FLIGHT", "8");
    ServerSettings set = ServerSettings.load(eight);
    assertThat(set.cluster().forwardsInFlight()).isEqualTo(8);
    assertThat(
            set.cluster()
                .pekkoConfig(set.config())
                .resolve()
                .getInt("talea.cluster.forwards-in-flight"))
        .isEqualTo(8);
  }

  @Test
  void badDiscoverySettingsAreRefusedWithMessagesNamingTheVariable() {
    Map<String, String> config =
        Map.of(
            "TALEA_CLUSTER_BIND", "127.0.0.1:2552",
            "TALEA_CLUSTER_DISCOVERY", "config",
            "TALEA_MANAGEMENT_BIND", "127.0.0.1:7626");
    assertRefusedExactly(
        config,
        "TALEA_CLUSTER_DISCOVERY=config needs TALEA_CLUSTER_ENDPOINTS: host:port,... of every"
            + " node's TALEA_MANAGEMENT_BIND, this node's own included");
    assertRefusedExactly(
        with(config, "TALEA_CLUSTER_ENDPOINTS", " , "),
        "TALEA_CLUSTER_ENDPOINTS must include this node's own TALEA_MANAGEMENT_BIND"
            + " (127.0.0.1:7626) exactly as written there: every node lists all of them, itself"
            + " included, so that the node with the lowest address knows to form the cluster");
    assertRefusedExactly(
        with(config, "TALEA_CLUSTER_ENDPOINTS", "127.0.0.2:7626,127.0.0.3:7626"),
        "TALEA_CLUSTER_ENDPOINTS must include this node's own TALEA_MANAGEMENT_BIND"
            + " (127.0.0.1:7626) exactly as written there: every node lists all of them, itself"
            + " included, so that the node with the lowest address knows to form the cluster");
    assertRefusedExactly(
        with(config, "TALEA_CLUSTER_ENDPOINTS", "127.0.0.1:7626,node2"),
        "TALEA_CLUSTER_ENDPOINTS must be host:port, such as 127.0.0.1:8080 or [::1]:8080 (got"
            + " 'node2')");
    assertRefusedExactly(
        with(config, "TALEA_CLUSTER_ENDPOINTS", "127.0.0.1:7626,0.0.0.0:7626"),
        "TALEA_CLUSTER_ENDPOINTS must list addresses the nodes reach each other at, not a"
            + " wildcard address or port 0 (got '0.0.0.0:7626')");
    for (String method : List.of("dns", "kubernetes-api")) {
      assertRefusedExactly(
          with(
              with(config, "TALEA_CLUSTER_DISCOVERY", method),
              "TALEA_CLUSTER_ENDPOINTS",
              "127.0.0.1:7626"),
          "TALEA_CLUSTER_ENDPOINTS lists the nodes for TALEA_CLUSTER_DISCOVERY=config; with "
              + method
              + " the nodes are discovered: unset it");
    }
    assertRefusedExactly(
        with(
            with(config, "TALEA_CLUSTER_DISCOVERY", "dns"),
            "TALEA_CLUSTER_SERVICE",
            "talead service"),
        "TALEA_CLUSTER_SERVICE must be a name of letters, digits, '-', '.' and '_' that starts"
            + " and ends with a letter or digit, at most 253 characters (got 'talead service')");
    assertRefusedExactly(
        with(
            with(config, "TALEA_CLUSTER_DISCOVERY", "dns"),
            "TALEA_MANAGEMENT_BIND",
            "0.0.0.0:7626"),
        "TALEA_MANAGEMENT_BIND must name the host and port the other nodes reach this one's"
            + " management listener at (got '0.0.0.0:7626'): not a wildcard address and not port"
            + " 0, since bootstrap finds itself among the discovered nodes by this address");
    assertRefusedExactly(
        with(with(config, "TALEA_CLUSTER_DISCOVERY", "dns"), "TALEA_MANAGEMENT_BIND", "node:0"),
        "TALEA_MANAGEMENT_BIND must name the host and port the other nodes reach this one's"
            + " management listener at (got 'node:0'): not a wildcard address and not port 0,"
            + " since bootstrap finds itself among the discovered nodes by this address");
    assertRefusedExactly(
        with(
            with(config, "TALEA_CLUSTER_DISCOVERY", "dns"),
            "TALEA_MANAGEMENT_BIND",
            "127.0.0.1:2552"),
        "TALEA_MANAGEMENT_BIND and TALEA_CLUSTER_BIND are both 127.0.0.1:2552: give Pekko"
            + " Management its own port");
    Map<String, String> seeds =
        Map.of("TALEA_CLUSTER_BIND", "127.0.0.1:2552", "TALEA_CLUSTER_SEEDS", "127.0.0.1:2552");
    assertRefusedExactly(
        with(seeds, "TALEA_CLUSTER_ENDPOINTS", "127.0.0.1:7626"),
        "TALEA_CLUSTER_ENDPOINTS is for TALEA_CLUSTER_DISCOVERY; with TALEA_CLUSTER_SEEDS it is"
            + " not used: unset it");
    assertRefusedExactly(
        with(seeds, "TALEA_CLUSTER_SERVICE", "talead"),
        "TALEA_CLUSTER_SERVICE is for TALEA_CLUSTER_DISCOVERY; with TALEA_CLUSTER_SEEDS it is"
            + " not used: unset it");
    for (String variable : List.of("TALEA_CLUSTER_SERVICE", "TALEA_CLUSTER_ENDPOINTS")) {
      assertRefusedExactly(
          Map.of(variable, "talead:7626"),
          variable
              + " is set but TALEA_CLUSTER_BIND is not: set TALEA_CLUSTER_BIND to this node's"
              + " host:port for cluster traffic to run talead as a cluster node");
    }
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> copy = new HashMap<>(base);
    copy.put(key, value);
    return copy;
  }

  /**
   * A seeded cluster node refuses each of {@code values} for {@code variable}, with {@code
   * message}.
   */
  private static void assertANodeRefusesEach(String variable, List<String> values, String message) {
    for (String value : values) {
      assertRefusedExactly(
          Map.of(
              "TALEA_CLUSTER_BIND",
              "127.0.0.1:2552",
              "TALEA_CLUSTER_SEEDS",
              "127.0.0.1:2552",
              variable,
              value),
          message);
    }
  }

  private static void assertRefusedExactly(Map<String, String> cluster, String message) {
    Map<String, String> environment = new HashMap<>(cluster);
    environment.put("TALEA_DB_URL", POSTGRES);
    assertThatThrownBy(() -> ServerSettings.load(environment))
        .isInstanceOf(SettingsException.class)
        .hasMessage(message);
  }

  private static void assertRefused(Map<String, String> cluster, String message) {
    Map<String, String> environment = new HashMap<>(cluster);
    environment.put("TALEA_DB_URL", POSTGRES);
    assertThatThrownBy(() -> ServerSettings.load(environment))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith(message);
  }
}
