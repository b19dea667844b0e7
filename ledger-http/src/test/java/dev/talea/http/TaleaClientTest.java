package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.talea.client.RetryPolicy;
import dev.talea.client.TaleaClient;
import dev.talea.client.TaleaProtocolException;
import dev.talea.client.TaleaTransportException;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerApiContractTest.Recorder;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link TaleaClient} adds to the {@link dev.talea.protocol.LedgerApi} contract: how server
 * errors, argument checks, shedding, {@code Retry-After}, transport failures and malformed answers
 * reach the caller, and how live-tail subscriptions survive a restart and end when cancelled.
 *
 * <p>Behaviour that needs exact control of the answers (a 503 then a 200, a proxy's error page, a
 * malformed body) runs against a tiny scripted HTTP server that counts the tries it sees;
 * everything else runs against a real talead.
 */
class TaleaClientTest {

  private static final String BTC = "BTC";
  private static final String WALLET = "assets:hot-wallet";
  private static final String ALICE = "liabilities:customers:alice";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration QUIET = Duration.ofMillis(500);

  /** Quick retries for tests that exhaust the budget. */
  private static final RetryPolicy QUICK =
      new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(20));

  private static final String OVERLOADED_PROBLEM =
      "{\"type\":\"https://talea.dev/errors/overloaded\",\"title\":\"Server overloaded\","
          + "\"status\":503,\"detail\":\"at the limit\",\"error\":\"overloaded\"}";

  @TempDir Path temp;

  // ---- helpers ---------------------------------------------------------------------------------

  private static TaleaClient client(int port, String token, RetryPolicy retry) {
    return TaleaClient.builder()
        .baseUrl("http://127.0.0.1:" + port)
        .token(token)
        .retryPolicy(retry)
        .build();
  }

  private static TaleaClient client(ServerHarness server, String token, RetryPolicy retry) {
    return client(server.server().address().getPort(), token, retry);
  }

  private static TaleaClient admin(ServerHarness server) {
    return client(server, ServerHarness.ADMIN_TOKEN, RetryPolicy.defaults());
  }

  private static TransactionDraft deposit(String key, String amount) {
    return new TransactionDraft(
        key,
        List.of(DraftPosting.debit(WALLET, BTC, amount), DraftPosting.credit(ALICE, BTC, amount)));
  }

  /** Registers BTC and opens the wallet and Alice (unconstrained) in {@code book}. */
  private static void setUpBook(TaleaClient client, String book) {
    client.registerAsset(new AssetSpec(BTC, 8, "Bitcoin"));
    client.openAccount(book, WALLET, new AccountSpec(AccountKind.ASSET));
    client.openAccount(book, ALICE, new AccountSpec(AccountKind.LIABILITY));
  }

  private static LedgerException failure(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(LedgerException.class);
    return (LedgerException) thrown;
  }

  private static void assertError(LedgerException e, ErrorCode code, Map<String, String> fields) {
    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
    assertThat(e.error().fields()).as(e.getMessage()).isEqualTo(fields);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static void eventually(String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime())
          .as(() -> what + " within " + WAIT + "; subscription threads:\n" + subscriptionStacks())
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** What each live subscription thread is doing, for a failure's message. */
  private static String subscriptionStacks() {
    StringBuilder stacks = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, frames) -> {
              if (thread.getName().startsWith("talea-subscription-")) {
                stacks.append(thread.getName()).append('\n');
                for (StackTraceElement frame : frames) {
                  stacks.append("    at ").append(frame).append('\n');
                }
              }
            });
    return stacks.toString();
  }

  /** Live threads with this name. */
  private static long threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals(name))
        .count();
  }

  // ---- errors as the server sends them ---------------------------------------------------------

  @Test
  void aBookOutOfTheTokensScopeIsForbiddenNamingTheBook() throws IOException {
    Path tokens = temp.resolve("tokens.toml");
    Files.writeString(
        tokens,
        """
        [tokens.payments]
        token = "payments-token-0123456789"
        books = ["payments"]
        access = "rw"

        [tokens.auditor]
        token = "auditor-token-0123456789"
        books = ["payments"]
        access = "ro"
        """);
    try (ServerHarness server =
            ServerHarness.start(
                "log:" + temp.resolve("log"), Map.of("TALEA_TOKENS_FILE", tokens.toString()));
        TaleaClient admin = admin(server);
        TaleaClient payments = client(server, "payments-token-0123456789", RetryPolicy.defaults());
        TaleaClient auditor = client(server, "auditor-token-0123456789", RetryPolicy.defaults())) {
      setUpBook(admin, "payments");
      setUpBook(admin, "treasury");
      Transaction treasuryTx = admin.post("treasury", deposit("t-1", "1"));

      Transaction own = payments.post("payments", deposit("p-1", "1"));
      assertThat(own.seq()).isEqualTo(1);
      assertError(
          failure(() -> payments.post("treasury", deposit("p-2", "1"))),
          ErrorCode.FORBIDDEN,
          Map.of("book", "treasury"));
      assertError(
          failure(() -> payments.listTransactions("treasury", 0, 10)),
          ErrorCode.FORBIDDEN,
          Map.of("book", "treasury"));
      assertThat(ErrorCode.FORBIDDEN.httpStatus()).isEqualTo(403);
      // Another book's transaction reads exactly as an unknown one.
      assertError(
          failure(() -> payments.getTransaction(treasuryTx.txId())), ErrorCode.NOT_FOUND, Map.of());
      assertThat(payments.listBooks()).extracting(BookSummary::book).containsExactly("payments");

      assertError(
          failure(() -> auditor.post("payments", deposit("a-1", "1"))),
          ErrorCode.FORBIDDEN,
          Map.of("book", "payments"));
      assertThat(auditor.getTransaction(own.txId())).isEqualTo(own);
      assertError(
          failure(() -> auditor.registerAsset(new AssetSpec("ETH", 18, null))),
          ErrorCode.FORBIDDEN,
          Map.of("book", "*"));
    }
  }

  @Test
  void anUnknownOrMissingTokenIsUnauthorized() {
    try (ServerHarness server = ServerHarness.start("log:" + temp.resolve("log"));
        TaleaClient wrong = client(server, "not-the-token-0123456789", RetryPolicy.defaults());
        TaleaClient none = client(server, null, RetryPolicy.defaults())) {
      for (TaleaClient client : List.of(wrong, none)) {
        LedgerException e = failure(client::listBooks);
        assertError(e, ErrorCode.UNAUTHORIZED, Map.of());
        assertThat(e.code().httpStatus()).isEqualTo(401);
      }
      // /health needs no token.
      assertThat(none.health()).isEqualTo("log");
    }
  }

  @Test
  void argumentChecksFailAtTheBoundaryNamingTheFieldAndSendNothing() throws IOException {
    try (FakeServer fake = FakeServer.start(new Answer(200, "{\"assets\":[]}", Map.of()));
        TaleaClient client = client(fake.port(), "t", RetryPolicy.defaults())) {
      Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
      calls.put("book", () -> client.post("Payments", deposit("k", "1")));
      calls.put("account", () -> client.getAccount("payments", "Assets:Hot"));
      calls.put("asset", () -> client.balances("payments", WALLET, null, "btc"));
      calls.put("code", () -> client.getAsset("btc"));
      calls.put("limit", () -> client.listTransactions("payments", 0, 1001));
      calls.put("after_seq", () -> client.listPostings("payments", WALLET, null, -1, 10));
      calls.put("after", () -> client.listAccounts("payments", "Not An Account", 10));
      calls.put("idempotency_key", () -> client.findTransaction("payments", "with space"));
      calls.put("transactions", () -> client.postBatch("payments", List.of()));
      calls.forEach(
          (field, call) ->
              assertError(failure(call), ErrorCode.INVALID_REQUEST, Map.of("field", field)));

      // Asynchronous forms fail their stage, and a subscription to a bad name fails at once.
      Throwable async =
          catchThrowable(
              () -> client.listTransactionsAsync("payments", 0, 0).toCompletableFuture().join());
      assertThat(async.getCause()).isInstanceOf(LedgerException.class);
      assertError(
          (LedgerException) async.getCause(), ErrorCode.INVALID_REQUEST, Map.of("field", "limit"));
      assertError(
          failure(() -> client.subscribe("Payments", OptionalLong.of(1))),
          ErrorCode.INVALID_REQUEST,
          Map.of("field", "book"));

      assertThat(fake.tries()).as("requests sent").isZero();
      assertThat(client.listAssets()).isEmpty();
      assertThat(fake.tries()).isEqualTo(1);
    }
  }

  // ---- shedding and retries --------------------------------------------------------------------

  /**
   * With enough tries, every post of a burst into a server that admits one request at a time lands,
   * each idempotency key exactly once. A second client, which never retries, reads in the same
   * burst: its {@code overloaded} answers show that the burst really was shed, which the retrying
   * client hides.
   */
  @Test
  void underSheddingEveryRetriedPostLandsExactlyOnce() throws Exception {
    Burst burst =
        burst(
            200, RetryPolicy.defaults().withMaxAttempts(60).withMaxElapsed(Duration.ofSeconds(60)));

    assertThat(burst.probesShed()).as("probes shed in the burst").isPositive();
    assertThat(burst.failures()).as("posts that failed despite retrying").isEmpty();
  }

  /**
   * The default policy (10 tries within 60 s) carries a burst of 100 posts through a server that
   * admits one request at a time. (The burst is smaller than above so that the default's ten tries
   * suffice even when the machine running the test is busy: each try finds the one slot free or not
   * depending on how fast the server turns requests around.)
   *
   * <p>Every shed request is answered {@code Retry-After: 1}. The policy adds its jitter on top of
   * that floor, so the shed requests come back spread out rather than in lock-step waves of which
   * the server admits only a few.
   */
  @Test
  void underSheddingTheDefaultRetryPolicyCarriesABurstThrough() throws Exception {
    Burst burst = burst(100, RetryPolicy.defaults());

    assertThat(burst.probesShed()).as("probes shed in the burst").isPositive();
    assertThat(burst.failures())
        .as("posts that exhausted the default retry policy (shed retries come back in lock-step)")
        .isEmpty();
  }

  /** What a burst left behind: posts that failed, and how many probes were shed. */
  private record Burst(List<String> failures, int probesShed) {}

  /**
   * Posts {@code posts} transfers at once, with {@code retry}, into a server with {@code
   * TALEA_MAX_INFLIGHT=1}, while a client that never retries probes it; then checks that whatever
   * landed landed exactly once and that the book verifies.
   */
  private Burst burst(int posts, RetryPolicy retry) throws Exception {
    String book = "burst";
    try (ServerHarness server =
            ServerHarness.start("log:" + temp.resolve("log"), Map.of("TALEA_MAX_INFLIGHT", "1"));
        TaleaClient patient = client(server, ServerHarness.ADMIN_TOKEN, retry);
        TaleaClient impatient = client(server, ServerHarness.ADMIN_TOKEN, RetryPolicy.none())) {
      setUpBook(patient, book);

      Map<String, CompletableFuture<Transaction>> sent = new LinkedHashMap<>();
      List<CompletableFuture<List<BookSummary>>> probes = new ArrayList<>();
      for (int i = 0; i < posts; i++) {
        String key = "burst-" + i;
        sent.put(key, patient.postAsync(book, deposit(key, "0.001")).toCompletableFuture());
        if (i % 4 == 0) {
          probes.add(impatient.listBooksAsync().toCompletableFuture());
        }
      }

      int shed = 0;
      for (CompletableFuture<List<BookSummary>> probe : probes) {
        try {
          probe.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(LedgerException.class);
          LedgerException refused = (LedgerException) e.getCause();
          assertThat(refused.code()).isEqualTo(ErrorCode.OVERLOADED);
          assertThat(refused.code().httpStatus()).isEqualTo(503);
          shed++;
        }
      }

      List<String> failures = new ArrayList<>();
      Set<String> landed = new HashSet<>();
      for (Map.Entry<String, CompletableFuture<Transaction>> post : sent.entrySet()) {
        try {
          Transaction tx = post.getValue().get(90, TimeUnit.SECONDS);
          assertThat(tx.idempotencyKey()).isEqualTo(post.getKey());
          landed.add(post.getKey());
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(LedgerException.class);
          assertThat(((LedgerException) e.getCause()).code()).isEqualTo(ErrorCode.OVERLOADED);
          failures.add(post.getKey() + ": " + e.getCause().getMessage());
        }
      }

      // Whatever landed, landed once: a failed post left nothing behind.
      List<Transaction> committed = patient.listTransactions(book, 0, 1000).transactions();
      assertThat(committed).extracting(Transaction::idempotencyKey).doesNotHaveDuplicates();
      assertThat(committed).extracting(Transaction::idempotencyKey).hasSameElementsAs(landed);
      assertThat(patient.listBooks())
          .filteredOn(b -> b.book().equals(book))
          .extracting(BookSummary::lastSeq)
          .containsExactly((long) landed.size());
      VerifyResult verified = patient.verify(book);
      assertThat(verified.ok()).isTrue();
      assertThat(verified.seq()).isEqualTo(landed.size());
      return new Burst(failures, shed);
    }
  }

  @Test
  void withRetryPolicyNoneTheFirst503SurfacesAsOverloaded() throws IOException {
    try (FakeServer fake =
            FakeServer.start(new Answer(503, OVERLOADED_PROBLEM, Map.of("Retry-After", "1")));
        TaleaClient client = client(fake.port(), "t", RetryPolicy.none())) {
      LedgerException e = failure(client::listAssets);

      assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
      assertThat(e.code().isRetryable()).isTrue();
      assertThat(fake.tries()).isEqualTo(1);
    }
  }

  @Test
  void aRetryWaitsAtLeastTheRetryAfterTheServerSent() throws IOException {
    try (FakeServer fake =
            FakeServer.start(
                new Answer(503, OVERLOADED_PROBLEM, Map.of("Retry-After", "1")),
                new Answer(200, "{\"assets\":[]}", Map.of()));
        TaleaClient client = client(fake.port(), "t", RetryPolicy.defaults())) {
      assertThat(client.listAssets()).isEmpty();

      assertThat(fake.tries()).isEqualTo(2);
      assertThat(fake.gapMillis(0, 1)).isGreaterThanOrEqualTo(1_000);
    }
  }

  @Test
  void retryingStopsAfterMaxAttemptsTries() throws IOException {
    try (FakeServer fake =
            FakeServer.start(new Answer(503, OVERLOADED_PROBLEM, Map.of("Retry-After", "0")));
        TaleaClient client = client(fake.port(), "t", QUICK)) {
      LedgerException e = failure(client::listAssets);

      assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
      assertThat(fake.tries()).isEqualTo(3);
    }
  }

  @Test
  void retryingStopsWhenTheNextTryWouldStartAfterMaxElapsed() throws IOException {
    RetryPolicy boundedInTime =
        new RetryPolicy(
            100, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(1_500));
    try (FakeServer fake =
            FakeServer.start(new Answer(503, OVERLOADED_PROBLEM, Map.of("Retry-After", "1")));
        TaleaClient client = client(fake.port(), "t", boundedInTime)) {
      long started = System.nanoTime();
      LedgerException e = failure(client::listAssets);
      long tookMillis = (System.nanoTime() - started) / 1_000_000;

      assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
      // Tries at 0 s and 1 s; a third at 2 s would start after 1.5 s.
      assertThat(fake.tries()).isEqualTo(2);
      assertThat(tookMillis).isBetween(1_000L, 2_000L);
    }
  }

  @Test
  void aFullBookQueueAndAnUnknownCommitOutcomeAreRetried() throws IOException {
    String bookOverloaded =
        "{\"type\":\"https://talea.dev/errors/overloaded\",\"title\":\"Book overloaded\","
            + "\"status\":429,\"detail\":\"full\",\"error\":\"overloaded\",\"book\":\"b\"}";
    String timeout =
        "{\"type\":\"https://talea.dev/errors/timeout\",\"title\":\"Request timeout\","
            + "\"status\":408,\"detail\":\"slow\",\"error\":\"timeout\"}";
    try (FakeServer fake =
            FakeServer.start(
                new Answer(429, bookOverloaded, Map.of("Retry-After", "0")),
                new Answer(408, timeout, Map.of()),
                new Answer(200, "{\"assets\":[]}", Map.of()));
        TaleaClient client = client(fake.port(), "t", QUICK)) {
      assertThat(client.listAssets()).isEmpty();
      assertThat(fake.tries()).isEqualTo(3);
    }
  }

  @Test
  void contractErrorsAreNotRetried() throws IOException {
    String unbalanced =
        "{\"type\":\"https://talea.dev/errors/unbalanced\",\"title\":\"Unbalanced transaction\","
            + "\"status\":422,\"detail\":\"no\",\"error\":\"unbalanced\",\"asset\":\"BTC\","
            + "\"debits\":\"1.00000000\",\"credits\":\"2.00000000\"}";
    try (FakeServer fake = FakeServer.start(new Answer(422, unbalanced, Map.of()));
        TaleaClient client = client(fake.port(), "t", QUICK)) {
      LedgerException e = failure(() -> client.post("payments", deposit("k", "1")));

      assertError(
          e,
          ErrorCode.UNBALANCED,
          Map.of("asset", "BTC", "debits", "1.00000000", "credits", "2.00000000"));
      assertThat(fake.tries()).isEqualTo(1);
      assertThat(fake.paths()).containsExactly("POST /v1/books/payments/transactions");
    }
  }

  // ---- transport failures and malformed answers ------------------------------------------------

  @Test
  void nothingListeningIsATransportFailureAfterTheRetryBudget() throws IOException {
    int port = freePort();
    try (TaleaClient client = client(port, "t", QUICK)) {
      Throwable thrown = catchThrowable(client::listAssets);

      assertThat(thrown).isInstanceOf(TaleaTransportException.class);
      assertThat(thrown.getMessage()).contains("GET /v1/assets", "after 3 tries");
      assertThat(thrown.getCause()).isInstanceOf(ConnectException.class);

      Throwable async =
          catchThrowable(
              () -> client.postAsync("payments", deposit("k", "1")).toCompletableFuture().join());
      assertThat(async.getCause()).isInstanceOf(TaleaTransportException.class);
    }
  }

  @Test
  void aProxysNonJsonBadGatewayPageIsRetriedAsUnavailableThenSurfaced() throws IOException {
    Answer badGateway =
        new Answer(
            502, "<html><body>502 Bad Gateway</body></html>", Map.of("Content-Type", "text/html"));
    try (FakeServer fake = FakeServer.start(badGateway);
        TaleaClient client = client(fake.port(), "t", QUICK)) {
      LedgerException e = failure(client::listAssets);

      assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(fake.tries()).isEqualTo(3);
    }
    try (FakeServer fake =
            FakeServer.start(badGateway, new Answer(200, "{\"assets\":[]}", Map.of()));
        TaleaClient client = client(fake.port(), "t", QUICK)) {
      assertThat(client.listAssets()).isEmpty();
      assertThat(fake.tries()).isEqualTo(2);
    }
  }

  @Test
  void aMalformedSuccessfulAnswerIsAProtocolFailureAndNotRetried() throws IOException {
    for (String body : List.of("this is not json", "{\"assets\":[{\"code\":\"BTC\"}]}", "")) {
      try (FakeServer fake = FakeServer.start(new Answer(200, body, Map.of()));
          TaleaClient client = client(fake.port(), "t", QUICK)) {
        Throwable thrown = catchThrowable(client::listAssets);

        assertThat(thrown).as(body).isInstanceOf(TaleaProtocolException.class);
        assertThat(thrown.getMessage()).contains("GET /v1/assets");
        assertThat(fake.tries()).as(body).isEqualTo(1);
      }
    }
  }

  // ---- subscriptions ---------------------------------------------------------------------------

  /**
   * The subscriber sees commits made before the restart, commits made while no server was running
   * (written straight into the store), and commits made after: each once, in order.
   */
  @Test
  void aSubscriptionResumesGaplesslyAcrossAServerRestart() throws Exception {
    String book = "restart";
    int port = freePort();
    String db = "log:" + temp.resolve("log");
    Map<String, String> env =
        Map.of("TALEA_BIND", "127.0.0.1:" + port, "TALEA_REQUEST_TIMEOUT", "2s");
    RetryPolicy quickReconnect =
        RetryPolicy.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
    List<Transaction> posted = new ArrayList<>();
    Recorder recorder = new Recorder();
    ServerHarness server = ServerHarness.start(db, env);
    try (TaleaClient client = client(port, ServerHarness.ADMIN_TOKEN, quickReconnect)) {
      setUpBook(client, book);
      for (int i = 1; i <= 3; i++) {
        posted.add(client.post(book, deposit("before-" + i, "1")));
      }
      client.subscribe(book, OptionalLong.of(1)).subscribe(recorder);
      for (int i = 0; i < 3; i++) {
        assertThat(recorder.next()).isEqualTo(posted.get(i));
      }

      server.close();
      server = null;
      try (Store store = Stores.open(db, StoreSettings.defaults())) {
        for (PostOutcome outcome :
            store.commitBatch(book, List.of(deposit("down-1", "1"), deposit("down-2", "1")))) {
          assertThat(outcome).isInstanceOf(PostOutcome.Committed.class);
          posted.add(((PostOutcome.Committed) outcome).transaction());
        }
      }
      server = ServerHarness.start(db, env);
      posted.add(client.post(book, deposit("after-1", "1")));

      assertThat(posted).extracting(Transaction::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      for (int i = 3; i < 6; i++) {
        assertThat(recorder.next()).isEqualTo(posted.get(i));
      }
      Transaction later = client.post(book, deposit("after-2", "1"));
      assertThat(recorder.next()).isEqualTo(later);
      recorder.assertNothingWithin(QUIET);
      assertThat(recorder.error).isNotDone();
      recorder.cancel();
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @Test
  void cancellingASubscriptionStopsDeliveryAndEndsItsThread() throws Exception {
    String book = "cancel";
    try (ServerHarness server = ServerHarness.start("log:" + temp.resolve("log"));
        TaleaClient client = admin(server)) {
      setUpBook(client, book);
      client.post(book, deposit("d-1", "1"));
      Recorder recorder = new Recorder();
      client.subscribe(book, OptionalLong.of(1)).subscribe(recorder);
      assertThat(recorder.next().seq()).isEqualTo(1);
      assertThat(threadsNamed("talea-subscription-" + book)).isEqualTo(1);

      recorder.cancel();

      eventually(
          "the subscription's thread ends", () -> threadsNamed("talea-subscription-" + book) == 0);
      client.post(book, deposit("d-2", "1"));
      recorder.assertNothingWithin(QUIET);
      assertThat(recorder.error).isNotDone();
      // The client itself carries on.
      assertThat(client.verify(book).seq()).isEqualTo(2);
    }
  }

  @Test
  void closingTheClientCancelsItsSubscriptions() throws Exception {
    String book = "closing";
    try (ServerHarness server = ServerHarness.start("log:" + temp.resolve("log"));
        TaleaClient admin = admin(server)) {
      setUpBook(admin, book);
      admin.post(book, deposit("d-1", "1"));
      TaleaClient subscriber = admin(server);
      Recorder one = new Recorder();
      Recorder two = new Recorder();
      subscriber.subscribe(book, OptionalLong.of(1)).subscribe(one);
      subscriber.subscribe(book, OptionalLong.empty()).subscribe(two);
      assertThat(one.next().seq()).isEqualTo(1);
      eventually("both subscriptions run", () -> threadsNamed("talea-subscription-" + book) == 2);

      subscriber.close();

      eventually(
          "the subscriptions' threads end", () -> threadsNamed("talea-subscription-" + book) == 0);
      admin.post(book, deposit("d-2", "1"));
      one.assertNothingWithin(QUIET);
      assertThat(two.received).isEmpty();
      assertThat(one.error).isNotDone();
      assertThat(two.error).isNotDone();
    }
  }

  @Test
  void closingTheClientWhileSubscriptionsAreStillConnectingEndsTheirThreads() throws Exception {
    String book = "connecting";
    try (ServerHarness server = ServerHarness.start("log:" + temp.resolve("log"));
        TaleaClient admin = admin(server)) {
      setUpBook(admin, book);
      for (int round = 0; round < 20; round++) {
        TaleaClient subscriber = admin(server);
        subscriber.subscribe(book, OptionalLong.empty()).subscribe(new Recorder());
        subscriber.subscribe(book, OptionalLong.of(1)).subscribe(new Recorder());
        // At once: the subscriptions are asking for the book's head, or opening their streams.
        subscriber.close();
        eventually(
            "round " + round + ": the subscriptions' threads end",
            () -> threadsNamed("talea-subscription-" + book) == 0);
      }
    }
  }

  // ---- a scripted server -----------------------------------------------------------------------

  /** One scripted answer. */
  private record Answer(int status, String body, Map<String, String> headers) {}

  /**
   * An HTTP server that answers every request with the next scripted answer (the last one
   * repeating) and records when each request arrived.
   */
  private static final class FakeServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private final List<String> paths = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    private FakeServer(List<Answer> script) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.setExecutor(executor);
      server.createContext(
          "/",
          exchange -> {
            arrivals.add(System.nanoTime());
            paths.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            exchange.getRequestBody().readAllBytes();
            Answer answer = script.get(Math.min(next.getAndIncrement(), script.size() - 1));
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
    }

    static FakeServer start(Answer... script) throws IOException {
      return new FakeServer(List.of(script));
    }

    int port() {
      return server.getAddress().getPort();
    }

    int tries() {
      return arrivals.size();
    }

    List<String> paths() {
      return paths;
    }

    long gapMillis(int from, int to) {
      return (arrivals.get(to) - arrivals.get(from)) / 1_000_000;
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
