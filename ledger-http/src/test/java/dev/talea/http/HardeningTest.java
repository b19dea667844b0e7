package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.ServerHarness.Reply;
import dev.talea.protocol.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What an attacker, or an auditor reading the logs, would try against a running talead: secrets in
 * log lines, slow clients holding connections and admission slots, more connections and live tails
 * than the server can hold, answers a browser or a cache could keep.
 */
class HardeningTest {

  @TempDir Path temp;

  /** A secret outside the bearer-token grammar: Pekko cannot parse it as a Bearer credential. */
  private static final String ODD_SECRET = "svc!Secret,Value#0123456789";

  private ServerHarness start(Map<String, String> variables) {
    return ServerHarness.start("log:" + temp.resolve("log-" + System.nanoTime()), variables);
  }

  // ---- secrets ---------------------------------------------------------------------------------

  @Test
  void aTokenOutsideTheBearerGrammarIsRefusedAtStartUpWithoutShowingIt() throws IOException {
    Path tokens = temp.resolve("tokens.toml");
    Files.writeString(
        tokens, "[tokens.svc]\ntoken = \"" + ODD_SECRET + "\"\nbooks = [\"*\"]\naccess = \"rw\"\n");
    assertThatThrownBy(() -> Tokens.load(null, tokens))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("token 'svc'")
        .hasMessageContaining("RFC 6750")
        .hasMessageNotContaining("Secret");
    assertThatThrownBy(() -> Tokens.load(ODD_SECRET, null))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("TALEA_API_TOKEN")
        .hasMessageNotContaining("Secret");
  }

  @Test
  void aTokensFileMayHoldOnlyTheDigestOfASecret() throws IOException {
    String secret = "digest-only-secret-0123456789";
    Path tokens = temp.resolve("hashed.toml");
    Files.writeString(
        tokens,
        "[tokens.hashed]\ntoken_sha256 = \""
            + Tokens.sha256Hex(secret)
            + "\"\nbooks = [\"*\"]\naccess = \"ro\"\n");
    Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
    try (ServerHarness server = start(Map.of("TALEA_TOKENS_FILE", tokens.toString()))) {
      assertThat(server.get("/v1/books", secret).status()).isEqualTo(200);
      assertThat(server.get("/v1/books", Tokens.sha256Hex(secret)).status()).isEqualTo(401);
      assertThat(server.post("/v1/assets", secret, "{\"code\":\"BTC\",\"decimals\":8}").error())
          .isEqualTo("forbidden");
    }
    Files.writeString(
        tokens, "[tokens.bad]\ntoken_sha256 = \"abc\"\nbooks = [\"*\"]\naccess = \"ro\"\n");
    assertThatThrownBy(() -> Tokens.load(null, tokens))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("token_sha256");
  }

  @Test
  void noSecretAHeaderCarriesReachesTheLogWhateverItLooksLike() throws Exception {
    List<String> presented =
        List.of(
            "Bearer " + ODD_SECRET,
            "Bearer " + ODD_SECRET.replace('!', '\u00e9'),
            "Bearer  spaced secret-0123456789 and more",
            "Basic " + ODD_SECRET,
            ODD_SECRET);
    try (ServerHarness server = start(Map.of());
        LogCapture logs = LogCapture.start()) {
      for (String value : presented) {
        RawResponse answer =
            RawResponse.exchange(
                server,
                "GET /v1/books HTTP/1.1\r\nHost: x\r\nAuthorization: "
                    + value
                    + "\r\nProxy-Authorization: "
                    + value
                    + "\r\nConnection: close\r\n\r\n");
        assertThat(answer.status()).as(value).isIn(400, 401);
        assertThat(answer.body()).doesNotContain("Secret").doesNotContain("secret-0123");
      }
      logs.flushPekko(server);
      assertThat(logs.lines())
          .noneMatch(line -> line.contains("Secret") || line.contains("secret-0123"));
    }
  }

  @Test
  void filesHoldingSecretsThatOthersCanReadAreWarnedAbout() throws IOException {
    Path tokens = temp.resolve("shared.toml");
    Files.writeString(
        tokens,
        "[tokens.a]\ntoken = \"shared-file-token-0123456789\"\nbooks = [\"*\"]\naccess = \"rw\"\n");
    Path dotEnv = temp.resolve(".env");
    Files.writeString(dotEnv, "TALEA_API_TOKEN=dot-env-token-0123456789\n");
    try (LogCapture logs = LogCapture.start()) {
      Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-r--r--"));
      Files.setPosixFilePermissions(dotEnv, PosixFilePermissions.fromString("rw-rw----"));
      Tokens.load(null, tokens);
      DotEnv.environment(dotEnv, Map.of());
      assertThat(logs.lines())
          .anyMatch(l -> l.contains("TALEA_TOKENS_FILE") && l.contains("rw-r--r--"))
          .anyMatch(l -> l.contains(".env") && l.contains("rw-rw----"))
          .noneMatch(l -> l.contains("0123456789"));

      logs.clear();
      Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
      Files.setPosixFilePermissions(dotEnv, PosixFilePermissions.fromString("rw-------"));
      Tokens.load(null, tokens);
      DotEnv.environment(dotEnv, Map.of());
      assertThat(logs.lines()).noneMatch(l -> l.contains("chmod"));
    }
  }

  // ---- slow clients ----------------------------------------------------------------------------

  @Test
  void aClientSendingItsHeadersByteByByteIsCutAndAnswered408WhileHealthAnswers() throws Exception {
    try (ServerHarness server = start(Map.of("TALEA_HEADER_TIMEOUT", "1s"))) {
      String request = "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "x".repeat(200);
      try (Socket slow = connect(server)) {
        OutputStream out = slow.getOutputStream();
        int sent = 0;
        // One byte every 100 ms would take 20 s; the answer comes long before the last byte.
        while (sent < request.length() && slow.getInputStream().available() == 0) {
          out.write(request.charAt(sent++));
          out.flush();
          assertThat(server.get("/health", null).status()).isEqualTo(200);
          Thread.sleep(100);
        }
        RawResponse answer = RawResponse.read(slow.getInputStream());
        assertThat(sent).isLessThan(request.length());
        assertThat(answer.status()).isEqualTo(408);
        assertThat(answer.error()).isEqualTo("timeout");
        assertThat(answer.json().get("detail").asText()).contains("TALEA_HEADER_TIMEOUT");
        assertThat(answer.header("connection")).isEqualTo("close");
        assertThat(answer.header("x-content-type-options")).isEqualTo("nosniff");
        assertThat(slow.getInputStream().read()).as("the connection is closed").isEqualTo(-1);
      }
      // A connection that sends nothing at all is cut the same way.
      try (Socket idle = connect(server)) {
        RawResponse answer = RawResponse.read(idle.getInputStream());
        assertThat(answer.status()).isEqualTo(408);
        assertThat(answer.error()).isEqualTo("timeout");
      }
    }
  }

  @Test
  void aSlowBodyIsAnswered408AndHoldsNoAdmissionSlotMeanwhile() throws Exception {
    try (ServerHarness server =
        start(Map.of("TALEA_BODY_TIMEOUT", "1s", "TALEA_MAX_INFLIGHT", "1"))) {
      String body = "{\"code\":\"BTC\",\"decimals\":8}";
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          Socket socket = connect(server);
          socket
              .getOutputStream()
              .write(
                  ("POST /v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                          + ServerHarness.ADMIN_TOKEN
                          + "\r\nContent-Type: application/json\r\nContent-Length: "
                          + body.length()
                          + "\r\n\r\n"
                          + body.substring(0, 5))
                      .getBytes(StandardCharsets.US_ASCII));
          slow.add(socket);
        }
        // With one admission slot and three bodies on their way, the server still answers.
        assertThat(server.get("/health", null).status()).isEqualTo(200);
        assertThat(server.get("/v1/assets").status()).isEqualTo(200);
        for (Socket socket : slow) {
          RawResponse answer = RawResponse.read(socket.getInputStream());
          assertThat(answer.status()).isEqualTo(408);
          assertThat(answer.error()).isEqualTo("timeout");
          assertThat(answer.json().get("detail").asText()).contains("TALEA_BODY_TIMEOUT");
        }
      } finally {
        for (Socket socket : slow) {
          socket.close();
        }
      }
      assertThat(server.get("/v1/assets").json().get("assets")).isEmpty();
    }
  }

  @Test
  void aBodyOverTheLimitIsAnswered413AndTheRestOfItIsReadNotReset() throws Exception {
    // The server answers as soon as it sees the declared length; a client still sending must be
    // able to finish and read the answer. Closing with the body unread made the kernel reset the
    // connection, and a client such as java.net.http lost the 413 to "connection reset".
    int length = 2 * 1024 * 1024;
    try (ServerHarness server = start(Map.of());
        Socket socket = connect(server)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + ServerHarness.ADMIN_TOKEN
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + length
                  + "\r\n\r\n{\"memo\":\"")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      RawResponse answer = RawResponse.read(socket.getInputStream());
      assertThat(answer.status()).isEqualTo(413);
      assertThat(answer.error()).isEqualTo("payload_too_large");
      // The answer is in; the rest of the body still goes through.
      byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
      for (int sent = 0; sent < length; sent += chunk.length) {
        out.write(chunk);
      }
      out.flush();
      socket.shutdownOutput();
      assertThat(socket.getInputStream().read()).as("the connection is closed").isEqualTo(-1);
    }
  }

  @Test
  void theMetricsListenerAnswersBesideAConnectionThatNeverFinishesItsHeaders() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (ServerHarness server =
            start(
                Map.of("TALEA_METRICS_BIND", "127.0.0.1:" + port, "TALEA_HEADER_TIMEOUT", "10m"));
        Socket stuck = new Socket("127.0.0.1", port)) {
      stuck.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Never: ".getBytes());
      stuck.getOutputStream().flush();
      HttpClient client = LiveTailTest.newClient();
      HttpResponse<String> scrape =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.headers().firstValue("Content-Type").orElse(""))
          .startsWith("text/plain; version=0.0.4");
      assertThat(server.get("/health", null).status()).isEqualTo(200);
    }
  }

  // ---- connections and live tails
  // ----------------------------------------------------------------

  @Test
  void beyondTheConnectionLimitANewConnectionIsAnswered503AtOnce() throws Exception {
    int limit = 4;
    // A short keepalive: the server notices a closed tail at its next write.
    try (ServerHarness server =
        LiveTailTest.startWithKeepalive(
            "log:" + temp.resolve("connections-log"),
            Map.of("TALEA_MAX_CONNECTIONS", String.valueOf(limit)))) {
      openBook(server, "limits");
      List<LiveTailTest.Sse> tails = new ArrayList<>();
      try {
        // Live tails fill the connections the harness's own client leaves free.
        while (server.server().openConnections() < limit) {
          LiveTailTest.Sse tail =
              LiveTailTest.Sse.open(
                  server.uri("/v1/books/limits/events"), ServerHarness.ADMIN_TOKEN);
          assertThat(tail.awaitStatus()).isEqualTo(200);
          tails.add(tail);
        }
        RawResponse refused =
            RawResponse.exchange(server, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.error()).isEqualTo("overloaded");
        assertThat(refused.header("retry-after")).isEqualTo("1");
        assertThat(refused.json().get("detail").asText()).contains(limit + " connections");
        tails.remove(tails.size() - 1).close();
        LiveTailTest.await(
            "a connection to be free again",
            Duration.ofSeconds(30),
            () -> server.server().openConnections() < limit);
        RawResponse admitted =
            RawResponse.exchange(
                server, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(admitted.status()).isEqualTo(200);
      } finally {
        tails.forEach(LiveTailTest.Sse::close);
      }
    }
  }

  @Test
  void liveTailsBeyondTheirLimitsAre429WhileTheOthersKeepStreaming() throws Exception {
    Path tokens = temp.resolve("tails.toml");
    Files.writeString(
        tokens,
        "[tokens.reader]\ntoken = \"reader-token-0123456789\"\nbooks = [\"tails\"]\n"
            + "access = \"ro\"\n");
    Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
    // A short keepalive: the server notices a closed tail at its next write.
    try (ServerHarness server =
        LiveTailTest.startWithKeepalive(
            "log:" + temp.resolve("tails-log"),
            Map.of(
                "TALEA_TOKENS_FILE", tokens.toString(),
                "TALEA_MAX_SUBSCRIBERS", "3",
                "TALEA_MAX_SUBSCRIBERS_PER_TOKEN", "2"))) {
      openBook(server, "tails");
      String reader = "reader-token-0123456789";
      List<LiveTailTest.Sse> tails = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          tails.add(open(server, reader, 200));
        }
        LiveTailTest.Sse third =
            LiveTailTest.Sse.open(server.uri("/v1/books/tails/events"), reader);
        assertThat(third.awaitStatus()).isEqualTo(429);
        assertThat(third.header("Retry-After")).isEqualTo("1");
        JsonNode problem = Json.parseResponse(third.body().getBytes(StandardCharsets.UTF_8));
        assertThat(problem.get("error").asText()).isEqualTo("overloaded");
        assertThat(problem.get("book").asText()).isEqualTo("tails");
        assertThat(problem.get("detail").asText()).contains("TALEA_MAX_SUBSCRIBERS_PER_TOKEN");
        third.close();

        tails.add(open(server, ServerHarness.ADMIN_TOKEN, 200));
        LiveTailTest.Sse fourth =
            LiveTailTest.Sse.open(server.uri("/v1/books/tails/events"), ServerHarness.ADMIN_TOKEN);
        assertThat(fourth.awaitStatus()).isEqualTo(429);
        assertThat(fourth.body()).contains("TALEA_MAX_SUBSCRIBERS)");
        fourth.close();

        // The tails that were let in stream on.
        Reply posted =
            server.post("/v1/books/tails/transactions", LiveTailTest.draft("after-limits"));
        assertThat(posted.status()).as(posted.body()).isEqualTo(201);
        long seq = posted.json().get("seq").asLong();
        for (LiveTailTest.Sse tail : tails) {
          assertThat(LiveTailTest.seqs(tail.awaitSeq(seq))).contains(seq);
        }

        // A tail that ends gives its place back.
        tails.remove(0).close();
        LiveTailTest.await(
            "the reader's place to be free again",
            Duration.ofSeconds(10),
            () -> {
              LiveTailTest.Sse again =
                  LiveTailTest.Sse.open(server.uri("/v1/books/tails/events"), reader);
              if (again.awaitStatus() == 200) {
                tails.add(again);
                return true;
              }
              again.close();
              return false;
            });
      } finally {
        tails.forEach(LiveTailTest.Sse::close);
      }
    }
  }

  // ---- headers ---------------------------------------------------------------------------------

  @Test
  void everyAnswerForbidsCachingAndSniffing() throws Exception {
    try (ServerHarness server = start(Map.of())) {
      List<Reply> replies =
          List.of(
              server.get("/health", null),
              server.get("/v1/books"),
              server.get("/v1/books", null),
              server.get("/v1/books/nope/accounts/a"),
              server.get("/nowhere", null),
              server.post("/v1/assets", "{\"code\":"));
      for (Reply reply : replies) {
        assertThat(reply.header("Cache-Control")).as(reply.body()).isEqualTo("no-store");
        assertThat(reply.header("X-Content-Type-Options")).isEqualTo("nosniff");
      }
      RawResponse malformed =
          RawResponse.exchange(server, "GET /health HTTP/1.1\r\nBad Header\r\n\r\n");
      assertThat(malformed.status()).isEqualTo(400);
      assertThat(malformed.header("x-content-type-options")).isEqualTo("nosniff");
      assertThat(malformed.header("cache-control")).isEqualTo("no-store");
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static void openBook(ServerHarness server, String book) {
    assertThat(server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").status())
        .isIn(200, 201);
    assertThat(
            server
                .put("/v1/books/" + book + "/accounts/assets:cash", "{\"kind\":\"asset\"}")
                .status())
        .isEqualTo(201);
    assertThat(
            server
                .put("/v1/books/" + book + "/accounts/equity:capital", "{\"kind\":\"equity\"}")
                .status())
        .isEqualTo(201);
  }

  private static LiveTailTest.Sse open(ServerHarness server, String token, int status) {
    LiveTailTest.Sse tail = LiveTailTest.Sse.open(server.uri("/v1/books/tails/events"), token);
    assertThat(tail.awaitStatus()).isEqualTo(status);
    return tail;
  }

  private static Socket connect(ServerHarness server) throws IOException {
    Socket socket = new Socket("127.0.0.1", server.server().address().getPort());
    socket.setSoTimeout(30_000);
    return socket;
  }

  /** An answer read off a raw connection. */
  record RawResponse(int status, Map<String, String> headers, String body) {

    static RawResponse exchange(ServerHarness server, String request) throws IOException {
      try (Socket socket = connect(server)) {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return read(socket.getInputStream());
      }
    }

    static RawResponse read(InputStream in) throws IOException {
      String status = line(in);
      Map<String, String> headers = new TreeMap<>();
      for (String line = line(in); !line.isEmpty(); line = line(in)) {
        int colon = line.indexOf(':');
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
      byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
      return new RawResponse(
          Integer.parseInt(status.split(" ")[1]),
          headers,
          new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("the connection closed mid-answer: " + line);
        }
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(StandardCharsets.ISO_8859_1);
    }

    String header(String name) {
      return headers.get(name);
    }

    JsonNode json() {
      return Json.parseResponse(body.getBytes(StandardCharsets.UTF_8));
    }

    String error() {
      return json().path("error").asText(null);
    }
  }

  /** Every log event of the test's JVM while open, formatted. */
  static final class LogCapture implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final ch.qos.logback.classic.Logger root;

    private LogCapture() {
      LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
      root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      appender.setContext(context);
      appender.start();
      root.addAppender(appender);
    }

    static LogCapture start() {
      return new LogCapture();
    }

    /**
     * Waits until Pekko's logger has written everything logged before now: its log events are
     * written by an actor, in order, so a marker logged last is written last.
     */
    void flushPekko(ServerHarness server) {
      String marker = "log-capture-marker-" + System.nanoTime();
      server.server().system().classicSystem().log().warning(marker);
      LiveTailTest.await(
          "the marker to reach the log",
          Duration.ofSeconds(10),
          () -> lines().stream().anyMatch(line -> line.contains(marker)));
    }

    synchronized List<String> lines() {
      List<String> lines = new ArrayList<>();
      for (ILoggingEvent event : List.copyOf(appender.list)) {
        lines.add(
            event.getLoggerName()
                + " "
                + event.getFormattedMessage()
                + (event.getThrowableProxy() == null
                    ? ""
                    : " " + event.getThrowableProxy().getMessage()));
      }
      return lines;
    }

    synchronized void clear() {
      appender.list.clear();
    }

    @Override
    public void close() {
      root.detachAppender(appender);
      appender.stop();
    }
  }
}
