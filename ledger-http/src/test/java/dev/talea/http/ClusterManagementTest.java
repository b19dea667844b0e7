package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.store.testing.PostgresTestDatabase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap$;
import org.apache.pekko.management.scaladsl.PekkoManagement$;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pekko Management runs only in discovery mode (contract §18): a single instance and a node that
 * joins through seeds start none of it; a discovery node serves bootstrap on TALEA_MANAGEMENT_BIND
 * and lets go of the port when it shuts down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterManagementTest {

  private PostgresTestDatabase db;

  @BeforeAll
  void database() {
    db = PostgresTestDatabase.create();
  }

  @AfterAll
  void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void aSingleInstanceStartsNoManagement(@TempDir Path dir) {
    try (ServerHarness harness = ServerHarness.start("sqlite:" + dir.resolve("t.db"))) {
      assertThat(harness.get("/health").status()).isEqualTo(200);
      assertNoManagement(harness);
    }
  }

  @Test
  void aNodeJoiningThroughSeedsStartsNoManagement() {
    String bind = "127.0.0.1:" + TaleadProcess.freePort();
    try (ServerHarness harness =
        ServerHarness.start(
            EndToEndTest.jdbcUrlWithCredentials(db.url()),
            Map.of("TALEA_CLUSTER_BIND", bind, "TALEA_CLUSTER_SEEDS", bind))) {
      awaitHealthy(harness);
      assertNoManagement(harness);
    }
  }

  @Test
  void aDiscoveryNodeServesBootstrapAndFreesThePortOnShutdown() throws Exception {
    String bind = "127.0.0.1:" + TaleadProcess.freePort();
    int port = TaleadProcess.freePort();
    String management = "127.0.0.1:" + port;
    try (ServerHarness harness =
        ServerHarness.start(
            EndToEndTest.jdbcUrlWithCredentials(db.url()),
            Map.of(
                "TALEA_CLUSTER_BIND", bind,
                "TALEA_CLUSTER_DISCOVERY", "config",
                "TALEA_MANAGEMENT_BIND", management,
                "TALEA_CLUSTER_ENDPOINTS", management))) {
      ActorSystem classic = Adapter.toClassic(harness.server().system());
      assertThat(classic.hasExtension(PekkoManagement$.MODULE$)).isTrue();
      assertThat(classic.hasExtension(ClusterBootstrap$.MODULE$)).isTrue();
      // A cluster of one: its only endpoint is itself, which forms the cluster.
      awaitHealthy(harness);
      HttpResponse<String> seeds =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://" + management + "/bootstrap/seed-nodes"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(seeds.statusCode()).isEqualTo(200);
      assertThat(seeds.body()).contains("pekko://talead@" + bind);
      harness.server().shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    try (ServerSocket free = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
      assertThat(free.getLocalPort()).isEqualTo(port);
    } catch (IOException e) {
      throw new AssertionError("the management port is still taken after shutdown", e);
    }
  }

  private static void awaitHealthy(ServerHarness harness) {
    LiveTailTest.await(
        "the node joined (/health 200)",
        Duration.ofSeconds(30),
        () -> harness.get("/health").status() == 200);
  }

  private static void assertNoManagement(ServerHarness harness) {
    ActorSystem classic = Adapter.toClassic(harness.server().system());
    assertThat(classic.hasExtension(PekkoManagement$.MODULE$)).isFalse();
    assertThat(classic.hasExtension(ClusterBootstrap$.MODULE$)).isFalse();
  }
}
