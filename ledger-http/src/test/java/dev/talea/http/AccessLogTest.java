package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.ServerHarness.Reply;
import dev.talea.protocol.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code TALEA_ACCESS_LOG=stdout} (contract §17): one JSON line per request — time, method, route
 * template, status, duration, the token's name — and never a token's secret, a query or a body.
 */
class AccessLogTest {

  private static final String SCOPED_SECRET = "scoped-secret-0123456789abcdefgh";

  @TempDir Path temp;

  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger("talea.access");

  @BeforeEach
  void listen() {
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(lines);
  }

  @Test
  void everyRequestIsOneJsonLineWithItsRouteTemplateStatusAndTokenNameButNoSecret()
      throws Exception {
    Path tokens = temp.resolve("tokens.toml");
    Files.writeString(
        tokens,
        """
        [tokens.reporting]
        token = "%s"
        books = ["*"]
        access = "ro"
        """
            .formatted(SCOPED_SECRET));
    try (ServerHarness server =
        ServerHarness.start(
            "log:" + temp.resolve("log"),
            Map.of("TALEA_ACCESS_LOG", "stdout", "TALEA_TOKENS_FILE", tokens.toString()))) {
      assertThat(server.get("/health", null).status()).isEqualTo(200);
      assertThat(server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").status())
          .isEqualTo(201);
      Reply account = server.put("/v1/books/b1/accounts/assets:cash", "{\"kind\":\"asset\"}");
      assertThat(account.status()).isEqualTo(201);
      assertThat(
              server
                  .get("/v1/books/b1/accounts/assets:cash?x=secret-query", SCOPED_SECRET)
                  .status())
          .isEqualTo(400);
      assertThat(server.get("/v1/books", "not-a-token-0123456789abcdef").status()).isEqualTo(401);

      List<JsonNode> logged = awaitLines(5);
      assertThat(logged).hasSize(5);
      assertThat(logged)
          .extracting(line -> line.get("method").asText())
          .containsExactly("GET", "POST", "PUT", "GET", "GET");
      assertThat(logged)
          .extracting(line -> line.get("route").asText())
          .containsExactly(
              "/health",
              "/v1/assets",
              "/v1/books/{book}/accounts/{account}",
              "/v1/books/{book}/accounts/{account}",
              "/v1/books");
      assertThat(logged)
          .extracting(line -> line.get("status").asInt())
          .containsExactly(200, 201, 201, 400, 401);
      assertThat(logged)
          .extracting(line -> line.get("token").isNull() ? null : line.get("token").asText())
          .containsExactly(null, "TALEA_API_TOKEN", "TALEA_API_TOKEN", "reporting", null);
      for (JsonNode line : logged) {
        assertThat(line.fieldNames())
            .toIterable()
            .containsExactly("time", "method", "route", "status", "duration_ms", "token");
        assertThat(Instant.parse(line.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(line.get("duration_ms").decimalValue().signum()).isGreaterThanOrEqualTo(0);
      }
      String all = String.join("\n", raw());
      assertThat(all)
          .doesNotContain(SCOPED_SECRET)
          .doesNotContain(ServerHarness.ADMIN_TOKEN)
          .doesNotContain("not-a-token")
          .doesNotContain("secret-query")
          .doesNotContain("assets:cash")
          .doesNotContain("BTC");
    }
  }

  @Test
  void offByDefault() {
    try (ServerHarness server = ServerHarness.start("log:" + temp.resolve("log"))) {
      assertThat(server.get("/health", null).status()).isEqualTo(200);
      assertThat(server.get("/v1/books").status()).isEqualTo(200);
    }
    assertThat(raw()).isEmpty();
  }

  @Test
  void aLineIsExactJsonWithTheDurationInMillisecondsToTheMicrosecond() {
    String line =
        AccessLog.line(
            Instant.parse("2026-12-02T10:00:00.123456Z"),
            "POST",
            "/v1/books/{book}/transactions",
            201,
            1_234_567,
            "ops \"one\"");
    assertThat(line)
        .isEqualTo(
            "{\"time\":\"2026-12-02T10:00:00.123456Z\",\"method\":\"POST\","
                + "\"route\":\"/v1/books/{book}/transactions\",\"status\":201,"
                + "\"duration_ms\":1.234,\"token\":\"ops \\\"one\\\"\"}");
  }

  private List<String> raw() {
    List<String> messages = new ArrayList<>();
    for (ILoggingEvent event : List.copyOf(lines.list)) {
      messages.add(event.getFormattedMessage());
    }
    return messages;
  }

  /** The lines, once {@code count} have been written (each is written as its answer goes out). */
  private List<JsonNode> awaitLines(int count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (lines.list.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    List<JsonNode> parsed = new ArrayList<>();
    for (String message : raw()) {
      parsed.add(Json.parseResponse(message.getBytes(StandardCharsets.UTF_8)));
    }
    return parsed;
  }
}
