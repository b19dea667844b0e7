package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.LiveTailTest.Sse;
import dev.talea.protocol.json.Json;
import dev.talea.store.testing.PostgresTestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real talead processes on random ports against one Postgres database, as behind a load
 * balancer: one gapless sequence per book whichever instance a post goes through, idempotency
 * across instances, live tails on one instance that carry the other's commits (through the one
 * LISTEN connection per instance, also across a reconnect), the same trial balance from both, and a
 * thousand live tails that pin no pool connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstancesIT {

  /** Instance A's pool: small on purpose, to show live tails do not hold connections. */
  private static final int POOL_A = 4;

  @TempDir static Path work;

  private PostgresTestDatabase db;
  private TaleadProcess a;
  private TaleadProcess b;

  @BeforeAll
  void startTwoInstances() {
    db = PostgresTestDatabase.create();
    String url = EndToEndTest.jdbcUrlWithCredentials(db.url());
    // One after the other: the first migrates the schema.
    // A thousand tails on one token below: above the default per-token limit, on purpose.
    a =
        TaleadProcess.start(
            "a",
            work,
            Map.of(
                "TALEA_DB_URL",
                url,
                "TALEA_DB_POOL",
                "" + POOL_A,
                "TALEA_MAX_SUBSCRIBERS_PER_TOKEN",
                "1024"));
    b = TaleadProcess.start("b", work, Map.of("TALEA_DB_URL", url));
    assertThat(a.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").statusCode())
        .isEqualTo(201);
    awaitListeners(2);
  }

  @AfterAll
  void stopInstances() {
    try {
      if (a != null) {
        a.close();
      }
      if (b != null) {
        b.close();
      }
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }

  // ---- one sequence ---------------------------------------------------------------------------

  @Test
  void concurrentPostsThroughBothInstancesFormOneGaplessSequence() throws Exception {
    String book = openBook();
    int threadsPerInstance = 4;
    int postsPerThread = 25;
    int total = 2 * threadsPerInstance * postsPerThread;
    ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerInstance);
    List<Future<List<JsonNode>>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < 2 * threadsPerInstance; t++) {
        TaleadProcess through = t % 2 == 0 ? a : b;
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  List<JsonNode> answers = new ArrayList<>();
                  for (int i = 0; i < postsPerThread; i++) {
                    HttpResponse<String> reply =
                        post(through, book, "t" + thread + "-" + i, "0.00000001");
                    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
                    answers.add(TaleadProcess.json(reply));
                  }
                  return answers;
                }));
      }
      Set<Long> acknowledged = new HashSet<>();
      Set<String> keys = new HashSet<>();
      for (Future<List<JsonNode>> future : futures) {
        for (JsonNode answer : future.get(120, TimeUnit.SECONDS)) {
          assertThat(acknowledged.add(answer.get("seq").asLong())).isTrue();
          keys.add(answer.get("idempotency_key").asText());
        }
      }
      assertThat(acknowledged).hasSize(total);

      for (TaleadProcess reader : List.of(a, b)) {
        List<JsonNode> stored = listTransactions(reader, book);
        assertThat(stored.stream().map(tx -> tx.get("seq").asLong()).toList())
            .isEqualTo(LiveTailTest.range(1, total));
        assertThat(stored.stream().map(tx -> tx.get("idempotency_key").asText()))
            .containsExactlyInAnyOrderElementsOf(keys);
        Instant previous = Instant.EPOCH;
        for (JsonNode tx : stored) {
          Instant committedAt = Instant.parse(tx.get("committed_at").asText());
          assertThat(committedAt).as("seq %s", tx.get("seq")).isAfterOrEqualTo(previous);
          previous = committedAt;
        }
        JsonNode verify = TaleadProcess.json(reader.get("/v1/books/" + book + "/verify"));
        assertThat(verify.get("ok").asBoolean()).as(verify.toString()).isTrue();
        assertThat(verify.get("seq").asLong()).isEqualTo(total);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKeyUsedOnOneInstanceIsAReplayOnTheOther() {
    String book = openBook();
    HttpResponse<String> first = post(a, book, "deposit-1", "0.5");
    HttpResponse<String> again = post(b, book, "deposit-1", "0.5");
    HttpResponse<String> reused = post(b, book, "deposit-1", "0.6");

    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    JsonNode original = TaleadProcess.json(first);
    JsonNode replay = TaleadProcess.json(again);
    assertThat(replay.get("deduplicated").asBoolean()).isTrue();
    assertThat(original.get("deduplicated").asBoolean()).isFalse();
    assertThat(replay.get("tx_id").asText()).isEqualTo(original.get("tx_id").asText());
    assertThat(replay.get("seq").asLong()).isEqualTo(1);
    assertThat(replay.get("hash").asText()).isEqualTo(original.get("hash").asText());
    assertThat(reused.statusCode()).as(reused.body()).isEqualTo(409);
    JsonNode conflict = TaleadProcess.json(reused);
    assertThat(conflict.get("error").asText()).isEqualTo("idempotency_key_reused");
    assertThat(conflict.get("tx_id").asText()).isEqualTo(original.get("tx_id").asText());
    assertThat(listTransactions(a, book)).hasSize(1);
  }

  @Test
  void theTrialBalanceIsTheSameFromBothInstances() {
    String book = openBook();
    for (int i = 0; i < 6; i++) {
      TaleadProcess through = i % 2 == 0 ? a : b;
      assertThat(post(through, book, "tb-" + i, "1.2345678" + i).statusCode()).isEqualTo(201);
    }
    JsonNode fromA = TaleadProcess.json(a.get("/v1/books/" + book + "/trial-balance"));
    JsonNode fromB = TaleadProcess.json(b.get("/v1/books/" + book + "/trial-balance"));

    assertThat(fromA).isEqualTo(fromB);
    assertThat(fromA.toString()).contains("\"7.40740695\"");
  }

  // ---- live tails across instances ------------------------------------------------------------

  @Test
  void aLiveTailOnOneInstanceCarriesTheOtherInstancesCommitsInOrder() {
    String book = openBook();
    assertThat(post(a, book, "before", "1").statusCode()).isEqualTo(201);
    try (Sse tail = Sse.open(a.uri(events(book, "?from_seq=1")), TaleadProcess.TOKEN)) {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      assertThat(LiveTailTest.seqs(tail.awaitEvents(1))).containsExactly(1L);

      Map<Long, String> txIds = new HashMap<>();
      for (int i = 0; i < 20; i++) {
        JsonNode answer = TaleadProcess.json(post(b, book, "via-b-" + i, "1"));
        txIds.put(answer.get("seq").asLong(), answer.get("tx_id").asText());
      }

      List<Sse.Event> events = tail.awaitSeq(21);
      assertThat(LiveTailTest.seqs(events)).isEqualTo(LiveTailTest.range(1, 21));
      for (Sse.Event event : events.subList(1, events.size())) {
        JsonNode data = Json.parseResponse(event.data().getBytes(StandardCharsets.UTF_8));
        assertThat(data.get("tx_id").asText()).isEqualTo(txIds.get(event.seq()));
      }
    }
  }

  @Test
  void afterTheListeningConnectionIsKilledTheTailResumesWithoutAGap() throws Exception {
    String book = openBook();
    try (Sse tail = Sse.open(a.uri(events(book, "?from_seq=1")), TaleadProcess.TOKEN)) {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      for (int i = 1; i <= 5; i++) {
        assertThat(post(b, book, "k" + i, "1").statusCode()).isEqualTo(201);
      }
      assertThat(LiveTailTest.seqs(tail.awaitSeq(5))).isEqualTo(LiveTailTest.range(1, 5));

      // Both instances lose their listening connections and cannot get them back for a while
      // (the database refuses new connections; the pools keep theirs), and B commits meanwhile:
      // those notices go out while nobody listens.
      try (Connection admin = maintenanceConnection()) {
        allowConnections(admin, false);
        try {
          assertThat(terminateListeners(admin)).isEqualTo(2);
          for (int i = 6; i <= 15; i++) {
            HttpResponse<String> reply = post(b, book, "k" + i, "1");
            assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
          }
          Thread.sleep(500);
          assertThat(LiveTailTest.seqs(tail.events())).isEqualTo(LiveTailTest.range(1, 5));
        } finally {
          allowConnections(admin, true);
        }
      }

      // The listeners reconnect and resync: the tail gets 6..15, once each, in order.
      List<Sse.Event> events = tail.awaitSeq(15);
      assertThat(LiveTailTest.seqs(events)).isEqualTo(LiveTailTest.range(1, 15));
      awaitListeners(2);
    }
  }

  @Test
  void aThousandLiveTailsPinNoPoolConnectionAndReadsStayPrompt() throws Exception {
    String book = openBook();
    assertThat(post(b, book, "seed", "1").statusCode()).isEqualTo(201);
    int subscribers = 1000;
    int commits = 10;
    List<Sse> tails = new ArrayList<>();
    try {
      for (int i = 0; i < subscribers; i++) {
        tails.add(Sse.open(a.uri(events(book, "?from_seq=2")), TaleadProcess.TOKEN));
      }
      for (Sse tail : tails) {
        assertThat(tail.awaitStatus()).isEqualTo(200);
      }

      // With every tail connected, A still answers reads on its pool of four at once.
      long slowest = 0;
      for (int i = 0; i < 20; i++) {
        long start = System.nanoTime();
        HttpResponse<String> balances =
            a.get("/v1/books/" + book + "/accounts/assets:cash/balances");
        slowest = Math.max(slowest, System.nanoTime() - start);
        assertThat(balances.statusCode()).as(balances.body()).isEqualTo(200);
        assertThat(balances.body()).contains("\"1.00000000\"");
      }
      System.out.printf(
          "1000 live tails on a pool of %d: slowest of 20 balance reads %.1f ms%n",
          POOL_A, slowest / 1e6);
      assertThat(Duration.ofNanos(slowest))
          .as("a balance read while 1000 tails are connected")
          .isLessThan(Duration.ofSeconds(2));

      for (int i = 0; i < commits; i++) {
        TaleadProcess through = i % 2 == 0 ? b : a;
        assertThat(post(through, book, "fan-" + i, "1").statusCode()).isEqualTo(201);
      }
      List<Long> expected = LiveTailTest.range(2, commits + 1);
      for (Sse tail : tails) {
        assertThat(LiveTailTest.seqs(tail.awaitSeq(commits + 1))).isEqualTo(expected);
      }
      // Both instances' pools show as "talead": at most A's four and B's default ten, where a
      // connection pinned per tail would show as a thousand.
      assertThat(countConnections("talead")).isLessThanOrEqualTo(POOL_A + 10);
    } finally {
      tails.forEach(Sse::close);
    }
  }

  // ---- live tails under load ------------------------------------------------------------------

  /**
   * Tails join near the head of a book that both instances are writing, read a little, leave, and
   * resume with {@code Last-Event-ID}: their catch-up reads cross commits landing at that moment.
   * Every event must carry exactly the commit that {@code GET /v1/transactions/{id}} returns,
   * postings included, and every session must see consecutive seqs.
   */
  @Test
  void liveTailsJoiningAndResumingUnderLoadCarryExactlyTheStoredCommits() throws Exception {
    String book = openBook();
    for (String account : List.of("liabilities:alice", "liabilities:bob")) {
      assertThat(a.put(account(book, account), "{\"kind\":\"liability\"}").statusCode())
          .isEqualTo(201);
    }
    int writers = 4;
    int postsPerWriter = 120;
    AtomicLong acked = new AtomicLong();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
    List<Future<?>> writes = new ArrayList<>();
    List<Future<List<List<Sse.Event>>>> joins = new ArrayList<>();
    try {
      for (int w = 0; w < writers; w++) {
        TaleadProcess through = w % 2 == 0 ? a : b;
        int writer = w;
        writes.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < postsPerWriter; i++) {
                    HttpResponse<String> reply =
                        through.post(
                            "/v1/books/" + book + "/transactions",
                            fourPostings("w" + writer + "-" + i, 1 + i % 7));
                    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
                    acked.accumulateAndGet(
                        TaleadProcess.json(reply).get("seq").asLong(), Math::max);
                  }
                  return null;
                }));
      }
      for (int j = 0; j < 2; j++) {
        TaleadProcess via = j == 0 ? a : b;
        joins.add(pool.submit(() -> joinAndResume(via, book, acked, writing)));
      }
      for (Future<?> write : writes) {
        write.get(3, TimeUnit.MINUTES);
      }
      writing.set(false);

      Map<String, JsonNode> stored = new HashMap<>();
      int events = 0;
      int sessions = 0;
      for (Future<List<List<Sse.Event>>> join : joins) {
        for (List<Sse.Event> session : join.get(1, TimeUnit.MINUTES)) {
          sessions++;
          for (int i = 1; i < session.size(); i++) {
            assertThat(session.get(i).seq()).isEqualTo(session.get(i - 1).seq() + 1);
          }
          for (Sse.Event event : session) {
            events++;
            JsonNode data = Json.parseResponse(event.data().getBytes(StandardCharsets.UTF_8));
            String txId = data.get("tx_id").asText();
            JsonNode expected =
                stored.computeIfAbsent(
                    txId, id -> TaleadProcess.json(a.get("/v1/transactions/" + id)));
            assertThat(data.get("postings")).as("postings of seq %s", event.id()).hasSize(4);
            assertThat(data).as("the event with id %s", event.id()).isEqualTo(expected);
          }
        }
      }
      System.out.printf(
          "%d tail sessions under load received %d events, each equal to its stored commit%n",
          sessions, events);
      assertThat(sessions).isGreaterThan(10);
    } finally {
      writing.set(false);
      pool.shutdownNow();
    }
  }

  /**
   * While the writers run: join a few commits behind the acknowledged head, take what is already
   * committed, leave, resume after the last event received, leave again. Returns the sessions.
   */
  private List<List<Sse.Event>> joinAndResume(
      TaleadProcess via, String book, AtomicLong acked, AtomicBoolean writing) {
    List<List<Sse.Event>> sessions = new ArrayList<>();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (writing.get()) {
      long head = acked.get();
      if (head < 10) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return sessions;
        }
        continue;
      }
      long from = Math.max(1, head - random.nextInt(30));
      List<Sse.Event> joined = take(via, events(book, "?from_seq=" + from), head);
      sessions.add(joined);
      long last = joined.get(joined.size() - 1).seq();
      long now = acked.get();
      if (now > last) {
        sessions.add(
            take(via, events(book, ""), Math.min(now, last + 5), "Last-Event-ID", "" + last));
      }
    }
    return sessions;
  }

  /** Opens a tail, waits for the event with seq {@code through} (already committed), closes. */
  private static List<Sse.Event> take(
      TaleadProcess via, String path, long through, String... headers) {
    try (Sse tail = Sse.open(via.uri(path), TaleadProcess.TOKEN, headers)) {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      List<Sse.Event> events = tail.awaitSeq(through);
      assertThat(events).isNotEmpty();
      return events;
    }
  }

  /** Four postings in BTC over four accounts, balanced. */
  private static String fourPostings(String key, int satoshis) {
    String amount = String.format("0.%08d", satoshis);
    StringBuilder json =
        new StringBuilder("{\"idempotency_key\":\"" + key + "\",\"memo\":\"load " + key + "\"");
    json.append(",\"postings\":[");
    String[][] postings = {
      {"assets:cash", "debit"},
      {"equity:capital", "debit"},
      {"liabilities:alice", "credit"},
      {"liabilities:bob", "credit"}
    };
    for (int i = 0; i < postings.length; i++) {
      json.append(i == 0 ? "" : ",")
          .append("{\"account\":\"")
          .append(postings[i][0])
          .append("\",\"asset\":\"BTC\",\"")
          .append(postings[i][1])
          .append("\":\"")
          .append(amount)
          .append("\"}");
    }
    return json.append("]}").toString();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private String openBook() {
    String book = "b-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    assertThat(a.put(account(book, "assets:cash"), "{\"kind\":\"asset\"}").statusCode())
        .isEqualTo(201);
    assertThat(b.put(account(book, "equity:capital"), "{\"kind\":\"equity\"}").statusCode())
        .isEqualTo(201);
    return book;
  }

  private static String account(String book, String account) {
    return "/v1/books/" + book + "/accounts/" + account;
  }

  private static String events(String book, String query) {
    return "/v1/books/" + book + "/events" + query;
  }

  static HttpResponse<String> post(TaleadProcess through, String book, String key, String amount) {
    return through.post(
        "/v1/books/" + book + "/transactions",
        "{\"idempotency_key\":\""
            + key
            + "\",\"postings\":["
            + "{\"account\":\"assets:cash\",\"asset\":\"BTC\",\"debit\":\""
            + amount
            + "\"},"
            + "{\"account\":\"equity:capital\",\"asset\":\"BTC\",\"credit\":\""
            + amount
            + "\"}]}");
  }

  static List<JsonNode> listTransactions(TaleadProcess reader, String book) {
    List<JsonNode> all = new ArrayList<>();
    long after = 0;
    while (true) {
      HttpResponse<String> page =
          reader.get("/v1/books/" + book + "/transactions?after_seq=" + after + "&limit=100");
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      JsonNode json = TaleadProcess.json(page);
      json.get("transactions").forEach(all::add);
      if (json.get("next_after_seq").isNull()) {
        return all;
      }
      after = json.get("next_after_seq").asLong();
    }
  }

  /** A connection to the server's {@code postgres} database, from where the test's is altered. */
  private Connection maintenanceConnection() throws SQLException {
    String jdbc = db.url().jdbcUrl();
    int slash = jdbc.indexOf('/', "jdbc:postgresql://".length());
    int query = jdbc.indexOf('?', slash);
    String url =
        jdbc.substring(0, slash + 1) + "postgres" + (query < 0 ? "" : jdbc.substring(query));
    return DriverManager.getConnection(url, db.url().user(), db.url().password());
  }

  private int terminateListeners(Connection admin) throws SQLException {
    try (PreparedStatement terminate =
        admin.prepareStatement(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE application_name = 'talead-listener' AND datname = ?")) {
      terminate.setString(1, db.name());
      try (ResultSet rows = terminate.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }

  private void allowConnections(Connection admin, boolean allow) throws SQLException {
    try (Statement alter = admin.createStatement()) {
      alter.execute("ALTER DATABASE \"" + db.name() + "\" WITH ALLOW_CONNECTIONS " + allow);
    }
  }

  private void awaitListeners(int expected) {
    try {
      LiveTailTest.await(
          expected + " listening connections",
          Duration.ofSeconds(20),
          () -> countConnections("talead-listener") == expected);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n--- a\n" + a.log() + "\n--- b\n" + b.log(), e);
    }
  }

  private int countConnections(String applicationName) {
    try (Connection connection = db.connect();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity"
                    + " WHERE application_name = ? AND datname = current_database()")) {
      select.setString(1, applicationName);
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
