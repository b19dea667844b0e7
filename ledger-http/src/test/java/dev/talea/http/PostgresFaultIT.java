package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.talea.client.RetryPolicy;
import dev.talea.client.TaleaClient;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.protocol.json.Json;
import dev.talea.testkit.PrivatePostgres;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Postgres crashes under load (issue 9). A private PostgreSQL 15 cluster ({@link PrivatePostgres})
 * under a talead in this JVM; writers post through {@link TaleaClient} with a retry policy long
 * enough to ride out the outage; then {@code pg_ctl stop -m immediate} in the middle of the load.
 *
 * <p>While the database is down, raw requests without retries — a post, a balance read, {@code
 * /health} — must be answered {@code 503 unavailable} with {@code Retry-After: 1} within the
 * request timeout (never a 500, a 408 or a hang). Once it is back on the same port, talead must
 * answer 2xx again by itself within seconds. At the end every acknowledged post is in the book
 * exactly once under its key, nothing else is (in particular no post refused during the outage),
 * the seqs are gapless, the hash chain verifies, and the trial balance is exactly the sum of the
 * acknowledged posts.
 *
 * <p>The figures (time to the first 503, time to recover, posts acknowledged, retried,
 * deduplicated) are printed with the prefix {@code [postgres-fault]}.
 */
class PostgresFaultIT {

  private static final String BOOK = "fault";
  private static final String ASSET = "USD";
  private static final int CASH_ACCOUNTS = 4;
  private static final int INCOME_ACCOUNTS = 2;

  /** TALEA_REQUEST_TIMEOUT: short, so that "within the request timeout" is a sharp bound. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

  /** What an answer may take beyond the request timeout (scheduling, the HTTP round trip). */
  private static final Duration MARGIN = Duration.ofMillis(1500);

  private static final int POOL = 4;
  private static final int WRITERS = 12;
  private static final Duration WARM_UP = Duration.ofSeconds(2);
  private static final Duration OUTAGE = Duration.ofSeconds(10);
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(10);
  private static final Duration AFTER_RECOVERY = Duration.ofSeconds(2);

  /** The writers' retries: enough to outlast the outage and the recovery with room to spare. */
  private static final RetryPolicy RIDE_IT_OUT =
      new RetryPolicy(
          10_000, Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofSeconds(60));

  /** A post as submitted: one cash account debited, one income account credited. */
  private record Post(String key, int cash, int income, long cents) {
    String cashAccount() {
      return "assets:cash:" + cash;
    }

    String incomeAccount() {
      return "income:sales:" + income;
    }

    String amount() {
      return String.format("%d.%02d", cents / 100, cents % 100);
    }

    TransactionDraft draft() {
      return new TransactionDraft(
          key,
          List.of(
              DraftPosting.debit(cashAccount(), ASSET, amount()),
              DraftPosting.credit(incomeAccount(), ASSET, amount())));
    }

    String json() {
      return "{\"idempotency_key\":\""
          + key
          + "\",\"postings\":[{\"account\":\""
          + cashAccount()
          + "\",\"asset\":\""
          + ASSET
          + "\",\"debit\":\""
          + amount()
          + "\"},{\"account\":\""
          + incomeAccount()
          + "\",\"asset\":\""
          + ASSET
          + "\",\"credit\":\""
          + amount()
          + "\"}]}";
    }

    static Post of(String key, long n) {
      return new Post(
          key,
          (int) (n % CASH_ACCOUNTS),
          (int) (n % INCOME_ACCOUNTS),
          1 + Math.floorMod(n * 37, 997));
    }
  }

  /** An acknowledged post and the commit it was answered with. */
  private record Ack(Post post, Transaction tx) {}

  /** One raw answer, or its absence. */
  private record Probe(
      String what,
      int status,
      String error,
      String retryAfter,
      String contentType,
      String backend,
      long millis,
      String failure) {

    boolean ok() {
      return status >= 200 && status < 300;
    }

    boolean unavailable() {
      return status == 503
          && "unavailable".equals(error)
          && "1".equals(retryAfter)
          && contentType != null
          && contentType.startsWith("application/problem+json")
          && "postgres".equals(backend);
    }

    @Override
    public String toString() {
      return what
          + " -> "
          + (failure != null ? failure : status + " " + error + " Retry-After=" + retryAfter)
          + " in "
          + millis
          + " ms";
    }
  }

  private final AtomicInteger rawKeys = new AtomicInteger();

  @Test
  void talea_answers_503_while_postgres_is_down_recovers_by_itself_and_loses_nothing()
      throws Exception {
    long testStart = System.nanoTime();
    try (PrivatePostgres postgres = PrivatePostgres.start();
        ServerHarness server =
            ServerHarness.start(
                postgres.url(),
                Map.of(
                    "TALEA_REQUEST_TIMEOUT",
                    REQUEST_TIMEOUT.toMillis() + "ms",
                    "TALEA_DB_POOL",
                    String.valueOf(POOL)));
        CountingProxy proxy = CountingProxy.start(server.uri("/"));
        TaleaClient writerClient =
            TaleaClient.builder()
                .baseUrl(proxy.base())
                .token(ServerHarness.ADMIN_TOKEN)
                .requestTimeout(Duration.ofSeconds(30))
                .retryPolicy(RIDE_IT_OUT)
                .threads(WRITERS)
                .build();
        TaleaClient checker =
            TaleaClient.builder()
                .baseUrl(server.uri("/").toString())
                .token(ServerHarness.ADMIN_TOKEN)
                .build()) {
      say("private Postgres on port %d; talead on %s", postgres.port(), server.uri("/"));
      HttpClient raw =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(2))
              .build();

      checker.registerAsset(new AssetSpec(ASSET, 2, "US dollar"));
      for (int i = 0; i < CASH_ACCOUNTS; i++) {
        checker.openAccount(BOOK, "assets:cash:" + i, new AccountSpec(AccountKind.ASSET));
      }
      for (int i = 0; i < INCOME_ACCOUNTS; i++) {
        checker.openAccount(BOOK, "income:sales:" + i, new AccountSpec(AccountKind.INCOME));
      }

      List<Ack> rawAcks = Collections.synchronizedList(new ArrayList<>());
      Post warmUp = rawPost();
      Probe first = postRaw(server, raw, warmUp);
      assertThat(first.status()).as("a raw post before the crash: %s", first).isEqualTo(201);
      rawAcks.add(new Ack(warmUp, null));
      Probe health = getRaw(server, raw, "/health", null);
      assertThat(health.status()).as("/health before the crash: %s", health).isEqualTo(200);

      // ---- load -------------------------------------------------------------------------------
      Map<String, Ack> acks = new ConcurrentHashMap<>();
      Map<String, Map.Entry<Post, String>> writerFailures = new ConcurrentSkipListMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong sequence = new AtomicLong();
      ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        running.add(
            writers.submit(
                () -> {
                  while (!stop.get()) {
                    long n = sequence.incrementAndGet();
                    Post post = Post.of("load-" + writer + "-" + n, n);
                    try {
                      acks.put(post.key(), new Ack(post, writerClient.post(BOOK, post.draft())));
                    } catch (RuntimeException e) {
                      writerFailures.put(post.key(), Map.entry(post, e.toString()));
                    }
                  }
                }));
      }
      Thread.sleep(WARM_UP.toMillis());
      assertThat(acks).as("posts acknowledged before the crash").isNotEmpty();
      assertThat(writerFailures.values()).as("writers before the crash").isEmpty();
      int ackedBeforeCrash = acks.size();

      // ---- crash ------------------------------------------------------------------------------
      long crashStart = System.nanoTime();
      postgres.crash();
      long crashed = System.nanoTime();
      say(
          "Postgres crashed (pg_ctl stop -m immediate, %d ms) after %d acknowledged posts",
          millis(crashStart, crashed), ackedBeforeCrash);

      List<Probe> outage = Collections.synchronizedList(new ArrayList<>());
      Set<String> refusedKeys = ConcurrentHashMap.newKeySet();
      Map<String, Post> rawUnknown = new ConcurrentHashMap<>();
      AtomicLong firstUnavailable = new AtomicLong(-1);
      long outageEnds = crashed + OUTAGE.toNanos();
      ExecutorService probes = Executors.newFixedThreadPool(3);
      List<Future<?>> probing = new ArrayList<>();
      probing.add(
          probes.submit(
              () ->
                  probeUntil(
                      outageEnds,
                      crashStart,
                      outage,
                      firstUnavailable,
                      () -> {
                        Post post = rawPost();
                        Probe probe = postRaw(server, raw, post);
                        if (probe.ok()) {
                          rawAcks.add(new Ack(post, null));
                        } else if (probe.status() == 503) {
                          refusedKeys.add(post.key());
                        } else {
                          // 408, 500 or no answer: the outcome is unknown.
                          rawUnknown.put(post.key(), post);
                        }
                        return probe;
                      })));
      probing.add(
          probes.submit(
              () ->
                  probeUntil(
                      outageEnds,
                      crashStart,
                      outage,
                      firstUnavailable,
                      () ->
                          getRaw(
                              server,
                              raw,
                              "/v1/books/" + BOOK + "/accounts/assets:cash:0/balances",
                              ServerHarness.ADMIN_TOKEN))));
      probing.add(
          probes.submit(
              () ->
                  probeUntil(
                      outageEnds,
                      crashStart,
                      outage,
                      firstUnavailable,
                      () -> getRaw(server, raw, "/health", null))));
      for (Future<?> probe : probing) {
        probe.get(OUTAGE.plus(REQUEST_TIMEOUT).plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
      }
      probes.shutdown();
      long outageOver = System.nanoTime();
      say(
          "outage of %d ms: %d raw answers, the first 503 %d ms after the stop command; slowest"
              + " answer %d ms (request timeout %d ms)",
          millis(crashed, outageOver),
          outage.size(),
          firstUnavailable.get(),
          outage.stream().mapToLong(Probe::millis).max().orElse(-1),
          REQUEST_TIMEOUT.toMillis());
      for (String what : List.of("POST", "GET /v1", "GET /health")) {
        say(
            "  %s: %s",
            what,
            outage.stream()
                .filter(p -> p.what().startsWith(what))
                .map(p -> p.status() + "/" + p.error() + "/" + p.millis() + "ms")
                .toList());
      }
      int ackedDuringOutage = acks.size();

      // ---- restart ----------------------------------------------------------------------------
      long restartStart = System.nanoTime();
      postgres.startAgain();
      long restarted = System.nanoTime();
      say(
          "Postgres restarted on port %d in %d ms",
          postgres.port(), millis(restartStart, restarted));
      List<Probe> recovery = Collections.synchronizedList(new ArrayList<>());
      Post recoveryPost = rawPost();
      Map<String, Long> recoveredAfter = new ConcurrentSkipListMap<>();
      long recoveryDeadline = restarted + RECOVERY_BOUND.toNanos();
      // Each kind of request on its own, so that one's wait does not delay noticing another's
      // recovery.
      Map<String, ProbeCall> recoveryCalls =
          Map.of(
              "health",
              () -> getRaw(server, raw, "/health", null),
              "read",
              () ->
                  getRaw(
                      server,
                      raw,
                      "/v1/books/" + BOOK + "/accounts/assets:cash:0/balances",
                      ServerHarness.ADMIN_TOKEN),
              // The same key every time, as a client retrying one post would.
              "post",
              () -> postRaw(server, raw, recoveryPost));
      ExecutorService recovering = Executors.newFixedThreadPool(recoveryCalls.size());
      List<Future<?>> recoveries = new ArrayList<>();
      recoveryCalls.forEach(
          (kind, call) ->
              recoveries.add(
                  recovering.submit(
                      () -> {
                        while (System.nanoTime() < recoveryDeadline) {
                          Probe probe = call.call();
                          recovery.add(probe);
                          if (probe.ok()) {
                            recoveredAfter.put(kind, millis(restarted, System.nanoTime()));
                            return null;
                          }
                          Thread.sleep(100);
                        }
                        return null;
                      })));
      for (Future<?> task : recoveries) {
        task.get(
            RECOVERY_BOUND.plus(REQUEST_TIMEOUT).plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
      }
      recovering.shutdown();
      if (recoveredAfter.containsKey("post")) {
        rawAcks.add(new Ack(recoveryPost, null));
      } else {
        rawUnknown.put(recoveryPost.key(), recoveryPost);
      }
      say(
          "talead answered 2xx again after Postgres was back: %s ms (health, read, post); %d raw"
              + " answers meanwhile: %s",
          recoveredAfter,
          recovery.size(),
          recovery.stream().filter(p -> !p.ok()).map(p -> p.status() + "/" + p.error()).toList());

      Thread.sleep(AFTER_RECOVERY.toMillis());
      stop.set(true);
      for (Future<?> writer : running) {
        writer.get(RIDE_IT_OUT.maxElapsed().plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
      }
      writers.shutdown();

      // ---- what talead answered ---------------------------------------------------------------
      // Every violation is collected, so that one run shows all of them.
      SoftAssertions soft = new SoftAssertions();
      soft.assertThat(outage).as("raw answers while Postgres was down").isNotEmpty();
      for (String what : List.of("POST", "GET /v1", "GET /health")) {
        soft.assertThat(outage)
            .as("a raw %s during the outage", what)
            .anyMatch(p -> p.what().startsWith(what));
      }
      for (Probe probe : outage) {
        soft.assertThat(probe.unavailable())
            .as(
                "while Postgres was down: %s; expected 503 application/problem+json"
                    + " {\"error\":\"unavailable\"} with Retry-After: 1 and X-Talea-Backend:"
                    + " postgres",
                probe)
            .isTrue();
        soft.assertThat(probe.millis())
            .as(
                "while Postgres was down: %s; expected an answer within the request timeout"
                    + " (%d ms, +%d ms)",
                probe, REQUEST_TIMEOUT.toMillis(), MARGIN.toMillis())
            .isLessThanOrEqualTo(REQUEST_TIMEOUT.plus(MARGIN).toMillis());
      }
      for (Probe probe : recovery) {
        soft.assertThat(probe.ok() || probe.unavailable())
            .as("while talead recovered: %s; expected 2xx, or 503 unavailable until then", probe)
            .isTrue();
      }
      soft.assertThat(recoveredAfter)
          .as("talead answers 2xx again within %s of Postgres being back", RECOVERY_BOUND)
          .containsOnlyKeys("health", "read", "post");

      Map<Integer, Integer> statuses = proxy.postStatuses();
      Map<String, Integer> attempts = proxy.attemptsByKey();
      long retriedPosts = attempts.values().stream().filter(n -> n > 1).count();
      long extraTries = attempts.values().stream().mapToLong(n -> n - 1).sum();
      long deduplicated = acks.values().stream().filter(a -> a.tx().deduplicated()).count();
      Long firstWriter503 = proxy.firstSeen(503);
      say(
          "writers: %d posts acknowledged (%d before the stop command, %d more before the"
              + " restart), %d retried (%d extra tries), %d answered deduplicated; answers to"
              + " their tries by status: %s; first 503 to a writer %s ms after the stop command;"
              + " posts given up: %d",
          acks.size(),
          ackedBeforeCrash,
          ackedDuringOutage - ackedBeforeCrash,
          retriedPosts,
          extraTries,
          deduplicated,
          statuses,
          firstWriter503 == null ? "-" : String.valueOf(millis(crashStart, firstWriter503)),
          writerFailures.size());
      writerFailures.forEach((key, failure) -> say("  given up: %s: %s", key, failure.getValue()));
      soft.assertThat(writerFailures.keySet())
          .as("posts the client gave up on (its retries must make every post land)")
          .isEmpty();
      soft.assertThat(statuses.keySet())
          .as(
              "statuses of the answers to the writers' tries: 201, 200 (replay) or 503 only;"
                  + " never 500 or 408")
          .isSubsetOf(200, 201, 503);
      soft.assertThat(retriedPosts).as("posts the outage made the writers retry").isPositive();

      // ---- what the book holds ----------------------------------------------------------------
      Map<String, Post> acknowledged = new HashMap<>();
      acks.values().forEach(a -> acknowledged.put(a.post().key(), a.post()));
      rawAcks.forEach(a -> acknowledged.put(a.post().key(), a.post()));
      // Posts given up on (after a 500, say) and raw posts answered 408 or not at all may or may
      // not have landed; they must not be in the book twice, and their amounts count if they are
      // there. With talead as required there are none (asserted above).
      Map<String, Post> unknown = new HashMap<>(rawUnknown);
      writerFailures.forEach((key, failure) -> unknown.put(key, failure.getKey()));

      List<Transaction> book = new ArrayList<>();
      long after = 0;
      while (true) {
        TransactionPage page = checker.listTransactions(BOOK, after, 1000);
        book.addAll(page.transactions());
        if (page.nextAfterSeq() == null) {
          break;
        }
        after = page.nextAfterSeq();
      }
      Map<String, Transaction> byKey = new HashMap<>();
      List<Long> seqs = new ArrayList<>();
      for (Transaction tx : book) {
        seqs.add(tx.seq());
        soft.assertThat(byKey.put(tx.idempotencyKey(), tx))
            .as("key %s committed once", tx.idempotencyKey())
            .isNull();
      }
      soft.assertThat(seqs)
          .as("the book's seqs are gapless from 1")
          .isEqualTo(LongStream.rangeClosed(1, book.size()).boxed().toList());
      soft.assertThat(byKey.keySet())
          .as("every acknowledged post is in the book")
          .containsAll(acknowledged.keySet());
      Set<String> unexpected = new TreeSet<>(byKey.keySet());
      unexpected.removeAll(acknowledged.keySet());
      unexpected.removeAll(unknown.keySet());
      soft.assertThat(unexpected)
          .as("commits in the book that were never acknowledged (refused, or never sent)")
          .isEmpty();
      for (Ack ack : acks.values()) {
        Transaction stored = byKey.get(ack.post().key());
        if (stored == null) {
          continue;
        }
        soft.assertThat(List.of(stored.txId(), stored.seq(), stored.hash()))
            .as("the commit of %s is the one it was acknowledged with", ack.post().key())
            .isEqualTo(List.of(ack.tx().txId(), ack.tx().seq(), ack.tx().hash()));
        soft.assertThat(stored.postings())
            .extracting(Posting::account, Posting::side)
            .containsExactly(
                tuple(ack.post().cashAccount(), Side.DEBIT),
                tuple(ack.post().incomeAccount(), Side.CREDIT));
      }

      // Find by key: every post that was retried or replayed, every raw post, and a sample.
      Set<String> lookups = new LinkedHashSet<>();
      attempts.forEach(
          (key, n) -> {
            if (n > 1) {
              lookups.add(key);
            }
          });
      acks.values().stream()
          .filter(a -> a.tx().deduplicated())
          .forEach(a -> lookups.add(a.post().key()));
      rawAcks.forEach(a -> lookups.add(a.post().key()));
      acks.keySet().stream()
          .filter(k -> Math.floorMod(k.hashCode(), 10) == 0)
          .forEach(lookups::add);
      for (String key : lookups) {
        Optional<Transaction> found = checker.findTransaction(BOOK, key);
        soft.assertThat(found.map(Transaction::seq))
            .as("find %s by key", key)
            .isEqualTo(Optional.ofNullable(byKey.get(key)).map(Transaction::seq));
        soft.assertThat(found).as("find %s by key", key).isPresent();
      }
      for (String key : refusedKeys) {
        soft.assertThat(checker.findTransaction(BOOK, key))
            .as("%s was refused while Postgres was down: never committed", key)
            .isEmpty();
      }

      VerifyResult verify = checker.verify(BOOK);
      soft.assertThat(verify.ok()).as("verify: %s", verify).isTrue();
      soft.assertThat(verify.seq()).as("verify: %s", verify).isEqualTo(book.size());

      Map<String, BigInteger> expected = new TreeMap<>();
      BigInteger total = BigInteger.ZERO;
      for (String key : byKey.keySet()) {
        Post post = acknowledged.containsKey(key) ? acknowledged.get(key) : unknown.get(key);
        if (post == null) {
          continue;
        }
        BigInteger cents = BigInteger.valueOf(post.cents());
        expected.merge(post.cashAccount(), cents, BigInteger::add);
        expected.merge(post.incomeAccount(), cents.negate(), BigInteger::add);
        total = total.add(cents);
      }
      TrialBalance trial = checker.trialBalance(BOOK, null);
      soft.assertThat(trial.balanced()).as("trial balance balanced").isTrue();
      soft.assertThat(trial.seq()).as("trial balance seq").isEqualTo(book.size());
      Map<String, BigInteger> actual = new TreeMap<>();
      for (TrialBalance.Line line : trial.accounts()) {
        soft.assertThat(line.asset()).isEqualTo(ASSET);
        actual.put(line.account(), line.debit().minorUnits().subtract(line.credit().minorUnits()));
      }
      soft.assertThat(actual)
          .as("the trial balance is the sum of the acknowledged posts")
          .isEqualTo(expected);
      soft.assertThat(trial.totals())
          .extracting(t -> t.debit().minorUnits(), t -> t.credit().minorUnits())
          .as("trial balance totals")
          .containsExactly(tuple(total, total));

      say(
          "book: %d commits (%d acknowledged, %d of %d posts of unknown outcome landed), verify %s,"
              + " trial balance %s cents each side; %d keys looked up, %d refused raw posts"
              + " absent; whole test %d ms",
          book.size(),
          acknowledged.size(),
          unknown.keySet().stream().filter(byKey::containsKey).count(),
          unknown.size(),
          verify.ok() ? "ok" : "FAILED",
          total,
          lookups.size(),
          refusedKeys.size(),
          millis(testStart, System.nanoTime()));
      soft.assertAll();
    }
  }

  // ---- raw requests ---------------------------------------------------------------------------

  private interface ProbeCall {
    Probe call() throws Exception;
  }

  /** Repeats {@code call} until {@code deadline}, recording each answer and the first 503. */
  private static Void probeUntil(
      long deadline, long since, List<Probe> into, AtomicLong firstUnavailable, ProbeCall call)
      throws Exception {
    while (System.nanoTime() < deadline) {
      Probe probe = call.call();
      into.add(probe);
      if (probe.status() == 503) {
        firstUnavailable.compareAndSet(-1, millis(since, System.nanoTime()));
      }
      Thread.sleep(100);
    }
    return null;
  }

  private Post rawPost() {
    int n = rawKeys.incrementAndGet();
    return Post.of("raw-" + n, n);
  }

  private static Probe postRaw(ServerHarness server, HttpClient raw, Post post) {
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/v1/books/" + BOOK + "/transactions"))
            .timeout(REQUEST_TIMEOUT.plusSeconds(10))
            .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(post.json(), StandardCharsets.UTF_8))
            .build();
    return exchange(raw, request, "POST " + post.key());
  }

  private static Probe getRaw(ServerHarness server, HttpClient raw, String path, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri(path)).timeout(REQUEST_TIMEOUT.plusSeconds(10)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return exchange(raw, request.build(), "GET " + path);
  }

  private static Probe exchange(HttpClient raw, HttpRequest request, String what) {
    long start = System.nanoTime();
    try {
      HttpResponse<String> response =
          raw.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      long took = millis(start, System.nanoTime());
      String error = null;
      if (response.statusCode() >= 400) {
        try {
          error = Json.mapper().readTree(response.body()).path("error").asText(null);
        } catch (IOException e) {
          error = "(not JSON: " + response.body() + ")";
        }
      }
      return new Probe(
          what,
          response.statusCode(),
          error,
          response.headers().firstValue("Retry-After").orElse(null),
          response.headers().firstValue("Content-Type").orElse(null),
          response.headers().firstValue("X-Talea-Backend").orElse(null),
          took,
          null);
    } catch (HttpTimeoutException e) {
      return new Probe(
          what, -1, null, null, null, null, millis(start, System.nanoTime()), "no answer (hang)");
    } catch (IOException e) {
      return new Probe(
          what, -1, null, null, null, null, millis(start, System.nanoTime()), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long millis(long fromNanos, long toNanos) {
    return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
  }

  private static void say(String format, Object... args) {
    System.out.println("[postgres-fault] " + String.format(format, args));
  }

  // ---- counting the writers' tries ------------------------------------------------------------

  /**
   * A pass-through HTTP proxy in front of talead for the writers' client, counting the answers to
   * posts by status and the tries per idempotency key, which the client does not expose.
   */
  private static final class CountingProxy implements AutoCloseable {

    private static final List<String> REQUEST_HEADERS =
        List.of("Authorization", "Content-Type", "Accept", "Idempotency-Key", "Last-Event-ID");
    private static final List<String> RESPONSE_HEADERS =
        List.of("Content-Type", "Retry-After", "X-Talea-Backend", "Location", "WWW-Authenticate");

    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpClient client;
    private final URI target;
    private final Map<Integer, Integer> postStatuses = new ConcurrentHashMap<>();
    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
    private final Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();

    private CountingProxy(HttpServer server, ExecutorService executor, URI target) {
      this.server = server;
      this.executor = executor;
      this.target = target;
      this.client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
    }

    static CountingProxy start(URI target) throws IOException {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      ExecutorService executor = Executors.newCachedThreadPool();
      CountingProxy proxy = new CountingProxy(server, executor, target);
      server.createContext("/", proxy::forward);
      server.setExecutor(executor);
      server.start();
      return proxy;
    }

    String base() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    Map<Integer, Integer> postStatuses() {
      return new TreeMap<>(postStatuses);
    }

    Map<String, Integer> attemptsByKey() {
      return Map.copyOf(attempts);
    }

    /** When a post was first answered with {@code status} ({@link System#nanoTime()}), or null. */
    Long firstSeen(int status) {
      return firstSeen.get(status);
    }

    private void forward(HttpExchange exchange) throws IOException {
      try (exchange) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String method = exchange.getRequestMethod();
        URI uri = URI.create(target.toString().replaceAll("/$", "") + exchange.getRequestURI());
        HttpRequest.Builder request =
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .method(
                    method,
                    body.length == 0
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String header : REQUEST_HEADERS) {
          String value = exchange.getRequestHeaders().getFirst(header);
          if (value != null) {
            request.header(header, value);
          }
        }
        HttpResponse<byte[]> response;
        try {
          response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          exchange.sendResponseHeaders(502, -1);
          return;
        } catch (IOException e) {
          exchange.sendResponseHeaders(502, -1);
          return;
        }
        if ("POST".equals(method) && exchange.getRequestURI().getPath().endsWith("/transactions")) {
          firstSeen.putIfAbsent(response.statusCode(), System.nanoTime());
          postStatuses.merge(response.statusCode(), 1, Integer::sum);
          JsonNode draft = Json.mapper().readTree(body);
          attempts.merge(draft.path("idempotency_key").asText(), 1, Integer::sum);
        }
        for (String header : RESPONSE_HEADERS) {
          response
              .headers()
              .firstValue(header)
              .ifPresent(value -> exchange.getResponseHeaders().add(header, value));
        }
        byte[] answer = response.body();
        exchange.sendResponseHeaders(
            response.statusCode(), answer.length == 0 ? -1 : answer.length);
        if (answer.length > 0) {
          exchange.getResponseBody().write(answer);
        }
      }
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
