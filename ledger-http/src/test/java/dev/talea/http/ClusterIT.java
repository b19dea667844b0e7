package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.client.RetryPolicy;
import dev.talea.client.TaleaClient;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.testing.PostgresTestDatabase;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three talead processes forming a Pekko cluster from seeds, on one Postgres database (contract
 * §18): a book's posts, whichever node they arrive at, are group-committed by the one node that
 * owns the book; answers through any node are the single instance's answers; a book's owner killed
 * or paused under load hands the book over without losing, doubling or forking a commit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final String BTC = "BTC";
  private static final int NODES = 3;

  @TempDir static Path work;

  private PostgresTestDatabase db;
  private final TaleadProcess[] nodes = new TaleadProcess[NODES];
  private final int[] clusterPorts = new int[NODES];
  private final int[] metricsPorts = new int[NODES];
  private final int[] httpPorts = new int[NODES];

  /** Requests to {@link #SETTLE_PATH} each node's current process has answered. */
  private final int[] settleProbes = new int[NODES];

  @BeforeAll
  void startCluster() {
    db = PostgresTestDatabase.create();
    for (int i = 0; i < NODES; i++) {
      clusterPorts[i] = TaleadProcess.freePort();
      metricsPorts[i] = TaleadProcess.freePort();
      httpPorts[i] = TaleadProcess.freePort();
    }
    // One after the other: the first migrates the schema and, as the first seed, forms the
    // cluster; each start waits for /health, which is 200 only once the node has joined.
    for (int i = 0; i < NODES; i++) {
      nodes[i] = start(i);
    }
    assertThat(nodes[0].post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").statusCode())
        .isEqualTo(201);
  }

  private TaleadProcess start(int i) {
    Map<String, String> variables = new HashMap<>();
    variables.put("TALEA_DB_URL", EndToEndTest.jdbcUrlWithCredentials(db.url()));
    variables.put("TALEA_METRICS_BIND", "127.0.0.1:" + metricsPorts[i]);
    variables.put("TALEA_CLUSTER_BIND", "127.0.0.1:" + clusterPorts[i]);
    variables.put(
        "TALEA_CLUSTER_SEEDS", "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1]);
    variables.put("TALEA_CLUSTER_DOWN_AFTER", "3s");
    variables.put("TALEA_REQUEST_TIMEOUT", "5s");
    settleProbes[i] = 0;
    return TaleadProcess.start("node" + i, work, variables, httpPorts[i]);
  }

  @AfterAll
  void stopCluster() {
    stop(nodes, db);
  }

  @Test
  @Order(1)
  void theClusterListsItsThreeMembersUpFromEveryNode() {
    assertEveryNodeListsAllMembersUp(nodes, clusterPorts);
    // The metrics say the same, and carry every cluster series the Grafana dashboard plots (a
    // single instance, where ComposeStackTest scrapes them, has none of them).
    for (int i = 0; i < NODES; i++) {
      int node = i;
      LiveTailTest.await(
          "node " + i + "'s metrics to count three members up",
          Duration.ofSeconds(20),
          () ->
              nodes[node]
                  .metrics(metricsPorts[node])
                  .contains("talea_cluster_members{status=\"up\"} 3.0"));
      String metrics = nodes[i].metrics(metricsPorts[i]);
      assertThat(metrics).contains("talea_cluster_members_unreachable 0.0");
      Matcher names = Pattern.compile("\\btalea_cluster_[a-z_]+").matcher(dashboard());
      while (names.find()) {
        assertThat(metrics)
            .as("node %d's scrape has %s", i, names.group())
            .containsPattern("(?m)^" + names.group() + "[{ ]");
      }
    }
  }

  private static String dashboard() {
    try {
      return java.nio.file.Files.readString(ComposeStackTest.DASHBOARD);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @Order(2)
  void postsThroughEveryNodeAreCommittedByTheBooksOneOwnerInOneGaplessSequence() throws Exception {
    String book = "hot";
    openBook(book);
    long[] before = committedDrafts();
    int posts = 90;
    ExecutorService pool = Executors.newFixedThreadPool(9);
    try {
      List<Future<HttpResponse<String>>> replies = new ArrayList<>();
      for (int i = 0; i < posts; i++) {
        TaleadProcess through = nodes[i % NODES];
        String key = "hot-" + i;
        replies.add(pool.submit(() -> TwoInstancesIT.post(through, book, key, "1")));
      }
      for (Future<HttpResponse<String>> reply : replies) {
        assertThat(reply.get().statusCode()).as(reply.get().body()).isEqualTo(201);
      }
    } finally {
      pool.shutdownNow();
    }
    assertGapless(book, posts);
    int owner = soleCommitter(before, posts);
    assertThat(owner).isBetween(0, NODES - 1);

    // The answers through a node that does not own the book are the owner's, member for member.
    int other = (owner + 1) % NODES;
    JsonNode viaOwner = TaleadProcess.json(TwoInstancesIT.post(nodes[owner], book, "shape-a", "2"));
    JsonNode viaOther = TaleadProcess.json(TwoInstancesIT.post(nodes[other], book, "shape-b", "2"));
    assertThat(fieldNames(viaOther)).isEqualTo(fieldNames(viaOwner));
    assertThat(viaOther.get("seq").asLong()).isEqualTo(viaOwner.get("seq").asLong() + 1);
    HttpResponse<String> replay =
        TwoInstancesIT.post(nodes[(owner + 2) % NODES], book, "shape-a", "2");
    assertThat(replay.statusCode()).isEqualTo(200);
    assertThat(TaleadProcess.json(replay).get("tx_id")).isEqualTo(viaOwner.get("tx_id"));
    HttpResponse<String> rejectedViaOwner =
        nodes[owner].post("/v1/books/" + book + "/transactions", unbalanced("bad-a"));
    HttpResponse<String> rejectedViaOther =
        nodes[other].post("/v1/books/" + book + "/transactions", unbalanced("bad-b"));
    assertThat(rejectedViaOther.statusCode())
        .isEqualTo(rejectedViaOwner.statusCode())
        .isEqualTo(422);
    assertThat(TaleadProcess.json(rejectedViaOther).get("code"))
        .isEqualTo(TaleadProcess.json(rejectedViaOwner).get("code"));

    // A batch of a thousand drafts (most of a megabyte each way) through a node that does not own
    // the book: it crosses to the owner and back over the cluster's large-message channel.
    StringBuilder batch = new StringBuilder("{\"transactions\":[");
    for (int i = 0; i < 1000; i++) {
      batch.append(i == 0 ? "" : ",").append(LiveTailTest.draft("batch-" + i));
    }
    HttpResponse<String> batchReply =
        nodes[other].post(
            "/v1/books/" + book + "/transactions/batch", batch.append("]}").toString());
    assertThat(batchReply.statusCode()).as(batchReply.body()).isEqualTo(200);
    assertThat(TaleadProcess.json(batchReply).get("results")).hasSize(1000);
    assertGapless(book, posts + 2 + 1000);

    // A second book lands on another node: the writers spread over the cluster.
    Set<Integer> owners = new TreeSet<>(Set.of(owner));
    for (int i = 0; i < 10 && owners.size() == 1; i++) {
      String next = "spread-" + i;
      openBook(next);
      long[] counted = committedDrafts();
      for (int k = 0; k < 5; k++) {
        assertThat(TwoInstancesIT.post(nodes[k % NODES], next, next + "-" + k, "1").statusCode())
            .isEqualTo(201);
      }
      owners.add(soleCommitter(counted, 5));
    }
    assertThat(owners).hasSizeGreaterThan(1);
  }

  @Test
  @Order(3)
  void killingABooksOwnerUnderLoadMovesTheBookAndEveryPostLandsExactlyOnce() throws Exception {
    String book = "crash";
    openBook(book);
    long[] before = committedDrafts();
    TwoInstancesIT.post(nodes[0], book, "crash-first", "1");
    int owner = soleCommitter(before, 1);
    int keys = 300;
    AtomicInteger done = new AtomicInteger();
    List<String> posted = runLoad(book, keys, done, k -> k == keys / 3, () -> nodes[owner].kill());
    assertThat(nodes[owner].awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
    assertThat(posted).hasSize(keys);
    assertExactlyOnce(book, 1 + keys, "crash-first", posted);
    assertVerified(book, (owner + 1) % NODES);
    // Back to three, on the same addresses: the node rejoins as a new incarnation.
    nodes[owner] = start(owner);
  }

  @Test
  @Order(4)
  void aPausedOwnerIsDownedAndItsLateWritesCannotForkTheBook() throws Exception {
    String book = "pause";
    openBook(book);
    long[] before = committedDrafts();
    TwoInstancesIT.post(nodes[0], book, "pause-first", "1");
    int owner = soleCommitter(before, 1);
    int survivor = (owner + 1) % NODES;
    int keys = 300;
    AtomicInteger done = new AtomicInteger();
    List<String> posted = runLoad(book, keys, done, k -> k == keys / 3, () -> nodes[owner].pause());
    // The survivors have downed and removed the paused node.
    LiveTailTest.await(
        "the paused node removed from the cluster",
        Duration.ofSeconds(60),
        () -> !memberAddresses(survivor).contains(address(owner)));
    nodes[owner].resume();
    // On waking it finds itself out of the cluster and stops, exit code 3: it never commits again.
    assertThat(nodes[owner].awaitExit(Duration.ofSeconds(60))).isEqualTo(3);
    assertThat(nodes[owner].log()).contains("this node was downed by the cluster");
    assertThat(posted).hasSize(keys);
    assertExactlyOnce(book, 1 + keys, "pause-first", posted);
    assertVerified(book, survivor);
    nodes[owner] = start(owner);
  }

  // ---- load with a fault ----------------------------------------------------------------------

  /**
   * Posts {@code keys} deposits to {@code book}, from three workers, each through its own node and,
   * when that node fails it, through the next one with the same idempotency key (as a balancer
   * redispatches); {@code fault} runs once, just before the post for which {@code at} holds.
   *
   * @return the keys, each answered 201 or 200 (a replay of its first landing)
   */
  private List<String> runLoad(
      String book, int keys, AtomicInteger next, IntPredicate at, Runnable fault) throws Exception {
    List<TaleaClient> clients = new ArrayList<>();
    for (TaleadProcess node : nodes) {
      clients.add(
          TaleaClient.builder()
              .baseUrl("http://127.0.0.1:" + node.port())
              .token(TaleadProcess.TOKEN)
              .requestTimeout(Duration.ofSeconds(15))
              .retryPolicy(RetryPolicy.defaults().withMaxElapsed(Duration.ofSeconds(20)))
              .build());
    }
    ExecutorService pool = Executors.newFixedThreadPool(NODES);
    List<String> landed = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < NODES; w++) {
        int first = w;
        workers.add(
            pool.submit(
                () -> {
                  for (int k = next.getAndIncrement(); k < keys; k = next.getAndIncrement()) {
                    if (at.test(k)) {
                      fault.run();
                    }
                    String key = book + "-" + k;
                    landed.add(postSomewhere(clients, first, book, key));
                  }
                  return null;
                }));
      }
      for (Future<?> worker : workers) {
        worker.get();
      }
    } finally {
      pool.shutdownNow();
      clients.forEach(TaleaClient::close);
    }
    return landed;
  }

  /** Posts through node {@code first}, then through the others in turn until one answers. */
  private static String postSomewhere(
      List<TaleaClient> clients, int first, String book, String key) {
    RuntimeException last = null;
    for (int attempt = 0; attempt < 3 * clients.size(); attempt++) {
      TaleaClient client = clients.get((first + attempt) % clients.size());
      try {
        client.post(book, deposit(key));
        return key;
      } catch (RuntimeException e) {
        last = e;
      }
    }
    throw new AssertionError("no node committed " + key, last);
  }

  // ---- assertions -----------------------------------------------------------------------------

  /** Seqs 1..expected, each once, read through node 0 or the first live node. */
  private List<JsonNode> assertGapless(String book, int expected) {
    List<JsonNode> transactions = TwoInstancesIT.listTransactions(live(), book);
    assertThat(transactions).hasSize(expected);
    for (int i = 0; i < transactions.size(); i++) {
      assertThat(transactions.get(i).get("seq").asLong()).isEqualTo(i + 1);
    }
    return transactions;
  }

  private void assertExactlyOnce(String book, int expected, String firstKey, List<String> posted) {
    List<JsonNode> transactions = assertGapless(book, expected);
    List<String> stored = new ArrayList<>();
    transactions.forEach(tx -> stored.add(tx.get("idempotency_key").asText()));
    Set<String> wanted = new HashSet<>(posted);
    wanted.add(firstKey);
    assertThat(new HashSet<>(stored)).hasSize(stored.size()).isEqualTo(wanted);
    for (JsonNode tx : transactions) {
      if (tx.get("seq").asLong() > 1) {
        assertThat(tx.get("prev_hash"))
            .isEqualTo(transactions.get(tx.get("seq").asInt() - 2).get("hash"));
      }
    }
  }

  private void assertVerified(String book, int through) {
    HttpResponse<String> verify = nodes[through].get("/v1/books/" + book + "/verify");
    assertThat(verify.statusCode()).as(verify.body()).isEqualTo(200);
    assertThat(TaleadProcess.json(verify).get("ok").asBoolean()).as(verify.body()).isTrue();
  }

  private TaleadProcess live() {
    for (TaleadProcess node : nodes) {
      if (node.isAlive()) {
        return node;
      }
    }
    throw new IllegalStateException("no node is alive");
  }

  // ---- ownership, from each node's own metrics ------------------------------------------------

  /** A path no route serves: its requests are counted as the {@code unmatched} route. */
  private static final String SETTLE_PATH = "/v1/metrics-settle";

  private static final Pattern UNMATCHED =
      Pattern.compile(
          "(?m)^talea_http_requests_total\\{(?=[^}]*method=\"GET\")(?=[^}]*route=\"unmatched\")"
              + "[^}]*} ([0-9.eE+]+)$");

  private static final Pattern DRAFTS =
      Pattern.compile("(?m)^talea_commit_batch_size_sum(?:\\{[^}]*})? ([0-9.eE+]+)$");

  /** Drafts group-committed so far by each node (a dead node counts as -1), all of them. */
  private long[] committedDrafts() {
    long[] counts = new long[NODES];
    for (int i = 0; i < NODES; i++) {
      if (nodes[i].isAlive()) {
        settleMetrics(i);
        counts[i] = draftsCommittedBy(i);
      } else {
        counts[i] = -1;
      }
    }
    return counts;
  }

  private long draftsCommittedBy(int node) {
    String metrics = nodes[node].metrics(metricsPorts[node]);
    Matcher drafts = DRAFTS.matcher(metrics);
    return drafts.find() ? (long) Double.parseDouble(drafts.group(1)) : 0;
  }

  /**
   * Waits until the node's scrape holds everything the node recorded before this call. The metrics
   * are published on a tick (every second), so a scrape can lag the commits just answered. Each
   * round asks for a path no route serves, which only this method asks for, and waits for the
   * scrape to count it; the tick that shows the second round began after the tick that showed the
   * first had been published, so it holds every recording made before the first round.
   */
  private void settleMetrics(int node) {
    for (int round = 0; round < 2; round++) {
      nodes[node].get(SETTLE_PATH);
      int asked = ++settleProbes[node];
      LiveTailTest.await(
          "node " + node + "'s metrics to count settle request " + asked,
          Duration.ofSeconds(20),
          () -> settleRequestsCounted(node) >= asked);
    }
  }

  private long settleRequestsCounted(int node) {
    Matcher counted = UNMATCHED.matcher(nodes[node].metrics(metricsPorts[node]));
    long total = 0;
    while (counted.find()) {
      total += (long) Double.parseDouble(counted.group(1));
    }
    return total;
  }

  /**
   * Asserts that exactly {@code drafts} drafts were committed since {@code before}, all by one
   * node, and returns that node.
   */
  private int soleCommitter(long[] before, int drafts) {
    long[] now = committedDrafts();
    long[] delta = new long[NODES];
    int owner = -1;
    for (int i = 0; i < NODES; i++) {
      delta[i] = before[i] < 0 || now[i] < 0 ? 0 : now[i] - before[i];
    }
    for (int i = 0; i < NODES; i++) {
      if (delta[i] > 0) {
        assertThat(owner)
            .as("drafts committed by more than one node: %s", Arrays.toString(delta))
            .isEqualTo(-1);
        owner = i;
      }
    }
    assertThat(owner)
        .as("no node committed the drafts: %s", Arrays.toString(delta))
        .isNotNegative();
    assertThat(delta[owner]).as(Arrays.toString(delta)).isEqualTo(drafts);
    return owner;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private Set<String> memberAddresses(int through) {
    Set<String> members = new HashSet<>();
    for (JsonNode member : TaleadProcess.json(nodes[through].get("/v1/cluster")).get("members")) {
      members.add(member.get("address").asText());
    }
    return members;
  }

  /** Whether a {@code GET /v1/cluster} answer lists {@code count} members, every one of them up. */
  static boolean listsMembersUp(HttpResponse<String> reply, int count) {
    if (reply.statusCode() != 200) {
      return false;
    }
    JsonNode members = TaleadProcess.json(reply).get("members");
    int up = 0;
    for (JsonNode member : members) {
      up += "up".equals(member.get("status").asText()) ? 1 : 0;
    }
    return members.size() == count && up == count;
  }

  private String address(int node) {
    return pekkoAddress(clusterPorts[node]);
  }

  /**
   * Waits until every node lists all the nodes' members up (a node's /health is 200 once it is up
   * itself; the others learn that by gossip, soon after), then asserts each node's {@code
   * /v1/cluster} exactly: itself as {@code self}, every member up, none unreachable.
   */
  static void assertEveryNodeListsAllMembersUp(TaleadProcess[] nodes, int[] clusterPorts) {
    for (int i = 0; i < nodes.length; i++) {
      TaleadProcess node = nodes[i];
      LiveTailTest.await(
          "node " + i + " to list " + nodes.length + " members up",
          Duration.ofSeconds(30),
          () -> listsMembersUp(node.get("/v1/cluster"), nodes.length));
    }
    List<String> addresses = new ArrayList<>();
    for (int port : clusterPorts) {
      addresses.add(pekkoAddress(port));
    }
    for (int i = 0; i < nodes.length; i++) {
      HttpResponse<String> reply = nodes[i].get("/v1/cluster");
      assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
      JsonNode cluster = TaleadProcess.json(reply);
      assertThat(cluster.get("self").asText()).isEqualTo(addresses.get(i));
      List<String> members = new ArrayList<>();
      for (JsonNode member : cluster.get("members")) {
        assertThat(member.get("status").asText()).as(reply.body()).isEqualTo("up");
        members.add(member.get("address").asText());
      }
      assertThat(members).containsExactlyInAnyOrderElementsOf(addresses);
      assertThat(cluster.get("unreachable")).isEmpty();
    }
  }

  /** Stops every node that was started, then drops the database, even when a stop fails. */
  static void stop(TaleadProcess[] nodes, PostgresTestDatabase db) {
    try {
      for (TaleadProcess node : nodes) {
        if (node != null) {
          node.close();
        }
      }
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }

  /** The Pekko address of the node whose cluster listener is on {@code clusterPort}. */
  static String pekkoAddress(int clusterPort) {
    return "pekko://talead@127.0.0.1:" + clusterPort;
  }

  private void openBook(String book) {
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
  }

  private static TransactionDraft deposit(String key) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:cash", BTC, "1"),
            DraftPosting.credit("equity:capital", BTC, "1")));
  }

  private static String unbalanced(String key) {
    return "{\"idempotency_key\":\""
        + key
        + "\",\"postings\":["
        + "{\"account\":\"assets:cash\",\"asset\":\"BTC\",\"debit\":\"2\"},"
        + "{\"account\":\"equity:capital\",\"asset\":\"BTC\",\"credit\":\"1\"}]}";
  }

  /** Every member name at every depth, with its path: the shape of an answer, not its values. */
  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new TreeSet<>();
    collect("", node, names);
    return names;
  }

  private static void collect(String path, JsonNode node, Set<String> names) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
        Map.Entry<String, JsonNode> field = fields.next();
        names.add(path + "/" + field.getKey());
        collect(path + "/" + field.getKey(), field.getValue(), names);
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        collect(path + "[]", element, names);
      }
    }
  }
}
