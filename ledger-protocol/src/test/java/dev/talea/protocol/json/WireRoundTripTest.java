package dev.talea.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.Balance;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.TrialBalance.RawBalance;
import dev.talea.protocol.VerifyResult;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every wire type through {@link WireWriter}, bytes, and back through {@link WireReader}; the exact
 * wire text of the main response shapes; and {@link TrialBalance#of}.
 */
class WireRoundTripTest {

  private static final UUID TX_ID = UUID.fromString("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b");
  private static final UUID TX_ID_2 = UUID.fromString("0193a5b2-7c4e-7000-8000-000000000002");
  private static final Instant COMMITTED = Instant.parse("2026-11-20T14:02:00.123456Z");
  private static final Instant OCCURRED = Instant.parse("2026-11-20T14:02:00Z");
  private static final String HASH =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  private static final String HASH_2 =
      "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
  private static final String HOT = "assets:hot-wallet";
  private static final String ALICE = "liabilities:customers:alice";

  // ---- helpers ----------------------------------------------------------------------------------

  /** Serialises a response node to bytes and parses it back, as a client would receive it. */
  private static JsonNode response(ObjectNode node) {
    return Json.parseResponse(Json.toBytes(node));
  }

  /** Serialises a request node to bytes and parses it back, as the server would receive it. */
  private static JsonNode request(ObjectNode node) {
    return Json.parseRequest(Json.toBytes(node));
  }

  private static Amount btc(long minorUnits) {
    return new Amount(BigInteger.valueOf(minorUnits), 8);
  }

  private static Amount units(long minorUnits, int decimals) {
    return new Amount(BigInteger.valueOf(minorUnits), decimals);
  }

  private static DecimalAmount signed(String text) {
    return DecimalAmount.parseSigned(text, "min_balance");
  }

  private static Transaction depositTransaction() {
    return new Transaction(
        TX_ID,
        "payments",
        42,
        COMMITTED,
        OCCURRED,
        "deposit-0xabc-0",
        false,
        "deposit 0xabc",
        Map.of("chain_tx", "0xabc"),
        List.of(
            new Posting(HOT, "BTC", Side.DEBIT, btc(50_000_000), btc(1_250_000_000)),
            new Posting(ALICE, "BTC", Side.CREDIT, btc(50_000_000), btc(50_000_000))),
        HASH,
        HashChain.GENESIS);
  }

  /** No occurred_at, memo or metadata; a 0-decimal and an 18-decimal asset; a replay. */
  private static Transaction bareReplayTransaction() {
    return new Transaction(
        TX_ID_2,
        "payments",
        43,
        Instant.parse("2026-11-20T14:02:01Z"),
        null,
        "swap-7",
        true,
        null,
        Map.of(),
        List.of(
            new Posting("assets:vault", "JPY", Side.DEBIT, units(42, 0), units(1042, 0)),
            new Posting("income:fees", "JPY", Side.CREDIT, units(42, 0), units(42, 0)),
            new Posting("assets:vault", "ETH", Side.DEBIT, units(1, 18), units(-5, 18)),
            new Posting(
                "income:fees",
                "ETH",
                Side.CREDIT,
                units(1, 18),
                new Amount(new BigInteger("123456789012345678901234567890"), 18))),
        HASH_2,
        HASH);
  }

  private static Account aliceAccount() {
    return new Account(
        "payments",
        ALICE,
        AccountKind.LIABILITY,
        signed("-500"),
        Map.of("region", "eu", "email", "alice@example.com"),
        COMMITTED,
        List.of(new Balance("BTC", btc(-50_000_000)), new Balance("JPY", units(42, 0))));
  }

  private static Account bareAccount() {
    return new Account("payments", HOT, AccountKind.ASSET, null, Map.of(), OCCURRED, List.of());
  }

  private static TrialBalance sampleTrialBalance() {
    return TrialBalance.of(
        "payments",
        null,
        7,
        List.of(
            new RawBalance(
                ALICE, AccountKind.LIABILITY, "BTC", 8, BigInteger.valueOf(-1_250_000_000L)),
            new RawBalance("equity:capital", AccountKind.EQUITY, "BTC", 8, BigInteger.ZERO),
            new RawBalance(HOT, AccountKind.ASSET, "BTC", 8, BigInteger.valueOf(1_250_000_000L))));
  }

  /** A sample value for each extra problem field. */
  private static String sampleField(String name) {
    return switch (name) {
      case "field" -> "postings[0].debit";
      case "book" -> "payments";
      case "tx_id" -> TX_ID.toString();
      case "asset" -> "BTC";
      case "debits" -> "0.50000000";
      case "credits" -> "0.40000000";
      case "account" -> ALICE;
      case "balance" -> "-0.10000000";
      case "min_balance" -> "0";
      default -> throw new AssertionError("no sample for problem field " + name);
    };
  }

  private static LedgerError sampleError(ErrorCode code) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String name : code.extraFields()) {
      fields.put(name, sampleField(name));
    }
    return new LedgerError(code, "what went wrong with " + code.wireName(), fields);
  }

  // ---- requests ---------------------------------------------------------------------------------

  @Nested
  class Requests {

    @Test
    void assetSpecWithNameRoundTrips() {
      AssetSpec spec = new AssetSpec("USDC.ERC20", 6, "USD Coin");
      assertThat(WireReader.assetSpec(request(WireWriter.assetSpec(spec)))).isEqualTo(spec);
    }

    @Test
    void assetSpecWithoutNameRoundTrips() {
      AssetSpec spec = new AssetSpec("BTC", 8, null);
      ObjectNode node = WireWriter.assetSpec(spec);
      assertThat(Json.toString(node)).isEqualTo("{\"code\":\"BTC\",\"decimals\":8}");
      assertThat(WireReader.assetSpec(request(node))).isEqualTo(spec);
    }

    @Test
    void bareAccountSpecRoundTrips() {
      AccountSpec spec = new AccountSpec(AccountKind.INCOME);
      ObjectNode node = WireWriter.accountSpec(spec);
      assertThat(Json.toString(node)).isEqualTo("{\"kind\":\"income\"}");
      assertThat(WireReader.accountSpec(request(node))).isEqualTo(spec);
    }

    @Test
    void accountSpecWithMinBalanceAndMetadataRoundTrips() {
      AccountSpec spec =
          new AccountSpec(
              AccountKind.LIABILITY, signed("-500.25"), Map.of("owner", "alice", "tier", "2"));
      AccountSpec decoded = WireReader.accountSpec(request(WireWriter.accountSpec(spec)));
      assertThat(decoded).isEqualTo(spec);
      assertThat(decoded.minBalance().asWritten()).isEqualTo("-500.25");
    }

    @Test
    void fullDraftRoundTrips() {
      TransactionDraft draft =
          new TransactionDraft(
              "deposit-0xabc-0",
              List.of(
                  DraftPosting.debit(HOT, "BTC", "0.5"),
                  DraftPosting.credit(ALICE, "BTC", "0.50"),
                  DraftPosting.credit("income:fees", "ETH", "0.000000000000000001"),
                  DraftPosting.debit("expenses:gas", "ETH", "0.000000000000000001")),
              Instant.parse("2026-11-20T14:02:00.000001Z"),
              "deposit 0xabc \uD83D\uDE00",
              Map.of("chain_tx", "0xabc", "network", "mainnet"));
      TransactionDraft decoded = WireReader.draft(request(WireWriter.draft(draft)), null);
      assertThat(decoded).isEqualTo(draft);
      assertThat(decoded.postings())
          .extracting(p -> p.amount().asWritten())
          .containsExactly("0.5", "0.50", "0.000000000000000001", "0.000000000000000001");
    }

    @Test
    void bareDraftRoundTripsWithTheKeyAlsoInTheHeader() {
      TransactionDraft draft =
          new TransactionDraft(
              "k-1",
              List.of(
                  DraftPosting.debit(HOT, "JPY", "1000"),
                  DraftPosting.credit(ALICE, "JPY", "1000")));
      ObjectNode node = WireWriter.draft(draft);
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"idempotency_key\":\"k-1\",\"postings\":["
                  + "{\"account\":\"assets:hot-wallet\",\"asset\":\"JPY\",\"debit\":\"1000\"},"
                  + "{\"account\":\"liabilities:customers:alice\",\"asset\":\"JPY\","
                  + "\"credit\":\"1000\"}]}");
      assertThat(WireReader.draft(request(node), "k-1")).isEqualTo(draft);
    }

    @Test
    void batchRequestRoundTrips() {
      List<TransactionDraft> drafts =
          List.of(
              new TransactionDraft(
                  "b-1",
                  List.of(
                      DraftPosting.debit(HOT, "BTC", "1"), DraftPosting.credit(ALICE, "BTC", "1"))),
              new TransactionDraft(
                  "b-2",
                  List.of(
                      DraftPosting.credit(HOT, "BTC", "0.1"),
                      DraftPosting.debit(ALICE, "BTC", "0.1")),
                  OCCURRED,
                  "withdrawal",
                  Map.of("to", "bc1q")));
      List<WireReader.BatchItem> items =
          WireReader.batchRequest(request(WireWriter.batchRequest(drafts)));
      assertThat(items)
          .containsExactly(
              new WireReader.BatchItem(drafts.get(0), null),
              new WireReader.BatchItem(drafts.get(1), null));
    }
  }

  // ---- responses --------------------------------------------------------------------------------

  @Nested
  class Responses {

    @Test
    void assetRoundTrips() {
      Asset asset = new Asset("BTC", 8, "Bitcoin", COMMITTED);
      ObjectNode node = WireWriter.asset(asset);
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"code\":\"BTC\",\"decimals\":8,\"name\":\"Bitcoin\","
                  + "\"created_at\":\"2026-11-20T14:02:00.123456Z\"}");
      assertThat(WireReader.asset(response(node))).isEqualTo(asset);
    }

    @Test
    void assetListRoundTripsInOrder() {
      List<Asset> assets =
          List.of(
              new Asset("BTC", 8, "Bitcoin", COMMITTED),
              new Asset("JPY", 0, null, OCCURRED),
              new Asset("WEI", 36, "", OCCURRED));
      assertThat(WireReader.assets(response(WireWriter.assets(assets)))).isEqualTo(assets);
    }

    @Test
    void emptyAssetListRoundTrips() {
      ObjectNode node = WireWriter.assets(List.of());
      assertThat(Json.toString(node)).isEqualTo("{\"assets\":[]}");
      assertThat(WireReader.assets(response(node))).isEmpty();
    }

    @Test
    void bookListRoundTrips() {
      List<BookSummary> books =
          List.of(
              new BookSummary("payments", 42, HASH),
              new BookSummary("empty", 0, HashChain.GENESIS));
      ObjectNode node = WireWriter.books(books);
      assertThat(Json.toString(node))
          .startsWith("{\"books\":[{\"book\":\"payments\",\"last_seq\":42,\"head_hash\":\"9f86");
      assertThat(WireReader.books(response(node))).isEqualTo(books);
    }

    @Test
    void accountWithNegativeMinBalanceMetadataAndNegativeBalanceRoundTrips() {
      Account account = aliceAccount();
      assertThat(WireReader.account(response(WireWriter.account(account)))).isEqualTo(account);
    }

    @Test
    void accountWithoutMinBalanceMetadataOrBalancesRoundTrips() {
      Account account = bareAccount();
      Account decoded = WireReader.account(response(WireWriter.account(account)));
      assertThat(decoded).isEqualTo(account);
      assertThat(decoded.minBalance()).isNull();
    }

    @Test
    void accountWithFractionalMinBalanceRoundTripsByValue() {
      Account account =
          new Account(
              "payments", HOT, AccountKind.ASSET, signed("0.50"), Map.of(), OCCURRED, List.of());
      Account decoded = WireReader.account(response(WireWriter.account(account)));
      assertThat(decoded).isEqualTo(account);
      assertThat(decoded.minBalance().compareTo(signed("0.5"))).isZero();
    }

    @Test
    void accountPageWithNextAfterRoundTrips() {
      AccountPage page = new AccountPage(List.of(bareAccount(), aliceAccount()), ALICE);
      ObjectNode node = WireWriter.accountPage(page);
      assertThat(node.get("next_after").textValue()).isEqualTo(ALICE);
      assertThat(WireReader.accountPage(response(node))).isEqualTo(page);
    }

    @Test
    void lastAccountPageRoundTripsWithNullNextAfter() {
      AccountPage page = new AccountPage(List.of(aliceAccount()), null);
      ObjectNode node = WireWriter.accountPage(page);
      assertThat(node.get("next_after").isNull()).isTrue();
      assertThat(WireReader.accountPage(response(node))).isEqualTo(page);
    }

    @Test
    void transactionWithEveryFieldRoundTrips() {
      Transaction tx = depositTransaction();
      assertThat(WireReader.transaction(response(WireWriter.transaction(tx)))).isEqualTo(tx);
    }

    @Test
    void bareReplayTransactionWithZeroAnd18DecimalAssetsRoundTrips() {
      Transaction tx = bareReplayTransaction();
      Transaction decoded = WireReader.transaction(response(WireWriter.transaction(tx)));
      assertThat(decoded).isEqualTo(tx);
      assertThat(decoded.deduplicated()).isTrue();
      assertThat(decoded.occurredAt()).isNull();
      assertThat(decoded.memo()).isNull();
      assertThat(decoded.postings())
          .extracting(p -> p.amount().toString(), p -> p.balanceAfter().toString())
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("42", "1042"),
              org.assertj.core.groups.Tuple.tuple("42", "42"),
              org.assertj.core.groups.Tuple.tuple("0.000000000000000001", "-0.000000000000000005"),
              org.assertj.core.groups.Tuple.tuple(
                  "0.000000000000000001", "123456789012.345678901234567890"));
    }

    @Test
    void transactionWithEmptyMemoKeepsItDistinctFromNoMemo() {
      Transaction tx = bareReplayTransaction();
      Transaction withEmptyMemo =
          new Transaction(
              tx.txId(),
              tx.book(),
              tx.seq(),
              tx.committedAt(),
              tx.occurredAt(),
              tx.idempotencyKey(),
              false,
              "",
              tx.metadata(),
              tx.postings(),
              tx.hash(),
              tx.prevHash());
      Transaction decoded = WireReader.transaction(response(WireWriter.transaction(withEmptyMemo)));
      assertThat(decoded.memo()).isEmpty();
      assertThat(decoded).isEqualTo(withEmptyMemo);
    }

    @Test
    void transactionPageWithCursorRoundTrips() {
      TransactionPage page =
          new TransactionPage(List.of(depositTransaction(), bareReplayTransaction()), 43L);
      ObjectNode node = WireWriter.transactionPage(page);
      assertThat(node.get("next_after_seq").longValue()).isEqualTo(43L);
      assertThat(WireReader.transactionPage(response(node))).isEqualTo(page);
    }

    @Test
    void lastTransactionPageRoundTripsWithNullCursor() {
      TransactionPage page = new TransactionPage(List.of(), null);
      ObjectNode node = WireWriter.transactionPage(page);
      assertThat(Json.toString(node)).isEqualTo("{\"transactions\":[],\"next_after_seq\":null}");
      assertThat(WireReader.transactionPage(response(node))).isEqualTo(page);
    }

    @Test
    void transactionListWithoutCursorRoundTrips() {
      List<Transaction> list = List.of(depositTransaction());
      ObjectNode node = WireWriter.transactions(list);
      assertThat(node.has("next_after_seq")).isFalse();
      assertThat(WireReader.transactions(response(node))).isEqualTo(list);
    }

    @Test
    void batchResultsOfCommitReplayAndRejectionRoundTrip() {
      LedgerError rejection =
          LedgerError.insufficientBalance(ALICE, "BTC", "0.20000000", "0", "-0.10000000");
      List<PostOutcome> outcomes =
          List.of(
              new PostOutcome.Committed(depositTransaction()),
              new PostOutcome.Committed(bareReplayTransaction()),
              new PostOutcome.Rejected(rejection));
      ObjectNode node = WireWriter.batchResults(outcomes);
      assertThat(node.get("results"))
          .extracting(item -> item.get("status").intValue())
          .containsExactly(201, 200, 422);
      assertThat(node.get("results").get(2).has("transaction")).isFalse();
      assertThat(node.get("results").get(0).has("error")).isFalse();

      List<PostOutcome> decoded = WireReader.batchResults(response(node));
      assertThat(decoded).isEqualTo(outcomes);
      assertThat(decoded).extracting(PostOutcome::httpStatus).containsExactly(201, 200, 422);
      LedgerError decodedError = ((PostOutcome.Rejected) decoded.get(2)).error();
      assertThat(decodedError.code()).isEqualTo(ErrorCode.INSUFFICIENT_BALANCE);
      assertThat(decodedError.fields())
          .containsExactly(
              Map.entry("account", ALICE),
              Map.entry("asset", "BTC"),
              Map.entry("balance", "0.20000000"),
              Map.entry("min_balance", "0"));
    }

    @Test
    void batchResultWithUnbalancedRejectionKeepsItsFields() {
      List<PostOutcome> outcomes =
          List.of(
              new PostOutcome.Rejected(LedgerError.unbalanced("BTC", "0.50000000", "0.40000000")));
      List<PostOutcome> decoded =
          WireReader.batchResults(response(WireWriter.batchResults(outcomes)));
      assertThat(decoded).isEqualTo(outcomes);
    }

    @Test
    void postingPageWithCursorRoundTrips() {
      PostingPage page =
          new PostingPage(
              List.of(
                  new AccountPosting(
                      41, TX_ID, COMMITTED, "BTC", Side.DEBIT, btc(50_000_000), btc(50_000_000)),
                  new AccountPosting(
                      42,
                      TX_ID_2,
                      COMMITTED.plusSeconds(1),
                      "BTC",
                      Side.CREDIT,
                      btc(60_000_000),
                      btc(-10_000_000))),
              42L);
      ObjectNode node = WireWriter.postingPage(page);
      assertThat(Json.toString(node.get("postings").get(1)))
          .isEqualTo(
              "{\"seq\":42,\"tx_id\":\"0193a5b2-7c4e-7000-8000-000000000002\","
                  + "\"committed_at\":\"2026-11-20T14:02:01.123456Z\",\"asset\":\"BTC\","
                  + "\"credit\":\"0.60000000\",\"balance_after\":\"-0.10000000\"}");
      assertThat(WireReader.postingPage(response(node))).isEqualTo(page);
    }

    @Test
    void lastPostingPageRoundTripsWithNullCursor() {
      PostingPage page = new PostingPage(List.of(), null);
      ObjectNode node = WireWriter.postingPage(page);
      assertThat(Json.toString(node)).isEqualTo("{\"postings\":[],\"next_after_seq\":null}");
      assertThat(WireReader.postingPage(response(node))).isEqualTo(page);
    }

    @Test
    void accountBalancesAsOfRoundTrip() {
      AccountBalances balances =
          new AccountBalances(
              "payments",
              ALICE,
              AccountKind.LIABILITY,
              Instant.parse("2026-11-20T00:00:00.000001Z"),
              41,
              List.of(new Balance("BTC", btc(-1)), new Balance("ETH", units(0, 18))));
      ObjectNode node = WireWriter.accountBalances(balances);
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"book\":\"payments\",\"account\":\"liabilities:customers:alice\","
                  + "\"kind\":\"liability\",\"normal_side\":\"credit\","
                  + "\"as_of\":\"2026-11-20T00:00:00.000001Z\",\"seq\":41,\"balances\":["
                  + "{\"asset\":\"BTC\",\"balance\":\"-0.00000001\"},"
                  + "{\"asset\":\"ETH\",\"balance\":\"0.000000000000000000\"}]}");
      assertThat(WireReader.accountBalances(response(node))).isEqualTo(balances);
    }

    @Test
    void latestAccountBalancesRoundTripWithNullAsOf() {
      AccountBalances balances =
          new AccountBalances("payments", HOT, AccountKind.ASSET, null, 0, List.of());
      ObjectNode node = WireWriter.accountBalances(balances);
      assertThat(node.get("as_of").isNull()).isTrue();
      assertThat(WireReader.accountBalances(response(node))).isEqualTo(balances);
    }

    @Test
    void trialBalanceRoundTrips() {
      TrialBalance trial =
          TrialBalance.of(
              "payments",
              COMMITTED,
              42,
              List.of(
                  new RawBalance(
                      HOT, AccountKind.ASSET, "BTC", 8, BigInteger.valueOf(150_000_000L)),
                  new RawBalance(
                      ALICE, AccountKind.LIABILITY, "BTC", 8, BigInteger.valueOf(-150_000_000L)),
                  new RawBalance(
                      "assets:vault", AccountKind.ASSET, "JPY", 0, BigInteger.valueOf(1000)),
                  new RawBalance(
                      "equity:capital", AccountKind.EQUITY, "JPY", 0, BigInteger.valueOf(-1000))));
      assertThat(WireReader.trialBalance(response(WireWriter.trialBalance(trial))))
          .isEqualTo(trial);
    }

    @Test
    void unbalancedTrialBalanceRoundTripsWithBalancedFalse() {
      TrialBalance trial =
          TrialBalance.of(
              "payments",
              null,
              3,
              List.of(new RawBalance(HOT, AccountKind.ASSET, "BTC", 8, BigInteger.ONE)));
      TrialBalance decoded = WireReader.trialBalance(response(WireWriter.trialBalance(trial)));
      assertThat(decoded).isEqualTo(trial);
      assertThat(decoded.balanced()).isFalse();
    }

    @Test
    void successfulVerifyResultRoundTrips() {
      VerifyResult result = VerifyResult.ok("payments", 42, HASH);
      ObjectNode node = WireWriter.verifyResult(result);
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"book\":\"payments\",\"seq\":42,\"head_hash\":\"" + HASH + "\",\"ok\":true}");
      assertThat(WireReader.verifyResult(response(node))).isEqualTo(result);
    }

    @Test
    void failedVerifyResultRoundTrips() {
      VerifyResult result = VerifyResult.failed("payments", 40, 17, "hash mismatch at seq 17");
      ObjectNode node = WireWriter.verifyResult(result);
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"book\":\"payments\",\"seq\":40,\"ok\":false,\"first_bad_seq\":17,"
                  + "\"reason\":\"hash mismatch at seq 17\"}");
      assertThat(WireReader.verifyResult(response(node))).isEqualTo(result);
    }

    @Test
    void balancesOfAnyMagnitudeAndDecimalsSurviveTheRoundTrip() {
      Random random = new Random(20261120L);
      BigInteger bound = BigInteger.TEN.pow(78); // |balance| <= 10^78 - 1
      List<Balance> balances = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        BigInteger magnitude = new BigInteger(260, random).mod(bound);
        if (i % 7 == 0) {
          magnitude = BigInteger.valueOf(random.nextInt(1000));
        }
        BigInteger value = random.nextBoolean() ? magnitude : magnitude.negate();
        balances.add(new Balance("A" + i, new Amount(value, random.nextInt(37))));
      }
      balances.add(new Balance("MAX", new Amount(bound.subtract(BigInteger.ONE), 0)));
      balances.add(new Balance("MIN", new Amount(bound.subtract(BigInteger.ONE).negate(), 36)));
      Account account =
          new Account("payments", HOT, AccountKind.ASSET, null, Map.of(), OCCURRED, balances);
      assertThat(WireReader.account(response(WireWriter.account(account))).balances())
          .isEqualTo(balances);
    }
  }

  // ---- problems ---------------------------------------------------------------------------------

  @Nested
  class Problems {

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void problemDocumentOfEveryCodeRoundTrips(ErrorCode code) {
      LedgerError error = sampleError(code);
      ObjectNode node = WireWriter.problem(error);
      assertThat(node.get("type").textValue())
          .isEqualTo("https://talea.dev/errors/" + code.wireName());
      assertThat(node.get("status").intValue()).isEqualTo(code.httpStatus());
      assertThat(node.get("error").textValue()).isEqualTo(code.wireName());
      assertThat(node.get("title").textValue()).isEqualTo(code.title());

      LedgerError decoded = WireReader.problem(code.httpStatus(), response(node));
      assertThat(decoded.code()).isEqualTo(code);
      assertThat(decoded.detail()).isEqualTo(error.detail());
      assertThat(decoded.fields()).isEqualTo(error.fields());
      assertThat(decoded).isEqualTo(error);
    }

    @Test
    void overloadedWithStatus429IsTheBookQueueCode() {
      LedgerError error = LedgerError.bookOverloaded("payments");
      LedgerError decoded = WireReader.problem(429, response(WireWriter.problem(error)));
      assertThat(decoded.code()).isEqualTo(ErrorCode.BOOK_OVERLOADED);
      assertThat(decoded.fields()).isEqualTo(Map.of("book", "payments"));
    }

    @Test
    void overloadedWithStatus503IsTheAdmissionCode() {
      LedgerError error = LedgerError.of(ErrorCode.OVERLOADED, "too many requests in flight");
      ObjectNode node = WireWriter.problem(error);
      assertThat(node.get("error").textValue()).isEqualTo("overloaded");
      LedgerError decoded = WireReader.problem(503, response(node));
      assertThat(decoded.code()).isEqualTo(ErrorCode.OVERLOADED);
      assertThat(decoded.fields()).isEmpty();
    }

    @Test
    void unbalancedProblemHasTheContractsExactShape() {
      ObjectNode node =
          WireWriter.problem(LedgerError.unbalanced("BTC", "0.50000000", "0.40000000"));
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"type\":\"https://talea.dev/errors/unbalanced\","
                  + "\"title\":\"Unbalanced transaction\",\"status\":422,"
                  + "\"detail\":\"debits 0.50000000 and credits 0.40000000 differ for asset BTC\","
                  + "\"error\":\"unbalanced\",\"asset\":\"BTC\",\"debits\":\"0.50000000\","
                  + "\"credits\":\"0.40000000\"}");
    }

    @Test
    void invalidAmountProblemHasTheContractsExactShape() {
      ObjectNode node =
          WireWriter.problem(LedgerError.invalidAmount("postings[0].debit", "bad amount"));
      assertThat(Json.toString(node))
          .isEqualTo(
              "{\"type\":\"https://talea.dev/errors/invalid_amount\","
                  + "\"title\":\"Invalid amount\",\"status\":400,\"detail\":\"bad amount\","
                  + "\"error\":\"invalid_amount\",\"field\":\"postings[0].debit\"}");
    }

    @Test
    void bodyThatIsNotAProblemDocumentYieldsTheStatusCode() {
      assertThat(WireReader.problem(502, null).code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(WireReader.problem(404, response(Json.mapper().createObjectNode())).code())
          .isEqualTo(ErrorCode.NOT_FOUND);
    }
  }

  // ---- exact wire text --------------------------------------------------------------------------

  @Nested
  class ExactWireText {

    @Test
    void transactionMatchesTheContractShape() {
      assertThat(Json.toString(WireWriter.transaction(depositTransaction())))
          .isEqualTo(
              "{\"tx_id\":\"0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b\",\"book\":\"payments\","
                  + "\"seq\":42,\"committed_at\":\"2026-11-20T14:02:00.123456Z\","
                  + "\"occurred_at\":\"2026-11-20T14:02:00.000000Z\","
                  + "\"idempotency_key\":\"deposit-0xabc-0\",\"deduplicated\":false,"
                  + "\"memo\":\"deposit 0xabc\",\"metadata\":{\"chain_tx\":\"0xabc\"},"
                  + "\"postings\":["
                  + "{\"account\":\"assets:hot-wallet\",\"asset\":\"BTC\","
                  + "\"debit\":\"0.50000000\",\"balance_after\":\"12.50000000\"},"
                  + "{\"account\":\"liabilities:customers:alice\",\"asset\":\"BTC\","
                  + "\"credit\":\"0.50000000\",\"balance_after\":\"0.50000000\"}],"
                  + "\"hash\":\""
                  + HASH
                  + "\",\"prev_hash\":\""
                  + "0".repeat(64)
                  + "\"}");
    }

    @Test
    void transactionWithoutOptionalsWritesNullsAndEmptyMetadata() {
      assertThat(Json.toString(WireWriter.transaction(bareReplayTransaction())))
          .isEqualTo(
              "{\"tx_id\":\"0193a5b2-7c4e-7000-8000-000000000002\",\"book\":\"payments\","
                  + "\"seq\":43,\"committed_at\":\"2026-11-20T14:02:01.000000Z\","
                  + "\"occurred_at\":null,\"idempotency_key\":\"swap-7\",\"deduplicated\":true,"
                  + "\"memo\":null,\"metadata\":{},\"postings\":["
                  + "{\"account\":\"assets:vault\",\"asset\":\"JPY\",\"debit\":\"42\","
                  + "\"balance_after\":\"1042\"},"
                  + "{\"account\":\"income:fees\",\"asset\":\"JPY\",\"credit\":\"42\","
                  + "\"balance_after\":\"42\"},"
                  + "{\"account\":\"assets:vault\",\"asset\":\"ETH\","
                  + "\"debit\":\"0.000000000000000001\",\"balance_after\":\"-0.000000000000000005\"},"
                  + "{\"account\":\"income:fees\",\"asset\":\"ETH\","
                  + "\"credit\":\"0.000000000000000001\","
                  + "\"balance_after\":\"123456789012.345678901234567890\"}],"
                  + "\"hash\":\""
                  + HASH_2
                  + "\",\"prev_hash\":\""
                  + HASH
                  + "\"}");
    }

    @Test
    void accountMatchesTheContractShape() {
      assertThat(Json.toString(WireWriter.account(aliceAccount())))
          .isEqualTo(
              "{\"book\":\"payments\",\"account\":\"liabilities:customers:alice\","
                  + "\"kind\":\"liability\",\"normal_side\":\"credit\",\"min_balance\":\"-500\","
                  + "\"metadata\":{\"email\":\"alice@example.com\",\"region\":\"eu\"},"
                  + "\"created_at\":\"2026-11-20T14:02:00.123456Z\",\"balances\":["
                  + "{\"asset\":\"BTC\",\"balance\":\"-0.50000000\"},"
                  + "{\"asset\":\"JPY\",\"balance\":\"42\"}]}");
    }

    @Test
    void accountWithoutOptionalsWritesNullMinBalanceAndEmptyMetadata() {
      assertThat(Json.toString(WireWriter.account(bareAccount())))
          .isEqualTo(
              "{\"book\":\"payments\",\"account\":\"assets:hot-wallet\",\"kind\":\"asset\","
                  + "\"normal_side\":\"debit\",\"min_balance\":null,\"metadata\":{},"
                  + "\"created_at\":\"2026-11-20T14:02:00.000000Z\",\"balances\":[]}");
    }

    @Test
    void trialBalanceMatchesTheContractShape() {
      assertThat(Json.toString(WireWriter.trialBalance(sampleTrialBalance())))
          .isEqualTo(
              "{\"book\":\"payments\",\"as_of\":null,\"seq\":7,\"accounts\":["
                  + "{\"account\":\"assets:hot-wallet\",\"kind\":\"asset\",\"asset\":\"BTC\","
                  + "\"debit\":\"12.50000000\",\"credit\":\"0.00000000\"},"
                  + "{\"account\":\"liabilities:customers:alice\",\"kind\":\"liability\","
                  + "\"asset\":\"BTC\",\"debit\":\"0.00000000\",\"credit\":\"12.50000000\"}],"
                  + "\"totals\":[{\"asset\":\"BTC\",\"debit\":\"12.50000000\","
                  + "\"credit\":\"12.50000000\"}],\"balanced\":true}");
    }
  }

  // ---- unknown fields ---------------------------------------------------------------------------

  @Nested
  class UnknownFields {

    @Test
    void responseDecoderIgnoresUnknownFieldsAtEveryLevel() {
      Transaction tx = depositTransaction();
      ObjectNode node = WireWriter.transaction(tx);
      node.putObject("future_field").put("x", 1);
      ((ObjectNode) node.get("postings").get(0)).put("future_posting_field", "y");
      assertThat(WireReader.transaction(response(node))).isEqualTo(tx);
    }

    @Test
    void responseDecoderIgnoresUnknownAssetField() {
      Asset asset = new Asset("BTC", 8, "Bitcoin", COMMITTED);
      ObjectNode node = WireWriter.asset(asset);
      node.put("supply", "21000000");
      assertThat(WireReader.asset(response(node))).isEqualTo(asset);
    }

    @Test
    void requestDecoderRejectsTheSameKindOfUnknownField() {
      ObjectNode node = WireWriter.assetSpec(new AssetSpec("BTC", 8, "Bitcoin"));
      node.put("supply", "21000000");
      Throwable thrown = catchThrowable(() -> WireReader.assetSpec(request(node)));
      assertThat(thrown).isInstanceOf(LedgerException.class);
      LedgerError error = ((LedgerException) thrown).error();
      assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
      assertThat(error.fields()).isEqualTo(Map.of("field", "supply"));
    }

    @Test
    void requestDecoderRejectsAnUnknownDraftField() {
      ObjectNode node =
          WireWriter.draft(
              new TransactionDraft(
                  "k-1",
                  List.of(
                      DraftPosting.debit(HOT, "BTC", "1"),
                      DraftPosting.credit(ALICE, "BTC", "1"))));
      node.put("deduplicated", false);
      Throwable thrown = catchThrowable(() -> WireReader.draft(request(node), null));
      assertThat(thrown).isInstanceOf(LedgerException.class);
      LedgerError error = ((LedgerException) thrown).error();
      assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
      assertThat(error.fields()).isEqualTo(Map.of("field", "deduplicated"));
    }

    @Test
    void responseDecoderReportsAMistypedFieldAsAWireFormatProblem() {
      ObjectNode node = WireWriter.asset(new Asset("BTC", 8, null, COMMITTED));
      node.put("decimals", "eight");
      assertThat(catchThrowable(() -> WireReader.asset(response(node))))
          .isInstanceOf(WireFormatException.class);
    }
  }

  // ---- TrialBalance.of --------------------------------------------------------------------------

  @Nested
  class TrialBalanceOf {

    @Test
    void zeroBalancesAreOmitted() {
      TrialBalance trial = sampleTrialBalance();
      assertThat(trial.accounts())
          .extracting(TrialBalance.Line::account)
          .containsExactly(HOT, ALICE)
          .doesNotContain("equity:capital");
    }

    @Test
    void positiveRawBalanceIsInTheDebitColumnAndNegativeInTheCredit() {
      TrialBalance trial = sampleTrialBalance();
      assertThat(trial.accounts())
          .containsExactly(
              new TrialBalance.Line(HOT, AccountKind.ASSET, "BTC", btc(1_250_000_000), btc(0)),
              new TrialBalance.Line(
                  ALICE, AccountKind.LIABILITY, "BTC", btc(0), btc(1_250_000_000)));
    }

    @Test
    void totalsArePerAssetSortedByAsset() {
      TrialBalance trial =
          TrialBalance.of(
              "payments",
              OCCURRED,
              9,
              List.of(
                  new RawBalance(
                      "liabilities:bob", AccountKind.LIABILITY, "JPY", 0, BigInteger.valueOf(-700)),
                  new RawBalance(HOT, AccountKind.ASSET, "BTC", 8, BigInteger.valueOf(30)),
                  new RawBalance(
                      "assets:vault", AccountKind.ASSET, "JPY", 0, BigInteger.valueOf(1000)),
                  new RawBalance(
                      "expenses:fees", AccountKind.EXPENSE, "BTC", 8, BigInteger.valueOf(5)),
                  new RawBalance(ALICE, AccountKind.LIABILITY, "BTC", 8, BigInteger.valueOf(-35)),
                  new RawBalance(
                      "liabilities:bob", AccountKind.LIABILITY, "BTC", 8, BigInteger.ZERO),
                  new RawBalance(
                      "income:fx", AccountKind.INCOME, "JPY", 0, BigInteger.valueOf(-300))));
      assertThat(trial.totals())
          .containsExactly(
              new TrialBalance.Total("BTC", btc(35), btc(35)),
              new TrialBalance.Total("JPY", units(1000, 0), units(1000, 0)));
      assertThat(trial.balanced()).isTrue();
      assertThat(trial.accounts())
          .extracting(l -> l.account() + "/" + l.asset())
          .containsExactly(
              "assets:hot-wallet/BTC",
              "assets:vault/JPY",
              "expenses:fees/BTC",
              "income:fx/JPY",
              "liabilities:bob/JPY",
              "liabilities:customers:alice/BTC");
      assertThat(trial.book()).isEqualTo("payments");
      assertThat(trial.asOf()).isEqualTo(OCCURRED);
      assertThat(trial.seq()).isEqualTo(9);
    }

    @Test
    void inconsistentRawBalancesAreReportedAsUnbalanced() {
      TrialBalance trial =
          TrialBalance.of(
              "payments",
              null,
              2,
              List.of(
                  new RawBalance(HOT, AccountKind.ASSET, "BTC", 8, BigInteger.valueOf(100)),
                  new RawBalance(ALICE, AccountKind.LIABILITY, "BTC", 8, BigInteger.valueOf(-99)),
                  new RawBalance(
                      "assets:vault", AccountKind.ASSET, "JPY", 0, BigInteger.valueOf(5)),
                  new RawBalance(
                      "equity:capital", AccountKind.EQUITY, "JPY", 0, BigInteger.valueOf(-5))));
      assertThat(trial.balanced()).isFalse();
      assertThat(trial.totals())
          .containsExactly(
              new TrialBalance.Total("BTC", btc(100), btc(99)),
              new TrialBalance.Total("JPY", units(5, 0), units(5, 0)));
    }

    @Test
    void noNonZeroBalancesGiveAnEmptyBalancedTrialBalance() {
      TrialBalance trial =
          TrialBalance.of(
              "payments",
              null,
              0,
              List.of(new RawBalance(HOT, AccountKind.ASSET, "BTC", 8, BigInteger.ZERO)));
      assertThat(trial.accounts()).isEmpty();
      assertThat(trial.totals()).isEmpty();
      assertThat(trial.balanced()).isTrue();
    }

    @Test
    void balancesBeyondLongRangeAreTotalledExactly() {
      BigInteger huge = BigInteger.TEN.pow(77).add(BigInteger.ONE);
      TrialBalance trial =
          TrialBalance.of(
              "payments",
              null,
              5,
              List.of(
                  new RawBalance(HOT, AccountKind.ASSET, "WEI", 18, huge),
                  new RawBalance("assets:cold", AccountKind.ASSET, "WEI", 18, huge),
                  new RawBalance(
                      ALICE, AccountKind.LIABILITY, "WEI", 18, huge.shiftLeft(1).negate())));
      assertThat(trial.totals())
          .containsExactly(
              new TrialBalance.Total(
                  "WEI", new Amount(huge.shiftLeft(1), 18), new Amount(huge.shiftLeft(1), 18)));
      assertThat(trial.balanced()).isTrue();
    }
  }
}
