package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Asset;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUrl;
import dev.talea.store.Stores;
import dev.talea.store.testing.PostgresTestDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code talead} as an operator runs it: the shaded jar in a child JVM, in a scratch working
 * directory, with a clean environment (no inherited {@code TALEA_*} variables). Covers {@code init}
 * (store, token, {@code .env}, seed file, schema from a newer version), {@code serve} (refusals
 * with exit code and message, the bind address, draining on SIGTERM) and the help texts.
 */
class TaleadCommandIT {

  private static final Path JAR = Path.of("target", "talead.jar");
  private static final Path SEED_EXAMPLE = Path.of("..", "talea.seed.example.toml");
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern TOKEN_LINE =
      Pattern.compile("(?m)^TALEA_API_TOKEN=([A-Za-z0-9_-]+)$");

  @TempDir Path work;
  @TempDir Path scratch;

  @BeforeAll
  static void theShadedJarIsBuilt() {
    if (!Files.isRegularFile(JAR)) {
      fail(
          "the talead jar is missing at "
              + JAR.toAbsolutePath()
              + ". These tests run the real jar; build it first with"
              + " `./mvnw -B install -DskipTests -DskipITs` (or `./mvnw -pl ledger-http -am package"
              + " -DskipTests`) from the repository root.");
    }
  }

  // ---- init -------------------------------------------------------------------------------------

  @Test
  void initWithoutArgumentsCreatesTheSqliteStoreAndWritesDotEnvWithoutPrintingTheToken()
      throws IOException {
    Result init = talead(Map.of(), "init");

    assertThat(init.exit()).as(init.describe()).isZero();
    assertThat(work.resolve("talea.db")).isRegularFile();
    Path dotEnv = work.resolve(".env");
    List<String> lines = Files.readAllLines(dotEnv);
    String token = token();
    assertThat(token).matches("[A-Za-z0-9_-]{43,}");
    assertThat(lines)
        .containsExactlyInAnyOrder(
            "TALEA_DB_URL=sqlite:./talea.db",
            "TALEA_API_TOKEN=" + token,
            "TALEA_BIND=127.0.0.1:8080");
    assertThat(init.stdout()).doesNotContain(token).contains("TALEA_API_TOKEN");
    assertThat(init.stderr()).doesNotContain(token);
    assertThat(Files.getPosixFilePermissions(dotEnv))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    try (Store store = open("sqlite:" + work.resolve("talea.db"))) {
      assertThat(store.backend()).isEqualTo("sqlite");
      assertThat(store.listBooks()).isEmpty();
    }
  }

  @Test
  void reRunningInitKeepsTheTokenAndTheOtherLinesAndForceMakesANewToken() throws IOException {
    Files.writeString(work.resolve(".env"), "# my own settings\nFOO=bar\n");

    Result first = talead(Map.of(), "init");
    String token = token();
    Result second = talead(Map.of(), "init");
    List<String> afterSecond = Files.readAllLines(work.resolve(".env"));
    Result forced = talead(Map.of(), "init", "--force");

    assertThat(first.exit()).as(first.describe()).isZero();
    assertThat(first.stdout()).contains("generated a new API token");
    assertThat(second.exit()).as(second.describe()).isZero();
    assertThat(second.stdout()).contains("kept the existing API token");
    assertDotEnv(afterSecond, token);
    assertThat(forced.exit()).as(forced.describe()).isZero();
    assertThat(forced.stdout()).contains("generated a new API token");
    String newToken = token();
    assertThat(newToken).isNotEqualTo(token).matches("[A-Za-z0-9_-]{43,}");
    assertDotEnv(Files.readAllLines(work.resolve(".env")), newToken);
  }

  /** The user's own lines first, where they were, then the three settings init writes. */
  private static void assertDotEnv(List<String> lines, String token) {
    assertThat(lines).hasSize(5);
    assertThat(lines.subList(0, 2)).containsExactly("# my own settings", "FOO=bar");
    assertThat(lines.subList(2, 5))
        .containsExactlyInAnyOrder(
            "TALEA_DB_URL=sqlite:./talea.db",
            "TALEA_API_TOKEN=" + token,
            "TALEA_BIND=127.0.0.1:8080");
  }

  @Test
  void initWithALogUrlCreatesTheLogStoreAndRecordsTheUrl() throws IOException {
    Result init = talead(Map.of(), "init", "--db-url", "log:./data");

    assertThat(init.exit()).as(init.describe()).isZero();
    assertThat(init.stdout()).contains("(backend log)");
    assertThat(work.resolve("data")).isDirectory();
    assertThat(work.resolve("talea.db")).doesNotExist();
    assertThat(Files.readAllLines(work.resolve(".env"))).contains("TALEA_DB_URL=log:./data");
    try (Store store = open("log:" + work.resolve("data"))) {
      assertThat(store.backend()).isEqualTo("log");
      assertThat(store.listBooks()).isEmpty();
    }
  }

  @Test
  void initWithAPostgresUrlMigratesTheDatabase() throws IOException, SQLException {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      String url = libpqUrl(db.url());

      Result init = talead(Map.of(), "init", "--db-url", url);

      assertThat(init.exit()).as(init.describe()).isZero();
      assertThat(init.stdout()).contains("(backend postgres)");
      assertThat(Files.readAllLines(work.resolve(".env"))).contains("TALEA_DB_URL=" + url);
      try (Connection connection = db.connect();
          Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery(
                  "SELECT version, success FROM flyway_schema_history"
                      + " WHERE version IS NOT NULL ORDER BY installed_rank")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getString(1)).isEqualTo("1");
        assertThat(rows.getBoolean(2)).isTrue();
        assertThat(rows.next()).isFalse();
      }
      try (Store store = Stores.open(db.url(), StoreSettings.defaults())) {
        assertThat(store.backend()).isEqualTo("postgres");
        assertThat(store.listBooks()).isEmpty();
      }
    }
  }

  @Test
  void initWithAnUnsupportedUrlExits2NamingTheSupportedForms() {
    Result init = talead(Map.of(), "init", "--db-url", "mysql://u:hunter2@h/db");

    assertThat(init.exit()).as(init.describe()).isEqualTo(2);
    assertThat(init.stderr()).contains("--db-url", "sqlite:<path>").doesNotContain("hunter2");
    assertThat(work.resolve(".env")).doesNotExist();
  }

  @Test
  void initAppliesTheSeedFileOnceAndReportsItsEntriesPresentTheSecondTime() throws IOException {
    Path seed = work.resolve("talea.seed.toml");
    if (Files.isRegularFile(SEED_EXAMPLE)) {
      Files.copy(SEED_EXAMPLE, seed);
    } else {
      Files.writeString(seed, FALLBACK_SEED);
    }
    String text = Files.readString(seed);
    int assets = count(text, "(?m)^\\[\\[assets]]");
    int accounts = count(text, "(?m)^\\[\\[accounts]]");
    assertThat(assets).isPositive();
    assertThat(accounts).isPositive();

    Result first = talead(Map.of(), "init");
    Result second = talead(Map.of(), "init");

    assertThat(first.exit()).as(first.describe()).isZero();
    assertThat(first.stdout())
        .contains(
            "talea.seed.toml: %d assets created, 0 already present; %d accounts created, 0 already"
                .formatted(assets, accounts));
    assertThat(second.exit()).as(second.describe()).isZero();
    assertThat(second.stdout())
        .contains(
            "talea.seed.toml: 0 assets created, %d already present; 0 accounts created, %d already"
                    .formatted(assets, accounts)
                + " present");
    try (Store store = open("sqlite:" + work.resolve("talea.db"))) {
      assertThat(store.listAssets().stream().map(Asset::code)).contains("BTC", "USDC");
      assertThat(store.findAsset("BTC").orElseThrow().decimals()).isEqualTo(8);
      assertThat(store.findAsset("USDC").orElseThrow().decimals()).isEqualTo(6);
      Account hot = store.getAccount("demo", "assets:hot-wallet");
      assertThat(hot.kind()).isEqualTo(AccountKind.ASSET);
      assertThat(hot.minBalance()).isNull();
      Account alice = store.getAccount("demo", "liabilities:customers:alice");
      assertThat(alice.kind()).isEqualTo(AccountKind.LIABILITY);
      assertThat(alice.minBalance()).isNotNull();
      assertThat(alice.minBalance().normalized()).isEqualTo("0");
      assertThat(alice.metadata()).isNotEmpty();
      assertThat(store.getAccount("demo", "income:fees").kind()).isEqualTo(AccountKind.INCOME);
      assertThat(store.listAccounts("demo", null, 100).accounts()).hasSize(accounts);
    }
  }

  @Test
  void aSeedFileWithAnInvalidEntryExits2NamingTheEntryAndField() throws IOException {
    Files.writeString(
        work.resolve("talea.seed.toml"),
        """
        [[assets]]
        code = "BTC"
        decimals = 8

        [[accounts]]
        book = "demo"
        account = "assets:hot-wallet"
        kind = "asset"

        [[accounts]]
        book = "demo"
        account = "liabilities:customers:bob"
        kind = "wallet"
        """);

    Result init = talead(Map.of(), "init");

    assertThat(init.exit()).as(init.describe()).isEqualTo(2);
    assertThat(init.stderr()).contains("talea.seed.toml", "accounts[1]", "kind");
    assertThat(work.resolve(".env")).doesNotExist();
  }

  @Test
  void initAgainstASchemaFromANewerTaleaExits1SayingSo() throws SQLException {
    Result first = talead(Map.of(), "init");
    assertThat(first.exit()).as(first.describe()).isZero();
    try (Connection connection =
        DriverManager.getConnection("jdbc:sqlite:" + work.resolve("talea.db"))) {
      markMigratedByANewerTalea(connection);
    }

    Result again = talead(Map.of(), "init");

    assertThat(again.exit()).as(again.describe()).isEqualTo(1);
    assertThat(again.stderr()).contains("schema version 7 applied by a newer talea");
  }

  // ---- serve: refusals --------------------------------------------------------------------------

  @Test
  void serveWithoutAnyTokenExitsNonZeroAndPointsToTaleadInit() {
    Result serve = talead(Map.of("TALEA_BIND", "127.0.0.1:0"), "serve");

    assertThat(serve.exit()).as(serve.describe()).isNotZero();
    assertThat(serve.stderr()).contains("talead init");
  }

  @Test
  void serveWithANonNumericPoolSizeExits2NamingTheVariable() {
    Result serve =
        talead(
            Map.of("TALEA_API_TOKEN", "a-token-of-enough-length", "TALEA_DB_POOL", "abc"), "serve");

    assertThat(serve.exit()).as(serve.describe()).isEqualTo(2);
    assertThat(serve.stderr()).contains("TALEA_DB_POOL").doesNotContain("a-token-of-enough");
  }

  @Test
  void serveWithABindThatIsNotHostAndPortExits2NamingTheVariable() {
    Result serve =
        talead(
            Map.of("TALEA_API_TOKEN", "a-token-of-enough-length", "TALEA_BIND", "nonsense"),
            "serve");

    assertThat(serve.exit()).as(serve.describe()).isEqualTo(2);
    assertThat(serve.stderr()).contains("TALEA_BIND");
  }

  // ---- serve: running and draining --------------------------------------------------------------

  @Test
  void serveListensOnTheRealBindAndDrainsPostsInFlightOnSigterm() throws Exception {
    Files.writeString(work.resolve("talea.seed.toml"), FALLBACK_SEED);
    Result init = talead(Map.of(), "init");
    assertThat(init.exit()).as(init.describe()).isZero();
    String token = token();
    int port = freePort();
    int decoyPort = freePort();
    Path dotEnv = work.resolve(".env");
    Files.writeString(
        dotEnv,
        Files.readString(dotEnv)
            .replace("TALEA_BIND=127.0.0.1:8080", "TALEA_BIND=127.0.0.1:" + decoyPort));

    Path log = scratch.resolve("serve.log");
    Process server =
        command(Map.of("TALEA_BIND", "127.0.0.1:" + port), "serve")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    List<Outcome> outcomes = new ArrayList<>();
    Outcome slowPost;
    try {
      String listening = awaitLine(log, "listening on", server, Duration.ofSeconds(30));
      assertThat(listening)
          .contains("listening on http://127.0.0.1:" + port + " ")
          .contains("backend sqlite");

      HttpClient client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      URI base = URI.create("http://127.0.0.1:" + port);
      HttpResponse<String> health =
          client.send(
              HttpRequest.newBuilder(base.resolve("/health")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("{\"status\":\"ok\",\"backend\":\"sqlite\"}");

      // Four clients post one deposit after another until the server is gone.
      ConcurrentLinkedQueue<Outcome> results = new ConcurrentLinkedQueue<>();
      AtomicInteger created = new AtomicInteger();
      List<Thread> posters = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        int poster = p;
        Thread thread =
            new Thread(
                () -> postUntilRefused(client, base, token, poster, results, created),
                "poster-" + p);
        thread.start();
        posters.add(thread);
      }
      awaitCount(created, 40, Duration.ofSeconds(30));

      // One more post is only half sent when the signal arrives; the rest of its body follows once
      // talead has logged that it is draining.
      long sigterm;
      try (SlowPost slow = SlowPost.begin(port, token, "drain-slow")) {
        Thread.sleep(200); // let talead read the request head; nothing observable to wait for
        sigterm = System.nanoTime();
        server.destroy(); // SIGTERM
        awaitLine(log, "talead draining", server, Duration.ofSeconds(10));
        slowPost = slow.finish();
      }
      boolean exited = server.waitFor(30, TimeUnit.SECONDS);
      for (Thread thread : posters) {
        thread.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(thread.isAlive()).as(thread.getName() + " still posting").isFalse();
      }
      outcomes.addAll(results);
      outcomes.add(slowPost);
      System.out.printf(
          "drain: %d posts, %d created, %d answered after SIGTERM, exit after %d ms%n",
          results.size(),
          created.get(),
          results.stream().filter(o -> o.answeredAt() > sigterm).count(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm));

      assertThat(exited).as("talead exits within 30 s of SIGTERM").isTrue();
      assertThat(server.exitValue()).as(Files.readString(log)).isZero();
    } finally {
      server.destroyForcibly();
    }

    String output = Files.readString(log);
    List<String> lines = output.lines().filter(line -> !line.isBlank()).toList();
    assertThat(lines.get(lines.size() - 1)).contains("talead stopped");
    assertThat(output).doesNotContain(token);

    assertThat(slowPost.status())
        .as("the post whose body was still arriving at SIGTERM: %s", slowPost)
        .isEqualTo(201);
    List<Outcome> answered = outcomes.stream().filter(o -> o.status() != null).toList();
    assertThat(answered)
        .as("every post that got an answer was committed")
        .allSatisfy(o -> assertThat(o.status()).as(o.toString()).isEqualTo(201));
    Set<String> createdKeys = new HashSet<>();
    Set<String> unanswered = new HashSet<>();
    Map<String, String> txIds = new HashMap<>();
    for (Outcome o : outcomes) {
      if (o.status() == null) {
        unanswered.add(o.key());
      } else if (o.status() == 201) {
        createdKeys.add(o.key());
        txIds.put(o.key(), o.txId());
      }
    }
    assertThat(createdKeys.size()).isGreaterThanOrEqualTo(40);

    // Every 201 is in the book, nothing else but posts whose answer was lost, and the chain holds.
    try (Store store = open("sqlite:" + work.resolve("talea.db"))) {
      List<Transaction> committed = new ArrayList<>();
      long after = 0;
      while (true) {
        TransactionPage page = store.listTransactions("demo", after, 1000);
        committed.addAll(page.transactions());
        if (page.nextAfterSeq() == null) {
          break;
        }
        after = page.nextAfterSeq();
      }
      List<Long> seqs = committed.stream().map(Transaction::seq).toList();
      List<Long> expectedSeqs = new ArrayList<>();
      for (long seq = 1; seq <= committed.size(); seq++) {
        expectedSeqs.add(seq);
      }
      assertThat(seqs).isEqualTo(expectedSeqs);
      Map<String, String> committedIds = new HashMap<>();
      committed.forEach(tx -> committedIds.put(tx.idempotencyKey(), tx.txId().toString()));
      assertThat(committedIds).containsAllEntriesOf(txIds);
      Set<String> unexplained = new HashSet<>(committedIds.keySet());
      unexplained.removeAll(createdKeys);
      unexplained.removeAll(unanswered);
      assertThat(unexplained).as("commits nobody was told about nor lost the answer of").isEmpty();
      VerifyResult verify = store.verify("demo");
      assertThat(verify.ok()).as(verify.toString()).isTrue();
      assertThat(verify.seq()).isEqualTo(committed.size());
      assertThat(store.getAccount("demo", "liabilities:customers:alice").balances())
          .singleElement()
          .satisfies(
              balance ->
                  assertThat(balance.balance().toString())
                      .isEqualTo(BigDecimal.valueOf(committed.size(), 8).toPlainString()));
    }
  }

  // ---- help and usage ---------------------------------------------------------------------------

  @Test
  void helpTextsExit0AndNameTheCommandsOptionsAndVariables() {
    Result top = talead(Map.of(), "--help");
    Result init = talead(Map.of(), "init", "--help");
    Result serve = talead(Map.of(), "serve", "--help");

    assertThat(top.exit()).as(top.describe()).isZero();
    assertThat(top.stdout()).contains("init", "serve", "TALEA_", ".env");
    assertThat(init.exit()).as(init.describe()).isZero();
    assertThat(init.stdout()).contains("--db-url", "--force", "TALEA_DB_URL", "talea.seed.toml");
    assertThat(serve.exit()).as(serve.describe()).isZero();
    assertThat(serve.stdout())
        .contains(
            "TALEA_DB_URL",
            "TALEA_API_TOKEN",
            "TALEA_TOKENS_FILE",
            "TALEA_BIND",
            "TALEA_DB_POOL",
            "TALEA_MAX_INFLIGHT",
            "TALEA_WRITE_QUEUE_DEPTH",
            "TALEA_WRITE_BATCH_MAX",
            "TALEA_REQUEST_TIMEOUT",
            "TALEA_METRICS_BIND",
            "SIGTERM");
    assertThat(work.resolve(".env")).doesNotExist();
    assertThat(work.resolve("talea.db")).doesNotExist();
  }

  @Test
  void anUnknownCommandExits2AsBadUsage() {
    Result unknown = talead(Map.of(), "frobnicate");

    assertThat(unknown.stderr()).contains("frobnicate");
    assertThat(unknown.exit()).as(unknown.describe()).isEqualTo(2);
  }

  @Test
  void anUnknownOptionExits2AsBadUsage() {
    Result unknown = talead(Map.of(), "init", "--frobnicate");

    assertThat(unknown.stderr()).contains("--frobnicate");
    assertThat(unknown.exit()).as(unknown.describe()).isEqualTo(2);
    assertThat(work.resolve(".env")).doesNotExist();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** A seed like the shipped example, for when the example is not next to the module. */
  private static final String FALLBACK_SEED =
      """
      [[assets]]
      code = "BTC"
      decimals = 8
      name = "Bitcoin"

      [[assets]]
      code = "USDC"
      decimals = 6
      name = "USD Coin"

      [[accounts]]
      book = "demo"
      account = "assets:hot-wallet"
      kind = "asset"

      [[accounts]]
      book = "demo"
      account = "liabilities:customers:alice"
      kind = "liability"
      min_balance = "0"
      metadata = { customer_id = "c-1001" }

      [[accounts]]
      book = "demo"
      account = "income:fees"
      kind = "income"
      """;

  /** One post of the drain test: its key and either its status and tx_id, or no answer. */
  private record Outcome(String key, Integer status, String txId, String detail, long answeredAt) {}

  private static void postUntilRefused(
      HttpClient client,
      URI base,
      String token,
      int poster,
      ConcurrentLinkedQueue<Outcome> results,
      AtomicInteger created) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    for (int i = 0; System.nanoTime() < deadline; i++) {
      String key = "drain-" + poster + "-" + i;
      String body =
          """
          {"idempotency_key":"%s","postings":[
            {"account":"assets:hot-wallet","asset":"BTC","debit":"0.00000001"},
            {"account":"liabilities:customers:alice","asset":"BTC","credit":"0.00000001"}]}
          """
              .formatted(key);
      HttpRequest request =
          HttpRequest.newBuilder(base.resolve("/v1/books/demo/transactions"))
              .timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        String txId = null;
        if (response.statusCode() == 201) {
          Matcher m = Pattern.compile("\"tx_id\":\"([^\"]+)\"").matcher(response.body());
          txId = m.find() ? m.group(1) : null;
          created.incrementAndGet();
        }
        results.add(
            new Outcome(key, response.statusCode(), txId, response.body(), System.nanoTime()));
      } catch (IOException e) {
        // The connection was refused or dropped: the post's outcome is unknown to this client.
        results.add(new Outcome(key, null, null, e.toString(), System.nanoTime()));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * A post written by hand on its own connection, so that it can be left half sent: the headers and
   * half the body first, the rest on {@link #finish()}.
   */
  private static final class SlowPost implements AutoCloseable {
    private final Socket socket;
    private final String key;
    private final byte[] rest;

    private SlowPost(Socket socket, String key, byte[] rest) {
      this.socket = socket;
      this.key = key;
      this.rest = rest;
    }

    static SlowPost begin(int port, String token, String key) throws IOException {
      byte[] body =
          ("{\"idempotency_key\":\""
                  + key
                  + "\",\"postings\":["
                  + "{\"account\":\"assets:hot-wallet\",\"asset\":\"BTC\","
                  + "\"debit\":\"0.00000001\"},"
                  + "{\"account\":\"liabilities:customers:alice\",\"asset\":\"BTC\","
                  + "\"credit\":\"0.00000001\"}]}")
              .getBytes(StandardCharsets.UTF_8);
      String head =
          "POST /v1/books/demo/transactions HTTP/1.1\r\n"
              + "Host: 127.0.0.1:"
              + port
              + "\r\nAuthorization: Bearer "
              + token
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length
              + "\r\nConnection: close\r\n\r\n";
      Socket socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, body.length / 2);
      out.flush();
      return new SlowPost(socket, key, Arrays.copyOfRange(body, body.length / 2, body.length));
    }

    /** Sends the rest of the body and reads the answer (the server closes the connection). */
    Outcome finish() {
      try {
        socket.getOutputStream().write(rest);
        socket.getOutputStream().flush();
        String response =
            new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher status = Pattern.compile("^HTTP/1\\.1 (\\d{3}) ").matcher(response);
        if (!status.find()) {
          return new Outcome(key, null, null, "no status line: " + response, System.nanoTime());
        }
        Matcher txId = Pattern.compile("\"tx_id\":\"([^\"]+)\"").matcher(response);
        return new Outcome(
            key,
            Integer.parseInt(status.group(1)),
            txId.find() ? txId.group(1) : null,
            response,
            System.nanoTime());
      } catch (IOException e) {
        return new Outcome(key, null, null, e.toString(), System.nanoTime());
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static void awaitCount(AtomicInteger counter, int target, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (counter.get() < target) {
      if (System.nanoTime() > deadline) {
        fail("only " + counter.get() + " posts were created within " + timeout);
      }
      Thread.sleep(10);
    }
  }

  /** Waits for a line containing {@code text} in the log of a running process. */
  private static String awaitLine(Path log, String text, Process process, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log)) {
          if (line.contains(text)) {
            return line;
          }
        }
      }
      if (!process.isAlive()) {
        fail(
            "talead exited with "
                + process.exitValue()
                + " before logging '"
                + text
                + "':\n"
                + Files.readString(log));
      }
      Thread.sleep(50);
    }
    return fail(
        "talead did not log '" + text + "' within " + timeout + ":\n" + Files.readString(log));
  }

  private record Result(int exit, String stdout, String stderr) {
    String describe() {
      return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  /** Runs talead to completion in the working directory with only the given TALEA_* variables. */
  private Result talead(Map<String, String> variables, String... args) {
    Path out = scratch.resolve("out-" + System.nanoTime());
    Path err = scratch.resolve("err-" + System.nanoTime());
    Process process = null;
    try {
      process =
          command(variables, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        fail("talead " + String.join(" ", args) + " did not finish within " + COMMAND_TIMEOUT);
      }
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run talead: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (process != null) {
        process.destroyForcibly();
      }
    }
  }

  private ProcessBuilder command(Map<String, String> variables, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("TALEA_"));
    builder.environment().putAll(variables);
    return builder;
  }

  /** The token in {@code ./.env}. */
  private String token() throws IOException {
    Matcher m = TOKEN_LINE.matcher(Files.readString(work.resolve(".env")));
    assertThat(m.find()).as("TALEA_API_TOKEN in .env").isTrue();
    return m.group(1);
  }

  private static Store open(String url) {
    return Stores.open(StoreUrl.parse(url), StoreSettings.defaults());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static int count(String text, String regex) {
    return (int) Pattern.compile(regex).matcher(text).results().count();
  }

  /** {@code postgres://user[:password]@host:port/db}: the libpq form of the test database. */
  private static String libpqUrl(StoreUrl.Postgres url) {
    String rest = url.jdbcUrl().substring("jdbc:postgresql://".length());
    StringBuilder libpq = new StringBuilder("postgres://");
    if (url.user() != null) {
      libpq.append(URLEncoder.encode(url.user(), StandardCharsets.UTF_8));
      if (url.password() != null) {
        libpq.append(':').append(URLEncoder.encode(url.password(), StandardCharsets.UTF_8));
      }
      libpq.append('@');
    }
    return libpq.append(rest).toString();
  }

  /** Records schema version 7 as applied, as a newer talea would have. */
  private static void markMigratedByANewerTalea(Connection connection) throws SQLException {
    int rank;
    try (Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery("SELECT MAX(installed_rank) FROM flyway_schema_history")) {
      rows.next();
      rank = rows.getInt(1) + 1;
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO flyway_schema_history (installed_rank, version, description, type,"
                + " script, checksum, installed_by, execution_time, success)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setInt(1, rank);
      insert.setString(2, "7");
      insert.setString(3, "from a newer talea");
      insert.setString(4, "SQL");
      insert.setString(5, "V7__from_a_newer_talea.sql");
      insert.setInt(6, 123456789);
      insert.setString(7, "newer-talead");
      insert.setInt(8, 12);
      insert.setBoolean(9, true);
      assertThat(insert.executeUpdate()).isEqualTo(1);
    }
  }
}
