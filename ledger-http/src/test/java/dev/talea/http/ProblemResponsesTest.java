package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.ServerHarness.Reply;
import dev.talea.protocol.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every row of the contract's error table (§3) that a live server can produce, as seen on the wire:
 * status, {@code application/problem+json}, the RFC 9457 members with the stable {@code error} code
 * and its extra fields, and the headers the contract requires ({@code Retry-After}, {@code
 * WWW-Authenticate}, {@code Allow}, {@code Location}, and {@code X-Talea-Backend} on everything).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProblemResponsesTest {

  /** Read-only, scoped to {@link #RO_BOOK}. */
  private static final String RO_TOKEN = "ro-scoped-token-0123456789abcdef";

  /** Read-write, scoped to {@link #OTHER_BOOK}. */
  private static final String OTHER_TOKEN = "rw-elsewhere-token-0123456789ab";

  private static final String RO_BOOK = "readonly-book";
  private static final String OTHER_BOOK = "elsewhere";

  private static final String BTC = "BTC";

  /** 2^256 − 1, the largest posting amount (uint256). */
  private static final String UINT256_MAX =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";

  private static final Map<String, String> TITLES =
      Map.ofEntries(
          Map.entry("invalid_request", "Invalid request"),
          Map.entry("invalid_amount", "Invalid amount"),
          Map.entry("unauthorized", "Unauthorized"),
          Map.entry("forbidden", "Forbidden"),
          Map.entry("not_found", "Not found"),
          Map.entry("method_not_allowed", "Method not allowed"),
          Map.entry("timeout", "Request timeout"),
          Map.entry("idempotency_key_reused", "Idempotency key already used"),
          Map.entry("conflict", "Conflict"),
          Map.entry("payload_too_large", "Payload too large"),
          Map.entry("unsupported_media_type", "Unsupported media type"),
          Map.entry("unbalanced", "Unbalanced transaction"),
          Map.entry("unknown_account", "Unknown account"),
          Map.entry("unknown_asset", "Unknown asset"),
          Map.entry("insufficient_balance", "Insufficient balance"),
          Map.entry("amount_out_of_range", "Balance out of range"),
          Map.entry("overloaded/429", "Book overloaded"),
          Map.entry("overloaded/503", "Server overloaded"),
          Map.entry("unavailable", "Store unavailable"));

  @TempDir static Path temp;

  private ServerHarness server;
  private final AtomicInteger names = new AtomicInteger();

  @BeforeAll
  void startServer() throws IOException {
    Path tokens = temp.resolve("tokens.toml");
    Files.writeString(
        tokens,
        """
        [tokens.reader]
        token = "%s"
        books = ["%s"]
        access = "ro"

        [tokens.elsewhere]
        token = "%s"
        books = ["%s"]
        access = "rw"
        """
            .formatted(RO_TOKEN, RO_BOOK, OTHER_TOKEN, OTHER_BOOK));
    server =
        ServerHarness.start(
            "log:" + temp.resolve("log"), Map.of("TALEA_TOKENS_FILE", tokens.toString()));
    Reply btc = server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8,\"name\":\"Bitcoin\"}");
    assertThat(btc.status()).as(btc.body()).isEqualTo(201);
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  // ---- successes: Location, replays, batches ---------------------------------------------------

  @Test
  void createdResourcesAnswer201WithTheirLocation() {
    String code = "LOC" + names.incrementAndGet();
    Reply asset = server.post("/v1/assets", "{\"code\":\"" + code + "\",\"decimals\":2}");
    assertThat(asset.status()).as(asset.body()).isEqualTo(201);
    assertThat(asset.header("Location")).isEqualTo("/v1/assets/" + code);
    assertThat(asset.header("X-Talea-Backend")).isEqualTo("log");

    String book = freshBook();
    Reply account =
        server.put("/v1/books/" + book + "/accounts/assets:cash", "{\"kind\":\"asset\"}");
    assertThat(account.status()).as(account.body()).isEqualTo(201);
    assertThat(account.header("Location")).isEqualTo("/v1/books/" + book + "/accounts/assets:cash");
    assertThat(account.header("X-Talea-Backend")).isEqualTo("log");
    openAccount(book, "equity:capital", "equity", null);

    Reply tx =
        postTx(
            book,
            draft("loc-1", debit("assets:cash", BTC, "1"), credit("equity:capital", BTC, "1")));
    assertThat(tx.status()).as(tx.body()).isEqualTo(201);
    assertThat(tx.header("Location"))
        .isEqualTo("/v1/transactions/" + tx.json().get("tx_id").asText());
    assertThat(tx.header("X-Talea-Backend")).isEqualTo("log");
  }

  @Test
  void reRegisteringTheIdenticalAssetOrAccountAnswers200WithoutLocation() {
    String code = "SAME" + names.incrementAndGet();
    String spec = "{\"code\":\"" + code + "\",\"decimals\":4,\"name\":\"Same\"}";
    assertThat(server.post("/v1/assets", spec).status()).isEqualTo(201);
    Reply again = server.post("/v1/assets", spec);
    assertThat(again.status()).as(again.body()).isEqualTo(200);
    assertThat(again.header("Location")).isNull();
    assertThat(again.header("X-Talea-Backend")).isEqualTo("log");

    String book = freshBook();
    openAccount(book, "assets:cash", "asset", null);
    Reply account =
        server.put("/v1/books/" + book + "/accounts/assets:cash", "{\"kind\":\"asset\"}");
    assertThat(account.status()).as(account.body()).isEqualTo(200);
    assertThat(account.header("Location")).isNull();
    assertThat(account.header("X-Talea-Backend")).isEqualTo("log");
  }

  @Test
  void aReplayedPostAnswers200DeduplicatedWithTheOriginalCommitAndNoLocation() {
    String book = fundedBook();
    String body =
        draft(
            "replay-1",
            debit("assets:hot-wallet", BTC, "0.5"),
            credit("liabilities:alice", BTC, "0.5"));
    Reply first = postTx(book, body);
    assertThat(first.status()).as(first.body()).isEqualTo(201);

    Reply replay = postTx(book, body);
    assertThat(replay.status()).as(replay.body()).isEqualTo(200);
    assertThat(replay.header("Location")).isNull();
    assertThat(replay.header("X-Talea-Backend")).isEqualTo("log");
    assertThat(replay.header("Content-Type")).isEqualTo("application/json");
    JsonNode original = first.json();
    JsonNode replayed = replay.json();
    assertThat(original.get("deduplicated").asBoolean()).isFalse();
    assertThat(replayed.get("deduplicated").asBoolean()).isTrue();
    assertThat(replayed.get("tx_id").asText()).isEqualTo(original.get("tx_id").asText());
    assertThat(replayed.get("seq").asLong()).isEqualTo(1);
    assertThat(replayed.get("committed_at").asText())
        .isEqualTo(original.get("committed_at").asText());
    assertThat(replayed.get("hash").asText()).isEqualTo(original.get("hash").asText());
  }

  @Test
  void aBatchAnswers200WithPerItemStatusesInRequestOrder() {
    String book = fundedBook();
    String replayed =
        draft(
            "batch-replayed",
            debit("assets:hot-wallet", BTC, "1"),
            credit("liabilities:alice", BTC, "1"));
    Reply original = postTx(book, replayed);
    assertThat(original.status()).as(original.body()).isEqualTo(201);

    String batch =
        "{\"transactions\":["
            + String.join(
                ",",
                draft(
                    "batch-new",
                    debit("assets:hot-wallet", BTC, "2"),
                    credit("liabilities:alice", BTC, "2")),
                replayed,
                draft(
                    "batch-unbalanced",
                    debit("assets:hot-wallet", BTC, "3"),
                    credit("liabilities:alice", BTC, "2.5")),
                "{\"idempotency_key\":\"batch-invalid\"}")
            + "]}";
    Reply reply = server.post("/v1/books/" + book + "/transactions/batch", batch);

    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    assertThat(reply.header("Content-Type")).isEqualTo("application/json");
    assertThat(reply.header("X-Talea-Backend")).isEqualTo("log");
    assertThat(reply.header("Location")).isNull();
    JsonNode results = reply.json().get("results");
    assertThat(results).hasSize(4);
    List<Integer> statuses = new ArrayList<>();
    results.forEach(r -> statuses.add(r.get("status").asInt()));
    assertThat(statuses).containsExactly(201, 200, 422, 400);

    JsonNode created = results.get(0).get("transaction");
    assertThat(created.get("idempotency_key").asText()).isEqualTo("batch-new");
    assertThat(created.get("seq").asLong()).isEqualTo(2);
    assertThat(created.get("deduplicated").asBoolean()).isFalse();

    JsonNode replay = results.get(1).get("transaction");
    assertThat(replay.get("tx_id").asText()).isEqualTo(original.json().get("tx_id").asText());
    assertThat(replay.get("seq").asLong()).isEqualTo(1);
    assertThat(replay.get("deduplicated").asBoolean()).isTrue();

    assertProblemDocument(
        results.get(2).get("error"),
        422,
        "unbalanced",
        Map.of("asset", "BTC", "debits", "3.00000000", "credits", "2.50000000"));
    assertProblemDocument(
        results.get(3).get("error"), 400, "invalid_request", Map.of("field", "postings"));

    // Only the new draft was recorded.
    Reply list = server.get("/v1/books/" + book + "/transactions");
    assertThat(list.json().get("transactions")).hasSize(2);
  }

  // ---- 400 invalid_request ---------------------------------------------------------------------

  @Test
  void malformedJsonIsInvalidRequestOnTheBody() {
    String book = fundedBook();
    Reply reply = postTx(book, "{\"idempotency_key\": \"k\", \"postings\": [");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "body"));
  }

  @Test
  void anUnknownBodyFieldIsInvalidRequestNamingTheField() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            "{\"idempotency_key\":\"unknown-field\",\"colour\":\"red\",\"postings\":["
                + debit("assets:hot-wallet", BTC, "1")
                + ","
                + credit("liabilities:alice", BTC, "1")
                + "]}");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "colour"));
  }

  @Test
  void anUnknownFieldInsideAPostingIsNamedByItsPath() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            "{\"idempotency_key\":\"unknown-nested\",\"postings\":["
                + "{\"account\":\"assets:hot-wallet\",\"asset\":\"BTC\",\"debit\":\"1\",\"note\":\"x\"},"
                + credit("liabilities:alice", BTC, "1")
                + "]}");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "postings[0].note"));
  }

  @Test
  void anUnknownQueryParameterIsInvalidRequestNamingIt() {
    String book = fundedBook();
    Reply reply = server.get("/v1/books/" + book + "/transactions?page=2");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "page"));
  }

  @Test
  void aRepeatedQueryParameterIsInvalidRequest() {
    String book = fundedBook();
    Reply reply = server.get("/v1/books/" + book + "/transactions?limit=1&limit=2");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "limit"));
  }

  @ParameterizedTest(name = "limit={0}")
  @ValueSource(strings = {"0", "1001", "abc", "-1", "10000"})
  void aLimitOutside1To1000IsInvalidRequest(String limit) {
    String book = fundedBook();
    Reply reply = server.get("/v1/books/" + book + "/transactions?limit=" + limit);
    assertProblem(reply, 400, "invalid_request", Map.of("field", "limit"));
  }

  @Test
  void writesThatTakeNoQueryParametersRejectOne() {
    String book = fundedBook();
    Reply asset = server.post("/v1/assets?dry_run=1", "{\"code\":\"QQQ\",\"decimals\":2}");
    assertProblem(asset, 400, "invalid_request", Map.of("field", "dry_run"));
    Reply account =
        server.put(
            "/v1/books/" + book + "/accounts/assets:other?dry_run=1", "{\"kind\":\"asset\"}");
    assertProblem(account, 400, "invalid_request", Map.of("field", "dry_run"));
    // Nothing was registered.
    assertThat(server.get("/v1/assets/QQQ").status()).isEqualTo(404);
    assertThat(server.get("/v1/books/" + book + "/accounts/assets:other").status()).isEqualTo(404);
  }

  @Test
  void limitsAtTheBoundsAreAccepted() {
    String book = fundedBook();
    assertThat(server.get("/v1/books/" + book + "/transactions?limit=1").status()).isEqualTo(200);
    assertThat(server.get("/v1/books/" + book + "/transactions?limit=1000").status())
        .isEqualTo(200);
  }

  @Test
  void aNegativeAfterSeqIsInvalidRequest() {
    String book = fundedBook();
    Reply reply = server.get("/v1/books/" + book + "/transactions?after_seq=-1");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "after_seq"));
  }

  @Test
  void anAsOfWithSevenFractionalDigitsIsInvalidRequest() {
    String book = fundedBook();
    Reply balances =
        server.get(
            "/v1/books/"
                + book
                + "/accounts/assets:hot-wallet/balances?as_of=2026-11-20T14:02:00.1234567Z");
    assertProblem(balances, 400, "invalid_request", Map.of("field", "as_of"));
    Reply trial =
        server.get("/v1/books/" + book + "/trial-balance?as_of=2026-11-20T14:02:00.1234567Z");
    assertProblem(trial, 400, "invalid_request", Map.of("field", "as_of"));
    Reply six =
        server.get("/v1/books/" + book + "/trial-balance?as_of=2026-11-20T14:02:00.123456Z");
    assertThat(six.status()).as(six.body()).isEqualTo(200);
  }

  @Test
  void anInvalidBookNameInThePathIsInvalidRequestOnBook() {
    Reply read = server.get("/v1/books/Payments/accounts");
    assertProblem(read, 400, "invalid_request", Map.of("field", "book"));
    Reply write =
        postTx(
            "-leading-dash",
            draft("bad-book", debit("assets:a", BTC, "1"), credit("equity:b", BTC, "1")));
    assertProblem(write, 400, "invalid_request", Map.of("field", "book"));
  }

  @Test
  void anInvalidAccountNameInThePathIsInvalidRequestOnAccount() {
    String book = fundedBook();
    Reply open = server.put("/v1/books/" + book + "/accounts/Assets:Cash", "{\"kind\":\"asset\"}");
    assertProblem(open, 400, "invalid_request", Map.of("field", "account"));
    Reply read = server.get("/v1/books/" + book + "/accounts/Assets:Cash");
    assertProblem(read, 400, "invalid_request", Map.of("field", "account"));
  }

  @Test
  void anIdempotencyKeyHeaderDifferingFromTheBodyKeyIsInvalidRequest() {
    String book = fundedBook();
    Reply reply =
        send(
            HttpRequest.newBuilder(server.uri("/v1/books/" + book + "/transactions"))
                .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "header-key")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        draft(
                            "body-key",
                            debit("assets:hot-wallet", BTC, "1"),
                            credit("liabilities:alice", BTC, "1")))));
    assertProblem(reply, 400, "invalid_request", Map.of("field", "idempotency_key"));
    // Nothing was recorded under either key.
    assertThat(server.get("/v1/books/" + book + "/transactions").json().get("transactions"))
        .isEmpty();
  }

  @Test
  void theIdempotencyKeyMayComeInTheHeaderAlone() {
    String book = fundedBook();
    Reply reply =
        send(
            HttpRequest.newBuilder(server.uri("/v1/books/" + book + "/transactions"))
                .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "header-only")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"postings\":["
                            + debit("assets:hot-wallet", BTC, "1")
                            + ","
                            + credit("liabilities:alice", BTC, "1")
                            + "]}")));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    assertThat(reply.json().get("idempotency_key").asText()).isEqualTo("header-only");
  }

  @Test
  void aTransactionIdThatIsNotAUuidIsInvalidRequest() {
    Reply reply = server.get("/v1/transactions/not-a-uuid");
    assertProblem(reply, 400, "invalid_request", Map.of("field", "tx_id"));
  }

  // ---- 400 invalid_amount ----------------------------------------------------------------------

  @Test
  void aJsonNumberAmountIsInvalidAmount() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            "{\"idempotency_key\":\"number\",\"postings\":["
                + "{\"account\":\"assets:hot-wallet\",\"asset\":\"BTC\",\"debit\":1},"
                + credit("liabilities:alice", BTC, "1")
                + "]}");
    assertProblem(reply, 400, "invalid_amount", Map.of("field", "postings[0].debit"));
  }

  @Test
  void anExponentAmountIsInvalidAmount() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            draft(
                "exponent",
                debit("assets:hot-wallet", BTC, "1"),
                credit("liabilities:alice", BTC, "1e3")));
    assertProblem(reply, 400, "invalid_amount", Map.of("field", "postings[1].credit"));
  }

  @ParameterizedTest(name = "debit \"{0}\"")
  @ValueSource(strings = {"0", "0.00000000", "01", "+1", "-1", "1.", ".5", " 1", "1,5", ""})
  void anAmountOutsideTheGrammarOrZeroIsInvalidAmount(String amount) {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            draft(
                "bad-amount",
                debit("assets:hot-wallet", BTC, amount),
                credit("liabilities:alice", BTC, "1")));
    assertProblem(reply, 400, "invalid_amount", Map.of("field", "postings[0].debit"));
  }

  @Test
  void anAmountOverUint256IsInvalidAmount() {
    String code = "BIG" + names.incrementAndGet();
    assertThat(server.post("/v1/assets", "{\"code\":\"" + code + "\",\"decimals\":0}").status())
        .isEqualTo(201);
    String book = freshBook();
    openAccount(book, "assets:big", "asset", null);
    openAccount(book, "equity:source", "equity", null);
    String overUint256 = new BigInteger(UINT256_MAX).add(BigInteger.ONE).toString();
    Reply reply =
        postTx(
            book,
            draft(
                "over-uint256",
                debit("assets:big", code, overUint256),
                credit("equity:source", code, overUint256)));
    assertProblem(reply, 400, "invalid_amount", Map.of("field", "postings[0].debit"));
    Reply max =
        postTx(
            book,
            draft(
                "uint256-max",
                debit("assets:big", code, UINT256_MAX),
                credit("equity:source", code, UINT256_MAX)));
    assertThat(max.status()).as(max.body()).isEqualTo(201);
  }

  @Test
  void moreFractionalDigitsThanTheAssetHasIsInvalidAmount() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            draft(
                "nine-decimals",
                debit("assets:hot-wallet", BTC, "0.123456789"),
                credit("liabilities:alice", BTC, "0.123456789")));
    assertProblem(reply, 400, "invalid_amount", Map.of("field", "postings[0].debit"));
  }

  // ---- 401 unauthorized ------------------------------------------------------------------------

  @Test
  void aMissingAuthorizationHeaderIs401WithWwwAuthenticate() {
    Reply reply = server.get("/v1/assets", null);
    assertProblem(reply, 401, "unauthorized", Map.of());
    assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
  }

  @Test
  void anUnknownBearerTokenIs401WithWwwAuthenticate() {
    Reply reply = server.get("/v1/assets", "not-a-token-of-this-server-0123");
    assertProblem(reply, 401, "unauthorized", Map.of());
    assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
  }

  @Test
  void aBasicCredentialIs401WithWwwAuthenticate() {
    Reply reply =
        send(
            HttpRequest.newBuilder(server.uri("/v1/assets"))
                .header("Authorization", "Basic YWRtaW46" + ServerHarness.ADMIN_TOKEN)
                .GET());
    assertProblem(reply, 401, "unauthorized", Map.of());
    assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
    Reply adminAsBasic =
        send(
            HttpRequest.newBuilder(server.uri("/v1/assets"))
                .header("Authorization", "Basic " + ServerHarness.ADMIN_TOKEN)
                .GET());
    assertProblem(adminAsBasic, 401, "unauthorized", Map.of());
    assertThat(adminAsBasic.header("WWW-Authenticate")).isEqualTo("Bearer");
  }

  // ---- 403 forbidden ---------------------------------------------------------------------------

  @Test
  void aWriteWithAReadOnlyTokenIsForbiddenNamingTheBook() {
    Reply post =
        server.post(
            "/v1/books/" + RO_BOOK + "/transactions",
            RO_TOKEN,
            draft("ro-write", debit("assets:a", BTC, "1"), credit("equity:b", BTC, "1")));
    assertProblem(post, 403, "forbidden", Map.of("book", RO_BOOK));
    Reply open =
        server.put("/v1/books/" + RO_BOOK + "/accounts/assets:a", RO_TOKEN, "{\"kind\":\"asset\"}");
    assertProblem(open, 403, "forbidden", Map.of("book", RO_BOOK));
  }

  @Test
  void aTokenScopedToAnotherBookIsForbiddenNamingTheBook() {
    String book = fundedBook();
    Reply read = server.get("/v1/books/" + book + "/accounts", OTHER_TOKEN);
    assertProblem(read, 403, "forbidden", Map.of("book", book));
    Reply write =
        server.post(
            "/v1/books/" + book + "/transactions",
            OTHER_TOKEN,
            draft(
                "out-of-scope",
                debit("assets:hot-wallet", BTC, "1"),
                credit("liabilities:alice", BTC, "1")));
    assertProblem(write, 403, "forbidden", Map.of("book", book));
  }

  // ---- 404 not_found ---------------------------------------------------------------------------

  @Test
  void anUnknownRouteIsNotFound() {
    assertProblem(server.get("/v1/ledgers"), 404, "not_found", Map.of());
    assertProblem(server.get("/v1/books/some-book/nothing-here"), 404, "not_found", Map.of());
    assertProblem(server.get("/nowhere", null), 404, "not_found", Map.of());
  }

  @ParameterizedTest(name = "GET /v1/books/<unknown>{0}")
  @ValueSource(
      strings = {
        "/accounts",
        "/accounts/assets:cash",
        "/accounts/assets:cash/balances",
        "/accounts/assets:cash/postings",
        "/transactions",
        "/trial-balance",
        "/verify"
      })
  void anUnknownBookIsNotFound(String rest) {
    Reply reply = server.get("/v1/books/" + freshName("ghost") + rest);
    assertProblem(reply, 404, "not_found", Map.of());
  }

  @ParameterizedTest(name = "GET /v1/books/<book>/accounts/<unknown>{0}")
  @ValueSource(strings = {"", "/balances", "/postings"})
  void anUnknownAccountIsNotFound(String rest) {
    String book = fundedBook();
    Reply reply = server.get("/v1/books/" + book + "/accounts/assets:nobody" + rest);
    assertProblem(reply, 404, "not_found", Map.of());
  }

  @Test
  void anUnknownAssetIsNotFound() {
    assertProblem(server.get("/v1/assets/NOPE"), 404, "not_found", Map.of());
  }

  @Test
  void anUnknownTransactionIdIsNotFound() {
    assertProblem(server.get("/v1/transactions/" + UUID.randomUUID()), 404, "not_found", Map.of());
  }

  @Test
  void aTransactionInABookTheTokenCannotReadIsNotFoundExactlyLikeAnUnknownId() {
    String book = fundedBook();
    Reply posted =
        postTx(
            book,
            draft(
                "hidden",
                debit("assets:hot-wallet", BTC, "1"),
                credit("liabilities:alice", BTC, "1")));
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    String hiddenId = posted.json().get("tx_id").asText();
    String unknownId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    Reply hidden = server.get("/v1/transactions/" + hiddenId, OTHER_TOKEN);
    Reply unknown = server.get("/v1/transactions/" + unknownId, OTHER_TOKEN);

    assertProblem(hidden, 404, "not_found", Map.of());
    assertProblem(unknown, 404, "not_found", Map.of());
    assertThat(hidden.body().replace(hiddenId, "<id>"))
        .isEqualTo(unknown.body().replace(unknownId, "<id>"));
    assertThat(hidden.header("Content-Type")).isEqualTo(unknown.header("Content-Type"));
    // A token that can read the book sees it.
    assertThat(server.get("/v1/transactions/" + hiddenId).status()).isEqualTo(200);
  }

  // ---- 405 method_not_allowed ------------------------------------------------------------------

  @Test
  void deleteOnTransactionsIsMethodNotAllowedWithAllowGetPost() {
    String book = fundedBook();
    Reply reply =
        server.send(
            "DELETE", "/v1/books/" + book + "/transactions", ServerHarness.ADMIN_TOKEN, null, null);
    assertProblem(reply, 405, "method_not_allowed", Map.of());
    assertThat(reply.header("Allow")).isEqualTo("GET, HEAD, OPTIONS, POST");
  }

  @Test
  void patchOnAnAccountIsMethodNotAllowedWithAllowGetPut() {
    String book = fundedBook();
    Reply reply =
        server.send(
            "PATCH",
            "/v1/books/" + book + "/accounts/assets:hot-wallet",
            ServerHarness.ADMIN_TOKEN,
            "application/json",
            "{\"kind\":\"asset\"}");
    assertProblem(reply, 405, "method_not_allowed", Map.of());
    assertThat(reply.header("Allow")).isEqualTo("GET, HEAD, OPTIONS, PUT");
  }

  @Test
  void wrongMethodsOnReadOnlyResourcesAllowOnlyGet() {
    Reply asset = server.send("DELETE", "/v1/assets/BTC", ServerHarness.ADMIN_TOKEN, null, null);
    assertProblem(asset, 405, "method_not_allowed", Map.of());
    assertThat(asset.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
    Reply books = server.post("/v1/books", "{}");
    assertProblem(books, 405, "method_not_allowed", Map.of());
    assertThat(books.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
    Reply batch = server.get("/v1/books/" + fundedBook() + "/transactions/batch");
    assertProblem(batch, 405, "method_not_allowed", Map.of());
    assertThat(batch.header("Allow")).isEqualTo("OPTIONS, POST");
  }

  // ---- 409 idempotency_key_reused and conflict -------------------------------------------------

  @Test
  void aUsedKeyWithADifferentRequestIsIdempotencyKeyReusedNamingTheOriginal() {
    String book = fundedBook();
    Reply original =
        postTx(
            book,
            draft(
                "reused",
                debit("assets:hot-wallet", BTC, "1"),
                credit("liabilities:alice", BTC, "1")));
    assertThat(original.status()).as(original.body()).isEqualTo(201);

    Reply reply =
        postTx(
            book,
            draft(
                "reused",
                debit("assets:hot-wallet", BTC, "2"),
                credit("liabilities:alice", BTC, "2")));
    assertProblem(
        reply,
        409,
        "idempotency_key_reused",
        Map.of("tx_id", original.json().get("tx_id").asText()));
  }

  @Test
  void anAssetReRegisteredWithOtherDecimalsIsAConflictOnDecimals() {
    String code = "CONF" + names.incrementAndGet();
    assertThat(server.post("/v1/assets", "{\"code\":\"" + code + "\",\"decimals\":6}").status())
        .isEqualTo(201);
    Reply reply = server.post("/v1/assets", "{\"code\":\"" + code + "\",\"decimals\":18}");
    assertProblem(reply, 409, "conflict", Map.of("field", "decimals"));
  }

  @Test
  void anAccountReOpenedWithAnotherKindIsAConflictOnKind() {
    String book = fundedBook();
    Reply reply =
        server.put("/v1/books/" + book + "/accounts/assets:hot-wallet", "{\"kind\":\"liability\"}");
    assertProblem(reply, 409, "conflict", Map.of("field", "kind"));
  }

  @Test
  void anAccountReOpenedWithAnotherMinBalanceIsAConflictOnMinBalance() {
    String book = fundedBook();
    Reply reply =
        server.put(
            "/v1/books/" + book + "/accounts/liabilities:alice",
            "{\"kind\":\"liability\",\"min_balance\":\"-5\"}");
    assertProblem(reply, 409, "conflict", Map.of("field", "min_balance"));
  }

  // ---- 413 payload_too_large -------------------------------------------------------------------

  @Test
  void aBodyOverOneMebibyteWithAContentLengthIsPayloadTooLarge() {
    String book = fundedBook();
    Reply reply =
        send(
            HttpRequest.newBuilder(server.uri("/v1/books/" + book + "/transactions"))
                .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(oversizedDraft())));
    assertProblem(reply, 413, "payload_too_large", Map.of());
  }

  /**
   * A chunked body has no declared length, so the server finds it too large only after reading 1
   * MiB of it, answers 413 and closes the connection while the client may still be sending. Whether
   * the client then gets to read that answer is up to TCP and the client library: if it does, it
   * must be the 413 problem document; if the connection is cut first, nothing may have been
   * committed.
   */
  @Test
  void aChunkedBodyOverOneMebibyteIsPayloadTooLargeOrCutOff() {
    String book = fundedBook();
    long seqBefore =
        server.get("/v1/books").json().findValues("last_seq").stream()
            .mapToLong(JsonNode::asLong)
            .sum();
    byte[] body = oversizedDraft().getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri("/v1/books/" + book + "/transactions"))
            .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
            .header("Content-Type", "application/json")
            // No length: java.net.http sends Transfer-Encoding: chunked.
            .POST(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofByteArray(body)));
    Reply reply;
    try {
      reply = send(request);
    } catch (IllegalStateException cutOff) {
      assertThat(cutOff).hasCauseInstanceOf(IOException.class);
      long seqAfter =
          server.get("/v1/books").json().findValues("last_seq").stream()
              .mapToLong(JsonNode::asLong)
              .sum();
      assertThat(seqAfter).isEqualTo(seqBefore);
      return;
    }
    assertProblem(reply, 413, "payload_too_large", Map.of());
  }

  @Test
  void aRequestTheHttpParserRejectsIsAProblemDocumentWithTheBackend() throws IOException {
    String response;
    try (Socket socket = new Socket("127.0.0.1", server.server().address().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/assets HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                  + "Authorization: Bearer "
                  + ServerHarness.ADMIN_TOKEN
                  + "\r\nContent-Type: application/json\r\nContent-Length: twelve\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(received);
      response = received.toString(StandardCharsets.UTF_8);
    }
    int split = response.indexOf("\r\n\r\n");
    List<String> head = List.of(response.substring(0, split).split("\r\n"));
    assertThat(head.get(0)).isEqualTo("HTTP/1.1 400 Bad Request");
    assertThat(head).contains("X-Talea-Backend: log", "Content-Type: application/problem+json");
    assertProblemDocument(
        Json.parseResponse(response.substring(split + 4).getBytes(StandardCharsets.UTF_8)),
        400,
        "invalid_request",
        Map.of("field", "request"));
  }

  // ---- 415 unsupported_media_type --------------------------------------------------------------

  @Test
  void aTextPlainBodyIsUnsupportedMediaType() {
    String book = fundedBook();
    Reply reply =
        server.send(
            "POST",
            "/v1/books/" + book + "/transactions",
            ServerHarness.ADMIN_TOKEN,
            "text/plain",
            draft(
                "text-plain",
                debit("assets:hot-wallet", BTC, "1"),
                credit("liabilities:alice", BTC, "1")));
    assertProblem(reply, 415, "unsupported_media_type", Map.of());
  }

  @Test
  void aBodyWithoutContentTypeIsUnsupportedMediaType() {
    String book = fundedBook();
    Reply reply =
        server.send(
            "PUT",
            "/v1/books/" + book + "/accounts/assets:new",
            ServerHarness.ADMIN_TOKEN,
            null,
            "{\"kind\":\"asset\"}");
    assertProblem(reply, 415, "unsupported_media_type", Map.of());
  }

  // ---- 422 -------------------------------------------------------------------------------------

  @Test
  void unequalDebitsAndCreditsAreUnbalancedWithSumsInTheAssetsDecimals() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            draft(
                "unbalanced",
                debit("assets:hot-wallet", BTC, "1.5"),
                credit("liabilities:alice", BTC, "1")));
    assertProblem(
        reply,
        422,
        "unbalanced",
        Map.of("asset", "BTC", "debits", "1.50000000", "credits", "1.00000000"));
  }

  @Test
  void aPostingToAnAccountNotOpenIsUnknownAccount() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            draft(
                "unknown-account",
                debit("assets:cold-wallet", BTC, "1"),
                credit("liabilities:alice", BTC, "1")));
    assertProblem(reply, 422, "unknown_account", Map.of("account", "assets:cold-wallet"));
  }

  @Test
  void aPostingInAnUnregisteredAssetIsUnknownAsset() {
    String book = fundedBook();
    Reply reply =
        postTx(
            book,
            draft(
                "unknown-asset",
                debit("assets:hot-wallet", "DOGE", "1"),
                credit("liabilities:alice", "DOGE", "1")));
    assertProblem(reply, 422, "unknown_asset", Map.of("asset", "DOGE"));
  }

  @Test
  void goingBelowMinBalanceIsInsufficientBalanceAndTheKeyStaysFree() {
    String book = fundedBook();
    Reply deposit =
        postTx(
            book,
            draft(
                "deposit-1",
                debit("assets:hot-wallet", BTC, "0.5"),
                credit("liabilities:alice", BTC, "0.5")));
    assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);

    String withdrawal =
        draft(
            "withdrawal-1",
            debit("liabilities:alice", BTC, "0.75"),
            credit("assets:hot-wallet", BTC, "0.75"));
    Reply reply = postTx(book, withdrawal);
    assertProblem(
        reply,
        422,
        "insufficient_balance",
        Map.of(
            "account",
            "liabilities:alice",
            "asset",
            "BTC",
            "balance",
            "0.50000000",
            "min_balance",
            "0"));

    // Rejected transactions are not recorded: after a further deposit the same key succeeds.
    Reply topUp =
        postTx(
            book,
            draft(
                "deposit-2",
                debit("assets:hot-wallet", BTC, "0.25"),
                credit("liabilities:alice", BTC, "0.25")));
    assertThat(topUp.status()).as(topUp.body()).isEqualTo(201);
    Reply retried = postTx(book, withdrawal);
    assertThat(retried.status()).as(retried.body()).isEqualTo(201);
    assertThat(retried.json().get("seq").asLong()).isEqualTo(3);
  }

  @Test
  void aBalanceBeyondTenToThe78IsAmountOutOfRange() {
    String code = "WEI" + names.incrementAndGet();
    assertThat(server.post("/v1/assets", "{\"code\":\"" + code + "\",\"decimals\":0}").status())
        .isEqualTo(201);
    String book = freshBook();
    openAccount(book, "assets:big", "asset", null);
    openAccount(book, "equity:source", "equity", null);
    // 8 × (2^256 − 1) ≈ 9.26e77 fits below 10^78 − 1; the ninth debit does not.
    List<String> postings = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      postings.add(debit("assets:big", code, UINT256_MAX));
    }
    for (int i = 0; i < 9; i++) {
      postings.add(credit("equity:source", code, UINT256_MAX));
    }
    Reply reply = postTx(book, draft("too-big", postings.toArray(String[]::new)));
    assertProblem(
        reply, 422, "amount_out_of_range", Map.of("account", "assets:big", "asset", code));

    List<String> eight = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      eight.add(debit("assets:big", code, UINT256_MAX));
    }
    for (int i = 0; i < 8; i++) {
      eight.add(credit("equity:source", code, UINT256_MAX));
    }
    Reply fits = postTx(book, draft("just-fits", eight.toArray(String[]::new)));
    assertThat(fits.status()).as(fits.body()).isEqualTo(201);
  }

  // ---- 429 overloaded --------------------------------------------------------------------------

  @Test
  void aFullBookWriteQueueAnswers429OverloadedWithRetryAfter() throws Exception {
    try (ServerHarness small =
        ServerHarness.start(
            "log:" + temp.resolve("overload"),
            Map.of("TALEA_WRITE_QUEUE_DEPTH", "1", "TALEA_WRITE_BATCH_MAX", "1"))) {
      assertThat(small.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").status())
          .isEqualTo(201);
      String book = "hot";
      assertThat(small.put("/v1/books/hot/accounts/assets:a", "{\"kind\":\"asset\"}").status())
          .isEqualTo(201);
      assertThat(small.put("/v1/books/hot/accounts/equity:b", "{\"kind\":\"equity\"}").status())
          .isEqualTo(201);

      List<HttpResponse<String>> overloaded = new ArrayList<>();
      Set<Integer> statuses = new HashSet<>();
      int created = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      int round = 0;
      while (overloaded.isEmpty() && System.nanoTime() < deadline) {
        round++;
        List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          HttpRequest request =
              HttpRequest.newBuilder(small.uri("/v1/books/" + book + "/transactions"))
                  .timeout(Duration.ofSeconds(30))
                  .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          draft(
                              "burst-" + round + "-" + i,
                              debit("assets:a", BTC, "1"),
                              credit("equity:b", BTC, "1"))))
                  .build();
          posts.add(
              small
                  .client()
                  .sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
        }
        for (CompletableFuture<HttpResponse<String>> post : posts) {
          HttpResponse<String> response = post.get(60, TimeUnit.SECONDS);
          statuses.add(response.statusCode());
          if (response.statusCode() == 201) {
            created++;
          }
          if (response.statusCode() == 429) {
            overloaded.add(response);
          }
        }
      }

      assertThat(statuses).isSubsetOf(201, 429);
      assertThat(overloaded).as("a 429 within 20 s of bursts of 50 posts").isNotEmpty();
      Reply reply = new Reply(429, overloaded.get(0));
      assertProblem(reply, 429, "overloaded", Map.of("book", book));
      assertThat(reply.header("Retry-After")).isEqualTo("1");
      // Only the accepted posts were committed.
      JsonNode books = small.get("/v1/books").json().get("books");
      assertThat(books).hasSize(1);
      assertThat(books.get(0).get("last_seq").asLong()).isEqualTo(created);
    }
  }

  // ---- 408 timeout -----------------------------------------------------------------------------

  /**
   * 1000 drafts committed one per group commit (TALEA_WRITE_BATCH_MAX=1) on SQLite take well over a
   * second (about 1.2 s measured; over ten times the 100 ms timeout), so the answer is a 408 while
   * the commits go on.
   *
   * <p>Runs last: the backend named on parser-level answers is JVM-wide ({@link ServerIdentity}),
   * set by the last server started, and this is the one SQLite server of the class.
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void aCommitNotFinishedWithinTheRequestTimeoutIs408AndItsOutcomeIsLeftToARetry() {
    try (ServerHarness slow =
        ServerHarness.start(
            "sqlite:" + temp.resolve("timeout.sqlite"),
            Map.of("TALEA_REQUEST_TIMEOUT", "100ms", "TALEA_WRITE_BATCH_MAX", "1"))) {
      assertThat(slow.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").status())
          .isEqualTo(201);
      assertThat(slow.put("/v1/books/slow/accounts/assets:a", "{\"kind\":\"asset\"}").status())
          .isEqualTo(201);
      assertThat(slow.put("/v1/books/slow/accounts/equity:b", "{\"kind\":\"equity\"}").status())
          .isEqualTo(201);
      List<String> drafts = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        drafts.add(draft("slow-" + i, debit("assets:a", BTC, "1"), credit("equity:b", BTC, "1")));
      }

      Reply reply =
          slow.post(
              "/v1/books/slow/transactions/batch",
              "{\"transactions\":[" + String.join(",", drafts) + "]}");

      assertProblem(reply, "sqlite", 408, "timeout", Map.of());

      // The commits carry on; once the last one is visible, a retry of a draft is a replay.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      JsonNode found;
      do {
        found =
            slow.get("/v1/books/slow/transactions?idempotency_key=slow-999")
                .json()
                .get("transactions");
      } while (found.isEmpty() && System.nanoTime() < deadline);
      assertThat(found).hasSize(1);
      Reply retry = slow.post("/v1/books/slow/transactions", drafts.get(0));
      assertThat(retry.status()).as(retry.body()).isEqualTo(200);
      assertThat(retry.json().get("deduplicated").asBoolean()).isTrue();
      assertThat(retry.json().get("seq").asLong()).isEqualTo(1);
    }
  }

  // ---- 503 overloaded (admission) --------------------------------------------------------------

  // 503 overloaded at the admission limit: see AdmissionTest, which holds its slots
  // deterministically.
  /**
   * Asserts a problem response: status, media type, the RFC 9457 members, exactly the code's extra
   * fields with these values, and the backend header.
   */
  private static JsonNode assertProblem(
      Reply reply, int status, String error, Map<String, String> extra) {
    return assertProblem(reply, "log", status, error, extra);
  }

  private static JsonNode assertProblem(
      Reply reply, String backend, int status, String error, Map<String, String> extra) {
    assertThat(reply.status()).as("status of %s", reply.body()).isEqualTo(status);
    assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(reply.header("X-Talea-Backend")).isEqualTo(backend);
    JsonNode body = reply.json();
    assertProblemDocument(body, status, error, extra);
    return body;
  }

  private static void assertProblemDocument(
      JsonNode body, int status, String error, Map<String, String> extra) {
    assertThat(body.isObject()).as("a JSON object: %s", body).isTrue();
    assertThat(body.path("type").asText()).isEqualTo("https://talea.dev/errors/" + error);
    String titleKey = error.equals("overloaded") ? error + "/" + status : error;
    assertThat(body.path("title").asText()).isEqualTo(TITLES.get(titleKey));
    assertThat(body.path("status").isIntegralNumber())
        .as("status is a JSON integer: %s", body)
        .isTrue();
    assertThat(body.path("status").intValue()).isEqualTo(status);
    assertThat(body.path("detail").isTextual()).as("detail is a string: %s", body).isTrue();
    assertThat(body.path("detail").asText()).isNotBlank();
    assertThat(body.path("error").asText()).isEqualTo(error);
    Map<String, String> actualExtra = new LinkedHashMap<>();
    Set<String> standard = Set.of("type", "title", "status", "detail", "error");
    body.fieldNames()
        .forEachRemaining(
            name -> {
              if (!standard.contains(name)) {
                JsonNode value = body.get(name);
                assertThat(value.isTextual()).as("%s is a string in %s", name, body).isTrue();
                actualExtra.put(name, value.asText());
              }
            });
    assertThat(actualExtra).as("extra fields of %s", body).isEqualTo(extra);
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          server
              .client()
              .send(
                  request.timeout(Duration.ofSeconds(30)).build(),
                  HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private String freshName(String prefix) {
    return prefix + "-" + names.incrementAndGet();
  }

  private String freshBook() {
    return freshName("book");
  }

  /** A fresh book with a hot wallet (asset), alice (liability, min 0) and capital (equity). */
  private String fundedBook() {
    String book = freshBook();
    openAccount(book, "assets:hot-wallet", "asset", null);
    openAccount(book, "liabilities:alice", "liability", "0");
    openAccount(book, "equity:capital", "equity", null);
    return book;
  }

  private void openAccount(String book, String account, String kind, String minBalance) {
    String body =
        minBalance == null
            ? "{\"kind\":\"" + kind + "\"}"
            : "{\"kind\":\"" + kind + "\",\"min_balance\":\"" + minBalance + "\"}";
    Reply reply = server.put("/v1/books/" + book + "/accounts/" + account, body);
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
  }

  private Reply postTx(String book, String body) {
    return server.post("/v1/books/" + book + "/transactions", body);
  }

  private static String draft(String key, String... postings) {
    return "{\"idempotency_key\":\""
        + key
        + "\",\"postings\":["
        + String.join(",", postings)
        + "]}";
  }

  private static String debit(String account, String asset, String amount) {
    return posting(account, asset, "debit", amount);
  }

  private static String credit(String account, String asset, String amount) {
    return posting(account, asset, "credit", amount);
  }

  private static String posting(String account, String asset, String side, String amount) {
    return "{\"account\":\""
        + account
        + "\",\"asset\":\""
        + asset
        + "\",\""
        + side
        + "\":\""
        + amount
        + "\"}";
  }

  /**
   * A well-formed draft of a little over 1 MiB (its memo is far too long, but size comes first).
   */
  private static String oversizedDraft() {
    return "{\"idempotency_key\":\"huge\",\"memo\":\"" + "x".repeat(1024 * 1024 + 16) + "\"}";
  }

  /** A request body that sends its first part at once and the rest only when told to. */
  private static final class HeldBody implements Flow.Publisher<ByteBuffer> {
    final CountDownLatch started = new CountDownLatch(1);
    private final String head;
    private volatile Flow.Subscriber<? super ByteBuffer> subscriber;
    private final AtomicInteger requested = new AtomicInteger();

    HeldBody(String head) {
      this.head = head;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
      subscriber = s;
      s.onSubscribe(
          new Flow.Subscription() {
            private boolean sentHead;

            @Override
            public synchronized void request(long n) {
              requested.addAndGet((int) Math.min(n, 1000));
              if (!sentHead) {
                sentHead = true;
                s.onNext(ByteBuffer.wrap(head.getBytes(StandardCharsets.UTF_8)));
                started.countDown();
              }
            }

            @Override
            public void cancel() {}
          });
    }

    void finish(String tail) {
      Flow.Subscriber<? super ByteBuffer> s = subscriber;
      if (s != null) {
        s.onNext(ByteBuffer.wrap(tail.getBytes(StandardCharsets.UTF_8)));
        s.onComplete();
      }
    }
  }
}
