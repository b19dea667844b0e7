package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three talead processes that find each other through Pekko Management's cluster bootstrap with
 * {@code config} discovery (contract §18), with no seed list: each is given every node's management
 * address in {@code TALEA_CLUSTER_ENDPOINTS}; the lowest forms the cluster once all three answer,
 * and the others join it. Also: what a misconfigured node does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterBootstrapIT {

  private static final int NODES = 3;

  @TempDir static Path work;

  private PostgresTestDatabase db;
  private final TaleadProcess[] nodes = new TaleadProcess[NODES];
  private final int[] clusterPorts = new int[NODES];
  private final int[] managementPorts = new int[NODES];
  private final int[] httpPorts = new int[NODES];
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void startCluster() {
    db = PostgresTestDatabase.create();
    // The schema first, as a deploy's migration step would: this test is about the nodes finding
    // each other, not about three first starts migrating one empty database at the same moment.
    try (Store migrated = Stores.open(db.url(), StoreSettings.defaults())) {
      assertThat(migrated.backend()).isEqualTo("postgres");
    }
    for (int i = 0; i < NODES; i++) {
      clusterPorts[i] = TaleadProcess.freePort();
      managementPorts[i] = TaleadProcess.freePort();
      httpPorts[i] = TaleadProcess.freePort();
    }
    // All three at once: bootstrap forms a cluster only when every listed endpoint answers, so no
    // node becomes healthy (/health 200 means joined and Up) until the other two are running.
    for (int i = 0; i < NODES; i++) {
      nodes[i] = TaleadProcess.launch("node" + i, work, variables(i), httpPorts[i]);
    }
    for (TaleadProcess node : nodes) {
      node.awaitHealthy();
    }
    assertThat(nodes[0].post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").statusCode())
        .isEqualTo(201);
  }

  private Map<String, String> variables(int i) {
    List<String> endpoints = new ArrayList<>();
    for (int port : managementPorts) {
      endpoints.add("127.0.0.1:" + port);
    }
    Map<String, String> variables = new HashMap<>();
    variables.put("TALEA_DB_URL", EndToEndTest.jdbcUrlWithCredentials(db.url()));
    variables.put("TALEA_CLUSTER_BIND", "127.0.0.1:" + clusterPorts[i]);
    variables.put("TALEA_CLUSTER_DISCOVERY", "config");
    variables.put("TALEA_MANAGEMENT_BIND", "127.0.0.1:" + managementPorts[i]);
    variables.put("TALEA_CLUSTER_ENDPOINTS", String.join(",", endpoints));
    variables.put("TALEA_CLUSTER_DOWN_AFTER", "3s");
    variables.put("TALEA_REQUEST_TIMEOUT", "5s");
    return variables;
  }

  @AfterAll
  void stopCluster() {
    ClusterIT.stop(nodes, db);
  }

  @Test
  @Order(1)
  void theThreeNodesFindEachOtherAndEachListsTheSameThreeMembersUp() {
    ClusterIT.assertEveryNodeListsAllMembersUp(nodes, clusterPorts);
  }

  @Test
  @Order(2)
  void theManagementListenerServesBootstrapAndNothingElse() {
    for (int i = 0; i < NODES; i++) {
      HttpResponse<String> seeds = management(i, "GET", "/bootstrap/seed-nodes");
      assertThat(seeds.statusCode()).as(seeds.body()).isEqualTo(200);
      assertThat(seeds.body()).contains(address(0), address(1), address(2));
      // Neither Pekko Management's health checks nor its cluster management routes, with which
      // anyone reaching the port could make a node leave.
      for (String path : List.of("/ready", "/alive", "/cluster/members")) {
        assertThat(management(i, "GET", path).statusCode()).as(path).isEqualTo(404);
      }
      String leave = "/cluster/members/" + address((i + 1) % NODES).replace("pekko://", "");
      assertThat(management(i, "DELETE", leave).statusCode()).isIn(404, 405);
      assertThat(management(i, "PUT", leave).statusCode()).isIn(404, 405);
    }
    assertThat(TaleadProcess.json(nodes[0].get("/v1/cluster")).get("members")).hasSize(NODES);
  }

  @Test
  @Order(3)
  void postsThroughAllThreeNodesLandInOneGaplessSequence() throws Exception {
    String book = "bootstrapped";
    assertThat(
            nodes[0]
                .put("/v1/books/" + book + "/accounts/assets:cash", "{\"kind\":\"asset\"}")
                .statusCode())
        .isEqualTo(201);
    assertThat(
            nodes[1]
                .put("/v1/books/" + book + "/accounts/equity:capital", "{\"kind\":\"equity\"}")
                .statusCode())
        .isEqualTo(201);
    int posts = 60;
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<HttpResponse<String>>> replies = new ArrayList<>();
      for (int i = 0; i < posts; i++) {
        TaleadProcess through = nodes[i % NODES];
        String key = book + "-" + i;
        replies.add(pool.submit(() -> TwoInstancesIT.post(through, book, key, "1")));
      }
      for (Future<HttpResponse<String>> reply : replies) {
        assertThat(reply.get().statusCode()).as(reply.get().body()).isEqualTo(201);
      }
    } finally {
      pool.shutdownNow();
    }
    for (TaleadProcess reader : nodes) {
      List<JsonNode> transactions = TwoInstancesIT.listTransactions(reader, book);
      assertThat(transactions).hasSize(posts);
      for (int i = 0; i < transactions.size(); i++) {
        assertThat(transactions.get(i).get("seq").asLong()).isEqualTo(i + 1);
        if (i > 0) {
          assertThat(transactions.get(i).get("prev_hash"))
              .isEqualTo(transactions.get(i - 1).get("hash"));
        }
      }
    }
  }

  @Test
  @Order(4)
  void configDiscoveryWithoutEndpointsStopsTheNodeWithExitCode2AndTheReason() {
    Map<String, String> variables = variables(0);
    variables.remove("TALEA_CLUSTER_ENDPOINTS");
    variables.put("TALEA_CLUSTER_BIND", "127.0.0.1:" + TaleadProcess.freePort());
    variables.put("TALEA_MANAGEMENT_BIND", "127.0.0.1:" + TaleadProcess.freePort());
    TaleadProcess refused =
        TaleadProcess.launch("no-endpoints", work, variables, TaleadProcess.freePort());
    assertThat(refused.awaitExit(Duration.ofSeconds(60))).as(refused.log()).isEqualTo(2);
    assertThat(refused.log())
        .contains(
            "talead: TALEA_CLUSTER_DISCOVERY=config needs TALEA_CLUSTER_ENDPOINTS: host:port,..."
                + " of every node's TALEA_MANAGEMENT_BIND, this node's own included");
  }

  @Test
  @Order(5)
  void aManagementPortInUseStopsTheNodeWithExitCode2NamingTheVariable() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      String bind = "127.0.0.1:" + taken.getLocalPort();
      Map<String, String> variables = variables(0);
      variables.put("TALEA_CLUSTER_BIND", "127.0.0.1:" + TaleadProcess.freePort());
      variables.put("TALEA_MANAGEMENT_BIND", bind);
      variables.put("TALEA_CLUSTER_ENDPOINTS", bind);
      TaleadProcess refused =
          TaleadProcess.launch("management-taken", work, variables, TaleadProcess.freePort());
      assertThat(refused.awaitExit(Duration.ofSeconds(60))).as(refused.log()).isEqualTo(2);
      assertThat(refused.log()).contains("talead: cannot listen on TALEA_MANAGEMENT_BIND=" + bind);
    }
    // The cluster did not notice.
    assertThat(TaleadProcess.json(nodes[0].get("/v1/cluster")).get("members")).hasSize(NODES);
  }

  private String address(int node) {
    return ClusterIT.pekkoAddress(clusterPorts[node]);
  }

  private HttpResponse<String> management(int node, String method, String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPorts[node] + path))
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("management listener of node" + node + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
