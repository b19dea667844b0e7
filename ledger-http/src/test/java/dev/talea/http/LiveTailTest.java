package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.talea.http.ServerHarness.Reply;
import dev.talea.protocol.json.Json;
import dev.talea.store.testing.PostgresTestDatabase;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live tail (contract §8) over a real server: {@code GET /v1/books/{book}/events} as
 * server-sent events — catch-up from the store then live commits, each seq exactly once and in
 * order, for late joiners, resumed connections and hundreds of concurrent subscribers; keepalive
 * comments on a quiet stream; a subscriber too slow to keep up being disconnected; the errors
 * answered before a stream starts; and subscribers that wait without holding a store connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveTailTest {

  /** Read-write, scoped to {@link #OTHER_BOOK} only. */
  private static final String OTHER_TOKEN = "tail-elsewhere-token-0123456789";

  private static final String OTHER_BOOK = "elsewhere";

  /** How often a quiet tail gets a keepalive comment on the servers of this class. */
  static final String KEEPALIVE = "300ms";

  /** Commits per store read while a subscriber of this class's server catches up. */
  private static final int CATCH_UP_PAGE = 7;

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path temp;

  private ServerHarness server;
  private HttpClient client;
  private final AtomicInteger names = new AtomicInteger();

  @BeforeAll
  void startServer() throws IOException {
    Path tokens = temp.resolve("tokens.toml");
    Files.writeString(
        tokens,
        """
        [tokens.elsewhere]
        token = "%s"
        books = ["%s"]
        access = "rw"
        """
            .formatted(OTHER_TOKEN, OTHER_BOOK));
    // A small catch-up page, so that subscribers cross many page seams while they catch up.
    server =
        startWithProperties(
            Map.of(
                "talea.subscriptions.keepalive",
                KEEPALIVE,
                "talea.subscriptions.catch-up-page",
                String.valueOf(CATCH_UP_PAGE)),
            "log:" + temp.resolve("log"),
            Map.of(
                "TALEA_TOKENS_FILE",
                tokens.toString(),
                "TALEA_MAX_INFLIGHT",
                "2000",
                // Hundreds of tails on one token, to measure fan-out, not the per-token limit.
                "TALEA_MAX_SUBSCRIBERS_PER_TOKEN",
                "1024"));
    client = newClient();
    registerBitcoin(server);
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  // ---- the stream and its events ---------------------------------------------------------------

  @Test
  void aLiveTailAnswersAnEventStreamWithTheBackendHeader() {
    String book = freshBook();
    post(book, "k1");
    try (Sse tail = Sse.open(server.uri(events(book, "?from_seq=1")), admin())) {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      String contentType = tail.header("Content-Type");
      assertThat(contentType).isNotNull();
      String[] parts = contentType.split(";");
      assertThat(parts[0].trim()).isEqualToIgnoringCase("text/event-stream");
      for (int i = 1; i < parts.length; i++) {
        assertThat(parts[i].trim()).isEqualToIgnoringCase("charset=utf-8");
      }
      assertThat(tail.header("X-Talea-Backend")).isEqualTo("log");
      assertThat(seqs(tail.awaitEvents(1))).containsExactly(1L);
    }
  }

  @Test
  void eachEventIsItsSeqAsIdACommitEventAndTheTransactionAsData() {
    String book = freshBook();
    List<JsonNode> posted = new ArrayList<>();
    posted.add(post(book, "plain-1"));
    posted.add(
        postBody(
            book,
            "{\"idempotency_key\":\"rich-2\",\"postings\":["
                + "{\"account\":\"assets:cash\",\"asset\":\"BTC\",\"debit\":\"0.5\"},"
                + "{\"account\":\"equity:capital\",\"asset\":\"BTC\",\"credit\":\"0.5\"}],"
                + "\"occurred_at\":\"2026-11-20T15:02:00+01:00\",\"memo\":\"line\\nbreak é\","
                + "\"metadata\":{\"chain_tx\":\"0xabc\",\"note\":\"a\\r\\nb\"}}"));
    posted.add(post(book, "plain-3"));

    try (Sse tail = Sse.open(server.uri(events(book, "?from_seq=1")), admin())) {
      List<Sse.Event> events = tail.awaitEvents(3);
      assertThat(seqs(events)).containsExactly(1L, 2L, 3L);
      for (int i = 0; i < events.size(); i++) {
        Sse.Event event = events.get(i);
        assertThat(event.event()).isEqualTo("commit");
        JsonNode data = json(event.data());
        assertThat(data.get("seq").asLong()).isEqualTo(Long.parseLong(event.id()));
        assertThat(data.get("book").asText()).isEqualTo(book);
        assertThat(data.get("tx_id").asText()).isEqualTo(posted.get(i).get("tx_id").asText());
        Reply read = server.get("/v1/transactions/" + data.get("tx_id").asText());
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(data).isEqualTo(read.json());
      }
      assertThat(json(events.get(1).data()).get("memo").asText()).isEqualTo("line\nbreak é");
    }
  }

  @Test
  void fromSeqOneDeliversTheExistingCommitsThenNewOnesAsTheyArePosted() {
    String book = freshBook();
    for (int i = 1; i <= 5; i++) {
      post(book, "before-" + i);
    }
    try (Sse tail = Sse.open(server.uri(events(book, "?from_seq=1")), admin())) {
      assertThat(seqs(tail.awaitEvents(5))).containsExactly(1L, 2L, 3L, 4L, 5L);
      for (int i = 6; i <= 9; i++) {
        JsonNode tx = post(book, "after-" + i);
        assertThat(tx.get("seq").asLong()).isEqualTo(i);
        List<Sse.Event> events = tail.awaitEvents(i);
        assertThat(events.get(i - 1).id()).isEqualTo(String.valueOf(i));
        assertThat(json(events.get(i - 1).data()).get("tx_id").asText())
            .isEqualTo(tx.get("tx_id").asText());
      }
      assertThat(seqs(tail.events())).isEqualTo(range(1, 9));
    }
  }

  @Test
  void fromSeqInTheMiddleStartsAtThatSeqAndZeroStartsAtTheFirst() {
    String book = freshBook();
    for (int i = 1; i <= 5; i++) {
      post(book, "c-" + i);
    }
    try (Sse middle = Sse.open(server.uri(events(book, "?from_seq=4")), admin());
        Sse zero = Sse.open(server.uri(events(book, "?from_seq=0")), admin())) {
      assertThat(seqs(middle.awaitEvents(2))).containsExactly(4L, 5L);
      assertThat(seqs(zero.awaitEvents(5))).isEqualTo(range(1, 5));
      post(book, "c-6");
      assertThat(seqs(middle.awaitEvents(3))).containsExactly(4L, 5L, 6L);
      assertThat(seqs(zero.awaitEvents(6))).isEqualTo(range(1, 6));
    }
  }

  @Test
  void catchUpAcrossManyStorePagesDeliversEveryCommitOnceThenGoesLive() {
    String book = freshBook();
    int existing = 1_234;
    for (int from = 1; from <= existing; from += 1_000) {
      StringBuilder batch = new StringBuilder("{\"transactions\":[");
      for (int i = from; i <= Math.min(existing, from + 999); i++) {
        batch.append(i == from ? "" : ",").append(draft("bulk-" + i));
      }
      batch.append("]}");
      Reply reply = server.post("/v1/books/" + book + "/transactions/batch", batch.toString());
      assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    }
    try (Sse all = Sse.open(server.uri(events(book, "?from_seq=1")), admin());
        Sse tail = Sse.open(server.uri(events(book, "?from_seq=" + (existing - 3))), admin())) {
      assertThat(seqs(all.awaitEvents(existing))).isEqualTo(range(1, existing));
      assertThat(seqs(tail.awaitEvents(4))).isEqualTo(range(existing - 3, existing));
      post(book, "live");
      assertThat(seqs(all.awaitEvents(existing + 1))).isEqualTo(range(1, existing + 1));
      assertThat(seqs(tail.awaitEvents(5))).isEqualTo(range(existing - 3, existing + 1));
      assertIdsMatchData(all.events());
    }
  }

  @Test
  void fromSeqBeyondTheLastCommitWaitsForThatSeq() {
    String book = freshBook();
    for (int i = 1; i <= 3; i++) {
      post(book, "early-" + i);
    }
    try (Sse ahead = Sse.open(server.uri(events(book, "?from_seq=8")), admin())) {
      assertThat(ahead.awaitStatus()).isEqualTo(200);
      for (int i = 4; i <= 9; i++) {
        post(book, "later-" + i);
      }
      assertThat(seqs(ahead.awaitEvents(2))).containsExactly(8L, 9L);
    }
  }

  @Test
  void aTailOfABookWithoutCommitsStartsAtSeqOne() {
    String book = freshBook();
    try (Sse live = Sse.open(server.uri(events(book, "")), admin());
        Sse fromOne = Sse.open(server.uri(events(book, "?from_seq=1")), admin())) {
      assertThat(live.awaitStatus()).isEqualTo(200);
      live.awaitComments(1);
      post(book, "first");
      assertThat(seqs(live.awaitEvents(1))).containsExactly(1L);
      assertThat(seqs(fromOne.awaitEvents(1))).containsExactly(1L);
    }
  }

  @Test
  void aTailSeesOnlyTheCommitsOfItsOwnBook() {
    String book = freshBook();
    String other = freshBook();
    post(other, "other-1");
    try (Sse tail = Sse.open(server.uri(events(book, "?from_seq=1")), admin())) {
      post(other, "other-2");
      post(book, "mine-1");
      post(other, "other-3");
      post(book, "mine-2");
      List<Sse.Event> events = tail.awaitEvents(2);
      assertThat(seqs(events)).containsExactly(1L, 2L);
      for (Sse.Event event : events) {
        assertThat(json(event.data()).get("book").asText()).isEqualTo(book);
      }
      assertThat(events.stream().map(e -> json(e.data()).get("idempotency_key").asText()).toList())
          .containsExactly("mine-1", "mine-2");
      // Nothing of the other book slipped in behind them either.
      post(other, "other-4");
      post(book, "mine-3");
      assertThat(seqs(tail.awaitEvents(3))).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void withoutFromSeqATailStartsAtTheNextCommit() {
    String book = freshBook();
    for (int i = 1; i <= 3; i++) {
      post(book, "old-" + i);
    }
    try (Sse tail = Sse.open(server.uri(events(book, "")), admin())) {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      // A keepalive shows the stream is running; nothing of the existing commits came before it.
      tail.awaitComments(1);
      assertThat(tail.events()).isEmpty();
      post(book, "new-4");
      post(book, "new-5");
      assertThat(seqs(tail.awaitEvents(2))).containsExactly(4L, 5L);
    }
  }

  @Test
  void aSubscriberJoiningWhileCommitsStreamInSeesEverySeqExactlyOnceInOrder() throws Exception {
    String book = freshBook();
    Posters posters = new Posters(book, 4);
    List<Sse> tails = new ArrayList<>();
    Map<Sse, Long> firstExpected = new LinkedHashMap<>();
    Sse live = null;
    long committedBeforeLive;
    try {
      posters.awaitSeq(20);
      Sse fromOne = Sse.open(server.uri(events(book, "?from_seq=1")), admin());
      tails.add(fromOne);
      firstExpected.put(fromOne, 1L);

      posters.awaitSeq(60);
      Sse fromThirty = Sse.open(server.uri(events(book, "?from_seq=30")), admin());
      tails.add(fromThirty);
      firstExpected.put(fromThirty, 30L);

      posters.awaitSeq(100);
      committedBeforeLive = posters.highestSeq();
      live = Sse.open(server.uri(events(book, "")), admin());
      tails.add(live);

      posters.awaitSeq(140);
      long recent = posters.highestSeq();
      Sse fromRecent = Sse.open(server.uri(events(book, "?from_seq=" + recent)), admin());
      tails.add(fromRecent);
      firstExpected.put(fromRecent, recent);

      // Keep committing until every subscriber has seen live traffic, then stop.
      for (Sse tail : tails) {
        tail.awaitEvents(1);
      }
      posters.awaitSeq(posters.highestSeq() + 100);
      long total = posters.stop();
      assertThat(total).isGreaterThanOrEqualTo(240);

      for (Map.Entry<Sse, Long> entry : firstExpected.entrySet()) {
        List<Sse.Event> events = entry.getKey().awaitSeq(total);
        assertThat(seqs(events)).isEqualTo(range(entry.getValue(), total));
        assertIdsMatchData(events);
      }
      List<Sse.Event> liveEvents = live.awaitSeq(total);
      long first = liveEvents.get(0).seq();
      assertThat(first).isGreaterThan(committedBeforeLive);
      assertThat(seqs(liveEvents)).isEqualTo(range(first, total));
      assertIdsMatchData(liveEvents);
    } finally {
      posters.stopQuietly();
      tails.forEach(Sse::close);
    }
  }

  // ---- resuming ---------------------------------------------------------------------------------

  @Test
  void lastEventIdResumesAfterItAndWinsOverFromSeq() {
    String book = freshBook();
    for (int i = 1; i <= 5; i++) {
      post(book, "r-" + i);
    }
    try (Sse resumed =
            Sse.open(server.uri(events(book, "?from_seq=1")), admin(), "Last-Event-ID", "3");
        Sse fromStart = Sse.open(server.uri(events(book, "")), admin(), "Last-Event-ID", "0")) {
      assertThat(seqs(resumed.awaitEvents(2))).containsExactly(4L, 5L);
      assertThat(seqs(fromStart.awaitEvents(5))).isEqualTo(range(1, 5));
      post(book, "r-6");
      assertThat(seqs(resumed.awaitEvents(3))).containsExactly(4L, 5L, 6L);
      assertThat(seqs(fromStart.awaitEvents(6))).isEqualTo(range(1, 6));
    }
  }

  @Test
  void disconnectingAndResumingWithLastEventIdLosesAndRepeatsNothing() throws Exception {
    String book = freshBook();
    Posters posters = new Posters(book, 2);
    Sse first = null;
    Sse second = null;
    try {
      posters.awaitSeq(10);
      first = Sse.open(server.uri(events(book, "?from_seq=1")), admin());
      first.awaitEvents(30);
      first.close();
      List<Sse.Event> before = first.events();
      long last = before.get(before.size() - 1).seq();

      // Commits carry on while the subscriber is away.
      posters.awaitSeq(last + 40);
      second =
          Sse.open(
              server.uri(events(book, "?from_seq=1")),
              admin(),
              "Last-Event-ID",
              String.valueOf(last));
      second.awaitEvents(1);
      posters.awaitSeq(posters.highestSeq() + 40);
      long total = posters.stop();

      List<Sse.Event> after = second.awaitSeq(total);
      assertThat(seqs(before)).isEqualTo(range(1, last));
      assertThat(seqs(after)).isEqualTo(range(last + 1, total));
      List<Long> union = new ArrayList<>(seqs(before));
      union.addAll(seqs(after));
      assertThat(union).isEqualTo(range(1, total));
      assertIdsMatchData(before);
      assertIdsMatchData(after);
    } finally {
      posters.stopQuietly();
      if (first != null) {
        first.close();
      }
      if (second != null) {
        second.close();
      }
    }
  }

  // ---- keepalive --------------------------------------------------------------------------------

  @Test
  void aQuietTailGetsKeepaliveComments() {
    String book = freshBook();
    post(book, "only");
    try (Sse tail = Sse.open(server.uri(events(book, "")), admin())) {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      long start = System.nanoTime();
      List<String> comments = tail.awaitComments(3);
      long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(comments).containsOnly(": keepalive");
      // At 300 ms apart three comments take about a second: far less than the default 10 s.
      assertThat(elapsed).isLessThan(5_000);
      assertThat(tail.events()).isEmpty();
    }
  }

  // ---- a subscriber too slow to keep up ---------------------------------------------------------

  @Test
  void aSubscriberThatStopsReadingIsDisconnectedAndResumesWithLastEventId() throws Exception {
    try (ServerHarness small =
        startWithProperties(
            Map.of(
                "talea.subscriptions.keepalive",
                KEEPALIVE,
                "talea.subscriptions.subscriber-buffer",
                "8",
                "pekko.http.server.socket-options.so-send-buffer-size",
                "16k"),
            "log:" + temp.resolve("slow"),
            Map.of())) {
      registerBitcoin(small);
      openAccounts(small, "slow");
      postTo(small, "slow", "slow-1");
      Sse slow = Sse.open(small.uri(events("slow", "?from_seq=1")), admin(), 8 * 1024);
      Sse resumed = null;
      try {
        // Live and idle: it has the first commit and a keepalive since. Then it stops reading.
        assertThat(seqs(slow.awaitEvents(1))).containsExactly(1L);
        slow.awaitComments(1);
        slow.pause();

        // Far more than the socket buffers (16 KiB and 8 KiB) and the subscriber's buffer hold.
        String pad = "p".repeat(2_000);
        int batches = 2;
        int perBatch = 150;
        for (int b = 0; b < batches; b++) {
          StringBuilder batch = new StringBuilder("{\"transactions\":[");
          for (int i = 0; i < perBatch; i++) {
            batch
                .append(i == 0 ? "" : ",")
                .append("{\"idempotency_key\":\"flood-")
                .append(b)
                .append('-')
                .append(i)
                .append(
                    "\",\"postings\":["
                        + "{\"account\":\"assets:cash\",\"asset\":\"BTC\",\"debit\":\"1\"},"
                        + "{\"account\":\"equity:capital\",\"asset\":\"BTC\",\"credit\":\"1\"}],"
                        + "\"metadata\":{\"pad\":\"")
                .append(pad)
                .append("\"}}");
          }
          batch.append("]}");
          Reply reply = small.post("/v1/books/slow/transactions/batch", batch.toString());
          assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }
        long total = 1 + (long) batches * perBatch;

        // Reading again, it gets what the buffers held, and then the end of the stream.
        slow.resume();
        slow.awaitEnd();
        // A clean end of the chunked response, its last line a comment saying why.
        assertThat(slow.failure()).isNull();
        List<String> comments = slow.comments();
        assertThat(comments.get(comments.size() - 1))
            .isEqualTo(": disconnected (too slow); reconnect with Last-Event-ID");
        List<Sse.Event> before = slow.events();
        long last = before.get(before.size() - 1).seq();
        assertThat(last).as("disconnected before the last commit").isLessThan(total);
        assertThat(seqs(before)).isEqualTo(range(1, last));

        resumed =
            Sse.open(small.uri(events("slow", "")), admin(), "Last-Event-ID", String.valueOf(last));
        List<Sse.Event> after = resumed.awaitSeq(total);
        assertThat(seqs(after)).isEqualTo(range(last + 1, total));
        assertIdsMatchData(after);
      } finally {
        slow.close();
        if (resumed != null) {
          resumed.close();
        }
      }
    }
  }

  // ---- many subscribers -------------------------------------------------------------------------

  @Test
  void fiveHundredSubscribersOnOneBookEachReceiveEveryCommitOnceInOrder() {
    String book = freshBook();
    post(book, "seed");
    int subscribers = 500;
    int commits = 20;
    List<Sse> tails = new ArrayList<>();
    try {
      for (int i = 0; i < subscribers; i++) {
        tails.add(Sse.open(server.uri(events(book, "?from_seq=2")), admin()));
      }
      for (Sse tail : tails) {
        assertThat(tail.awaitStatus()).isEqualTo(200);
      }
      Map<Long, JsonNode> posted = new HashMap<>();
      for (int i = 0; i < commits; i++) {
        JsonNode tx = post(book, "fan-" + i);
        posted.put(tx.get("seq").asLong(), tx);
      }
      List<Long> expected = range(2, commits + 1);
      for (Sse tail : tails) {
        List<Sse.Event> events = tail.awaitEvents(commits);
        assertThat(seqs(events)).isEqualTo(expected);
        for (Sse.Event event : events) {
          assertThat(event.event()).isEqualTo("commit");
          JsonNode data = json(event.data());
          assertThat(data.get("seq").asLong()).isEqualTo(event.seq());
          assertThat(data.get("tx_id").asText())
              .isEqualTo(posted.get(event.seq()).get("tx_id").asText());
        }
      }
    } finally {
      tails.forEach(Sse::close);
    }
  }

  // ---- errors before the stream starts ----------------------------------------------------------

  @Test
  void anUnknownBookIs404NotFound() {
    Reply reply = getEvents("/v1/books/no-such-book/events", admin());
    assertProblem(reply, 404, "not_found", Map.of());
  }

  @Test
  void aTokenScopedToAnotherBookIs403ForbiddenNamingTheBook() {
    String book = freshBook();
    post(book, "k");
    Reply reply = getEvents(events(book, "?from_seq=1"), OTHER_TOKEN);
    assertProblem(reply, 403, "forbidden", Map.of("book", book));
  }

  @Test
  void aNonNumericFromSeqIs400NamingFromSeq() {
    String book = freshBook();
    Reply reply = getEvents(events(book, "?from_seq=abc"), admin());
    assertProblem(reply, 400, "invalid_request", Map.of("field", "from_seq"));
  }

  @Test
  void aNonNumericLastEventIdIs400NamingTheHeader() {
    String book = freshBook();
    Reply reply = getEvents(events(book, ""), admin(), "Last-Event-ID", "x");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "Last-Event-ID"));
  }

  // ---- store connections ------------------------------------------------------------------------

  @Test
  void waitingSubscribersHoldNoStoreConnection() {
    try (PostgresTestDatabase db = PostgresTestDatabase.create();
        ServerHarness pg =
            startWithKeepalive(
                EndToEndTest.jdbcUrlWithCredentials(db.url()), Map.of("TALEA_DB_POOL", "2"))) {
      registerBitcoin(pg);
      openAccounts(pg, "pooled");
      assertThat(postTo(pg, "pooled", "p-1").get("seq").asLong()).isEqualTo(1);

      List<Sse> tails = new ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          tails.add(Sse.open(pg.uri(events("pooled", "")), admin()));
        }
        // A keepalive on every tail: each has caught up and is waiting for live commits.
        for (Sse tail : tails) {
          assertThat(tail.awaitStatus()).isEqualTo(200);
          tail.awaitComments(1);
        }
        for (int i = 0; i < 5; i++) {
          long start = System.nanoTime();
          Reply balances = pg.get("/v1/books/pooled/accounts/assets:cash/balances");
          assertThat(balances.status()).as(balances.body()).isEqualTo(200);
          assertThat(balances.json().get("balances").get(0).get("balance").asText())
              .isEqualTo("1.00000000");
          assertThat(elapsedMillis(start)).as("balance read %d", i).isLessThan(2_000);
        }
        long start = System.nanoTime();
        JsonNode tx = postTo(pg, "pooled", "p-2");
        assertThat(elapsedMillis(start)).as("post").isLessThan(2_000);
        assertThat(tx.get("seq").asLong()).isEqualTo(2);
        assertThat(pg.get("/v1/books/pooled/trial-balance").status()).isEqualTo(200);
        for (Sse tail : tails) {
          assertThat(seqs(tail.awaitEvents(1))).containsExactly(2L);
        }
      } finally {
        tails.forEach(Sse::close);
      }
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** Starts a server whose quiet live tails get a keepalive every {@link #KEEPALIVE}. */
  static ServerHarness startWithKeepalive(String dbUrl, Map<String, String> variables) {
    return startWithProperties(
        Map.of("talea.subscriptions.keepalive", KEEPALIVE), dbUrl, variables);
  }

  /**
   * Starts a server with settings that have no TALEA_ variable, given as system properties for the
   * time of its start only.
   */
  static ServerHarness startWithProperties(
      Map<String, String> properties, String dbUrl, Map<String, String> variables) {
    properties.forEach(System::setProperty);
    ConfigFactory.invalidateCaches();
    try {
      return ServerHarness.start(dbUrl, variables);
    } finally {
      properties.keySet().forEach(System::clearProperty);
      ConfigFactory.invalidateCaches();
    }
  }

  static HttpClient newClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static void registerBitcoin(ServerHarness harness) {
    Reply btc = harness.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}");
    assertThat(btc.status()).as(btc.body()).isIn(200, 201);
  }

  private static void openAccounts(ServerHarness harness, String book) {
    Reply cash = harness.put("/v1/books/" + book + "/accounts/assets:cash", "{\"kind\":\"asset\"}");
    assertThat(cash.status()).as(cash.body()).isEqualTo(201);
    Reply capital =
        harness.put("/v1/books/" + book + "/accounts/equity:capital", "{\"kind\":\"equity\"}");
    assertThat(capital.status()).as(capital.body()).isEqualTo(201);
  }

  private String freshBook() {
    String book = "tail-" + names.incrementAndGet();
    openAccounts(server, book);
    return book;
  }

  private static String admin() {
    return ServerHarness.ADMIN_TOKEN;
  }

  private static String events(String book, String query) {
    return "/v1/books/" + book + "/events" + query;
  }

  static String draft(String key) {
    return "{\"idempotency_key\":\""
        + key
        + "\",\"postings\":["
        + "{\"account\":\"assets:cash\",\"asset\":\"BTC\",\"debit\":\"1\"},"
        + "{\"account\":\"equity:capital\",\"asset\":\"BTC\",\"credit\":\"1\"}]}";
  }

  private JsonNode post(String book, String key) {
    return postTo(server, book, key);
  }

  private JsonNode postBody(String book, String body) {
    Reply reply = server.post("/v1/books/" + book + "/transactions", body);
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    return reply.json();
  }

  private static JsonNode postTo(ServerHarness harness, String book, String key) {
    Reply reply = harness.post("/v1/books/" + book + "/transactions", draft(key));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    return reply.json();
  }

  private Reply getEvents(String path, String token, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri(path))
            .timeout(Duration.ofSeconds(10))
            .header("Accept", "text/event-stream")
            .header("Authorization", "Bearer " + token);
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void assertProblem(
      Reply reply, int status, String error, Map<String, String> extra) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(reply.header("X-Talea-Backend")).isEqualTo("log");
    JsonNode body = reply.json();
    assertThat(body.get("type").asText()).isEqualTo("https://talea.dev/errors/" + error);
    assertThat(body.get("status").asInt()).isEqualTo(status);
    assertThat(body.get("error").asText()).isEqualTo(error);
    assertThat(body.get("detail").asText()).isNotBlank();
    Map<String, String> actual = new HashMap<>();
    Set<String> standard = Set.of("type", "title", "status", "detail", "error");
    body.fieldNames()
        .forEachRemaining(
            name -> {
              if (!standard.contains(name)) {
                actual.put(name, body.get(name).asText());
              }
            });
    assertThat(actual).isEqualTo(extra);
  }

  private static void assertIdsMatchData(List<Sse.Event> events) {
    Set<String> txIds = new HashSet<>();
    for (Sse.Event event : events) {
      assertThat(event.event()).isEqualTo("commit");
      JsonNode data = json(event.data());
      assertThat(data.get("seq").asLong()).isEqualTo(event.seq());
      assertThat(txIds.add(data.get("tx_id").asText())).as("tx_id once: %s", data).isTrue();
    }
  }

  static JsonNode json(String text) {
    return Json.parseResponse(text.getBytes(StandardCharsets.UTF_8));
  }

  static List<Long> seqs(List<Sse.Event> events) {
    return events.stream().map(Sse.Event::seq).toList();
  }

  static List<Long> range(long first, long last) {
    return LongStream.rangeClosed(first, last).boxed().toList();
  }

  private static long elapsedMillis(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /** Client threads posting to one book continuously until stopped. */
  private final class Posters {
    private final ExecutorService threads;
    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong highest = new AtomicLong();
    private final AtomicInteger created = new AtomicInteger();
    private final AtomicInteger keys = new AtomicInteger();
    private volatile Throwable failure;

    Posters(String book, int count) {
      threads = Executors.newFixedThreadPool(count);
      for (int i = 0; i < count; i++) {
        running.add(
            threads.submit(
                () -> {
                  try {
                    while (!stop.get() && highest.get() < 20_000) {
                      JsonNode tx = post(book, "stream-" + keys.incrementAndGet());
                      created.incrementAndGet();
                      highest.accumulateAndGet(tx.get("seq").asLong(), Math::max);
                    }
                  } catch (Throwable e) {
                    failure = e;
                  }
                }));
      }
    }

    long highestSeq() {
      return highest.get();
    }

    void awaitSeq(long seq) {
      await(
          "a commit with seq " + seq,
          WAIT,
          () -> {
            if (failure != null) {
              throw new AssertionError("a poster failed", failure);
            }
            return highest.get() >= seq;
          });
    }

    /** Stops posting, for a finally block: never throws over the test's own failure. */
    void stopQuietly() {
      stop.set(true);
      threads.shutdownNow();
    }

    /** Stops posting; returns the number of commits made, which is the last seq. */
    long stop() throws Exception {
      stop.set(true);
      for (Future<?> thread : running) {
        thread.get(30, TimeUnit.SECONDS);
      }
      threads.shutdown();
      if (failure != null) {
        throw new AssertionError("a poster failed", failure);
      }
      assertThat(highest.get()).isEqualTo(created.get());
      return highest.get();
    }
  }

  /**
   * A live-tail connection over a plain socket, read by a thread of its own and parsed as the SSE
   * format defines: {@code field: value} lines, a blank line ending an event, {@code :} starting a
   * comment. A socket rather than {@code java.net.http}: closing it really disconnects (the JDK
   * client keeps a cancelled HTTP/1.1 response's connection open and drains it).
   */
  static final class Sse implements AutoCloseable {

    record Event(String id, String event, String data) {
      long seq() {
        return Long.parseLong(id);
      }
    }

    private final Socket socket;
    private final CountDownLatch answered = new CountDownLatch(1);
    private volatile int status;
    private volatile Map<String, String> headers;
    private volatile String body;
    private final List<Event> events = new ArrayList<>();
    private final List<String> comments = new ArrayList<>();
    private final List<String> retries = new ArrayList<>();
    private final List<String> unexpected = new ArrayList<>();
    private boolean closed;
    private boolean ended;
    private boolean paused;
    private Throwable failure;
    private String id;
    private String type;
    private StringBuilder data;

    private Sse(Socket socket) {
      this.socket = socket;
    }

    /** Opens a tail with {@code Accept: text/event-stream}, the token and header name/values. */
    static Sse open(URI uri, String token, String... headerPairs) {
      return open(uri, token, 0, headerPairs);
    }

    /** As {@link #open(URI, String, String...)}, with a socket receive buffer of this size. */
    static Sse open(URI uri, String token, int receiveBuffer, String... headerPairs) {
      return open(javax.net.SocketFactory.getDefault(), uri, token, receiveBuffer, headerPairs);
    }

    /** As {@link #open(URI, String, String...)}, on sockets from {@code sockets} (TLS, say). */
    static Sse open(
        javax.net.SocketFactory sockets,
        URI uri,
        String token,
        int receiveBuffer,
        String... headerPairs) {
      StringBuilder request =
          new StringBuilder()
              .append("GET ")
              .append(uri.getRawPath())
              .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
              .append(" HTTP/1.1\r\nHost: ")
              .append(uri.getHost())
              .append(':')
              .append(uri.getPort())
              .append("\r\nAccept: text/event-stream\r\nAuthorization: Bearer ")
              .append(token)
              .append("\r\n");
      for (int i = 0; i < headerPairs.length; i += 2) {
        request.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
      }
      request.append("\r\n");
      Socket socket;
      try {
        socket = sockets.createSocket();
      } catch (IOException e) {
        throw new IllegalStateException("cannot make a socket for " + uri, e);
      }
      try {
        if (receiveBuffer > 0) {
          socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
        OutputStream out = socket.getOutputStream();
        out.write(request.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // failing anyway
        }
        throw new IllegalStateException("cannot open a live tail on " + uri, e);
      }
      Sse sse = new Sse(socket);
      Thread reader = new Thread(sse::read, "sse-" + uri.getPath());
      reader.setDaemon(true);
      reader.start();
      return sse;
    }

    int awaitStatus() {
      try {
        if (!answered.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new AssertionError("no response to the live tail within " + WAIT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      if (headers == null) {
        synchronized (this) {
          throw new AssertionError("the live tail failed before its response", failure);
        }
      }
      return status;
    }

    String header(String name) {
      awaitStatus();
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The body of a response that was not a stream. */
    String body() {
      awaitStatus();
      return body;
    }

    synchronized List<Event> events() {
      return List.copyOf(events);
    }

    /** The values of the {@code retry:} fields received, in order. */
    synchronized List<String> retries() {
      return List.copyOf(retries);
    }

    /** Whether the server has ended the stream (or the connection failed). */
    synchronized boolean ended() {
      return ended;
    }

    synchronized List<String> comments() {
      return List.copyOf(comments);
    }

    /** Why reading the stream failed, or null if it ended cleanly (or is still open). */
    synchronized Throwable failure() {
      return failure;
    }

    /** Waits for at least {@code count} events; returns all received so far. */
    List<Event> awaitEvents(int count) {
      return awaitUntil(count + " events", () -> events.size() >= count, () -> List.copyOf(events));
    }

    /** Waits for the event with {@code seq}; returns all received so far. */
    List<Event> awaitSeq(long seq) {
      return awaitUntil(
          "the event with id " + seq,
          () -> !events.isEmpty() && events.get(events.size() - 1).seq() >= seq,
          () -> List.copyOf(events));
    }

    List<String> awaitComments(int count) {
      return awaitUntil(
          count + " comments", () -> comments.size() >= count, () -> List.copyOf(comments));
    }

    private synchronized <T> T awaitUntil(
        String what, BooleanSupplier condition, java.util.function.Supplier<T> result) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!condition.getAsBoolean() || !unexpected.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (!unexpected.isEmpty()) {
          throw new AssertionError("lines that are no SSE field of talea's: " + unexpected);
        }
        if (ended || closed || left <= 0) {
          throw new AssertionError(
              "waiting for "
                  + what
                  + " on a live tail (status "
                  + status
                  + (ended ? ", stream ended" : "")
                  + (closed ? ", closed" : "")
                  + (left <= 0 ? ", timed out" : "")
                  + "): "
                  + events.size()
                  + " events, last "
                  + (events.isEmpty() ? "none" : events.get(events.size() - 1).id())
                  + ", "
                  + comments.size()
                  + " comments",
              failure);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      return result.get();
    }

    /** Stops reading the stream (what is in flight stays in the socket buffers). */
    synchronized void pause() {
      paused = true;
    }

    synchronized void resume() {
      paused = false;
      notifyAll();
    }

    /** Waits until the server ends the stream. */
    synchronized void awaitEnd() {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!ended) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "the stream did not end within "
                  + WAIT
                  + "; "
                  + events.size()
                  + " events, last "
                  + (events.isEmpty() ? "none" : events.get(events.size() - 1).id()));
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    private synchronized void awaitNotPaused() throws IOException {
      while (paused && !closed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }

    /** Disconnects; nothing received afterwards is recorded. */
    @Override
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        notifyAll();
      }
      try {
        socket.close();
      } catch (IOException e) {
        // closed already
      }
    }

    /** The reader thread: the response head, then the chunked body line by line. */
    private void read() {
      try (InputStream in = new BufferedInputStream(socket.getInputStream())) {
        String statusLine = readLine(in);
        Map<String, String> head = new TreeMap<>();
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
          int colon = line.indexOf(':');
          head.put(
              line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
              line.substring(colon + 1).trim());
        }
        status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        headers = head;
        if (status != 200 || !"chunked".equals(head.get("transfer-encoding"))) {
          String length = head.get("content-length");
          body =
              new String(
                  length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length)),
                  StandardCharsets.UTF_8);
          answered.countDown();
          synchronized (this) {
            ended = true;
            notifyAll();
          }
          return;
        }
        answered.countDown();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
          awaitNotPaused();
          int size = Integer.parseInt(readLine(in).split(";", 2)[0].trim(), 16);
          if (size == 0) {
            break;
          }
          byte[] chunk = in.readNBytes(size);
          if (chunk.length < size) {
            throw new IOException("the stream ended inside a chunk");
          }
          for (byte b : chunk) {
            if (b == '\n') {
              String text = line.toString(StandardCharsets.UTF_8);
              line(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
              line.reset();
            } else {
              line.write(b);
            }
          }
          readLine(in); // the CRLF after the chunk
        }
        synchronized (this) {
          ended = true;
          notifyAll();
        }
      } catch (IOException | RuntimeException e) {
        synchronized (this) {
          ended = true;
          if (!closed) {
            failure = e;
          }
          notifyAll();
        }
      } finally {
        answered.countDown();
      }
    }

    private static String readLine(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("the connection closed");
        }
        if (b == '\n') {
          String text = line.toString(StandardCharsets.UTF_8);
          return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }
        line.write(b);
      }
    }

    private synchronized void line(String line) {
      if (closed) {
        return;
      }
      if (line.isEmpty()) {
        if (data != null) {
          events.add(new Event(id, type, data.toString()));
          notifyAll();
        }
        id = null;
        type = null;
        data = null;
        return;
      }
      if (line.startsWith(":")) {
        comments.add(line);
        notifyAll();
        return;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "id" -> id = value;
        case "event" -> type = value;
        case "retry" -> retries.add(value);
        case "data" -> {
          if (data == null) {
            data = new StringBuilder(value);
          } else {
            data.append('\n').append(value);
          }
        }
        default -> unexpected.add(line);
      }
      notifyAll();
    }
  }
}
