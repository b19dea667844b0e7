package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.client.TaleaClient;
import dev.talea.client.cli.Talea;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUrl;
import dev.talea.store.Stores;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code talea} command line against a real talead in this JVM: every command's table and JSON
 * output, its error reporting and its exit codes. Commands run in-process through {@link
 * Talea#commandLine}, with {@code TALEA_URL} and {@code TALEA_TOKEN} given as an environment map,
 * so output and exit codes are captured exactly. JSON output is compared with the server's own
 * answer to the same request, byte for byte.
 */
class CliTest {

  private static final String BOOK = "exchange";
  private static final String HOT = "assets:hot-wallet";
  private static final String ALICE = "liabilities:customers:alice";
  private static final String BOB = "liabilities:customers:bob";
  private static final String FEES = "income:fees";

  @TempDir Path temp;

  private ServerHarness harness;
  private TaleaClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (harness != null) {
      harness.close();
    }
  }

  // ---- assets ---------------------------------------------------------------------------------

  @Test
  void assetsListPrintsEveryAssetSortedByCode() {
    start();
    Asset usdc = client.registerAsset(new AssetSpec("USDC", 6, "USD Coin")).value();
    Asset btc = client.registerAsset(new AssetSpec("BTC", 8, "Bitcoin")).value();
    Asset pepe = client.registerAsset(new AssetSpec("PEPE.ERC20", 18, null)).value();

    Run run = talea("assets", "list");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            CODE        DECIMALS  NAME      CREATED_AT
            BTC                8  Bitcoin   %s
            PEPE.ERC20        18  -         %s
            USDC               6  USD Coin  %s
            """
                .formatted(time(btc.createdAt()), time(pepe.createdAt()), time(usdc.createdAt())));
    assertThat(run.err()).isEmpty();
  }

  @Test
  void assetsListJsonIsTheServersJson() {
    start();
    client.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    client.registerAsset(new AssetSpec("USDC", 6, null));

    Run run = talea("assets", "list", "--json");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo(harness.get("/v1/assets").body() + "\n");
  }

  @Test
  void assetsRegisterSaysWhetherItCreatedTheAssetOrFoundItAlready() {
    start();

    Run first =
        talea("assets", "register", "--code", "BTC", "--decimals", "8", "--name", "Bitcoin");
    String createdAt = time(client.getAsset("BTC").createdAt());
    Run again =
        talea("assets", "register", "--code", "BTC", "--decimals", "8", "--name", "Bitcoin");
    Run json = talea("--json", "assets", "register", "--code", "BTC", "--decimals", "8");

    assertThat(first.exit()).isZero();
    assertThat(first.out())
        .isEqualTo(
            """
            registered asset BTC
            CODE  DECIMALS  NAME     CREATED_AT
            BTC          8  Bitcoin  %s
            """
                .formatted(createdAt));
    assertThat(again.exit()).isZero();
    assertThat(again.out())
        .isEqualTo(
            """
            asset BTC was already registered with these decimals; its name is now as given
            CODE  DECIMALS  NAME     CREATED_AT
            BTC          8  Bitcoin  %s
            """
                .formatted(createdAt));
    assertThat(json.exit()).isZero();
    assertThat(json.out()).isEqualTo(harness.get("/v1/assets/BTC").body() + "\n");
  }

  @Test
  void registeringAnAssetAgainWithOtherDecimalsFailsWithConflict() {
    start();
    client.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    JsonNode problem = harness.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":9}").json();

    Run run = talea("assets", "register", "--code", "BTC", "--decimals", "9");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo("talea: conflict: " + problem.get("detail").textValue() + " (field=decimals)\n");
  }

  // ---- accounts -------------------------------------------------------------------------------

  @Test
  void accountsOpenPrintsTheNewAccountAndOpeningItAgainSaysItWasThere() {
    start();

    Run opened =
        talea(
            "accounts",
            "open",
            "--book",
            BOOK,
            "--account",
            ALICE,
            "--kind",
            "liability",
            "--min-balance",
            "0",
            "--meta",
            "customer_id=c-1",
            "--meta",
            "tier=retail");
    String createdAt = time(client.getAccount(BOOK, ALICE).createdAt());
    Run again =
        talea(
            "accounts",
            "open",
            "--book",
            BOOK,
            "--account",
            ALICE,
            "--kind",
            "liability",
            "--min-balance",
            "0");

    assertThat(opened.exit()).isZero();
    assertThat(opened.out())
        .isEqualTo(
            """
            opened account liabilities:customers:alice in book exchange
            book         exchange
            account      liabilities:customers:alice
            kind         liability
            normal_side  credit
            min_balance  0
            metadata     customer_id=c-1, tier=retail
            created_at   %s

            ASSET  BALANCE
            """
                .formatted(createdAt));
    assertThat(again.exit()).isZero();
    assertThat(again.out())
        .isEqualTo(
            """
            account liabilities:customers:alice was already open in book exchange with this kind \
            and min balance; its metadata is now as given
            book         exchange
            account      liabilities:customers:alice
            kind         liability
            normal_side  credit
            min_balance  0
            metadata     -
            created_at   %s

            ASSET  BALANCE
            """
                .formatted(createdAt));
  }

  @Test
  void accountsShowPrintsTheAccountWithItsBalancesAndJsonIsTheServersJson() {
    start();
    ledger();
    String createdAt = time(client.getAccount(BOOK, HOT).createdAt());

    Run run = talea("accounts", "show", "--book", BOOK, "--account", HOT);
    Run json = talea("accounts", "show", "--book", BOOK, "--account", HOT, "--json");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            book         exchange
            account      assets:hot-wallet
            kind         asset
            normal_side  debit
            min_balance  -
            metadata     -
            created_at   %s

            ASSET     BALANCE
            BTC    1.31000000
            USDC   250.000000
            """
                .formatted(createdAt));
    assertThat(json.exit()).isZero();
    assertThat(json.out())
        .isEqualTo(harness.get("/v1/books/exchange/accounts/assets:hot-wallet").body() + "\n");
  }

  @Test
  void accountsListPrintsOneRowPerAccountAndAssetAndTheCursorOfTheNextPage() {
    start();
    ledger();

    Run first = talea("accounts", "list", "--book", BOOK, "--limit", "3");
    Run second = talea("accounts", "list", "--book", BOOK, "--after", ALICE);
    Run json = talea("accounts", "list", "--book", BOOK, "--limit", "3", "--json");

    assertThat(first.exit()).isZero();
    assertThat(first.out())
        .isEqualTo(
            """
            ACCOUNT                      KIND       MIN_BALANCE  ASSET     BALANCE
            assets:hot-wallet            asset                -  BTC    1.31000000
            assets:hot-wallet            asset                -  USDC   250.000000
            income:fees                  income               -  BTC    0.01000000
            liabilities:customers:alice  liability            0  BTC    1.30000000
            more accounts: --after liabilities:customers:alice
            """);
    assertThat(second.out())
        .isEqualTo(
            """
            ACCOUNT                    KIND       MIN_BALANCE  ASSET     BALANCE
            liabilities:customers:bob  liability            0  USDC   250.000000
            liabilities:customers:dan  liability         -500  -               -
            """);
    assertThat(json.out())
        .isEqualTo(harness.get("/v1/books/exchange/accounts?limit=3").body() + "\n");
  }

  @Test
  void anUnknownAccountKindIsAUsageError() {
    start();

    Run run = talea("accounts", "open", "--book", BOOK, "--account", ALICE, "--kind", "customer");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            """
            talea: Invalid value for option '--kind': 'customer' is not an account kind (asset, \
            liability, equity, income, expense)
            Try 'talea accounts open --help' for more information.
            """);
  }

  // ---- post -----------------------------------------------------------------------------------

  @Test
  void postPrintsTheCommitAndPostingTheSameRequestAgainSaysItWasAReplay() {
    start();
    accounts();
    String[] deposit = {
      "post",
      "--book",
      BOOK,
      "--idem",
      "deposit-0xabc-0",
      "--memo",
      "deposit 0xabc",
      "--occurred-at",
      "2026-11-20T15:02:00+01:00",
      "--meta",
      "chain_tx=0xabc",
      "--debit",
      HOT + ":BTC:1.5",
      "--credit",
      ALICE + ":BTC:1.5"
    };

    Run first = talea(deposit);
    Transaction tx = client.findTransaction(BOOK, "deposit-0xabc-0").orElseThrow();
    Run replay = talea(deposit);

    String details =
        """
        tx_id            %s
        book             exchange
        seq              1
        committed_at     %s
        occurred_at      2026-11-20T14:02:00.000000Z
        idempotency_key  deposit-0xabc-0
        memo             deposit 0xabc
        metadata         chain_tx=0xabc
        hash             %s
        prev_hash        0000000000000000000000000000000000000000000000000000000000000000

        ACCOUNT                      ASSET       DEBIT      CREDIT  BALANCE_AFTER
        assets:hot-wallet            BTC    1.50000000                 1.50000000
        liabilities:customers:alice  BTC                1.50000000     1.50000000
        """
            .formatted(tx.txId(), time(tx.committedAt()), tx.hash());
    assertThat(first.exit()).isZero();
    assertThat(first.out()).isEqualTo("committed seq 1 in book exchange\n" + details);
    assertThat(replay.exit()).isZero();
    assertThat(replay.out())
        .isEqualTo(
            "replay: idempotency key deposit-0xabc-0 was already committed as seq 1 in book"
                + " exchange; nothing new was posted (deduplicated)\n"
                + details);
    assertThat(client.listTransactions(BOOK, 0, 100).transactions()).hasSize(1);
  }

  @Test
  void postJsonIsTheServersJsonAndAReplayIsMarkedDeduplicated() {
    start();
    accounts();
    String[] deposit = {
      "post",
      "--json",
      "--book",
      BOOK,
      "--idem",
      "deposit-1",
      "--debit",
      HOT + ":BTC:1.5",
      "--credit",
      ALICE + ":BTC:1.5"
    };

    Run first = talea(deposit);
    Run replay = talea(deposit);

    Transaction tx = client.findTransaction(BOOK, "deposit-1").orElseThrow();
    String stored = harness.get("/v1/transactions/" + tx.txId()).body();
    ObjectNode deduplicated = (ObjectNode) Json.parseResponse(bytes(stored));
    deduplicated.put("deduplicated", true);
    assertThat(first.exit()).isZero();
    assertThat(first.out()).isEqualTo(stored + "\n");
    assertThat(replay.exit()).isZero();
    assertThat(replay.out()).isEqualTo(Json.toString(deduplicated) + "\n");
  }

  @Test
  void postingsApplyInCommandLineOrderWithAccountNamesThatContainColons() {
    start();
    accounts();
    client.post(BOOK, draft("deposit-1", debit(HOT, "BTC", "1"), credit(ALICE, "BTC", "1")));

    Run run =
        talea(
            "post",
            "--book",
            BOOK,
            "--idem",
            "withdrawal-1",
            "--credit",
            HOT + ":BTC:0.99",
            "--debit",
            ALICE + ":BTC:1",
            "--credit",
            FEES + ":BTC:0.01");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .endsWith(
            """
            ACCOUNT                      ASSET       DEBIT      CREDIT  BALANCE_AFTER
            assets:hot-wallet            BTC                0.99000000     0.01000000
            liabilities:customers:alice  BTC    1.00000000                 0.00000000
            income:fees                  BTC                0.01000000     0.01000000
            """);
  }

  @Test
  void postFromAFileTakesTheKeyFromIdemOrFromTheFile() throws IOException {
    start();
    accounts();
    Path withKey = temp.resolve("with-key.json");
    Files.writeString(
        withKey,
        """
        {"idempotency_key":"from-file","memo":"from a file",
         "postings":[{"account":"assets:hot-wallet","asset":"BTC","debit":"2"},
                     {"account":"liabilities:customers:alice","asset":"BTC","credit":"2"}]}
        """);

    Run fromFile = talea("post", "--book", BOOK, "--file", withKey.toString(), "--json");
    Run overridden =
        talea("post", "--book", BOOK, "--file", withKey.toString(), "--idem", "from-option");

    assertThat(fromFile.exit()).isZero();
    Transaction first = client.findTransaction(BOOK, "from-file").orElseThrow();
    assertThat(fromFile.out())
        .isEqualTo(harness.get("/v1/transactions/" + first.txId()).body() + "\n");
    assertThat(first.memo()).isEqualTo("from a file");
    assertThat(overridden.exit()).isZero();
    assertThat(overridden.out()).startsWith("committed seq 2 in book exchange\n");
    assertThat(client.findTransaction(BOOK, "from-option").orElseThrow().seq()).isEqualTo(2);
  }

  @Test
  void postWithoutIdemIsAUsageErrorAndPostsNothing() throws IOException {
    start();
    accounts();
    Path keyless = temp.resolve("keyless.json");
    Files.writeString(
        keyless,
        """
        {"postings":[{"account":"assets:hot-wallet","asset":"BTC","debit":"2"},
                     {"account":"liabilities:customers:alice","asset":"BTC","credit":"2"}]}
        """);

    Run options =
        talea("post", "--book", BOOK, "--debit", HOT + ":BTC:1", "--credit", ALICE + ":BTC:1");
    Run file = talea("post", "--book", BOOK, "--file", keyless.toString());

    assertThat(options.exit()).isEqualTo(2);
    assertThat(options.out()).isEmpty();
    assertThat(options.err())
        .isEqualTo(
            """
            talea: missing --idem: every post needs an idempotency key, and talea never invents \
            one; choose a key that identifies this transfer (e.g. --idem deposit-0xabc-0)
            Try 'talea post --help' for more information.
            """);
    assertThat(file.exit()).isEqualTo(2);
    assertThat(file.err())
        .startsWith(
            "talea: missing --idem: "
                + keyless
                + " has no idempotency_key, and talea never invents one; give --idem KEY\n");
    assertThat(client.trialBalance(BOOK, null).seq()).isZero();
  }

  @Test
  void aMalformedPostingIsAUsageError() {
    start();

    Run noAmount =
        talea("post", "--book", BOOK, "--idem", "k", "--debit", "alice:BTC", "--credit", "b:BTC:1");
    Run notAnAmount =
        talea("post", "--book", BOOK, "--idem", "k", "--debit", HOT + ":BTC:1e5", "--credit", "b");
    Run emptyAsset = talea("post", "--book", BOOK, "--idem", "k", "--credit", ALICE + "::1");

    assertThat(noAmount.exit()).isEqualTo(2);
    assertThat(noAmount.err())
        .isEqualTo(
            """
            talea: Invalid value for option '--debit': 'alice:BTC': expected ACCOUNT:ASSET:AMOUNT \
            (e.g. liabilities:customers:alice:BTC:0.5)
            Try 'talea post --help' for more information.
            """);
    assertThat(notAnAmount.exit()).isEqualTo(2);
    assertThat(notAnAmount.err())
        .startsWith(
            "talea: Invalid value for option '--debit': 'assets:hot-wallet:BTC:1e5': '1e5' is not a"
                + " positive plain decimal amount such as 0.5 or 1000");
    assertThat(emptyAsset.exit()).isEqualTo(2);
    assertThat(emptyAsset.err())
        .startsWith(
            "talea: Invalid value for option '--credit': 'liabilities:customers:alice::1': the"
                + " asset is empty");
  }

  @Test
  void anOverdraftFailsWithInsufficientBalanceAndItsFields() {
    start();
    accounts();
    client.post(BOOK, draft("deposit-1", debit(HOT, "BTC", "1.5"), credit(ALICE, "BTC", "1.5")));

    Run run =
        talea(
            "post",
            "--book",
            BOOK,
            "--idem",
            "withdrawal-1",
            "--debit",
            ALICE + ":BTC:2",
            "--credit",
            HOT + ":BTC:2");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            "talea: insufficient_balance: liabilities:customers:alice holds 1.50000000 BTC; the"
                + " posting would take it to -0.50000000, below its min_balance 0"
                + " (account=liabilities:customers:alice, asset=BTC, balance=1.50000000,"
                + " min_balance=0)\n");
  }

  @Test
  void reusingAKeyForADifferentRequestFailsWithTheOriginalTxId() {
    start();
    accounts();
    Transaction original =
        client.post(BOOK, draft("deposit-1", debit(HOT, "BTC", "1"), credit(ALICE, "BTC", "1")));

    Run run =
        talea(
            "post",
            "--book",
            BOOK,
            "--idem",
            "deposit-1",
            "--debit",
            HOT + ":BTC:2",
            "--credit",
            ALICE + ":BTC:2");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "talea: idempotency_key_reused: the idempotency key was already used in this book for"
                + " a different request (tx_id="
                + original.txId()
                + ")\n");
  }

  // ---- transactions ---------------------------------------------------------------------------

  @Test
  void txGetPrintsTheTransactionAndJsonIsTheServersJson() {
    start();
    List<Transaction> txs = ledger();
    Transaction withdrawal = txs.get(2);

    Run run = talea("tx", "get", withdrawal.txId().toString());
    Run json = talea("tx", "get", withdrawal.txId().toString(), "--json");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            tx_id            %s
            book             exchange
            seq              3
            committed_at     %s
            occurred_at      -
            idempotency_key  withdrawal-1
            memo             -
            metadata         -
            hash             %s
            prev_hash        %s

            ACCOUNT                      ASSET       DEBIT      CREDIT  BALANCE_AFTER
            liabilities:customers:alice  BTC    0.20000000                 1.30000000
            assets:hot-wallet            BTC                0.19000000     1.31000000
            income:fees                  BTC                0.01000000     0.01000000
            """
                .formatted(
                    withdrawal.txId(),
                    time(withdrawal.committedAt()),
                    withdrawal.hash(),
                    txs.get(1).hash()));
    assertThat(json.out())
        .isEqualTo(harness.get("/v1/transactions/" + withdrawal.txId()).body() + "\n");
  }

  @Test
  void txGetOfAnUnknownIdIsNotFoundAndAMalformedIdIsAUsageError() {
    start();
    accounts();
    UUID unknown = UUID.fromString("0193a5c2-7d4e-7c3a-9f1e-0b6d2c4a8e11");
    String detail = harness.get("/v1/transactions/" + unknown).json().get("detail").textValue();

    Run missing = talea("tx", "get", unknown.toString());
    Run malformed = talea("tx", "get", "not-a-uuid");

    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).isEqualTo("talea: not_found: " + detail + "\n");
    assertThat(malformed.exit()).isEqualTo(2);
    assertThat(malformed.err())
        .startsWith(
            "talea: Invalid value for positional parameter at index 0 (TX_ID): 'not-a-uuid' is not"
                + " a transaction id");
  }

  @Test
  void txListPrintsAJournalPageAndTheCursorOfTheNext() {
    start();
    List<Transaction> txs = ledger();
    Transaction one = txs.get(0);
    Transaction two = txs.get(1);

    Run run = talea("tx", "list", "--book", BOOK, "--limit", "2");
    Run json = talea("tx", "list", "--book", BOOK, "--after-seq", "1", "--json");

    assertThat(run.exit()).isZero();
    String blank = " ".repeat(87);
    assertThat(run.out())
        .isEqualTo(
            """
            SEQ  COMMITTED_AT                 TX_ID                                 \
            IDEMPOTENCY_KEY  ACCOUNT                      ASSET       DEBIT      CREDIT
              1  %s  %s  deposit-1        assets:hot-wallet            BTC    1.50000000
            %s  liabilities:customers:alice  BTC                1.50000000
              2  %s  %s  deposit-2        assets:hot-wallet            USDC   250.000000
            %s  liabilities:customers:bob    USDC               250.000000
            more transactions: --after-seq 2
            """
                .formatted(
                    time(one.committedAt()),
                    one.txId(),
                    blank,
                    time(two.committedAt()),
                    two.txId(),
                    blank));
    assertThat(json.exit()).isZero();
    assertThat(json.out())
        .isEqualTo(harness.get("/v1/books/exchange/transactions?after_seq=1").body() + "\n");
  }

  @Test
  void txListWithIdemLooksUpOneTransactionByItsKey() {
    start();
    List<Transaction> txs = ledger();

    Run found = talea("tx", "list", "--book", BOOK, "--idem", "deposit-2", "--json");
    Run none = talea("tx", "list", "--book", BOOK, "--idem", "deposit-9");
    Run mixed = talea("tx", "list", "--book", BOOK, "--idem", "deposit-2", "--limit", "5");

    assertThat(found.exit()).isZero();
    assertThat(found.out())
        .isEqualTo(
            harness.get("/v1/books/exchange/transactions?idempotency_key=deposit-2").body() + "\n");
    assertThat(Json.parseResponse(bytes(found.out())).at("/transactions/0/tx_id").textValue())
        .isEqualTo(txs.get(1).txId().toString());
    assertThat(none.exit()).isZero();
    assertThat(none.out())
        .isEqualTo("SEQ  COMMITTED_AT  TX_ID  IDEMPOTENCY_KEY  ACCOUNT  ASSET  DEBIT  CREDIT\n");
    assertThat(mixed.exit()).isEqualTo(2);
    assertThat(mixed.err())
        .startsWith(
            "talea: --idem looks up one transaction: do not combine it with --after-seq or"
                + " --limit\n");
  }

  // ---- balances -------------------------------------------------------------------------------

  @Test
  void balancePrintsTheAccountsBalancesNowAndAsOfAMoment() {
    start();
    List<Transaction> txs = ledger();
    Instant afterFirst = txs.get(0).committedAt();

    Run now = talea("balance", "--book", BOOK, "--account", HOT);
    Run oneAsset = talea("balance", "--book", BOOK, "--account", HOT, "--asset", "USDC");
    Run past = talea("balance", "--book", BOOK, "--account", HOT, "--as-of", time(afterFirst));
    Run json = talea("balance", "--book", BOOK, "--account", HOT, "--json");

    assertThat(now.exit()).isZero();
    assertThat(now.out())
        .isEqualTo(
            """
            assets:hot-wallet in book exchange (asset, normal side debit) at seq 3
            ASSET     BALANCE
            BTC    1.31000000
            USDC   250.000000
            """);
    assertThat(oneAsset.out())
        .isEqualTo(
            """
            assets:hot-wallet in book exchange (asset, normal side debit) at seq 3
            ASSET     BALANCE
            USDC   250.000000
            """);
    assertThat(past.out())
        .isEqualTo(
            """
            assets:hot-wallet in book exchange (asset, normal side debit) at seq 1, as of %s
            ASSET     BALANCE
            BTC    1.50000000
            """
                .formatted(time(afterFirst)));
    assertThat(json.out())
        .isEqualTo(
            harness.get("/v1/books/exchange/accounts/assets:hot-wallet/balances").body() + "\n");
  }

  @Test
  void trialBalancePrintsEachNonZeroBalanceInItsColumnAndTheTotals() {
    start();
    ledger();

    Run run = talea("trial-balance", "--book", BOOK);

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            trial balance of book exchange at seq 3
            ACCOUNT                      KIND       ASSET       DEBIT      CREDIT
            assets:hot-wallet            asset      BTC    1.31000000
            assets:hot-wallet            asset      USDC   250.000000
            income:fees                  income     BTC                0.01000000
            liabilities:customers:alice  liability  BTC                1.30000000
            liabilities:customers:bob    liability  USDC               250.000000
            TOTAL                                   BTC    1.31000000  1.31000000
            TOTAL                                   USDC   250.000000  250.000000
            balanced
            """);
  }

  @Test
  void trialBalanceAsOfBeforeTheFirstCommitIsEmptyAndJsonIsTheServersJson() {
    start();
    List<Transaction> txs = ledger();
    String before = time(txs.get(0).committedAt().minusNanos(1_000));

    Run run = talea("trial-balance", "--book", BOOK, "--as-of", before);
    Run json = talea("trial-balance", "--book", BOOK, "--json");
    Run pastJson = talea("trial-balance", "--book", BOOK, "--json", "--as-of", before);

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            trial balance of book exchange at seq 0, as of %s
            ACCOUNT  KIND  ASSET  DEBIT  CREDIT
            balanced
            """
                .formatted(before));
    assertThat(json.out()).isEqualTo(harness.get("/v1/books/exchange/trial-balance").body() + "\n");
    assertThat(pastJson.out())
        .isEqualTo(harness.get("/v1/books/exchange/trial-balance?as_of=" + before).body() + "\n");
  }

  @Test
  void trialBalanceOfTheExampleSeedsDemoBookIsEmptyAndBalanced() {
    String dbUrl = "log:" + temp.resolve("seeded");
    try (Store store = Stores.open(StoreUrl.parse(dbUrl), StoreSettings.defaults())) {
      SeedFile.apply(Path.of("../talea.seed.example.toml"), store);
    }
    start(dbUrl);

    Run run = talea("trial-balance", "--book", "demo");
    Run accounts = talea("accounts", "list", "--book", "demo");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            trial balance of book demo at seq 0
            ACCOUNT  KIND  ASSET  DEBIT  CREDIT
            balanced
            """);
    assertThat(accounts.out())
        .isEqualTo(
            """
            ACCOUNT                      KIND       MIN_BALANCE  ASSET  BALANCE
            assets:hot-wallet            asset                -  -            -
            income:fees                  income               -  -            -
            liabilities:customers:alice  liability            0  -            -
            """);
  }

  @Test
  void badAsOfTimestampsAreUsageErrors() {
    start();

    Run words = talea("trial-balance", "--book", BOOK, "--as-of", "yesterday");
    Run nanos =
        talea(
            "balance", "--book", BOOK, "--account", HOT, "--as-of", "2026-11-20T14:02:00.1234567Z");

    assertThat(words.exit()).isEqualTo(2);
    assertThat(words.err())
        .isEqualTo(
            """
            talea: Invalid value for option '--as-of': 'yesterday' is not an RFC 3339 timestamp \
            with at most 6 fractional digits, such as 2026-11-20T14:02:00Z or \
            2026-11-20T15:02:00.123456+01:00
            Try 'talea trial-balance --help' for more information.
            """);
    assertThat(nanos.exit()).isEqualTo(2);
  }

  // ---- statement ------------------------------------------------------------------------------

  @Test
  void statementFollowsPagesUpToTheLimitWithTheRunningBalance() {
    start();
    accounts();
    List<Transaction> txs = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      txs.add(
          client.post(
              BOOK,
              draft("deposit-" + i, debit(HOT, "BTC", "0." + i), credit(ALICE, "BTC", "0." + i))));
    }
    Transaction withdrawal =
        client.post(
            BOOK, draft("withdrawal-1", debit(ALICE, "BTC", "0.25"), credit(HOT, "BTC", "0.25")));
    txs.add(withdrawal);

    Run all = talea("statement", "--book", BOOK, "--account", ALICE, "--page-size", "2");
    Run limited =
        talea("statement", "--book", BOOK, "--account", ALICE, "--page-size", "2", "--limit", "3");
    Run rest =
        talea("statement", "--book", BOOK, "--account", ALICE, "--after-seq", "3", "--limit", "2");
    Run json =
        talea(
            "statement",
            "--book",
            BOOK,
            "--account",
            ALICE,
            "--page-size",
            "2",
            "--limit",
            "3",
            "--json");

    String header =
        "statement of liabilities:customers:alice in book exchange\n"
            + "SEQ  COMMITTED_AT                 TX_ID                                 ASSET"
            + "       DEBIT      CREDIT  BALANCE_AFTER\n";
    String[] rows = {
      "  1  %s  %s  BTC                0.10000000     0.10000000",
      "  2  %s  %s  BTC                0.20000000     0.30000000",
      "  3  %s  %s  BTC                0.30000000     0.60000000",
      "  4  %s  %s  BTC                0.40000000     1.00000000",
      "  5  %s  %s  BTC                0.50000000     1.50000000",
      "  6  %s  %s  BTC    0.25000000                 1.25000000"
    };
    // Without a debit among the rows shown, the DEBIT column is as narrow as its header.
    String creditsHeader =
        "statement of liabilities:customers:alice in book exchange\n"
            + "SEQ  COMMITTED_AT                 TX_ID                                 ASSET"
            + "  DEBIT      CREDIT  BALANCE_AFTER\n";
    String[] creditRows = {
      "  1  %s  %s  BTC           0.10000000     0.10000000",
      "  2  %s  %s  BTC           0.20000000     0.30000000",
      "  3  %s  %s  BTC           0.30000000     0.60000000",
      "  4  %s  %s  BTC           0.40000000     1.00000000",
      "  5  %s  %s  BTC           0.50000000     1.50000000"
    };
    assertThat(all.exit()).isZero();
    assertThat(all.out()).isEqualTo(header + rows(rows, txs, 0, 6));
    assertThat(limited.out())
        .isEqualTo(creditsHeader + rows(creditRows, txs, 0, 3) + "more postings: --after-seq 3\n");
    assertThat(rest.out())
        .isEqualTo(creditsHeader + rows(creditRows, txs, 3, 5) + "more postings: --after-seq 5\n");
    assertThat(json.exit()).isZero();
    assertThat(json.out())
        .isEqualTo(
            harness
                    .get("/v1/books/exchange/accounts/liabilities:customers:alice/postings?limit=3")
                    .body()
                + "\n");
  }

  // ---- tail -----------------------------------------------------------------------------------

  @Test
  void tailFromSeqOnePrintsTheExistingCommitsThenNewOnesAsJsonLines() throws Exception {
    start();
    List<Transaction> txs = ledger();
    Tail tail = Tail.start(env(), "tail", "--book", BOOK, "--from-seq", "1", "--json");

    List<String> existing = List.of(tail.nextLine(), tail.nextLine(), tail.nextLine());
    Transaction fourth =
        client.post(BOOK, draft("deposit-3", debit(HOT, "BTC", "3"), credit(BOB, "BTC", "3")));
    String live = tail.nextLine();
    int exit = tail.stop();

    assertThat(existing)
        .containsExactly(
            harness.get("/v1/transactions/" + txs.get(0).txId()).body(),
            harness.get("/v1/transactions/" + txs.get(1).txId()).body(),
            harness.get("/v1/transactions/" + txs.get(2).txId()).body());
    assertThat(live).isEqualTo(harness.get("/v1/transactions/" + fourth.txId()).body());
    assertThat(exit).isZero();
    assertThat(tail.err()).isEmpty();
  }

  @Test
  void tailPrintsEachCommitAsAHeaderLineAndItsPostings() throws Exception {
    start();
    accounts();
    Transaction deposit =
        client.post(
            BOOK,
            new TransactionDraft(
                "deposit-1",
                List.of(debit(HOT, "BTC", "1.5"), credit(ALICE, "BTC", "1.5")),
                null,
                "first deposit",
                Map.of()));
    Tail tail = Tail.start(env(), "tail", "--book", BOOK, "--from-seq", "1");

    List<String> lines = List.of(tail.nextLine(), tail.nextLine(), tail.nextLine());
    int exit = tail.stop();

    assertThat(lines)
        .containsExactly(
            "seq 1  committed_at "
                + time(deposit.committedAt())
                + "  idempotency_key deposit-1  tx_id "
                + deposit.txId()
                + "  memo first deposit",
            "  assets:hot-wallet            BTC  1.50000000              1.50000000",
            "  liabilities:customers:alice  BTC              1.50000000  1.50000000");
    assertThat(exit).isZero();
  }

  @Test
  void tailOfAnUnknownBookFailsWithNotFound() {
    start();

    Run run = talea("tail", "--book", "nope");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("talea: not_found: ");
  }

  // ---- verify ---------------------------------------------------------------------------------

  @Test
  void verifyOfAnIntactBookExitsZeroWithItsHead() {
    start();
    List<Transaction> txs = ledger();

    Run run = talea("verify", "--book", BOOK);
    Run json = talea("verify", "--book", BOOK, "--json");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo("book exchange verifies: seq 3, head_hash " + txs.get(2).hash() + "\n");
    assertThat(json.exit()).isZero();
    assertThat(json.out()).isEqualTo(harness.get("/v1/books/exchange/verify").body() + "\n");
  }

  @Test
  void verifyOfATamperedBookExitsOneWithTheFirstBadSeqAndTheReason() throws SQLException {
    Path db = temp.resolve("tampered.db");
    start("sqlite:" + db);
    ledger();
    stop();
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement statement = connection.createStatement()) {
      assertThat(
              statement.executeUpdate(
                  "UPDATE transactions SET memo = 'tampered' WHERE book = 'exchange' AND seq = 2"))
          .isEqualTo(1);
    }
    client = null;
    harness = null;
    start("sqlite:" + db);
    JsonNode server = harness.get("/v1/books/exchange/verify").json();

    Run run = talea("verify", "--book", BOOK);
    Run json = talea("verify", "--book", BOOK, "--json");

    assertThat(server.get("first_bad_seq").asLong()).isEqualTo(2);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out())
        .isEqualTo(
            "book exchange does NOT verify: first_bad_seq 2: "
                + server.get("reason").textValue()
                + "\n");
    assertThat(json.exit()).isEqualTo(1);
    assertThat(json.out()).isEqualTo(Json.toString(server) + "\n");
  }

  // ---- errors and usage -----------------------------------------------------------------------

  @Test
  void anUnknownBookIsNotFound() {
    start();
    String detail = harness.get("/v1/books/nope/trial-balance").json().get("detail").textValue();

    Run run = talea("trial-balance", "--book", "nope");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("talea: not_found: " + detail + "\n");
  }

  @Test
  void withoutATokenTheServerAnswersUnauthorizedAndTheCliSaysHowToGiveOne() {
    start();

    Run run = run(Map.of("TALEA_URL", url()), "assets", "list");
    Run wrong = run(Map.of("TALEA_URL", url()), "assets", "list", "--token", "not-a-token-at-all");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "talea: unauthorized: "
                + harness.get("/v1/assets", null).json().get("detail").textValue()
                + "\ntalea: no token was given: set TALEA_TOKEN or pass --token\n");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err())
        .startsWith("talea: unauthorized: ")
        .doesNotContain("no token was given");
  }

  @Test
  void anUnreachableServerExitsOneWithAClearMessage() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;

    Run run = run(Map.of("TALEA_TOKEN", "t"), "--url", url, "assets", "list");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .startsWith("talea: cannot reach talead at " + url + ": GET /v1/assets failed after ")
        .contains("ConnectException");
  }

  @Test
  void unknownOptionsMissingCommandsAndBadUrlsAreUsageErrors() {
    Map<String, String> env = Map.of("TALEA_URL", "http://127.0.0.1:1");

    Run unknown = run(env, "assets", "list", "--bogus");
    Run noCommand = run(env);
    Run noSubcommand = run(env, "accounts");
    Run missingBook = run(env, "trial-balance");
    Run badUrl = run(env, "--url", "ftp://example", "assets", "list");

    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err())
        .isEqualTo(
            """
            talea: Unknown option: '--bogus'
            Try 'talea assets list --help' for more information.
            """);
    assertThat(noCommand.exit()).isEqualTo(2);
    assertThat(noSubcommand.exit()).isEqualTo(2);
    assertThat(noSubcommand.err())
        .startsWith(
            "talea: missing subcommand: `talea accounts list`, `talea accounts open` or `talea"
                + " accounts show`\n");
    assertThat(missingBook.exit()).isEqualTo(2);
    assertThat(missingBook.err()).startsWith("talea: Missing required option: '--book=BOOK'\n");
    assertThat(badUrl.exit()).isEqualTo(2);
    assertThat(badUrl.err())
        .startsWith(
            "talea: --url: expected http://host:port or https://host:port, got ftp://example\n");
  }

  @Test
  void everyCommandHasHelpWithADescriptionAndExamples() {
    List<String> seen = new ArrayList<>();
    helpOf(Talea.commandLine(Map.of()), List.of(), seen);

    assertThat(seen)
        .containsExactly(
            "talea",
            "talea assets",
            "talea assets list",
            "talea assets register",
            "talea accounts",
            "talea accounts list",
            "talea accounts open",
            "talea accounts show",
            "talea post",
            "talea tx",
            "talea tx get",
            "talea tx list",
            "talea balance",
            "talea trial-balance",
            "talea statement",
            "talea tail",
            "talea verify");
  }

  @Test
  void versionPrintsTheVersion() {
    Run run = run(Map.of(), "--version");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("talea ");
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Checks {@code --help} of this command and every subcommand below it. */
  private static void helpOf(CommandLine command, List<String> path, List<String> seen) {
    String name = command.getCommandSpec().qualifiedName();
    if (name.endsWith(" help")) {
      return;
    }
    seen.add(name);
    List<String> args = new ArrayList<>(path);
    args.add("--help");
    Run run = run(Map.of(), args.toArray(String[]::new));
    assertThat(run.exit()).as(name).isZero();
    assertThat(run.out()).as(name).startsWith("Usage: " + name).contains("Example");
    assertThat(run.out()).as(name).contains("--url=URL", "--token=TOKEN", "--json");
    for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
      List<String> subPath = new ArrayList<>(path);
      subPath.add(sub.getKey());
      helpOf(sub.getValue(), subPath, seen);
    }
  }

  private static String rows(String[] rows, List<Transaction> txs, int from, int to) {
    StringBuilder text = new StringBuilder();
    for (int i = from; i < to; i++) {
      text.append(rows[i].formatted(time(txs.get(i).committedAt()), txs.get(i).txId()))
          .append('\n');
    }
    return text.toString();
  }

  private void start() {
    start("log:" + temp.resolve("log"));
  }

  private void start(String dbUrl) {
    harness = ServerHarness.start(dbUrl);
    client = TaleaClient.builder().baseUrl(url()).token(ServerHarness.ADMIN_TOKEN).build();
  }

  private String url() {
    String base = harness.uri("/").toString();
    return base.substring(0, base.length() - 1);
  }

  private Map<String, String> env() {
    return Map.of("TALEA_URL", url(), "TALEA_TOKEN", ServerHarness.ADMIN_TOKEN);
  }

  /** BTC, USDC and the exchange book's accounts. */
  private void accounts() {
    client.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    client.registerAsset(new AssetSpec("USDC", 6, "USD Coin"));
    client.openAccount(BOOK, HOT, new AccountSpec(AccountKind.ASSET));
    client.openAccount(
        BOOK, ALICE, new AccountSpec(AccountKind.LIABILITY, zero(), Map.of("customer_id", "c-1")));
    client.openAccount(BOOK, BOB, new AccountSpec(AccountKind.LIABILITY, zero(), Map.of()));
    client.openAccount(
        BOOK,
        "liabilities:customers:dan",
        new AccountSpec(
            AccountKind.LIABILITY, DecimalAmount.parseSigned("-500", "min_balance"), Map.of()));
    client.openAccount(BOOK, FEES, new AccountSpec(AccountKind.INCOME));
  }

  /**
   * The accounts, then three commits: alice deposits 1.5 BTC, bob 250 USDC, and alice withdraws 0.2
   * BTC of which 0.01 is a fee.
   */
  private List<Transaction> ledger() {
    accounts();
    return List.of(
        client.post(
            BOOK, draft("deposit-1", debit(HOT, "BTC", "1.5"), credit(ALICE, "BTC", "1.5"))),
        client.post(
            BOOK, draft("deposit-2", debit(HOT, "USDC", "250"), credit(BOB, "USDC", "250"))),
        client.post(
            BOOK,
            draft(
                "withdrawal-1",
                debit(ALICE, "BTC", "0.2"),
                credit(HOT, "BTC", "0.19"),
                credit(FEES, "BTC", "0.01"))));
  }

  private static DecimalAmount zero() {
    return DecimalAmount.parseSigned("0", "min_balance");
  }

  private static TransactionDraft draft(String key, DraftPosting... postings) {
    return new TransactionDraft(key, List.of(postings));
  }

  private static DraftPosting debit(String account, String asset, String amount) {
    return DraftPosting.debit(account, asset, amount);
  }

  private static DraftPosting credit(String account, String asset, String amount) {
    return DraftPosting.credit(account, asset, amount);
  }

  private static String time(Instant instant) {
    return Timestamps.format(instant);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** What one run of the CLI printed and its exit code. */
  record Run(int exit, String out, String err) {}

  private Run talea(String... args) {
    return run(env(), args);
  }

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = Talea.commandLine(env);
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int exit = line.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /**
   * {@code talea tail} on a thread of its own; its output arrives line by line, and {@link #stop}
   * interrupts it as Ctrl-C would end it.
   */
  private static final class Tail {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringWriter err = new StringWriter();
    private final AtomicInteger exit = new AtomicInteger(-1);
    private final Thread thread;

    private Tail(Map<String, String> env, String... args) {
      CommandLine line = Talea.commandLine(new HashMap<>(env));
      line.setOut(new PrintWriter(new LineWriter(lines), true));
      line.setErr(new PrintWriter(err, true));
      thread = new Thread(() -> exit.set(line.execute(args)), "talea-tail");
    }

    static Tail start(Map<String, String> env, String... args) {
      Tail tail = new Tail(env, args);
      tail.thread.start();
      return tail;
    }

    String nextLine() throws InterruptedException {
      String line = lines.poll(30, TimeUnit.SECONDS);
      assertThat(line).as("a line from talea tail within 30 s").isNotNull();
      return line;
    }

    int stop() throws InterruptedException {
      thread.interrupt();
      thread.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(thread.isAlive()).as("talea tail stopped").isFalse();
      assertThat(lines).as("no further output").isEmpty();
      return exit.get();
    }

    String err() {
      return err.toString();
    }
  }

  /** A writer that hands each complete line to a queue. */
  private static final class LineWriter extends Writer {
    private final BlockingQueue<String> lines;
    private final StringBuilder current = new StringBuilder();

    LineWriter(BlockingQueue<String> lines) {
      this.lines = lines;
    }

    @Override
    public synchronized void write(char[] buffer, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        if (buffer[i] == '\n') {
          lines.add(current.toString());
          current.setLength(0);
        } else {
          current.append(buffer[i]);
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
