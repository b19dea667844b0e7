package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The symmetry suite of {@link LedgerApi}: the in-process {@code LedgerService} and the HTTP {@code
 * TaleaClient} pass it unchanged, so code written against the interface behaves the same on either.
 * Everything goes through the interface: the blocking forms, and the asynchronous forms where a
 * test says so.
 *
 * <p>A subclass starts its implementation once per class ({@link #startApi()}) and stops it after
 * ({@link #stopApi()}). Every test works in a freshly named book with the suite's accounts opened,
 * so tests never see each other's commits; a test that inspects the asset list uses asset codes of
 * its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class LedgerApiContractTest {

  protected static final String BTC = "BTC";
  protected static final String USD = "USD";

  /** Debit-normal, unconstrained. */
  protected static final String WALLET = "assets:hot-wallet";

  /** Credit-normal, min_balance 0. */
  protected static final String ALICE = "liabilities:customers:alice";

  /** Credit-normal, min_balance 0. */
  protected static final String BOB = "liabilities:customers:bob";

  /** Credit-normal, unconstrained. */
  protected static final String FEES = "income:fees";

  /** How long anything that should happen may take. */
  protected static final Duration WAIT = Duration.ofSeconds(10);

  /** How long to watch for something that must not happen. */
  protected static final Duration QUIET = Duration.ofMillis(500);

  private static final Duration ONE_MICRO = Duration.ofNanos(1_000);
  private static final AtomicInteger BOOKS = new AtomicInteger();

  /** This test's own book, with {@link #WALLET}, {@link #ALICE}, {@link #BOB}, {@link #FEES}. */
  protected String book;

  /** Starts the implementation under test, once per class. */
  protected abstract void startApi() throws Exception;

  /** Stops it; called even if {@link #startApi()} failed half-way. */
  protected abstract void stopApi() throws Exception;

  /** The implementation under test. */
  protected abstract LedgerApi api();

  @BeforeAll
  final void startImplementation() throws Exception {
    startApi();
    api().registerAsset(new AssetSpec(BTC, 8, "Bitcoin"));
    api().registerAsset(new AssetSpec(USD, 2, "US dollar"));
  }

  @AfterAll
  final void stopImplementation() throws Exception {
    stopApi();
  }

  @BeforeEach
  final void openFreshBook() {
    book = freshBookName();
    AccountSpec floorZero =
        new AccountSpec(AccountKind.LIABILITY, DecimalAmount.parseSigned("0", "min_balance"), null);
    api().openAccount(book, WALLET, new AccountSpec(AccountKind.ASSET));
    api().openAccount(book, ALICE, floorZero);
    api().openAccount(book, BOB, floorZero);
    api().openAccount(book, FEES, new AccountSpec(AccountKind.INCOME));
  }

  /** A book name no other test (or earlier run on the same storage) uses. */
  protected static String freshBookName() {
    return "book-"
        + BOOKS.incrementAndGet()
        + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  }

  /** An asset code prefix of this test's own, e.g. {@code T1A2B3C4D5E6F7A8B}. */
  protected static String freshAssetPrefix() {
    return "T" + HexFormat.of().withUpperCase().toHexDigits(ThreadLocalRandom.current().nextLong());
  }

  // ---- drafts ----------------------------------------------------------------------------------

  /** A deposit for Alice: the wallet debited, Alice credited. */
  protected static TransactionDraft deposit(String key, String amount) {
    return transfer(key, WALLET, ALICE, BTC, amount);
  }

  /** {@code amount} of {@code asset} debited to {@code debit} and credited to {@code credit}. */
  protected static TransactionDraft transfer(
      String key, String debit, String credit, String asset, String amount) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit(debit, asset, amount), DraftPosting.credit(credit, asset, amount)));
  }

  // ---- assertions ------------------------------------------------------------------------------

  protected static LedgerException failure(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(LedgerException.class);
    return (LedgerException) thrown;
  }

  /** Asserts the error's code and exactly its structured fields. */
  protected static void assertError(LedgerException e, ErrorCode code, Map<String, String> fields) {
    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
    assertThat(e.error().fields()).as(e.getMessage()).isEqualTo(fields);
  }

  protected static void assertInvalidRequest(String field, ThrowingCallable call) {
    assertError(failure(call), ErrorCode.INVALID_REQUEST, Map.of("field", field));
  }

  /** The result of an asynchronous call, which must complete within {@link #WAIT}. */
  protected static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the call failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not complete within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The {@link LedgerException} an asynchronous call completes with. */
  protected static LedgerException asyncFailure(Supplier<CompletionStage<?>> call) {
    CompletionStage<?> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      throw new AssertionError("an asynchronous form must not throw, but threw " + e, e);
    }
    try {
      Object value = stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(LedgerException.class);
      return (LedgerException) e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not complete within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Transaction committed(PostOutcome outcome) {
    assertThat(outcome).isInstanceOf(PostOutcome.Committed.class);
    return ((PostOutcome.Committed) outcome).transaction();
  }

  private static LedgerError rejected(PostOutcome outcome) {
    assertThat(outcome).isInstanceOf(PostOutcome.Rejected.class);
    return ((PostOutcome.Rejected) outcome).error();
  }

  private static List<String> balancesAfter(Transaction tx) {
    return tx.postings().stream().map(p -> p.balanceAfter().toString()).toList();
  }

  private static List<String> balances(List<Balance> balances) {
    return balances.stream().map(b -> b.asset() + " " + b.balance()).toList();
  }

  private static List<Long> seqs(TransactionPage page) {
    return page.transactions().stream().map(Transaction::seq).toList();
  }

  /** Waits until the store's clock (the wall clock here) has moved past {@code instant}. */
  private static void clockPasses(Instant instant) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Instant.now().isAfter(instant.plus(ONE_MICRO))) {
      assertThat(System.nanoTime()).as("the clock moves on").isLessThan(deadline);
      Thread.sleep(1);
    }
  }

  // ---- posting ---------------------------------------------------------------------------------

  @Test
  void postsCommitAtGaplessSeqsChainedByHashWithNormalSideBalancesAfter() {
    Instant occurred = Instant.parse("2026-11-20T14:02:00.123456Z");
    TransactionDraft draft =
        new TransactionDraft(
            "deposit-0xabc-0",
            List.of(DraftPosting.debit(WALLET, BTC, "0.5"), DraftPosting.credit(ALICE, BTC, "0.5")),
            occurred,
            "deposit 0xabc",
            Map.of("chain_tx", "0xabc"));

    Transaction first = api().post(book, draft);

    assertThat(first.deduplicated()).isFalse();
    assertThat(first.book()).isEqualTo(book);
    assertThat(first.seq()).isEqualTo(1);
    assertThat(first.idempotencyKey()).isEqualTo("deposit-0xabc-0");
    assertThat(first.occurredAt()).isEqualTo(occurred);
    assertThat(first.memo()).isEqualTo("deposit 0xabc");
    assertThat(first.metadata()).isEqualTo(Map.of("chain_tx", "0xabc"));
    assertThat(first.txId().version()).isEqualTo(7);
    assertThat(first.committedAt().getNano() % 1_000).as("microsecond precision").isZero();
    assertThat(first.prevHash()).isEqualTo(HashChain.GENESIS);
    assertThat(HashChain.isHash(first.hash())).isTrue();
    assertThat(first.hash()).isEqualTo(HashChain.hash(first));
    assertThat(first.postings())
        .extracting(
            Posting::account,
            Posting::asset,
            Posting::side,
            p -> p.amount().toString(),
            p -> p.balanceAfter().toString())
        .containsExactly(
            tuple(WALLET, BTC, Side.DEBIT, "0.50000000", "0.50000000"),
            tuple(ALICE, BTC, Side.CREDIT, "0.50000000", "0.50000000"));

    Transaction second = await(api().postAsync(book, deposit("deposit-0xdef-0", "1.25")));

    assertThat(second.deduplicated()).isFalse();
    assertThat(second.seq()).isEqualTo(2);
    assertThat(second.prevHash()).isEqualTo(first.hash());
    assertThat(second.hash()).isEqualTo(HashChain.hash(second)).isNotEqualTo(first.hash());
    assertThat(second.txId()).isNotEqualTo(first.txId());
    assertThat(second.committedAt()).isAfterOrEqualTo(first.committedAt());
    assertThat(second.occurredAt()).isNull();
    assertThat(second.memo()).isNull();
    assertThat(second.metadata()).isEmpty();
    assertThat(balancesAfter(second)).containsExactly("1.75000000", "1.75000000");

    assertThat(api().listTransactions(book, 0, 100).transactions()).containsExactly(first, second);
  }

  @Test
  void aReplayAnswersTheOriginalCommitDeduplicatedEvenAfterLaterCommits() {
    Transaction original = api().post(book, deposit("deposit-1", "0.5"));
    Transaction later = api().post(book, deposit("deposit-2", "2"));

    Transaction replay = api().post(book, deposit("deposit-1", "0.5"));
    // Amounts compare as minor units: trailing zeros do not make another request.
    Transaction rewritten = await(api().postAsync(book, deposit("deposit-1", "0.50000000")));

    for (Transaction answer : List.of(replay, rewritten)) {
      assertThat(answer.deduplicated()).isTrue();
      assertThat(answer.txId()).isEqualTo(original.txId());
      assertThat(answer.seq()).isEqualTo(1);
      assertThat(answer.hash()).isEqualTo(original.hash());
      assertThat(answer.committedAt()).isEqualTo(original.committedAt());
      assertThat(balancesAfter(answer)).containsExactly("0.50000000", "0.50000000");
      assertThat(answer.withDeduplicated(false)).isEqualTo(original);
    }
    assertThat(api().listTransactions(book, 0, 100).transactions())
        .containsExactly(original, later);
  }

  @Test
  void aDifferentRequestUnderAUsedKeyIsRejectedNamingTheOriginalTransaction() {
    Transaction original = api().post(book, deposit("deposit-1", "0.5"));
    Map<String, String> naming = Map.of("tx_id", original.txId().toString());

    assertError(
        failure(() -> api().post(book, deposit("deposit-1", "0.6"))),
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        naming);
    assertError(
        asyncFailure(() -> api().postAsync(book, transfer("deposit-1", WALLET, BOB, BTC, "0.5"))),
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        naming);
    assertThat(ErrorCode.IDEMPOTENCY_KEY_REUSED.httpStatus()).isEqualTo(409);
    assertThat(api().listTransactions(book, 0, 100).transactions()).containsExactly(original);
  }

  // ---- registrations ---------------------------------------------------------------------------

  @Test
  void assetsRegisterOnceAreListedByCodeAndReRegisteringWithOtherDecimalsIsAConflict() {
    String prefix = freshAssetPrefix();
    String first = prefix + ".A";
    String second = prefix + ".B";

    Registration<Asset> b = api().registerAsset(new AssetSpec(second, 0, null));
    Registration<Asset> a = await(api().registerAssetAsync(new AssetSpec(first, 6, "Token A")));
    Registration<Asset> again = api().registerAsset(new AssetSpec(first, 6, "Token A"));

    assertThat(a.created()).isTrue();
    assertThat(b.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.value()).isEqualTo(a.value());
    assertThat(a.value())
        .extracting(Asset::code, Asset::decimals, Asset::name)
        .containsExactly(first, 6, "Token A");
    assertThat(b.value())
        .extracting(Asset::code, Asset::decimals, Asset::name)
        .containsExactly(second, 0, null);
    assertThat(api().getAsset(first)).isEqualTo(a.value());
    assertThat(await(api().getAssetAsync(second))).isEqualTo(b.value());

    List<Asset> listed = api().listAssets();
    assertThat(listed).isSortedAccordingTo(Comparator.comparing(Asset::code));
    assertThat(listed.stream().filter(asset -> asset.code().startsWith(prefix)))
        .containsExactly(a.value(), b.value());

    assertError(
        failure(() -> api().registerAsset(new AssetSpec(first, 2, "Token A"))),
        ErrorCode.CONFLICT,
        Map.of("field", "decimals"));
    assertThat(api().getAsset(first).decimals()).isEqualTo(6);
  }

  @Test
  void reopeningAnAccountWithAnotherKindOrMinBalanceIsAConflictButNewMetadataIsAnUpdate() {
    Registration<Account> opened =
        api().openAccount(book, "assets:cold-wallet", new AccountSpec(AccountKind.ASSET));
    Registration<Account> same =
        await(
            api().openAccountAsync(book, "assets:cold-wallet", new AccountSpec(AccountKind.ASSET)));

    assertThat(opened.created()).isTrue();
    assertThat(opened.value())
        .extracting(
            Account::book, Account::account, Account::kind, Account::minBalance, Account::balances)
        .containsExactly(book, "assets:cold-wallet", AccountKind.ASSET, null, List.of());
    assertThat(opened.value().normalSide()).isEqualTo(Side.DEBIT);
    assertThat(same.created()).isFalse();
    assertThat(same.value()).isEqualTo(opened.value());

    assertError(
        failure(
            () ->
                api()
                    .openAccount(
                        book, "assets:cold-wallet", new AccountSpec(AccountKind.LIABILITY))),
        ErrorCode.CONFLICT,
        Map.of("field", "kind"));
    assertError(
        failure(
            () ->
                api()
                    .openAccount(
                        book,
                        "assets:cold-wallet",
                        new AccountSpec(
                            AccountKind.ASSET, DecimalAmount.parseSigned("-5", "min"), null))),
        ErrorCode.CONFLICT,
        Map.of("field", "min_balance"));

    Registration<Account> updated =
        api()
            .openAccount(
                book,
                "assets:cold-wallet",
                new AccountSpec(AccountKind.ASSET, null, Map.of("region", "eu")));
    assertThat(updated.created()).isFalse();
    assertThat(updated.value().metadata()).isEqualTo(Map.of("region", "eu"));
    assertThat(api().getAccount(book, "assets:cold-wallet")).isEqualTo(updated.value());
  }

  // ---- rejections ------------------------------------------------------------------------------

  @Test
  void aPostingToAnUnknownAccountIsRejectedNamingItAndLeavesTheKeyFree() {
    TransactionDraft toUnknown = transfer("deposit-1", "assets:nowhere", ALICE, BTC, "1");

    assertError(
        failure(() -> api().post(book, toUnknown)),
        ErrorCode.UNKNOWN_ACCOUNT,
        Map.of("account", "assets:nowhere"));
    assertError(
        asyncFailure(() -> api().postAsync(book, toUnknown)),
        ErrorCode.UNKNOWN_ACCOUNT,
        Map.of("account", "assets:nowhere"));
    assertThat(api().findTransaction(book, "deposit-1")).isEmpty();

    Transaction fixed = api().post(book, deposit("deposit-1", "1"));
    assertThat(fixed.seq()).isEqualTo(1);
    assertThat(fixed.deduplicated()).isFalse();
  }

  @Test
  void anUnbalancedTransactionIsRejectedWithTheAssetAndBothColumns() {
    TransactionDraft unbalanced =
        new TransactionDraft(
            "unbalanced-1",
            List.of(
                DraftPosting.debit(WALLET, USD, "10"),
                DraftPosting.credit(ALICE, USD, "9.5"),
                DraftPosting.credit(BOB, USD, "0.25")));

    assertError(
        failure(() -> api().post(book, unbalanced)),
        ErrorCode.UNBALANCED,
        Map.of("asset", USD, "debits", "10.00", "credits", "9.75"));
    assertThat(api().listTransactions(book, 0, 100).transactions()).isEmpty();
  }

  @Test
  void aPostingBelowMinBalanceIsRejectedWithTheBalanceAndTheLimit() {
    api().post(book, deposit("deposit-1", "0.3"));
    TransactionDraft withdrawal = transfer("withdrawal-1", ALICE, WALLET, BTC, "0.5");

    assertError(
        failure(() -> api().post(book, withdrawal)),
        ErrorCode.INSUFFICIENT_BALANCE,
        Map.of("account", ALICE, "asset", BTC, "balance", "0.30000000", "min_balance", "0"));
    assertThat(api().findTransaction(book, "withdrawal-1")).isEmpty();

    Transaction allOfIt = api().post(book, transfer("withdrawal-1", ALICE, WALLET, BTC, "0.3"));
    assertThat(allOfIt.seq()).isEqualTo(2);
    assertThat(balancesAfter(allOfIt)).containsExactly("0.00000000", "0.00000000");
  }

  @Test
  void anAmountBeyondItsAssetsDecimalsOrUint256IsAnInvalidAmountNamingThePosting() {
    assertError(
        failure(() -> api().post(book, transfer("usd-1", WALLET, ALICE, USD, "1.005"))),
        ErrorCode.INVALID_AMOUNT,
        Map.of("field", "postings[0].debit"));
    TransactionDraft huge =
        new TransactionDraft(
            "usd-2",
            List.of(
                DraftPosting.debit(WALLET, USD, "1"),
                DraftPosting.credit(ALICE, USD, "1" + "0".repeat(76))));
    assertError(
        failure(() -> api().post(book, huge)),
        ErrorCode.INVALID_AMOUNT,
        Map.of("field", "postings[1].credit"));
    assertThat(api().listTransactions(book, 0, 100).transactions()).isEmpty();
  }

  @Test
  void aPostingInAnUnregisteredAssetIsRejectedNamingTheAsset() {
    String unknown = freshAssetPrefix();

    assertError(
        failure(() -> api().post(book, transfer("x-1", WALLET, ALICE, unknown, "1"))),
        ErrorCode.UNKNOWN_ASSET,
        Map.of("asset", unknown));
    assertThat(api().findTransaction(book, "x-1")).isEmpty();
  }

  // ---- balances --------------------------------------------------------------------------------

  /** Five commits: BTC and USD deposits, a fee, and Bob's BTC in and out again. */
  private List<Transaction> postScenario() {
    List<Transaction> posted = new ArrayList<>();
    posted.add(api().post(book, deposit("deposit-btc", "2")));
    posted.add(api().post(book, transfer("fee", ALICE, FEES, BTC, "0.1")));
    posted.add(api().post(book, transfer("deposit-usd", WALLET, BOB, USD, "10")));
    posted.add(api().post(book, transfer("bob-in", WALLET, BOB, BTC, "0.5")));
    posted.add(api().post(book, transfer("bob-out", BOB, WALLET, BTC, "0.5")));
    return posted;
  }

  @Test
  void balancesAreNormalSideAdjustedPerAssetAndFilterableByAsset() {
    api().openAccount(book, "expenses:gas", new AccountSpec(AccountKind.EXPENSE));
    postScenario();
    api().post(book, transfer("gas", "expenses:gas", WALLET, USD, "15"));

    AccountBalances wallet = api().balances(book, WALLET, null, null);
    assertThat(wallet)
        .extracting(
            AccountBalances::book,
            AccountBalances::account,
            AccountBalances::kind,
            AccountBalances::asOf,
            AccountBalances::seq)
        .containsExactly(book, WALLET, AccountKind.ASSET, null, 6L);
    assertThat(wallet.normalSide()).isEqualTo(Side.DEBIT);
    assertThat(balances(wallet.balances())).containsExactly("BTC 2.00000000", "USD -5.00");

    AccountBalances alice = await(api().balancesAsync(book, ALICE, null, null));
    assertThat(alice.normalSide()).isEqualTo(Side.CREDIT);
    assertThat(balances(alice.balances())).containsExactly("BTC 1.90000000");
    assertThat(balances(api().balances(book, BOB, null, null).balances()))
        .containsExactly("BTC 0.00000000", "USD 10.00");
    assertThat(balances(api().balances(book, FEES, null, null).balances()))
        .containsExactly("BTC 0.10000000");
    assertThat(balances(api().balances(book, "expenses:gas", null, null).balances()))
        .containsExactly("USD 15.00");

    assertThat(balances(api().balances(book, WALLET, null, USD).balances()))
        .containsExactly("USD -5.00");
    assertThat(balances(api().balances(book, ALICE, null, USD).balances()))
        .as("an asset never held reads zero")
        .containsExactly("USD 0.00");

    Account account = api().getAccount(book, WALLET);
    assertThat(account.balances()).isEqualTo(wallet.balances());
    assertThat(await(api().getAccountAsync(book, ALICE)).balances()).isEqualTo(alice.balances());
  }

  @Test
  void asOfIncludesACommitAtExactlyItsCommittedAtAndExcludesItOneMicrosecondEarlier()
      throws InterruptedException {
    Transaction first = api().post(book, deposit("deposit-1", "1"));
    clockPasses(first.committedAt());
    Transaction second = api().post(book, deposit("deposit-2", "2"));
    assertThat(second.committedAt()).isAfter(first.committedAt());
    Instant atFirst = first.committedAt();
    Instant beforeFirst = atFirst.minus(ONE_MICRO);

    AccountBalances exactly = api().balances(book, ALICE, atFirst, null);
    assertThat(exactly.asOf()).isEqualTo(atFirst);
    assertThat(exactly.seq()).isEqualTo(1);
    assertThat(balances(exactly.balances())).containsExactly("BTC 1.00000000");

    AccountBalances earlier = await(api().balancesAsync(book, ALICE, beforeFirst, null));
    assertThat(earlier.asOf()).isEqualTo(beforeFirst);
    assertThat(earlier.seq()).isZero();
    assertThat(earlier.balances()).isEmpty();
    assertThat(balances(api().balances(book, ALICE, beforeFirst, BTC).balances()))
        .containsExactly("BTC 0.00000000");

    // Talea's resolution is the microsecond: a finer moment answers as its microsecond.
    AccountBalances withinTheMicrosecond =
        api().balances(book, ALICE, atFirst.plusNanos(999), null);
    assertThat(withinTheMicrosecond.asOf()).isEqualTo(atFirst);
    assertThat(withinTheMicrosecond.seq()).isEqualTo(1);
    AccountBalances aNanosecondBefore = api().balances(book, ALICE, atFirst.minusNanos(1), null);
    assertThat(aNanosecondBefore.asOf()).isEqualTo(beforeFirst);
    assertThat(aNanosecondBefore.seq()).isZero();

    AccountBalances justBeforeSecond =
        api().balances(book, ALICE, second.committedAt().minus(ONE_MICRO), null);
    assertThat(justBeforeSecond.seq()).isEqualTo(1);
    assertThat(balances(justBeforeSecond.balances())).containsExactly("BTC 1.00000000");

    AccountBalances atSecond = api().balances(book, ALICE, second.committedAt(), null);
    assertThat(atSecond.seq()).isEqualTo(2);
    assertThat(balances(atSecond.balances())).containsExactly("BTC 3.00000000");

    Instant future = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MICROS);
    AccountBalances inTheFuture = api().balances(book, ALICE, future, null);
    assertThat(inTheFuture.asOf()).isEqualTo(future);
    assertThat(inTheFuture.seq()).isEqualTo(2);
    assertThat(balances(inTheFuture.balances())).containsExactly("BTC 3.00000000");

    TrialBalance trialBefore = api().trialBalance(book, beforeFirst);
    assertThat(trialBefore.seq()).isZero();
    assertThat(trialBefore.asOf()).isEqualTo(beforeFirst);
    assertThat(trialBefore.accounts()).isEmpty();
    assertThat(trialBefore.totals()).isEmpty();
    assertThat(trialBefore.balanced()).isTrue();

    TrialBalance trialAtFirst = await(api().trialBalanceAsync(book, atFirst));
    assertThat(trialAtFirst.seq()).isEqualTo(1);
    assertThat(trialAtFirst.accounts())
        .extracting(
            TrialBalance.Line::account, l -> l.debit().toString(), l -> l.credit().toString())
        .containsExactly(
            tuple(WALLET, "1.00000000", "0.00000000"), tuple(ALICE, "0.00000000", "1.00000000"));
  }

  @Test
  void theTrialBalanceShowsEachNonZeroRawBalanceInOneColumnWithBalancedTotals() {
    postScenario();

    TrialBalance trial = api().trialBalance(book, null);

    assertThat(trial.book()).isEqualTo(book);
    assertThat(trial.asOf()).isNull();
    assertThat(trial.seq()).isEqualTo(5);
    assertThat(trial.balanced()).isTrue();
    // Bob's BTC went in and out again: a zero balance, left out.
    assertThat(trial.accounts())
        .extracting(
            TrialBalance.Line::account,
            TrialBalance.Line::kind,
            TrialBalance.Line::asset,
            l -> l.debit().toString(),
            l -> l.credit().toString())
        .containsExactly(
            tuple(WALLET, AccountKind.ASSET, BTC, "2.00000000", "0.00000000"),
            tuple(WALLET, AccountKind.ASSET, USD, "10.00", "0.00"),
            tuple(FEES, AccountKind.INCOME, BTC, "0.00000000", "0.10000000"),
            tuple(ALICE, AccountKind.LIABILITY, BTC, "0.00000000", "1.90000000"),
            tuple(BOB, AccountKind.LIABILITY, USD, "0.00", "10.00"));
    assertThat(trial.totals())
        .extracting(
            TrialBalance.Total::asset, t -> t.debit().toString(), t -> t.credit().toString())
        .containsExactly(tuple(BTC, "2.00000000", "2.00000000"), tuple(USD, "10.00", "10.00"));
  }

  // ---- reading ---------------------------------------------------------------------------------

  @Test
  void transactionPagesFollowNextAfterSeqToTheEnd() {
    List<Transaction> posted = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      posted.add(api().post(book, deposit("deposit-" + i, "0.1")));
    }

    TransactionPage first = api().listTransactions(book, 0, 2);
    assertThat(first.transactions()).containsExactlyElementsOf(posted.subList(0, 2));
    assertThat(first.nextAfterSeq()).isEqualTo(2L);

    TransactionPage second = await(api().listTransactionsAsync(book, first.nextAfterSeq(), 2));
    assertThat(seqs(second)).containsExactly(3L, 4L);
    assertThat(second.nextAfterSeq()).isEqualTo(4L);

    TransactionPage last = api().listTransactions(book, second.nextAfterSeq(), 2);
    assertThat(last.transactions()).containsExactly(posted.get(4));
    assertThat(last.nextAfterSeq()).isNull();

    TransactionPage exactlyFull = api().listTransactions(book, 0, 5);
    assertThat(exactlyFull.transactions()).containsExactlyElementsOf(posted);
    assertThat(exactlyFull.nextAfterSeq()).isNull();

    TransactionPage beyond = api().listTransactions(book, 5, 10);
    assertThat(beyond.transactions()).isEmpty();
    assertThat(beyond.nextAfterSeq()).isNull();
  }

  @Test
  void accountPagesFollowNextAfterInNameOrder() {
    api().post(book, deposit("deposit-1", "1"));

    AccountPage first = api().listAccounts(book, null, 3);
    assertThat(first.accounts()).extracting(Account::account).containsExactly(WALLET, FEES, ALICE);
    assertThat(first.nextAfter()).isEqualTo(ALICE);
    assertThat(first.accounts().get(0)).isEqualTo(api().getAccount(book, WALLET));
    assertThat(balances(first.accounts().get(2).balances())).containsExactly("BTC 1.00000000");

    AccountPage last = await(api().listAccountsAsync(book, first.nextAfter(), 3));
    assertThat(last.accounts()).extracting(Account::account).containsExactly(BOB);
    assertThat(last.accounts().get(0)).isEqualTo(api().getAccount(book, BOB));
    assertThat(last.nextAfter()).isNull();

    AccountPage exactlyFull = api().listAccounts(book, null, 4);
    assertThat(exactlyFull.accounts()).hasSize(4);
    assertThat(exactlyFull.nextAfter()).isNull();
  }

  @Test
  void postingPagesListAnAccountsLinesWithRunningBalancesOptionallyOfOneAsset() {
    List<Transaction> posted = postScenario();

    PostingPage first = api().listPostings(book, WALLET, null, 0, 2);
    assertThat(first.postings())
        .extracting(
            AccountPosting::seq,
            AccountPosting::txId,
            AccountPosting::committedAt,
            AccountPosting::asset,
            AccountPosting::side,
            p -> p.amount().toString(),
            p -> p.balanceAfter().toString())
        .containsExactly(
            tuple(
                1L,
                posted.get(0).txId(),
                posted.get(0).committedAt(),
                BTC,
                Side.DEBIT,
                "2.00000000",
                "2.00000000"),
            tuple(
                3L,
                posted.get(2).txId(),
                posted.get(2).committedAt(),
                USD,
                Side.DEBIT,
                "10.00",
                "10.00"));
    assertThat(first.nextAfterSeq()).isEqualTo(3L);

    PostingPage rest = await(api().listPostingsAsync(book, WALLET, null, first.nextAfterSeq(), 2));
    assertThat(rest.postings())
        .extracting(
            AccountPosting::seq,
            AccountPosting::side,
            p -> p.amount().toString(),
            p -> p.balanceAfter().toString())
        .containsExactly(
            tuple(4L, Side.DEBIT, "0.50000000", "2.50000000"),
            tuple(5L, Side.CREDIT, "0.50000000", "2.00000000"));
    assertThat(rest.nextAfterSeq()).isNull();

    PostingPage usdOnly = api().listPostings(book, WALLET, USD, 0, 100);
    assertThat(usdOnly.postings()).extracting(AccountPosting::seq).containsExactly(3L);
    assertThat(usdOnly.nextAfterSeq()).isNull();

    PostingPage bobBtc = api().listPostings(book, BOB, BTC, 0, 100);
    assertThat(bobBtc.postings())
        .extracting(AccountPosting::seq, AccountPosting::side, p -> p.balanceAfter().toString())
        .containsExactly(tuple(4L, Side.CREDIT, "0.50000000"), tuple(5L, Side.DEBIT, "0.00000000"));
  }

  @Test
  void aTransactionIsFoundByItsKeyInItsBookAndByItsIdFromAnywhere() {
    Transaction posted = api().post(book, deposit("deposit-0xabc-0", "0.5"));

    assertThat(api().findTransaction(book, "deposit-0xabc-0")).contains(posted);
    assertThat(await(api().findTransactionAsync(book, "deposit-0xabc-0"))).contains(posted);
    assertThat(api().findTransaction(book, "deposit-0xabc-1")).isEmpty();
    assertThat(api().getTransaction(posted.txId())).isEqualTo(posted);
    assertThat(await(api().getTransactionAsync(posted.txId()))).isEqualTo(posted);

    // The key is scoped to its book.
    String other = freshBookName();
    api().openAccount(other, WALLET, new AccountSpec(AccountKind.ASSET));
    assertThat(api().findTransaction(other, "deposit-0xabc-0")).isEqualTo(Optional.empty());

    assertError(
        failure(() -> api().getTransaction(UUID.randomUUID())), ErrorCode.NOT_FOUND, Map.of());
  }

  @Test
  void listBooksShowsEachBooksHeadSortedByName() {
    assertThat(api().listBooks()).contains(new BookSummary(book, 0, HashChain.GENESIS));

    api().post(book, deposit("deposit-1", "1"));
    Transaction last = api().post(book, deposit("deposit-2", "1"));

    List<BookSummary> books = await(api().listBooksAsync());
    assertThat(books).contains(new BookSummary(book, 2, last.hash()));
    assertThat(books).isSortedAccordingTo(Comparator.comparing(BookSummary::book));
    assertThat(books).extracting(BookSummary::book).doesNotHaveDuplicates();
  }

  @Test
  void verifyRecomputesTheChainUpToTheHead() {
    assertThat(api().verify(book)).isEqualTo(VerifyResult.ok(book, 0, HashChain.GENESIS));

    postScenario();
    Transaction last = api().post(book, deposit("deposit-2", "1"));

    VerifyResult result = await(api().verifyAsync(book));
    assertThat(result).isEqualTo(VerifyResult.ok(book, 6, last.hash()));
    assertThat(result.firstBadSeq()).isNull();
    assertThat(result.reason()).isNull();
  }

  // ---- batches ---------------------------------------------------------------------------------

  @Test
  void aBatchAnswersOneIndependentOutcomePerDraftInRequestOrder() {
    Transaction before = api().post(book, deposit("before", "1"));

    List<PostOutcome> outcomes =
        await(
            api()
                .postBatchAsync(
                    book,
                    List.of(
                        deposit("batch-1", "0.5"),
                        transfer("batch-2", WALLET, "liabilities:nobody", BTC, "1"),
                        deposit("before", "1"),
                        deposit("batch-3", "0.25"),
                        new TransactionDraft(
                            "batch-4",
                            List.of(
                                DraftPosting.debit(WALLET, BTC, "1"),
                                DraftPosting.credit(ALICE, BTC, "2"))))));

    assertThat(outcomes)
        .extracting(PostOutcome::httpStatus)
        .containsExactly(201, 422, 200, 201, 422);

    Transaction batch1 = committed(outcomes.get(0));
    assertThat(batch1.idempotencyKey()).isEqualTo("batch-1");
    assertThat(batch1.seq()).isEqualTo(2);
    assertThat(batch1.prevHash()).isEqualTo(before.hash());
    assertThat(balancesAfter(batch1)).containsExactly("1.50000000", "1.50000000");

    LedgerError unknown = rejected(outcomes.get(1));
    assertThat(unknown.code()).isEqualTo(ErrorCode.UNKNOWN_ACCOUNT);
    assertThat(unknown.fields()).isEqualTo(Map.of("account", "liabilities:nobody"));

    Transaction replay = committed(outcomes.get(2));
    assertThat(replay.deduplicated()).isTrue();
    assertThat(replay.withDeduplicated(false)).isEqualTo(before);

    Transaction batch3 = committed(outcomes.get(3));
    assertThat(batch3.seq()).isEqualTo(3);
    assertThat(batch3.prevHash()).isEqualTo(batch1.hash());
    assertThat(balancesAfter(batch3)).containsExactly("1.75000000", "1.75000000");

    LedgerError unbalanced = rejected(outcomes.get(4));
    assertThat(unbalanced.code()).isEqualTo(ErrorCode.UNBALANCED);
    assertThat(unbalanced.fields())
        .isEqualTo(Map.of("asset", BTC, "debits", "1.00000000", "credits", "2.00000000"));

    assertThat(api().findTransaction(book, "batch-2")).isEmpty();
    assertThat(api().findTransaction(book, "batch-4")).isEmpty();
    assertThat(api().listTransactions(book, 0, 100).transactions())
        .containsExactly(before, batch1, batch3);
    assertThat(api().verify(book)).isEqualTo(VerifyResult.ok(book, 3, batch3.hash()));

    // The blocking form answers the same way.
    List<PostOutcome> again = api().postBatch(book, List.of(deposit("batch-1", "0.5")));
    assertThat(again).hasSize(1);
    assertThat(committed(again.get(0))).isEqualTo(batch1.withDeduplicated(true));
  }

  // ---- subscriptions ---------------------------------------------------------------------------

  @Test
  void aSubscriptionFromSeqOneCatchesUpThenDeliversLiveCommitsExactlyOnceInOrder()
      throws InterruptedException {
    List<Transaction> posted = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      posted.add(api().post(book, deposit("deposit-" + i, "0.1")));
    }
    Recorder recorder = new Recorder();
    api().subscribe(book, OptionalLong.of(1)).subscribe(recorder);
    try {
      for (Transaction expected : posted) {
        assertThat(recorder.next()).isEqualTo(expected);
      }
      Transaction live = await(api().postAsync(book, deposit("deposit-4", "0.1")));
      assertThat(recorder.next()).isEqualTo(live);
      Transaction another = api().post(book, deposit("deposit-5", "0.1"));
      assertThat(recorder.next()).isEqualTo(another);
      recorder.assertNothingWithin(QUIET);
      assertThat(recorder.error).isNotDone();
    } finally {
      recorder.cancel();
    }
  }

  /**
   * Races the first live commit against a subscription's switch from catch-up to live, a hundred
   * times: each time the commit must arrive on its own, not only once a later commit reveals it.
   */
  @Test
  void aCommitMadeRightAfterCatchUpArrivesWithoutWaitingForAnother() throws InterruptedException {
    for (int round = 1; round <= 100; round++) {
      String roundBook = freshBookName();
      api().openAccount(roundBook, WALLET, new AccountSpec(AccountKind.ASSET));
      api().openAccount(roundBook, ALICE, new AccountSpec(AccountKind.LIABILITY));
      api().post(roundBook, deposit("deposit-1", "0.1"));
      Recorder recorder = new Recorder();
      api().subscribe(roundBook, OptionalLong.of(1)).subscribe(recorder);
      try {
        assertThat(recorder.next().seq()).isEqualTo(1);
        Transaction live = api().post(roundBook, deposit("deposit-2", "0.1"));
        Transaction delivered = recorder.received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (delivered == null) {
          api().post(roundBook, deposit("deposit-3", "0.1"));
          List<Long> late = new ArrayList<>();
          for (Transaction tx; (tx = recorder.received.poll(2, TimeUnit.SECONDS)) != null; ) {
            late.add(tx.seq());
          }
          fail(
              "round %d: seq 2, committed right after the catch-up, did not arrive within %s;"
                  + " once seq 3 was committed the subscription delivered seqs %s",
              round, WAIT, late);
        }
        assertThat(delivered).as("round %d", round).isEqualTo(live);
      } finally {
        recorder.cancel();
      }
    }
  }

  @Test
  void aSubscriptionFromALaterSeqStartsThere() throws InterruptedException {
    for (int i = 1; i <= 3; i++) {
      api().post(book, deposit("deposit-" + i, "0.1"));
    }
    Recorder recorder = new Recorder();
    api().subscribe(book, OptionalLong.of(3)).subscribe(recorder);
    try {
      assertThat(recorder.next().seq()).isEqualTo(3);
      assertThat(api().post(book, deposit("deposit-4", "0.1")).seq()).isEqualTo(4);
      assertThat(recorder.next().seq()).isEqualTo(4);
      recorder.assertNothingWithin(QUIET);
    } finally {
      recorder.cancel();
    }
  }

  @Test
  void aLiveOnlySubscriptionDeliversOnlyCommitsAfterItStarts() throws InterruptedException {
    api().post(book, deposit("deposit-1", "0.1"));
    api().post(book, deposit("deposit-2", "0.1"));
    Recorder recorder = new Recorder();
    api().subscribe(book, OptionalLong.empty()).subscribe(recorder);
    try {
      recorder.assertNothingWithin(QUIET);
      // Nothing says when the subscription has started, so commit until one arrives.
      Map<Long, Transaction> posted = new HashMap<>();
      Transaction first = null;
      for (int i = 3; first == null && i < 23; i++) {
        Transaction tx = api().post(book, deposit("deposit-" + i, "0.1"));
        posted.put(tx.seq(), tx);
        first = recorder.received.poll(1, TimeUnit.SECONDS);
      }
      assertThat(first).as("a live commit arrives").isNotNull();
      assertThat(first.seq()).as("no catch-up").isGreaterThanOrEqualTo(3);
      assertThat(first).isEqualTo(posted.get(first.seq()));

      Transaction next = api().post(book, deposit("deposit-next", "0.1"));
      posted.put(next.seq(), next);
      for (long seq = first.seq() + 1; seq <= next.seq(); seq++) {
        assertThat(recorder.next()).isEqualTo(posted.get(seq));
      }
      recorder.assertNothingWithin(QUIET);
    } finally {
      recorder.cancel();
    }
  }

  @Test
  void aSubscriptionDeliversNoMoreThanItsSubscriberRequested() throws InterruptedException {
    for (int i = 1; i <= 3; i++) {
      api().post(book, deposit("deposit-" + i, "0.1"));
    }
    Recorder recorder = new Recorder(1);
    api().subscribe(book, OptionalLong.of(1)).subscribe(recorder);
    try {
      assertThat(recorder.next().seq()).isEqualTo(1);
      recorder.assertNothingWithin(QUIET);

      recorder.request(2);
      assertThat(recorder.next().seq()).isEqualTo(2);
      assertThat(recorder.next().seq()).isEqualTo(3);
      api().post(book, deposit("deposit-4", "0.1"));
      recorder.assertNothingWithin(QUIET);

      recorder.request(1);
      assertThat(recorder.next().seq()).isEqualTo(4);
    } finally {
      recorder.cancel();
    }
  }

  @Test
  void cancellingASubscriptionStopsDelivery() throws InterruptedException {
    api().post(book, deposit("deposit-1", "0.1"));
    Recorder recorder = new Recorder();
    api().subscribe(book, OptionalLong.of(1)).subscribe(recorder);
    assertThat(recorder.next().seq()).isEqualTo(1);

    recorder.cancel();
    Transaction racing = api().post(book, deposit("deposit-2", "0.1"));
    // A cancel takes effect eventually (Reactive Streams rule 2.8): a commit that raced with it
    // may still arrive, but nothing after that.
    Transaction raced = recorder.received.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS);
    if (raced != null) {
      assertThat(raced).isEqualTo(racing);
    }
    api().post(book, deposit("deposit-3", "0.1"));
    recorder.assertNothingWithin(QUIET);
    assertThat(recorder.error).isNotDone();
  }

  @Test
  void eachSubscribeOfOnePublisherStartsItsOwnStream() throws InterruptedException {
    api().post(book, deposit("deposit-1", "0.1"));
    Flow.Publisher<Transaction> publisher = api().subscribe(book, OptionalLong.of(1));
    Recorder one = new Recorder();
    Recorder two = new Recorder();
    publisher.subscribe(one);
    publisher.subscribe(two);
    try {
      assertThat(one.next().seq()).isEqualTo(1);
      assertThat(two.next().seq()).isEqualTo(1);
      api().post(book, deposit("deposit-2", "0.1"));
      assertThat(one.next().seq()).isEqualTo(2);
      assertThat(two.next().seq()).isEqualTo(2);
    } finally {
      one.cancel();
      two.cancel();
    }
  }

  @Test
  void aSubscriptionToAnUnknownBookEndsWithNotFound() throws Exception {
    Recorder recorder = new Recorder();
    api().subscribe(freshBookName(), OptionalLong.of(1)).subscribe(recorder);

    Throwable error = recorder.error.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

    assertThat(error).isInstanceOf(LedgerException.class);
    assertThat(((LedgerException) error).code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(recorder.received).isEmpty();
  }

  // ---- checks at the boundary ------------------------------------------------------------------

  @Test
  void invalidArgumentsAreRejectedAsInvalidRequestNamingTheField() {
    TransactionDraft draft = deposit("k", "1");
    AccountSpec spec = new AccountSpec(AccountKind.ASSET);
    String badBook = "Payments";

    assertInvalidRequest("book", () -> api().post(badBook, draft));
    assertInvalidRequest("book", () -> api().postBatch(badBook, List.of(draft)));
    assertInvalidRequest("book", () -> api().openAccount(badBook, WALLET, spec));
    assertInvalidRequest("book", () -> api().listAccounts(badBook, null, 10));
    assertInvalidRequest("book", () -> api().getAccount(badBook, WALLET));
    assertInvalidRequest("book", () -> api().listTransactions(badBook, 0, 10));
    assertInvalidRequest("book", () -> api().findTransaction(badBook, "k"));
    assertInvalidRequest("book", () -> api().listPostings(badBook, WALLET, null, 0, 10));
    assertInvalidRequest("book", () -> api().balances(badBook, WALLET, null, null));
    assertInvalidRequest("book", () -> api().trialBalance(badBook, null));
    assertInvalidRequest("book", () -> api().verify(badBook));

    String badAccount = "Assets:Hot";
    assertInvalidRequest("account", () -> api().openAccount(book, badAccount, spec));
    assertInvalidRequest("account", () -> api().getAccount(book, badAccount));
    assertInvalidRequest("account", () -> api().balances(book, badAccount, null, null));
    assertInvalidRequest("account", () -> api().listPostings(book, badAccount, null, 0, 10));
    assertInvalidRequest("after", () -> api().listAccounts(book, badAccount, 10));

    assertInvalidRequest("asset", () -> api().balances(book, WALLET, null, "btc"));
    assertInvalidRequest("asset", () -> api().listPostings(book, WALLET, "btc", 0, 10));
    assertInvalidRequest("code", () -> api().getAsset("btc"));

    for (int limit : new int[] {0, 1001}) {
      assertInvalidRequest("limit", () -> api().listTransactions(book, 0, limit));
      assertInvalidRequest("limit", () -> api().listAccounts(book, null, limit));
      assertInvalidRequest("limit", () -> api().listPostings(book, WALLET, null, 0, limit));
    }
    assertInvalidRequest("after_seq", () -> api().listTransactions(book, -1, 10));
    assertInvalidRequest("after_seq", () -> api().listPostings(book, WALLET, BTC, -1, 10));
    assertInvalidRequest("idempotency_key", () -> api().findTransaction(book, "with space"));
    assertInvalidRequest("transactions", () -> api().postBatch(book, List.of()));

    // The asynchronous forms fail their stage rather than throw.
    assertError(
        asyncFailure(() -> api().postAsync(badBook, draft)),
        ErrorCode.INVALID_REQUEST,
        Map.of("field", "book"));
    assertError(
        asyncFailure(() -> api().listTransactionsAsync(book, 0, 0)),
        ErrorCode.INVALID_REQUEST,
        Map.of("field", "limit"));

    assertThat(api().listTransactions(book, 0, 1).transactions()).isEmpty();
    assertThat(api().listTransactions(book, 0, 1000).transactions()).isEmpty();
  }

  @Test
  void anInvalidBookNameForASubscriptionIsAnInvalidRequest() throws Exception {
    Recorder recorder = new Recorder();
    Throwable thrown =
        catchThrowable(() -> api().subscribe("Payments", OptionalLong.of(1)).subscribe(recorder));
    // Either at once or through onError: both are the same contract error.
    Throwable error =
        thrown != null ? thrown : recorder.error.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(error).isInstanceOf(LedgerException.class);
    assertError((LedgerException) error, ErrorCode.INVALID_REQUEST, Map.of("field", "book"));
  }

  @Test
  void unknownBooksAccountsTransactionsAndAssetsAreNotFound() {
    String unknownBook = freshBookName();
    List<ThrowingCallable> calls =
        List.of(
            () -> api().listTransactions(unknownBook, 0, 10),
            () -> api().listAccounts(unknownBook, null, 10),
            () -> api().trialBalance(unknownBook, null),
            () -> api().verify(unknownBook),
            () -> api().findTransaction(unknownBook, "k"),
            () -> api().getAccount(unknownBook, WALLET),
            () -> api().balances(unknownBook, WALLET, null, null),
            () -> api().getAccount(book, "assets:nowhere"),
            () -> api().balances(book, "assets:nowhere", null, null),
            () -> api().listPostings(book, "assets:nowhere", null, 0, 10),
            () -> api().getTransaction(UUID.randomUUID()),
            () -> api().getAsset(freshAssetPrefix()));
    for (int i = 0; i < calls.size(); i++) {
      LedgerException e = failure(calls.get(i));
      assertThat(e.code()).as("call %d: %s", i, e.getMessage()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(e.error().fields()).isEmpty();
    }
    assertThat(asyncFailure(() -> api().getTransactionAsync(UUID.randomUUID())).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  // ---- a subscriber ----------------------------------------------------------------------------

  /** Records what a subscription delivers; by default asks for everything at once. */
  public static final class Recorder implements Flow.Subscriber<Transaction> {
    public final BlockingQueue<Transaction> received = new LinkedBlockingQueue<>();
    public final CompletableFuture<Throwable> error = new CompletableFuture<>();
    public final CompletableFuture<Void> completed = new CompletableFuture<>();
    private final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
    private final long initialRequest;

    public Recorder() {
      this(Long.MAX_VALUE);
    }

    /** A subscriber that first asks for {@code initialRequest} commits. */
    public Recorder(long initialRequest) {
      this.initialRequest = initialRequest;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription.complete(subscription);
      subscription.request(initialRequest);
    }

    @Override
    public void onNext(Transaction item) {
      received.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
      error.complete(throwable);
    }

    @Override
    public void onComplete() {
      completed.complete(null);
    }

    /** The next commit, which must arrive within {@link #WAIT}. */
    public Transaction next() throws InterruptedException {
      Transaction next = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (next == null) {
        fail(
            "no commit within "
                + WAIT
                + (error.isDone() ? "; the subscription failed: " + error.join() : ""));
      }
      return next;
    }

    /** Asserts that nothing is delivered for {@code quiet}. */
    public void assertNothingWithin(Duration quiet) throws InterruptedException {
      Transaction unexpected = received.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(unexpected).as("nothing more is delivered").isNull();
    }

    /** Asks for {@code n} more commits. */
    public void request(long n) {
      subscription().request(n);
    }

    /** Cancels the subscription once it has been handed over. */
    public void cancel() {
      subscription().cancel();
    }

    private Flow.Subscription subscription() {
      try {
        return subscription.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("the subscription never started", e);
      } catch (ExecutionException e) {
        throw new AssertionError(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
