package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.ServerHarness.Reply;
import dev.talea.protocol.json.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission control (contract §3, §9) on a real server with {@code TALEA_MAX_INFLIGHT=4}: with four
 * requests in flight a fifth — {@code /health}, a read, a write, a live tail — is refused at once
 * with {@code 503 overloaded} and {@code Retry-After: 1}; the admitted ones complete normally; and
 * every way a request can end (success, error, a started live tail, a client that goes away) gives
 * its slot back, so that exactly four can be in flight again afterwards.
 *
 * <p>A request is held in flight deterministically: it is sent with {@code Expect: 100-continue}
 * and its body withheld. The server answers {@code 100 Continue} only when the route starts reading
 * the body, i.e. after the request was admitted, so the {@code 100} is proof that it holds a slot.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdmissionTest {

  private static final int LIMIT = 4;
  private static final String BOOK = "admission";

  /** A shed request must be answered in well under this, while the held ones stay in flight. */
  private static final long PROMPT_MILLIS = 500;

  @TempDir static Path temp;

  private ServerHarness server;
  private HttpClient client;
  private final AtomicInteger keys = new AtomicInteger();

  @BeforeAll
  void startServer() {
    server =
        ServerHarness.start(
            "log:" + temp.resolve("log"), Map.of("TALEA_MAX_INFLIGHT", String.valueOf(LIMIT)));
    client = LiveTailTest.newClient();
    assertThat(server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").status())
        .isEqualTo(201);
    assertThat(server.put(accountPath("assets:cash"), "{\"kind\":\"asset\"}").status())
        .isEqualTo(201);
    assertThat(server.put(accountPath("equity:capital"), "{\"kind\":\"equity\"}").status())
        .isEqualTo(201);
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void withFourRequestsHeldAFifthIsRefusedAtOnceWith503OverloadedAndTheFourComplete()
      throws IOException {
    long before = lastSeq();
    List<HeldPost> held = holdSlots(LIMIT);
    try {
      List<Timed> shed = new ArrayList<>();
      shed.add(timed(() -> server.get("/health", null)));
      shed.add(timed(() -> server.get("/v1/books/" + BOOK + "/accounts/assets:cash/balances")));
      shed.add(timed(() -> server.get("/v1/books/" + BOOK + "/transactions")));
      shed.add(timed(() -> server.post("/v1/books/" + BOOK + "/transactions", draft())));
      shed.add(timed(() -> bounded("/v1/books/" + BOOK + "/events?from_seq=1")));
      shed.add(timed(() -> server.get("/health", null)));
      for (Timed answer : shed) {
        assertOverloaded(answer.reply());
        assertThat(answer.millis())
            .as("a shed request is answered at once, not after a wait")
            .isLessThan(PROMPT_MILLIS);
      }
      // All the while, the four admitted requests are still in flight, unanswered.
      for (HeldPost post : held) {
        assertThat(post.answeredWithin(Duration.ofMillis(50))).isFalse();
      }

      // Let them go: each completes as if nothing had happened.
      Set<Long> seqs = new HashSet<>();
      for (HeldPost post : held) {
        RawResponse response = post.finish();
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        assertThat(response.header("X-Talea-Backend")).isEqualTo("log");
        seqs.add(response.json().get("seq").asLong());
      }
      assertThat(seqs)
          .containsExactlyInAnyOrderElementsOf(LiveTailTest.range(before + 1, before + 4));
    } finally {
      held.forEach(HeldPost::close);
    }
    // The slots are free again: a new request is admitted, and exactly four can be held.
    LiveTailTest.await(
        "/health to be admitted again",
        Duration.ofSeconds(2),
        () -> server.get("/health", null).status() == 200);
    assertExactlyFourSlotsAreFree();
  }

  @Test
  void requestsRefusedWhileSaturatedTakeNoSlot() throws IOException {
    List<HeldPost> held = holdSlots(LIMIT);
    try {
      for (int i = 0; i < 3 * LIMIT; i++) {
        assertOverloaded(server.get("/health", null));
      }
      for (HeldPost post : held) {
        assertThat(post.finish().status()).isEqualTo(201);
      }
    } finally {
      held.forEach(HeldPost::close);
    }
    assertExactlyFourSlotsAreFree();
  }

  @Test
  void errorAnswersReleaseTheirSlots() throws IOException {
    String tx = "/v1/books/" + BOOK + "/transactions";
    String token = ServerHarness.ADMIN_TOKEN;
    for (int i = 0; i < 2 * LIMIT; i++) {
      assertStatus(server.get(tx, null), 401, "unauthorized");
      assertStatus(server.get(tx, "not-a-valid-token-0123456789"), 401, "unauthorized");
      assertStatus(server.get("/v1/no-such-route", token), 404, "not_found");
      assertStatus(server.get("/no-such-route", null), 404, "not_found");
      assertStatus(server.get("/v1/books/no-such-book/accounts/a", token), 404, "not_found");
      assertStatus(server.get("/v1/books/no-such-book/events", token), 404, "not_found");
      assertStatus(
          server.get("/v1/transactions/0193a000-0000-7000-8000-000000000000", token),
          404,
          "not_found");
      assertStatus(server.get(tx + "?limit=abc", token), 400, "invalid_request");
      assertStatus(server.get(tx + "?page=2", token), 400, "invalid_request");
      assertStatus(server.get("/v1/books/Bad!Book/transactions", token), 400, "invalid_request");
      assertStatus(server.get("/v1/transactions/not-a-uuid", token), 400, "invalid_request");
      assertStatus(server.post(tx, "{\"idempotency_key\":"), 400, "invalid_request");
      assertStatus(server.post(tx, "{\"idempotency_key\":\"x\",\"postings\":[]}"), 400, null);
      assertStatus(
          server.send("POST", tx, token, "text/plain", "hello"), 415, "unsupported_media_type");
      assertStatus(server.send("DELETE", tx, token, null, null), 405, "method_not_allowed");
      assertStatus(
          server.post(
              tx,
              "{\"idempotency_key\":\"unbalanced-"
                  + i
                  + "\",\"postings\":["
                  + "{\"account\":\"assets:cash\",\"asset\":\"BTC\",\"debit\":\"2\"},"
                  + "{\"account\":\"equity:capital\",\"asset\":\"BTC\",\"credit\":\"1\"}]}"),
          422,
          "unbalanced");
      assertStatus(
          server.send("GET", "/v1/books/" + BOOK + "/events?from_seq=abc", token, null, null),
          400,
          "invalid_request");
    }
    // A body over 1 MiB without a length fails the route while it reads: its slot comes back too.
    // The server answers 413 and closes the connection, possibly while the client still sends, so
    // the client may see the connection cut instead of the answer (see ProblemResponsesTest).
    byte[] oversized =
        ("{\"idempotency_key\":\"big\",\"memo\":\"" + "x".repeat(1_100_000) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i <= LIMIT; i++) {
      HttpResponse<String> tooLarge;
      try {
        tooLarge =
            server
                .client()
                .send(
                    HttpRequest.newBuilder(server.uri(tx))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(
                            HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofByteArray(oversized)))
                        .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException cutOff) {
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      assertStatus(new Reply(tooLarge.statusCode(), tooLarge), 413, "payload_too_large");
    }
    assertThat(server.get("/health", null).status()).isEqualTo(200);
    assertExactlyFourSlotsAreFree();
  }

  @Test
  void aLiveTailGivesItsSlotBackOnceItsResponseHasStarted() throws IOException {
    long seq = lastSeq();
    List<LiveTailTest.Sse> tails = new ArrayList<>();
    try {
      // More open tails than there are slots: each was admitted, so none can be holding one.
      for (int i = 0; i < 2 * LIMIT; i++) {
        LiveTailTest.Sse tail =
            LiveTailTest.Sse.open(
                server.uri("/v1/books/" + BOOK + "/events?from_seq=" + (seq + 1)),
                ServerHarness.ADMIN_TOKEN);
        assertThat(tail.awaitStatus()).isEqualTo(200);
        tails.add(tail);
      }
      assertThat(server.get("/health", null).status()).isEqualTo(200);
      assertExactlyFourSlotsAreFree();
      // The tails are live all along: they see the commits of the posts held above.
      for (LiveTailTest.Sse tail : tails) {
        assertThat(LiveTailTest.seqs(tail.awaitEvents(LIMIT)))
            .isEqualTo(LiveTailTest.range(seq + 1, seq + LIMIT));
      }
    } finally {
      tails.forEach(LiveTailTest.Sse::close);
    }
  }

  @Test
  void aClientThatLeavesWhileItsPostIsInFlightGetsTheSlotBackWhenThePostEnds() throws IOException {
    long before = lastSeq();
    List<HeldPost> held = holdSlots(LIMIT);
    assertOverloaded(server.get("/health", null));
    // The clients go away; their posts are whole, so they are committed all the same (a client
    // that retries with its key gets its commit back) and then give their slots back.
    held.forEach(HeldPost::close);
    LiveTailTest.await(
        "/health to be admitted again",
        Duration.ofSeconds(10),
        () -> server.get("/health", null).status() == 200);
    assertExactlyFourSlotsAreFree();
    assertThat(lastSeq()).isEqualTo(before + 2 * LIMIT);
  }

  @Test
  void aRequestWhoseBodyIsStillArrivingHoldsNoSlot() throws IOException {
    long before = lastSeq();
    List<Socket> slow = new ArrayList<>();
    try {
      // More requests than slots, each with its headers sent and half its body: none is admitted
      // before its body is whole, so none holds a slot meanwhile.
      for (int i = 0; i < 2 * LIMIT; i++) {
        Socket socket = new Socket("127.0.0.1", server.server().address().getPort());
        byte[] body = draft().getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /v1/books/"
                    + BOOK
                    + "/transactions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + ServerHarness.ADMIN_TOKEN
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, body.length / 2);
        out.flush();
        slow.add(socket);
      }
      assertThat(server.get("/health", null).status()).isEqualTo(200);
      assertExactlyFourSlotsAreFree();
    } finally {
      for (Socket socket : slow) {
        socket.close();
      }
    }
    // Nothing of the abandoned bodies was committed.
    assertThat(lastSeq()).isEqualTo(before + LIMIT);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /**
   * Holds four posts in flight, shows a fifth request is refused, and lets the four complete with
   * 201: the server has exactly four free slots, no fewer (a leaked slot) and no more.
   */
  private void assertExactlyFourSlotsAreFree() throws IOException {
    List<HeldPost> held = holdSlots(LIMIT);
    try {
      assertOverloaded(server.get("/health", null));
      for (HeldPost post : held) {
        RawResponse response = post.finish();
        assertThat(response.status()).as(response.body()).isEqualTo(201);
      }
    } finally {
      held.forEach(HeldPost::close);
    }
    LiveTailTest.await(
        "/health to be admitted again",
        Duration.ofSeconds(2),
        () -> server.get("/health", null).status() == 200);
  }

  /** Starts {@code count} posts, one after the other, each admitted and holding its slot. */
  private List<HeldPost> holdSlots(int count) throws IOException {
    // Admission is told apart from refusal by the in-flight count, so start from none in flight.
    LiveTailTest.await(
        "the requests in flight to finish",
        Duration.ofSeconds(10),
        () -> server.server().requestsInFlight() == 0);
    List<HeldPost> held = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    boolean done = false;
    try {
      for (int i = 0; i < count; i++) {
        HeldPost post =
            HeldPost.start(
                server, "/v1/books/" + BOOK + "/transactions", ServerHarness.ADMIN_TOKEN, draft());
        if (post.awaitAdmittedOrRefused(held.size() + 1)) {
          held.add(post);
        } else {
          // A slot given back is free once the admission queue has processed the release, a few
          // microseconds after the response; a leaked slot never comes back, so keep trying only
          // briefly.
          post.close();
          if (System.nanoTime() > deadline) {
            throw new AssertionError("slot " + (i + 1) + " of " + count + " never became free");
          }
          i--;
          Thread.onSpinWait();
        }
      }
      done = true;
      return held;
    } finally {
      if (!done) {
        held.forEach(HeldPost::close);
      }
    }
  }

  @Test
  void servingRequestsStartsNoThreadPerRequest() {
    // Warm up whatever pools the server and the client start on first use.
    for (int i = 0; i < 20; i++) {
      assertThat(server.post("/v1/books/" + BOOK + "/transactions", draft()).status())
          .isEqualTo(201);
    }
    long before = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();

    for (int i = 0; i < 300; i++) {
      assertThat(server.post("/v1/books/" + BOOK + "/transactions", draft()).status())
          .isEqualTo(201);
      assertThat(server.get("/v1/books/" + BOOK + "/accounts/assets:cash/balances").status())
          .isEqualTo(200);
    }

    // Pools may still grow a little; a thread per request (600 here) is a defect: a callback on
    // a Pekko stage without an executor once started one for each.
    long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - before;
    assertThat(started).as("threads started while serving 600 requests").isLessThan(60);
  }

  private String draft() {
    return LiveTailTest.draft("admitted-" + keys.incrementAndGet());
  }

  private long lastSeq() {
    Reply books = server.get("/v1/books");
    for (JsonNode book : books.json().get("books")) {
      if (book.get("book").asText().equals(BOOK)) {
        return book.get("last_seq").asLong();
      }
    }
    throw new AssertionError("no book " + BOOK + " in " + books.body());
  }

  private static String accountPath(String account) {
    return "/v1/books/" + BOOK + "/accounts/" + account;
  }

  private static void assertOverloaded(Reply reply) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(503);
    assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(reply.header("Retry-After")).isEqualTo("1");
    assertThat(reply.header("X-Talea-Backend")).isEqualTo("log");
    JsonNode body = reply.json();
    assertThat(body.get("error").asText()).isEqualTo("overloaded");
    assertThat(body.get("status").asInt()).isEqualTo(503);
    assertThat(body.get("type").asText()).isEqualTo("https://talea.dev/errors/overloaded");
    assertThat(body.has("book")).as("a server-wide refusal names no book: %s", body).isFalse();
  }

  private static void assertStatus(Reply reply, int status, String error) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    if (error != null) {
      assertThat(reply.error()).as(reply.body()).isEqualTo(error);
    }
  }

  /**
   * A GET whose whole answer must arrive within seconds: a live tail that was admitted would stream
   * on, and fails here instead of hanging.
   */
  private Reply bounded(String path) {
    CompletableFuture<HttpResponse<String>> response =
        client.sendAsync(
            HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
                .header("Accept", "text/event-stream")
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    try {
      HttpResponse<String> answer = response.get(5, TimeUnit.SECONDS);
      return new Reply(answer.statusCode(), answer);
    } catch (TimeoutException e) {
      response.cancel(true);
      throw new AssertionError("GET " + path + " was not answered in full within 5 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException e) {
      throw new AssertionError("GET " + path + " failed", e);
    }
  }

  private record Timed(Reply reply, long millis) {}

  private static Timed timed(java.util.function.Supplier<Reply> request) {
    long start = System.nanoTime();
    Reply reply = request.get();
    return new Timed(reply, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  /** A response read off a raw socket. */
  record RawResponse(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    JsonNode json() {
      return Json.parseResponse(body.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * A JSON post over a raw socket, sent whole, that the server's {@link StoreGate} keeps in flight:
   * the gate is held while it is admitted, so it waits in the store, holding its admission slot,
   * until {@link #finish()} (or {@link #close()}) releases the gate.
   */
  static final class HeldPost implements AutoCloseable {
    private final ServerHarness server;
    private final Socket socket;
    private final BufferedInputStream in;

    private HeldPost(ServerHarness server, Socket socket) throws IOException {
      this.server = server;
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream());
    }

    /** Holds the server's store and sends the post. */
    static HeldPost start(ServerHarness server, String path, String token, String json)
        throws IOException {
      server.gate().hold();
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      int port = server.server().address().getPort();
      Socket socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(15_000);
      HeldPost post = new HeldPost(server, socket);
      String head =
          "POST "
              + path
              + " HTTP/1.1\r\n"
              + "Host: 127.0.0.1:"
              + port
              + "\r\n"
              + "Authorization: Bearer "
              + token
              + "\r\n"
              + "Content-Type: application/json\r\n"
              + "Content-Length: "
              + body.length
              + "\r\n"
              + "\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      return post;
    }

    /**
     * Waits until the server has {@code inFlight} requests in flight (this one among them); fails
     * with the answer if the request was refused instead.
     */
    void awaitAdmitted(int inFlight) throws IOException {
      if (!awaitAdmittedOrRefused(inFlight)) {
        throw new AssertionError("the held request was not admitted: 503 overloaded");
      }
    }

    /**
     * True once the server has {@code inFlight} requests in flight; false if it refused this one
     * with {@code 503 overloaded}.
     */
    boolean awaitAdmittedOrRefused(int inFlight) throws IOException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline) {
        if (server.server().requestsInFlight() >= inFlight) {
          return true;
        }
        if (answeredWithin(Duration.ofMillis(2))) {
          RawResponse refused = awaitAnswer();
          if (refused.status() == 503) {
            assertThat(refused.json().get("error").asText()).isEqualTo("overloaded");
            return false;
          }
          throw new AssertionError(
              "the held request was answered: " + refused.status() + " " + refused.body());
        }
      }
      throw new AssertionError("the held request was neither admitted nor refused within 10 s");
    }

    /** Whether any answer arrives within {@code wait} (without consuming it). */
    boolean answeredWithin(Duration wait) throws IOException {
      int timeout = socket.getSoTimeout();
      socket.setSoTimeout((int) wait.toMillis());
      in.mark(1);
      try {
        return in.read() >= 0;
      } catch (SocketTimeoutException e) {
        return false;
      } finally {
        in.reset();
        socket.setSoTimeout(timeout);
      }
    }

    /** Reads the final response without sending the body. */
    RawResponse awaitAnswer() throws IOException {
      return readRest(readLine());
    }

    /** Lets the store go on and reads the final response. */
    RawResponse finish() throws IOException {
      server.gate().release();
      return readRest(readLine());
    }

    private RawResponse readRest(String statusLine) throws IOException {
      String[] parts = statusLine.split(" ", 3);
      int status = Integer.parseInt(parts[1]);
      Map<String, String> headers = new TreeMap<>();
      for (String line = readLine(); !line.isEmpty(); line = readLine()) {
        int colon = line.indexOf(':');
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
      String length = headers.get("content-length");
      if (length == null) {
        throw new AssertionError("a response without Content-Length: " + headers);
      }
      byte[] content = in.readNBytes(Integer.parseInt(length));
      return new RawResponse(status, headers, new String(content, StandardCharsets.UTF_8));
    }

    private String readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("the connection closed mid-response: " + line);
        }
        if (b == '\n') {
          String text = line.toString(StandardCharsets.US_ASCII);
          return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }
        line.write(b);
      }
    }

    @Override
    public void close() {
      server.gate().release();
      try {
        socket.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
