package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.LiveTailTest.Sse;
import dev.talea.http.ServerHarness.Reply;
import dev.talea.protocol.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drain a balancer needs (contract §17): after SIGTERM ({@link TaleaServer#drain}) {@code
 * /health} answers 503 draining at once while every other request is still served, each answer
 * closing its connection; when the listener closes, live tails end with a {@code retry:} line and
 * the requests in flight still get their answers. A second signal skips the grace. The grace here
 * is ten minutes, so that nothing in these tests can depend on how fast the machine is: the second
 * call ends it.
 */
class DrainTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path temp;

  @Test
  void aDrainAnswersHealth503DrainingAtOnceAndServesEveryOtherRequestWithConnectionClose()
      throws Exception {
    try (ServerHarness server = start("log:" + temp.resolve("log"))) {
      openBook(server, "drained");
      Reply before = server.get("/health", null);
      assertThat(before.status()).isEqualTo(200);
      assertThat(before.header("Connection")).isNull();

      CompletableFuture<?> stopped = server.server().drain().toCompletableFuture();

      Reply health = server.get("/health", null);
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.header("Content-Type")).isEqualTo("application/json");
      assertThat(health.json())
          .isEqualTo(
              Json.parseResponse(
                  "{\"status\":\"draining\",\"backend\":\"log\"}"
                      .getBytes(StandardCharsets.UTF_8)));
      assertThat(health.header("Connection")).isEqualTo("close");
      assertThat(health.header("Retry-After")).isEqualTo("1");
      // Everything else is still served during the grace, and each answer closes its connection.
      Reply posted = server.post("/v1/books/drained/transactions", LiveTailTest.draft("during"));
      assertThat(posted.status()).as(posted.body()).isEqualTo(201);
      assertThat(posted.json().get("seq").asLong()).isEqualTo(1);
      assertThat(posted.header("Connection")).isEqualTo("close");
      Reply read = server.get("/v1/books/drained/accounts/assets:cash");
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.json().at("/balances/0/balance").asText()).isEqualTo("1.00000000");
      assertThat(read.header("Connection")).isEqualTo("close");
      assertThat(stopped).isNotDone();

      // A second signal: the listener closes without waiting for the rest of the grace.
      server.server().drain().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
      assertThat(refusesConnections(server.server().address().getPort())).isTrue();
    }
  }

  @Test
  void aLiveTailGoesOnThroughTheGraceAndEndsWithARetryLineWhenTheListenerCloses() {
    try (ServerHarness server = start("log:" + temp.resolve("log"))) {
      openBook(server, "tailed");
      post(server, "tailed", "first");
      try (Sse tail = Sse.open(server.uri("/v1/books/tailed/events?from_seq=1"), admin())) {
        assertThat(tail.awaitEvents(1)).hasSize(1);
        server.server().drain();
        post(server, "tailed", "during-the-grace");
        assertThat(tail.awaitEvents(2).get(1).seq()).isEqualTo(2);
        assertThat(tail.ended()).isFalse();

        server.server().drain();
        tail.awaitEnd();
        assertThat(tail.failure()).isNull();
        assertThat(tail.retries()).containsExactly("1000");
        assertThat(tail.comments())
            .last()
            .isEqualTo(": talead is shutting down; reconnect with Last-Event-ID");
        assertThat(tail.events()).extracting(Sse.Event::id).containsExactly("1", "2");
      }
    }
  }

  @Test
  void aPostInFlightWhenTheListenerClosesIsAnsweredAndDurable() throws Exception {
    String dbUrl = "log:" + temp.resolve("log");
    ServerHarness server = start(dbUrl);
    try {
      openBook(server, "inflight");
      server.gate().hold();
      CompletableFuture<HttpResponse<String>> answer =
          server
              .client()
              .sendAsync(
                  HttpRequest.newBuilder(server.uri("/v1/books/inflight/transactions"))
                      .header("Authorization", "Bearer " + admin())
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(LiveTailTest.draft("held")))
                      .build(),
                  HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      await(() -> server.server().requestsInFlight() == 1, "the post to be in flight");

      server.server().drain();
      CompletableFuture<?> stopped = server.server().drain().toCompletableFuture();
      InetSocketAddress address = server.server().address();
      await(() -> refusesConnections(address.getPort()), "the listener to close");
      assertThat(answer).isNotDone();
      assertThat(stopped).isNotDone();

      server.gate().release();
      HttpResponse<String> response = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
      long seq =
          Json.parseResponse(response.body().getBytes(StandardCharsets.UTF_8)).get("seq").asLong();
      assertThat(seq).isEqualTo(1);
      stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      server.gate().release();
      server.close();
    }
    try (ServerHarness again = start(dbUrl)) {
      Reply transactions = again.get("/v1/books/inflight/transactions");
      assertThat(transactions.status()).isEqualTo(200);
      JsonNode list = transactions.json().get("transactions");
      assertThat(list).hasSize(1);
      assertThat(list.get(0).get("idempotency_key").asText()).isEqualTo("held");
    }
  }

  @Test
  void theDrainSettingsHaveTheirDefaultsAndRefuseBadValuesNamingTheVariable() {
    ServerSettings defaults = ServerSettings.load(Map.of("TALEA_API_TOKEN", admin()));
    assertThat(defaults.drainGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.accessLog()).isFalse();
    ServerSettings set =
        ServerSettings.load(
            Map.of(
                "TALEA_DRAIN_GRACE", "0s",
                "TALEA_SHUTDOWN_TIMEOUT", "1500ms",
                "TALEA_ACCESS_LOG", "stdout"));
    assertThat(set.drainGrace()).isEqualTo(Duration.ZERO);
    assertThat(set.shutdownTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(set.accessLog()).isTrue();
    assertThatThrownBy(() -> ServerSettings.load(Map.of("TALEA_DRAIN_GRACE", "soon")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("TALEA_DRAIN_GRACE must be a duration such as 5s or 1500ms (got 'soon')");
    assertThatThrownBy(() -> ServerSettings.load(Map.of("TALEA_DRAIN_GRACE", "11m")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("TALEA_DRAIN_GRACE must be between 0s and 10m");
    assertThatThrownBy(() -> ServerSettings.load(Map.of("TALEA_SHUTDOWN_TIMEOUT", "500ms")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("TALEA_SHUTDOWN_TIMEOUT must be between 1s and 10m");
    assertThatThrownBy(() -> ServerSettings.load(Map.of("TALEA_ACCESS_LOG", "stderr")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("TALEA_ACCESS_LOG must be off or stdout (got 'stderr')");
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static ServerHarness start(String dbUrl) {
    ServerHarness server = ServerHarness.start(dbUrl, Map.of("TALEA_DRAIN_GRACE", "10m"));
    Reply btc = server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}");
    assertThat(btc.status()).as(btc.body()).isIn(200, 201);
    return server;
  }

  private static void openBook(ServerHarness server, String book) {
    for (String[] account :
        List.of(new String[] {"assets:cash", "asset"}, new String[] {"equity:capital", "equity"})) {
      Reply reply =
          server.put(
              "/v1/books/" + book + "/accounts/" + account[0], "{\"kind\":\"" + account[1] + "\"}");
      assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }
  }

  private static void post(ServerHarness server, String book, String key) {
    Reply reply = server.post("/v1/books/" + book + "/transactions", LiveTailTest.draft(key));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
  }

  private static String admin() {
    return ServerHarness.ADMIN_TOKEN;
  }

  /** Whether nothing listens on {@code port} of 127.0.0.1 any more (the connection is refused). */
  static boolean refusesConnections(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void await(BooleanSupplier condition, String what) {
    LiveTailTest.await(what, WAIT, condition);
  }
}
