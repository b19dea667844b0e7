package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import java.time.Duration;
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
  }

  private static void assertRefused(Map<String, String> cluster, String message) {
    Map<String, String> environment = new HashMap<>(cluster);
    environment.put("TALEA_DB_URL", POSTGRES);
    assertThatThrownBy(() -> ServerSettings.load(environment))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith(message);
  }
}
