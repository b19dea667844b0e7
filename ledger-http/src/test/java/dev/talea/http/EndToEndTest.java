package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.json.Json;
import dev.talea.store.StoreUrl;
import dev.talea.store.testing.PostgresTestDatabase;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One customer-ledger scenario through the real HTTP server on a random port, run once per store
 * (SQLite, the append log, Postgres): assets, accounts, a deposit and its replay, a rejected
 * withdrawal, a batch with a rejected draft, balances now and in the past, the trial balance,
 * paging, lookups, the account statement, the book list and the chain verification. Every answer is
 * compared with its exact expected JSON, and every answer must name the store in {@code
 * X-Talea-Backend}.
 */
class EndToEndTest {

  private static final String BOOK = "exchange";
  private static final String HOT = "assets:hot-wallet";
  private static final String ALICE = "liabilities:customers:alice";
  private static final String BOB = "liabilities:customers:bob";
  private static final String GENESIS = "0".repeat(64);

  @TempDir Path temp;

  /** A store the scenario runs on, and the name the server reports for it. */
  enum Backend {
    SQLITE("sqlite"),
    LOG("log"),
    POSTGRES("postgres");

    final String wireName;

    Backend(String wireName) {
      this.wireName = wireName;
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Backend.class)
  void aCustomerLedgerScenarioAnswersExactlyTheSameOnEveryStore(Backend backend) {
    switch (backend) {
      case SQLITE -> scenario("sqlite:" + temp.resolve("t.db"), backend.wireName);
      case LOG -> scenario("log:" + temp.resolve("log"), backend.wireName);
      case POSTGRES -> {
        try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
          scenario(jdbcUrlWithCredentials(db.url()), backend.wireName);
        }
      }
    }
  }

  private static void scenario(String dbUrl, String backend) {
    try (ServerHarness harness = ServerHarness.start(dbUrl)) {
      Api api = new Api(harness, backend);

      // ---- assets and accounts ------------------------------------------------------------------
      JsonNode btc = api.expect(201, "POST", "/v1/assets", asset("BTC", 8, "Bitcoin"));
      assertThat(without(btc, "created_at"))
          .isEqualTo(json("{\"code\":\"BTC\",\"decimals\":8,\"name\":\"Bitcoin\"}"));
      assertTimestamp(btc.get("created_at").textValue());
      JsonNode usdc = api.expect(201, "POST", "/v1/assets", asset("USDC", 6, "USD Coin"));
      assertThat(without(usdc, "created_at"))
          .isEqualTo(json("{\"code\":\"USDC\",\"decimals\":6,\"name\":\"USD Coin\"}"));
      assertThat(api.expect(200, "POST", "/v1/assets", asset("BTC", 8, "Bitcoin"))).isEqualTo(btc);

      JsonNode hot = api.expect(201, "PUT", account(HOT), "{\"kind\":\"asset\"}");
      assertThat(without(hot, "created_at"))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","account":"assets:hot-wallet","kind":"asset",
                   "normal_side":"debit","min_balance":null,"metadata":{},"balances":[]}
                  """));
      JsonNode alice =
          api.expect(
              201,
              "PUT",
              account(ALICE),
              """
              {"kind":"liability","min_balance":"0","metadata":{"customer_id":"c-1"}}
              """);
      assertThat(without(alice, "created_at"))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","account":"liabilities:customers:alice","kind":"liability",
                   "normal_side":"credit","min_balance":"0","metadata":{"customer_id":"c-1"},
                   "balances":[]}
                  """));
      api.expect(201, "PUT", account(BOB), "{\"kind\":\"liability\",\"min_balance\":\"0\"}");

      // ---- a deposit, and its replay ------------------------------------------------------------
      String depositBody =
          """
          {"idempotency_key":"deposit-0xabc-0",
           "postings":[{"account":"assets:hot-wallet","asset":"BTC","debit":"1.5"},
                       {"account":"liabilities:customers:alice","asset":"BTC","credit":"1.5"}],
           "occurred_at":"2026-11-20T15:02:00+01:00","memo":"deposit 0xabc",
           "metadata":{"chain_tx":"0xabc"}}
          """;
      JsonNode deposit = api.expect(201, "POST", transactions(), depositBody);
      assertThat(deposit)
          .isEqualTo(
              transaction(
                  deposit,
                  1,
                  GENESIS,
                  "deposit-0xabc-0",
                  false,
                  """
                  "occurred_at":"2026-11-20T14:02:00.000000Z","memo":"deposit 0xabc",
                  "metadata":{"chain_tx":"0xabc"},
                  "postings":[
                    {"account":"assets:hot-wallet","asset":"BTC","debit":"1.50000000",
                     "balance_after":"1.50000000"},
                    {"account":"liabilities:customers:alice","asset":"BTC","credit":"1.50000000",
                     "balance_after":"1.50000000"}]
                  """));
      assertThat(UUID.fromString(deposit.get("tx_id").textValue()).version()).isEqualTo(7);
      assertThat(deposit.get("hash").textValue()).matches("[0-9a-f]{64}").isNotEqualTo(GENESIS);
      String depositCommittedAt = deposit.get("committed_at").textValue();
      assertTimestamp(depositCommittedAt);

      JsonNode replay = api.expect(200, "POST", transactions(), depositBody);
      ObjectNode original = deposit.deepCopy();
      original.put("deduplicated", true);
      assertThat(replay).isEqualTo(original);

      // ---- a withdrawal larger than the customer holds ------------------------------------------
      ServerHarness.Reply tooMuch =
          api.send(
              "POST",
              transactions(),
              """
              {"idempotency_key":"withdraw-alice-1",
               "postings":[{"account":"liabilities:customers:alice","asset":"BTC","debit":"2"},
                           {"account":"assets:hot-wallet","asset":"BTC","credit":"2"}]}
              """);
      assertProblem(
          tooMuch,
          422,
          """
          {"type":"https://talea.dev/errors/insufficient_balance","title":"Insufficient balance",
           "status":422,"error":"insufficient_balance","account":"liabilities:customers:alice",
           "asset":"BTC","balance":"1.50000000","min_balance":"0"}
          """);

      // ---- a batch of three drafts, the last one unbalanced -------------------------------------
      JsonNode batch =
          api.expect(
              200,
              "POST",
              transactions() + "/batch",
              """
              {"transactions":[
                {"idempotency_key":"deposit-0xdef-3",
                 "postings":[{"account":"assets:hot-wallet","asset":"USDC","debit":"250.5"},
                             {"account":"liabilities:customers:bob","asset":"USDC","credit":"250.5"}]},
                {"idempotency_key":"transfer-alice-bob-1","memo":"alice pays bob",
                 "postings":[{"account":"liabilities:customers:alice","asset":"BTC","debit":"0.25"},
                             {"account":"liabilities:customers:bob","asset":"BTC","credit":"0.25"}]},
                {"idempotency_key":"broken-1",
                 "postings":[{"account":"assets:hot-wallet","asset":"BTC","debit":"1"},
                             {"account":"liabilities:customers:alice","asset":"BTC","credit":"0.9"}]}
              ]}
              """);
      JsonNode results = batch.get("results");
      assertThat(results).hasSize(3);
      assertThat(statuses(results)).containsExactly(201, 201, 422);
      JsonNode usdcDeposit = results.get(0).get("transaction");
      JsonNode transfer = results.get(1).get("transaction");
      assertThat(usdcDeposit)
          .isEqualTo(
              transaction(
                  usdcDeposit,
                  2,
                  deposit.get("hash").textValue(),
                  "deposit-0xdef-3",
                  false,
                  """
                  "occurred_at":null,"memo":null,"metadata":{},
                  "postings":[
                    {"account":"assets:hot-wallet","asset":"USDC","debit":"250.500000",
                     "balance_after":"250.500000"},
                    {"account":"liabilities:customers:bob","asset":"USDC","credit":"250.500000",
                     "balance_after":"250.500000"}]
                  """));
      assertThat(transfer)
          .isEqualTo(
              transaction(
                  transfer,
                  3,
                  usdcDeposit.get("hash").textValue(),
                  "transfer-alice-bob-1",
                  false,
                  """
                  "occurred_at":null,"memo":"alice pays bob","metadata":{},
                  "postings":[
                    {"account":"liabilities:customers:alice","asset":"BTC","debit":"0.25000000",
                     "balance_after":"1.25000000"},
                    {"account":"liabilities:customers:bob","asset":"BTC","credit":"0.25000000",
                     "balance_after":"0.25000000"}]
                  """));
      JsonNode rejected = results.get(2).get("error");
      assertThat(without(rejected, "detail"))
          .isEqualTo(
              json(
                  """
                  {"type":"https://talea.dev/errors/unbalanced","title":"Unbalanced transaction",
                   "status":422,"error":"unbalanced","asset":"BTC","debits":"1.00000000",
                   "credits":"0.90000000"}
                  """));

      // ---- two withdrawals; the rejected withdrawal's key was left free -------------------------
      assertThat(api.expect(200, "GET", transactions() + "?idempotency_key=withdraw-alice-1", null))
          .isEqualTo(json("{\"transactions\":[]}"));
      JsonNode withdrawal =
          api.expect(
              201,
              "POST",
              transactions(),
              """
              {"idempotency_key":"withdraw-alice-1",
               "postings":[{"account":"liabilities:customers:alice","asset":"BTC","debit":"0.5"},
                           {"account":"assets:hot-wallet","asset":"BTC","credit":"0.5"}]}
              """);
      assertThat(withdrawal.get("seq").asLong()).isEqualTo(4);
      assertThat(withdrawal.get("prev_hash")).isEqualTo(transfer.get("hash"));
      assertThat(withdrawal.get("postings"))
          .isEqualTo(
              json(
                  """
                  [{"account":"liabilities:customers:alice","asset":"BTC","debit":"0.50000000",
                    "balance_after":"0.75000000"},
                   {"account":"assets:hot-wallet","asset":"BTC","credit":"0.50000000",
                    "balance_after":"1.00000000"}]
                  """));
      JsonNode bobWithdrawal =
          api.expect(
              201,
              "POST",
              transactions(),
              """
              {"idempotency_key":"withdraw-bob-1",
               "postings":[{"account":"liabilities:customers:bob","asset":"USDC","debit":"50.25"},
                           {"account":"assets:hot-wallet","asset":"USDC","credit":"50.25"}]}
              """);
      assertThat(bobWithdrawal.get("seq").asLong()).isEqualTo(5);
      assertThat(bobWithdrawal.get("prev_hash")).isEqualTo(withdrawal.get("hash"));
      List<JsonNode> all = List.of(deposit, usdcDeposit, transfer, withdrawal, bobWithdrawal);

      // ---- balances, now and in the past --------------------------------------------------------
      assertThat(api.expect(200, "GET", account(ALICE) + "/balances", null))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","account":"liabilities:customers:alice","kind":"liability",
                   "normal_side":"credit","as_of":null,"seq":5,
                   "balances":[{"asset":"BTC","balance":"0.75000000"}]}
                  """));
      assertThat(api.expect(200, "GET", account(BOB) + "/balances", null).get("balances"))
          .isEqualTo(
              json(
                  """
                  [{"asset":"BTC","balance":"0.25000000"},{"asset":"USDC","balance":"200.250000"}]
                  """));
      assertThat(api.expect(200, "GET", account(HOT) + "/balances", null).get("balances"))
          .isEqualTo(
              json(
                  """
                  [{"asset":"BTC","balance":"1.00000000"},{"asset":"USDC","balance":"200.250000"}]
                  """));
      assertThat(
              api.expect(
                  200, "GET", account(ALICE) + "/balances?as_of=" + depositCommittedAt, null))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","account":"liabilities:customers:alice","kind":"liability",
                   "normal_side":"credit","as_of":"%s","seq":1,
                   "balances":[{"asset":"BTC","balance":"1.50000000"}]}
                  """
                      .formatted(depositCommittedAt)));
      String justBefore =
          Timestamps.format(Instant.parse(depositCommittedAt).minus(1, ChronoUnit.MICROS));
      assertThat(api.expect(200, "GET", account(ALICE) + "/balances?as_of=" + justBefore, null))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","account":"liabilities:customers:alice","kind":"liability",
                   "normal_side":"credit","as_of":"%s","seq":0,"balances":[]}
                  """
                      .formatted(justBefore)));
      assertThat(
              api.expect(
                      200, "GET", account(ALICE) + "/balances?asset=BTC&as_of=" + justBefore, null)
                  .get("balances"))
          .isEqualTo(json("[{\"asset\":\"BTC\",\"balance\":\"0.00000000\"}]"));

      // ---- the trial balance --------------------------------------------------------------------
      assertThat(api.expect(200, "GET", "/v1/books/exchange/trial-balance", null))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","as_of":null,"seq":5,
                   "accounts":[
                     {"account":"assets:hot-wallet","kind":"asset","asset":"BTC",
                      "debit":"1.00000000","credit":"0.00000000"},
                     {"account":"assets:hot-wallet","kind":"asset","asset":"USDC",
                      "debit":"200.250000","credit":"0.000000"},
                     {"account":"liabilities:customers:alice","kind":"liability","asset":"BTC",
                      "debit":"0.00000000","credit":"0.75000000"},
                     {"account":"liabilities:customers:bob","kind":"liability","asset":"BTC",
                      "debit":"0.00000000","credit":"0.25000000"},
                     {"account":"liabilities:customers:bob","kind":"liability","asset":"USDC",
                      "debit":"0.000000","credit":"200.250000"}],
                   "totals":[
                     {"asset":"BTC","debit":"1.00000000","credit":"1.00000000"},
                     {"asset":"USDC","debit":"200.250000","credit":"200.250000"}],
                   "balanced":true}
                  """));
      assertThat(
              api.expect(
                  200, "GET", "/v1/books/exchange/trial-balance?as_of=" + depositCommittedAt, null))
          .isEqualTo(
              json(
                  """
                  {"book":"exchange","as_of":"%s","seq":1,
                   "accounts":[
                     {"account":"assets:hot-wallet","kind":"asset","asset":"BTC",
                      "debit":"1.50000000","credit":"0.00000000"},
                     {"account":"liabilities:customers:alice","kind":"liability","asset":"BTC",
                      "debit":"0.00000000","credit":"1.50000000"}],
                   "totals":[{"asset":"BTC","debit":"1.50000000","credit":"1.50000000"}],
                   "balanced":true}
                  """
                      .formatted(depositCommittedAt)));

      // ---- listing with limit 2, following next_after_seq ---------------------------------------
      List<Long> seqs = new ArrayList<>();
      List<Object> cursors = new ArrayList<>();
      List<JsonNode> listed = new ArrayList<>();
      String next = "0";
      for (int page = 0; page < 10 && next != null; page++) {
        JsonNode answer =
            api.expect(200, "GET", transactions() + "?after_seq=" + next + "&limit=2", null);
        answer.get("transactions").forEach(listed::add);
        answer.get("transactions").forEach(tx -> seqs.add(tx.get("seq").asLong()));
        JsonNode cursor = answer.get("next_after_seq");
        cursors.add(cursor.isNull() ? null : cursor.asLong());
        next = cursor.isNull() ? null : cursor.asText();
      }
      assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
      assertThat(cursors).containsExactly(2L, 4L, null);
      assertThat(listed).isEqualTo(all);

      // ---- lookups ------------------------------------------------------------------------------
      assertThat(api.expect(200, "GET", transactions() + "?idempotency_key=deposit-0xabc-0", null))
          .isEqualTo(json("{\"transactions\":[" + Json.toString(deposit) + "]}"));
      assertThat(api.expect(200, "GET", transactions() + "?idempotency_key=broken-1", null))
          .isEqualTo(json("{\"transactions\":[]}"));
      for (JsonNode tx : all) {
        assertThat(api.expect(200, "GET", "/v1/transactions/" + tx.get("tx_id").textValue(), null))
            .isEqualTo(tx);
      }
      assertProblem(
          api.send("GET", "/v1/transactions/" + UUID.randomUUID(), null),
          404,
          "{\"type\":\"https://talea.dev/errors/not_found\",\"title\":\"Not found\","
              + "\"status\":404,\"error\":\"not_found\"}");

      // ---- the account statement ----------------------------------------------------------------
      assertThat(api.expect(200, "GET", account(ALICE) + "/postings", null))
          .isEqualTo(
              json(
                  """
                  {"postings":[
                    {"seq":1,"tx_id":"%s","committed_at":"%s","asset":"BTC",
                     "credit":"1.50000000","balance_after":"1.50000000"},
                    {"seq":3,"tx_id":"%s","committed_at":"%s","asset":"BTC",
                     "debit":"0.25000000","balance_after":"1.25000000"},
                    {"seq":4,"tx_id":"%s","committed_at":"%s","asset":"BTC",
                     "debit":"0.50000000","balance_after":"0.75000000"}],
                   "next_after_seq":null}
                  """
                      .formatted(
                          text(deposit, "tx_id"),
                          text(deposit, "committed_at"),
                          text(transfer, "tx_id"),
                          text(transfer, "committed_at"),
                          text(withdrawal, "tx_id"),
                          text(withdrawal, "committed_at"))));
      assertThat(api.expect(200, "GET", account(BOB) + "/postings?asset=USDC", null))
          .isEqualTo(
              json(
                  """
                  {"postings":[
                    {"seq":2,"tx_id":"%s","committed_at":"%s","asset":"USDC",
                     "credit":"250.500000","balance_after":"250.500000"},
                    {"seq":5,"tx_id":"%s","committed_at":"%s","asset":"USDC",
                     "debit":"50.250000","balance_after":"200.250000"}],
                   "next_after_seq":null}
                  """
                      .formatted(
                          text(usdcDeposit, "tx_id"),
                          text(usdcDeposit, "committed_at"),
                          text(bobWithdrawal, "tx_id"),
                          text(bobWithdrawal, "committed_at"))));

      // ---- the book and its chain ---------------------------------------------------------------
      String head = text(bobWithdrawal, "hash");
      assertThat(api.expect(200, "GET", "/v1/books", null))
          .isEqualTo(
              json(
                  "{\"books\":[{\"book\":\"exchange\",\"last_seq\":5,\"head_hash\":\""
                      + head
                      + "\"}]}"));
      assertThat(api.expect(200, "GET", "/v1/books/exchange/verify", null))
          .isEqualTo(
              json("{\"book\":\"exchange\",\"seq\":5,\"head_hash\":\"" + head + "\",\"ok\":true}"));
      List<String> committedAt = all.stream().map(tx -> text(tx, "committed_at")).toList();
      assertThat(committedAt).isSortedAccordingTo(String::compareTo);
    }
  }

  // ---- expected values --------------------------------------------------------------------------

  /**
   * The expected transaction: the fields the server chooses (tx_id, committed_at, hash) are taken
   * from {@code actual} after being checked for form; everything else is given.
   */
  private static JsonNode transaction(
      JsonNode actual,
      long seq,
      String prevHash,
      String key,
      boolean deduplicated,
      String bodyMembers) {
    assertThat(text(actual, "tx_id"))
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertTimestamp(text(actual, "committed_at"));
    assertThat(text(actual, "hash")).matches("[0-9a-f]{64}");
    return json(
        """
        {"tx_id":"%s","book":"exchange","seq":%d,"committed_at":"%s",
         "idempotency_key":"%s","deduplicated":%s,%s,
         "hash":"%s","prev_hash":"%s"}
        """
            .formatted(
                text(actual, "tx_id"),
                seq,
                text(actual, "committed_at"),
                key,
                deduplicated,
                bodyMembers,
                text(actual, "hash"),
                prevHash));
  }

  private static void assertTimestamp(String text) {
    assertThat(text).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z");
  }

  private static void assertProblem(ServerHarness.Reply reply, int status, String expected) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
    JsonNode body = reply.json();
    assertThat(body.get("detail").isTextual()).isTrue();
    assertThat(without(body, "detail")).isEqualTo(json(expected));
  }

  private static List<Integer> statuses(JsonNode results) {
    List<Integer> statuses = new ArrayList<>();
    results.forEach(result -> statuses.add(result.get("status").asInt()));
    return statuses;
  }

  private static String asset(String code, int decimals, String name) {
    return "{\"code\":\"%s\",\"decimals\":%d,\"name\":\"%s\"}".formatted(code, decimals, name);
  }

  private static String account(String account) {
    return "/v1/books/" + BOOK + "/accounts/" + account;
  }

  private static String transactions() {
    return "/v1/books/" + BOOK + "/transactions";
  }

  private static String text(JsonNode node, String field) {
    return node.get(field).textValue();
  }

  private static JsonNode without(JsonNode node, String field) {
    ObjectNode copy = node.deepCopy();
    copy.remove(field);
    return copy;
  }

  /** JSON parsed exactly as the harness parses answers, so that numbers compare equal. */
  private static JsonNode json(String text) {
    return Json.parseResponse(text.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code jdbc:postgresql://host:port/db?user=...}: the JDBC form talead accepts. */
  static String jdbcUrlWithCredentials(StoreUrl.Postgres url) {
    StringBuilder jdbc = new StringBuilder(url.jdbcUrl());
    char separator = url.jdbcUrl().contains("?") ? '&' : '?';
    if (url.user() != null) {
      jdbc.append(separator).append("user=").append(encode(url.user()));
      separator = '&';
    }
    if (url.password() != null) {
      jdbc.append(separator).append("password=").append(encode(url.password()));
    }
    return jdbc.toString();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  /** Requests that must all carry the store's name in {@code X-Talea-Backend}. */
  private record Api(ServerHarness harness, String backend) {

    ServerHarness.Reply send(String method, String path, String body) {
      ServerHarness.Reply reply =
          harness.send(
              method,
              path,
              ServerHarness.ADMIN_TOKEN,
              body == null ? null : "application/json",
              body);
      assertThat(reply.header("X-Talea-Backend"))
          .as("X-Talea-Backend of %s %s", method, path)
          .isEqualTo(backend);
      return reply;
    }

    JsonNode expect(int status, String method, String path, String body) {
      ServerHarness.Reply reply = send(method, path, body);
      assertThat(reply.status()).as("%s %s: %s", method, path, reply.body()).isEqualTo(status);
      assertThat(reply.header("Content-Type")).isEqualTo("application/json");
      return reply.json();
    }
  }
}
