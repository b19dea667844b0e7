package dev.talea.actors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.groups.Tuple.tuple;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.Stores;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LedgerService} as a {@link dev.talea.protocol.LedgerApi}: posting and replays, the checks
 * at the boundary, how store failures and slow commits reach the caller, reads beside a held
 * commit, and subscriptions through the {@link Flow} API.
 */
@ExtendWith(LogCapturingExtension.class)
class LedgerServiceTest {

  private static final String BOOK = "payments";
  private static final String WALLET = "assets:hot-wallet";
  private static final String CUSTOMERS = "liabilities:customers";

  /** A generous upper bound for "answers promptly". */
  private static final Duration PROMPTLY = Duration.ofSeconds(2);

  @TempDir Path temp;

  private ActorTestKit kit;
  private ControlledStore store;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create();
    store =
        new ControlledStore(Stores.open("log:" + temp.resolve("log"), StoreSettings.defaults()));
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    store.openAccount(BOOK, WALLET, new AccountSpec(AccountKind.ASSET));
    store.openAccount(BOOK, CUSTOMERS, new AccountSpec(AccountKind.LIABILITY));
  }

  @AfterEach
  void stop() {
    store.releaseCommits();
    kit.shutdownTestKit();
    store.close();
  }

  private LedgerService service(Store over, LedgerSettings settings) {
    return LedgerService.start(kit.system(), over, settings);
  }

  private LedgerService service() {
    return service(store, LedgerSettings.defaults());
  }

  /** A deposit: the hot wallet debited, the customers credited. */
  private static TransactionDraft transfer(String key, String amount) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit(WALLET, "BTC", amount),
            DraftPosting.credit(CUSTOMERS, "BTC", amount)));
  }

  private static LedgerException failure(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(LedgerException.class);
    return (LedgerException) thrown;
  }

  private static void assertInvalidRequest(String field, ThrowingCallable call) {
    LedgerException e = failure(call);
    assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(e.error().fields()).isEqualTo(Map.of("field", field));
  }

  private static Transaction committed(PostOutcome outcome) {
    assertThat(outcome).isInstanceOf(PostOutcome.Committed.class);
    return ((PostOutcome.Committed) outcome).transaction();
  }

  private static List<String> balancesAfter(Transaction tx) {
    return tx.postings().stream().map(p -> p.balanceAfter().toString()).toList();
  }

  // ---- posting ---------------------------------------------------------------------------------

  @Test
  void aPostCommitsAndItsReplayAnswersTheOriginalCommitDeduplicated() {
    LedgerService service = service();

    Transaction first = service.post(BOOK, transfer("deposit-1", "0.5"));
    assertThat(first.seq()).isEqualTo(1);
    assertThat(first.deduplicated()).isFalse();
    assertThat(first.book()).isEqualTo(BOOK);
    assertThat(first.idempotencyKey()).isEqualTo("deposit-1");
    assertThat(first.prevHash()).isEqualTo("0".repeat(64));
    assertThat(first.postings())
        .extracting(Posting::account, p -> p.amount().toString())
        .containsExactly(tuple(WALLET, "0.50000000"), tuple(CUSTOMERS, "0.50000000"));
    assertThat(balancesAfter(first)).containsExactly("0.50000000", "0.50000000");

    Transaction replay = service.post(BOOK, transfer("deposit-1", "0.5"));
    assertThat(replay.deduplicated()).isTrue();
    assertThat(replay.txId()).isEqualTo(first.txId());
    assertThat(replay.seq()).isEqualTo(1);
    assertThat(replay.hash()).isEqualTo(first.hash());
    assertThat(replay.committedAt()).isEqualTo(first.committedAt());
    assertThat(balancesAfter(replay)).containsExactly("0.50000000", "0.50000000");

    // Amounts compare as minor units: the same amount written with trailing zeros is the same
    // request.
    Transaction rewritten = service.post(BOOK, transfer("deposit-1", "0.50000000"));
    assertThat(rewritten.deduplicated()).isTrue();
    assertThat(rewritten.txId()).isEqualTo(first.txId());

    assertThat(service.listTransactions(BOOK, 0, 100).transactions())
        .extracting(Transaction::txId)
        .containsExactly(first.txId());
  }

  @Test
  void aDifferentRequestUnderAUsedKeyIsRejectedNamingTheOriginalTransaction() {
    LedgerService service = service();
    Transaction first = service.post(BOOK, transfer("deposit-1", "0.5"));

    LedgerException e = failure(() -> service.post(BOOK, transfer("deposit-1", "0.6")));

    assertThat(e.code()).isEqualTo(ErrorCode.IDEMPOTENCY_KEY_REUSED);
    assertThat(e.code().httpStatus()).isEqualTo(409);
    assertThat(e.error().fields()).isEqualTo(Map.of("tx_id", first.txId().toString()));
    assertThat(service.listTransactions(BOOK, 0, 100).transactions()).hasSize(1);
  }

  @Test
  void aPostingToAnUnknownAccountIsRejectedAndLeavesItsKeyFree() {
    LedgerService service = service();
    TransactionDraft toUnknown =
        new TransactionDraft(
            "deposit-1",
            List.of(
                DraftPosting.debit("assets:cold-wallet", "BTC", "1"),
                DraftPosting.credit(CUSTOMERS, "BTC", "1")));

    LedgerException e = failure(() -> service.post(BOOK, toUnknown));

    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_ACCOUNT);
    assertThat(e.code().httpStatus()).isEqualTo(422);
    assertThat(e.error().fields()).isEqualTo(Map.of("account", "assets:cold-wallet"));
    assertThat(service.findTransaction(BOOK, "deposit-1")).isEmpty();

    Transaction fixed = service.post(BOOK, transfer("deposit-1", "1"));
    assertThat(fixed.seq()).isEqualTo(1);
    assertThat(fixed.deduplicated()).isFalse();
  }

  @Test
  void anAmountWithMoreDecimalsThanItsAssetIsAnInvalidAmountNamingThePosting() {
    LedgerService service = service();

    LedgerException e = failure(() -> service.post(BOOK, transfer("tiny", "0.000000001")));

    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_AMOUNT);
    assertThat(e.code().httpStatus()).isEqualTo(400);
    assertThat(e.error().fields()).isEqualTo(Map.of("field", "postings[0].debit"));
    assertThat(service.listTransactions(BOOK, 0, 100).transactions()).isEmpty();
  }

  @Test
  void aBatchAnswersEachDraftInOrderCommittedReplayedOrRejected() {
    LedgerService service = service();
    Transaction existing = service.post(BOOK, transfer("batch-0", "1"));
    TransactionDraft toUnknown =
        new TransactionDraft(
            "batch-2",
            List.of(
                DraftPosting.debit(WALLET, "BTC", "0.2"),
                DraftPosting.credit("liabilities:nobody", "BTC", "0.2")));

    List<PostOutcome> outcomes =
        service.postBatch(
            BOOK,
            List.of(
                transfer("batch-1", "0.1"),
                transfer("batch-0", "1"),
                toUnknown,
                transfer("batch-3", "0.3")));

    assertThat(outcomes).extracting(PostOutcome::httpStatus).containsExactly(201, 200, 422, 201);

    Transaction batch1 = committed(outcomes.get(0));
    assertThat(batch1.idempotencyKey()).isEqualTo("batch-1");
    assertThat(batch1.seq()).isEqualTo(2);
    assertThat(batch1.deduplicated()).isFalse();
    assertThat(batch1.prevHash()).isEqualTo(existing.hash());

    Transaction replay = committed(outcomes.get(1));
    assertThat(replay.deduplicated()).isTrue();
    assertThat(replay.txId()).isEqualTo(existing.txId());
    assertThat(replay.seq()).isEqualTo(1);

    assertThat(outcomes.get(2)).isInstanceOf(PostOutcome.Rejected.class);
    PostOutcome.Rejected rejected = (PostOutcome.Rejected) outcomes.get(2);
    assertThat(rejected.error().code()).isEqualTo(ErrorCode.UNKNOWN_ACCOUNT);
    assertThat(rejected.error().fields()).isEqualTo(Map.of("account", "liabilities:nobody"));

    Transaction batch3 = committed(outcomes.get(3));
    assertThat(batch3.idempotencyKey()).isEqualTo("batch-3");
    assertThat(batch3.seq()).isEqualTo(3);
    assertThat(batch3.prevHash()).isEqualTo(batch1.hash());
    assertThat(balancesAfter(batch3)).containsExactly("1.40000000", "1.40000000");

    assertThat(service.findTransaction(BOOK, "batch-2")).isEmpty();
    assertThat(service.verify(BOOK).ok()).isTrue();
    assertThat(service.verify(BOOK).seq()).isEqualTo(3);
  }

  // ---- checks at the boundary ------------------------------------------------------------------

  @Test
  void invalidBookNamesAreRejectedBeforeAnythingReachesTheStore() throws Exception {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());
    AccountSpec spec = new AccountSpec(AccountKind.ASSET);

    for (String book : List.of("Payments", "a b", "", "-payments", "x".repeat(65))) {
      assertInvalidRequest("book", () -> service.post(book, transfer("k", "1")));
      assertInvalidRequest("book", () -> service.postBatch(book, List.of(transfer("k", "1"))));
      assertInvalidRequest("book", () -> service.openAccount(book, WALLET, spec));
      assertInvalidRequest("book", () -> service.listAccounts(book, null, 10));
      assertInvalidRequest("book", () -> service.getAccount(book, WALLET));
      assertInvalidRequest("book", () -> service.listTransactions(book, 0, 10));
      assertInvalidRequest("book", () -> service.findTransaction(book, "k"));
      assertInvalidRequest("book", () -> service.listPostings(book, WALLET, null, 0, 10));
      assertInvalidRequest("book", () -> service.balances(book, WALLET, null, null));
      assertInvalidRequest("book", () -> service.trialBalance(book, null));
      assertInvalidRequest("book", () -> service.verify(book));

      // As TaleaClient does, before there is a publisher at all.
      assertInvalidRequest("book", () -> service.subscribe(book, OptionalLong.of(1)));
    }
    assertThat(probe.calls).isEmpty();
    assertThat(store.batchSizes()).isEmpty();
  }

  @Test
  void invalidAccountNamesAndAssetCodesAreRejectedBeforeAnythingReachesTheStore() {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());

    for (String account : List.of("Assets:hot", "assets hot", "", ":assets")) {
      assertInvalidRequest("account", () -> service.getAccount(BOOK, account));
      assertInvalidRequest("account", () -> service.balances(BOOK, account, null, null));
      assertInvalidRequest("account", () -> service.listPostings(BOOK, account, null, 0, 10));
      assertInvalidRequest(
          "account", () -> service.openAccount(BOOK, account, new AccountSpec(AccountKind.ASSET)));
    }
    for (String asset : List.of("btc", "B TC", "", ".BTC")) {
      assertInvalidRequest("asset", () -> service.balances(BOOK, WALLET, null, asset));
      assertInvalidRequest("asset", () -> service.listPostings(BOOK, WALLET, asset, 0, 10));
    }
    assertThat(probe.calls).isEmpty();
  }

  @Test
  void limitsOutsideOneToAThousandAndANegativeAfterSeqAreRejectedBeforeTheStore() {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());

    for (int limit : new int[] {0, 1001, -1}) {
      assertInvalidRequest("limit", () -> service.listTransactions(BOOK, 0, limit));
      assertInvalidRequest("limit", () -> service.listAccounts(BOOK, null, limit));
      assertInvalidRequest("limit", () -> service.listPostings(BOOK, WALLET, null, 0, limit));
    }
    assertInvalidRequest("after_seq", () -> service.listTransactions(BOOK, -1, 10));
    assertInvalidRequest("after_seq", () -> service.listPostings(BOOK, WALLET, "BTC", -1, 10));
    assertThat(probe.calls).isEmpty();

    // The bounds themselves are accepted.
    assertThat(service.listTransactions(BOOK, 0, 1).transactions()).isEmpty();
    assertThat(service.listTransactions(BOOK, 0, 1000).transactions()).isEmpty();
  }

  @Test
  void aBatchOfNoDraftsOrMoreThanAThousandIsRejectedBeforeTheStore() {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());
    List<TransactionDraft> tooMany = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      tooMany.add(transfer("k-" + i, "0.001"));
    }

    assertInvalidRequest("transactions", () -> service.postBatch(BOOK, List.of()));
    assertInvalidRequest("transactions", () -> service.postBatch(BOOK, tooMany));

    assertThat(probe.calls).isEmpty();
    assertThat(store.batchSizes()).isEmpty();
  }

  @Test
  void anInvalidIdempotencyKeyInALookupIsRejectedBeforeTheStore() {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());

    for (String key : List.of("", "with space", "x".repeat(256), "caf\u00e9", "tab\tkey")) {
      assertInvalidRequest("idempotency_key", () -> service.findTransaction(BOOK, key));
    }
    assertThat(probe.calls).isEmpty();
    assertThat(service.findTransaction(BOOK, "x".repeat(255))).isEmpty();
  }

  // ---- not found -------------------------------------------------------------------------------

  @Test
  void unknownBooksAccountsTransactionsAndAssetsAreNotFound() {
    LedgerService service = service();
    Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
    calls.put("listTransactions", () -> service.listTransactions("unknown-book", 0, 10));
    calls.put("trialBalance", () -> service.trialBalance("unknown-book", null));
    calls.put("verify", () -> service.verify("unknown-book"));
    calls.put("getAccount of an unknown book", () -> service.getAccount("unknown-book", WALLET));
    calls.put("getAccount of an unknown account", () -> service.getAccount(BOOK, "assets:none"));
    calls.put("getTransaction", () -> service.getTransaction(UUID.randomUUID()));
    calls.put("getAsset", () -> service.getAsset("XYZ"));

    calls.forEach(
        (name, call) -> {
          LedgerException e = failure(call);
          assertThat(e.code()).as(name).isEqualTo(ErrorCode.NOT_FOUND);
          assertThat(e.code().httpStatus()).as(name).isEqualTo(404);
        });
  }

  // ---- slow commits ----------------------------------------------------------------------------

  @Test
  void aCommitThatOutlastsTheRequestTimeoutAnswersTimeoutAndLandsOnceReleased() throws Exception {
    LedgerService service =
        service(store, LedgerSettings.defaults().withRequestTimeout(Duration.ofMillis(300)));
    TransactionDraft draft = transfer("slow-1", "0.25");
    store.holdCommits();

    long started = System.nanoTime();
    LedgerException e = failure(() -> service.post(BOOK, draft));
    Duration waited = Duration.ofNanos(System.nanoTime() - started);

    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(e.code().httpStatus()).isEqualTo(408);
    assertThat(e.code().isRetryable()).isTrue();
    assertThat(waited).isLessThan(PROMPTLY);
    // The commit had reached the store and is still held there: its outcome is unknown.
    store.awaitCommitEntered();
    assertThat(service.findTransaction(BOOK, "slow-1")).isEmpty();

    store.releaseCommits();
    Transaction landed = eventually(() -> service.findTransaction(BOOK, "slow-1"));
    assertThat(landed.seq()).isEqualTo(1);
    assertThat(landed.deduplicated()).isFalse();

    Transaction retry = service.post(BOOK, draft);
    assertThat(retry.deduplicated()).isTrue();
    assertThat(retry.txId()).isEqualTo(landed.txId());
    assertThat(retry.seq()).isEqualTo(1);
    assertThat(service.listTransactions(BOOK, 0, 100).transactions()).hasSize(1);
  }

  @Test
  void readsAnswerPromptlyWhileACommitOfTheSameBookIsHeld() throws Exception {
    LedgerService service = service();
    Transaction before = service.post(BOOK, transfer("before", "1"));
    store.awaitCommitEntered(); // consumes the first commit's signal
    store.holdCommits();
    CompletableFuture<Transaction> held =
        service.postAsync(BOOK, transfer("held", "2")).toCompletableFuture();
    store.awaitCommitEntered();

    AccountBalances balances =
        assertTimeoutPreemptively(PROMPTLY, () -> service.balances(BOOK, WALLET, null, null));
    assertThat(balances.seq()).isEqualTo(1);
    assertThat(balances.balances())
        .extracting(b -> b.asset() + " " + b.balance())
        .containsExactly("BTC 1.00000000");

    TransactionPage page =
        assertTimeoutPreemptively(PROMPTLY, () -> service.listTransactions(BOOK, 0, 100));
    assertThat(page.transactions()).extracting(Transaction::txId).containsExactly(before.txId());
    assertThat(page.nextAfterSeq()).isNull();

    Account account =
        assertTimeoutPreemptively(PROMPTLY, () -> service.getAccount(BOOK, CUSTOMERS));
    assertThat(account.balances())
        .extracting(b -> b.asset() + " " + b.balance())
        .containsExactly("BTC 1.00000000");

    assertThat(held).isNotDone();
    store.releaseCommits();
    Transaction committed = held.get(10, TimeUnit.SECONDS);
    assertThat(committed.seq()).isEqualTo(2);
    assertThat(balancesAfter(committed)).containsExactly("3.00000000", "3.00000000");
  }

  // ---- store failures on reads -----------------------------------------------------------------

  /** Every read of the API, each against the state set up by {@link #seedForReads}. */
  private static Map<String, ThrowingCallable> reads(LedgerService service, UUID txId) {
    Map<String, ThrowingCallable> reads = new LinkedHashMap<>();
    reads.put("listAssets", service::listAssets);
    reads.put("getAsset", () -> service.getAsset("BTC"));
    reads.put("listBooks", service::listBooks);
    reads.put("listAccounts", () -> service.listAccounts(BOOK, null, 10));
    reads.put("getAccount", () -> service.getAccount(BOOK, WALLET));
    reads.put("getTransaction", () -> service.getTransaction(txId));
    reads.put("listTransactions", () -> service.listTransactions(BOOK, 0, 10));
    reads.put("findTransaction", () -> service.findTransaction(BOOK, "seed"));
    reads.put("listPostings", () -> service.listPostings(BOOK, WALLET, "BTC", 0, 10));
    reads.put("balances", () -> service.balances(BOOK, WALLET, null, null));
    reads.put("trialBalance", () -> service.trialBalance(BOOK, null));
    reads.put("verify", () -> service.verify(BOOK));
    return reads;
  }

  private static UUID seedForReads(LedgerService service) {
    return service.post(BOOK, transfer("seed", "1")).txId();
  }

  @Test
  void readsOfAStoreThatCannotBeReachedAreUnavailable() {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());
    UUID txId = seedForReads(service);
    probe.failWith(
        () ->
            new StoreUnavailableException(
                "connection to 10.0.0.7:5432 refused", new ConnectException("refused")));

    reads(service, txId)
        .forEach(
            (name, read) -> {
              LedgerException e = failure(read);
              assertThat(e.code()).as(name).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.code().httpStatus()).as(name).isEqualTo(503);
              assertThat(e.error().fields()).as(name).isEmpty();
              assertThat(e.error().detail()).as(name).doesNotContain("10.0.0.7");
            });
  }

  @Test
  void readsFailingInsideTheStoreAreInternalAndDoNotShowTheStoresMessage() {
    Probe probe = new Probe(store);
    LedgerService service = service(probe.store(), LedgerSettings.defaults());
    UUID txId = seedForReads(service);
    probe.failWith(() -> new StoreException("page 7 of /var/lib/talea/secret.db is corrupt"));

    reads(service, txId)
        .forEach(
            (name, read) -> {
              LedgerException e = failure(read);
              assertThat(e.code()).as(name).isEqualTo(ErrorCode.INTERNAL);
              assertThat(e.code().httpStatus()).as(name).isEqualTo(500);
              assertThat(e.error().detail()).as(name).isEqualTo("internal error");
              assertThat(e.error().fields()).as(name).isEmpty();
              assertThat(e.getMessage()).as(name).isEqualTo("internal: internal error");
            });
  }

  // ---- subscriptions ---------------------------------------------------------------------------

  @Test
  void aSubscriptionFromSeqOneDeliversEveryCommitThenLiveOnesInOrderExactlyOnce() throws Exception {
    LedgerService service = service();
    List<Transaction> posted = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      posted.add(service.post(BOOK, transfer("existing-" + i, "0.1")));
    }
    Recorder recorder = new Recorder(Long.MAX_VALUE);
    service.subscribe(BOOK, OptionalLong.of(1)).subscribe(recorder);

    for (int i = 1; i <= 5; i++) {
      Transaction tx = recorder.next();
      assertThat(tx.seq()).isEqualTo(i);
      assertThat(tx.txId()).isEqualTo(posted.get(i - 1).txId());
      assertThat(tx.hash()).isEqualTo(posted.get(i - 1).hash());
    }
    for (int i = 6; i <= 8; i++) {
      posted.add(service.post(BOOK, transfer("live-" + i, "0.1")));
    }
    for (int i = 6; i <= 8; i++) {
      Transaction tx = recorder.next();
      assertThat(tx.seq()).isEqualTo(i);
      assertThat(tx.idempotencyKey()).isEqualTo("live-" + i);
      assertThat(tx.hash()).isEqualTo(posted.get(i - 1).hash());
      assertThat(tx.deduplicated()).isFalse();
    }

    // A replay is no new commit: nothing more arrives, and nothing twice.
    service.post(BOOK, transfer("live-8", "0.1"));
    assertThat(recorder.received.poll(300, TimeUnit.MILLISECONDS)).isNull();
    assertThat(recorder.error).isNotDone();
    assertThat(recorder.completed).isNotDone();
    recorder.subscription.cancel();
  }

  @Test
  void aSubscriptionToAnUnknownBookFailsNotFound() throws Exception {
    LedgerService service = service();
    Recorder recorder = new Recorder(1);

    service.subscribe("unknown-book", OptionalLong.of(1)).subscribe(recorder);

    Throwable error = recorder.error.get(5, TimeUnit.SECONDS);
    assertThat(error).isInstanceOf(LedgerException.class);
    assertThat(((LedgerException) error).code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(recorder.received).isEmpty();
  }

  @Test
  void aLiveSubscriberThatStopsRequestingIsDisconnectedOnceItFallsABufferBehind() throws Exception {
    int buffer = 8;
    LedgerService service = service(store, LedgerSettings.defaults().withSubscriberBuffer(buffer));
    Recorder recorder = new Recorder(1);
    service.subscribe(BOOK, OptionalLong.empty()).subscribe(recorder);

    // Live only: a commit made before the subscription has read the book's head is not part of it,
    // so post until the one requested commit has arrived; the live part is then attached.
    Transaction first = null;
    for (int i = 0; first == null && i < 20; i++) {
      service.post(BOOK, transfer("warm-" + i, "0.01"));
      first = recorder.received.poll(500, TimeUnit.MILLISECONDS);
    }
    assertThat(first).as("the one requested commit").isNotNull();

    // Up to a buffer's worth of commits it is kept waiting, not disconnected.
    for (int i = 0; i < buffer; i++) {
      service.post(BOOK, transfer("within-" + i, "0.01"));
    }
    assertThat(catchThrowable(() -> recorder.error.get(300, TimeUnit.MILLISECONDS)))
        .isInstanceOf(java.util.concurrent.TimeoutException.class);

    // Further behind it is disconnected (well before the store's commits run out).
    for (int i = 0; i < 500 && !recorder.error.isDone(); i++) {
      service.post(BOOK, transfer("beyond-" + i, "0.01"));
    }
    Throwable error = recorder.error.get(5, TimeUnit.SECONDS);
    assertThat(error).isInstanceOf(CommitFeed.SlowSubscriberException.class);
    assertThat(error.getMessage())
        .isEqualTo(
            "the subscriber fell more than 8 commits behind book payments and was"
                + " disconnected; resume from the last seq received");
    assertThat(recorder.received).isEmpty();
    assertThat(recorder.completed).isNotDone();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** Polls {@code lookup} until it finds something, for up to ten seconds. */
  private static <T> T eventually(Supplier<Optional<T>> lookup) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Optional<T> found = lookup.get();
      if (found.isPresent()) {
        return found.get();
      }
      assertThat(System.nanoTime()).as("found within 10 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** A hand-written Flow subscriber: requests {@code initialRequest}, records what arrives. */
  private static final class Recorder implements Flow.Subscriber<Transaction> {
    final BlockingQueue<Transaction> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    final CompletableFuture<Void> completed = new CompletableFuture<>();
    private final long initialRequest;
    volatile Flow.Subscription subscription;

    Recorder(long initialRequest) {
      this.initialRequest = initialRequest;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
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

    /** The next commit, which must arrive within five seconds. */
    Transaction next() throws InterruptedException {
      Transaction next = received.poll(5, TimeUnit.SECONDS);
      assertThat(next).as("a commit within 5 s").isNotNull();
      return next;
    }
  }

  /**
   * A store around another: records the name of every call, and while a failure is set makes every
   * call (but {@code backend} and {@code close}) throw it instead of passing it on.
   */
  private static final class Probe implements InvocationHandler {
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final Store delegate;
    private volatile Supplier<RuntimeException> failure;

    Probe(Store delegate) {
      this.delegate = delegate;
    }

    Store store() {
      return (Store)
          Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, this);
    }

    void failWith(Supplier<RuntimeException> failure) {
      this.failure = failure;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      boolean passive =
          method.getDeclaringClass() == Object.class
              || name.equals("backend")
              || name.equals("listen")
              || name.equals("close");
      if (!passive) {
        calls.add(name);
        Supplier<RuntimeException> fail = failure;
        if (fail != null) {
          throw fail.get();
        }
      }
      try {
        return method.invoke(delegate, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  @Test
  void concurrentVerifiesOfABookShareOneRunAndAnUnchangedBookIsAnsweredFromTheLastOne()
      throws Exception {
    LedgerService service = service();
    service.post(BOOK, transfer("v-1", "1"));
    store.holdVerifies();
    List<CompletableFuture<VerifyResult>> calls = new ArrayList<>();
    calls.add(service.verifyAsync(BOOK).toCompletableFuture());
    store.awaitVerifyEntered();
    for (int i = 0; i < 9; i++) {
      calls.add(service.verifyAsync(BOOK).toCompletableFuture());
    }
    store.releaseVerifies();
    VerifyResult expected = store.verify(BOOK);
    for (CompletableFuture<VerifyResult> call : calls) {
      assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(expected);
    }
    // One run for the ten callers (plus the direct call above).
    assertThat(store.verifies()).isEqualTo(2);

    // Nothing committed since: answered from that run, without reading the book again.
    assertThat(service.verify(BOOK)).isEqualTo(expected);
    assertThat(store.verifies()).isEqualTo(2);

    // A new commit moves the head: the next verify reads the book again.
    service.post(BOOK, transfer("v-2", "1"));
    assertThat(service.verify(BOOK).seq()).isEqualTo(2);
    assertThat(store.verifies()).isEqualTo(3);
  }

  @Test
  void aVerifyResultIsNotReusedWhenReuseIsOff() {
    LedgerService service =
        service(store, LedgerSettings.defaults().withVerifyReuse(Duration.ZERO));
    service.post(BOOK, transfer("v-1", "1"));
    service.verify(BOOK);
    service.verify(BOOK);
    assertThat(store.verifies()).isEqualTo(2);
  }
}
