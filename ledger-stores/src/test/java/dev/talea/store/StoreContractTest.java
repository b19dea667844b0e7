package dev.talea.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
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
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The conformance suite of the {@link Store} SPI: every store (Postgres, SQLite, the append-log
 * store) passes it unchanged. A subclass says how to open a store on its backing storage and how to
 * tamper with stored data behind the store's back; nothing here knows how a store keeps its data.
 *
 * <p>One store is opened per class and shared by its tests; every test works in its own freshly
 * named book, so tests never see each other's state. Assets are global: the suite's common assets
 * are registered idempotently, and a test that inspects the asset list uses codes of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class StoreContractTest {

  /** The suite's common assets; identical registrations of them are harmless. */
  protected static final String BTC = "BTC";

  protected static final String USD = "USD";
  protected static final String ETH = "ETH";

  private static final Duration ONE_MICRO = Duration.ofNanos(1_000);

  private static final Instant LAST_REPRESENTABLE = Instant.parse("9999-12-31T23:59:59.999999Z");

  /** The store on this class's backing storage, opened with default settings. */
  protected Store store;

  /**
   * Opens the store on this class's backing storage, once, with {@link StoreSettings#defaults()},
   * before the tests. Tests that need other settings use {@link #openFreshStore}, so that no store
   * needs two handles on the same storage (the append-log store allows only one).
   */
  protected abstract Store openStore(StoreSettings settings);

  /** Opens a store on brand-new, empty storage of its own; the caller closes it. */
  protected abstract Store openFreshStore(StoreSettings settings);

  /**
   * Replaces the amount of a stored posting (by its index within the transaction) behind the
   * store's back, without touching anything else, as a disk error or a malicious edit would.
   */
  protected abstract void changePostingAmount(
      String book, long seq, int postingIndex, BigInteger newMinorUnits);

  /** Releases the backing storage after the shared store is closed; nothing by default. */
  protected void releaseStorage() {}

  @BeforeAll
  void openSharedStore() {
    store = openStore(StoreSettings.defaults());
    registerCommonAssets(store);
  }

  @AfterAll
  void closeSharedStore() {
    try {
      if (store != null) {
        store.close();
      }
    } finally {
      releaseStorage();
    }
  }

  // ---- assets ---------------------------------------------------------------------------------

  @Test
  void registeringAnAssetCreatesItOnceAndConfirmsTheIdenticalRegistration() {
    String code = uniqueAssetCode("A");

    Registration<Asset> first = store.registerAsset(new AssetSpec(code, 6, "Alpha"));
    Registration<Asset> again = store.registerAsset(new AssetSpec(code, 6, "Alpha"));

    assertThat(first.created()).isTrue();
    assertThat(first.value().code()).isEqualTo(code);
    assertThat(first.value().decimals()).isEqualTo(6);
    assertThat(first.value().name()).isEqualTo("Alpha");
    assertThat(again.created()).isFalse();
    assertThat(again.value()).isEqualTo(first.value());
    assertThat(store.findAsset(code)).contains(first.value());
  }

  @Test
  void reRegisteringAnAssetWithOtherDecimalsIsAConflictOnDecimals() {
    String code = uniqueAssetCode("A");
    Asset original = store.registerAsset(new AssetSpec(code, 6, null)).value();

    LedgerException failure =
        ledgerFailure(() -> store.registerAsset(new AssetSpec(code, 7, null)));

    assertThat(failure.code()).isEqualTo(ErrorCode.CONFLICT);
    assertThat(failure.error().fields()).isEqualTo(Map.of("field", "decimals"));
    assertThat(store.findAsset(code)).contains(original);
  }

  @Test
  void reRegisteringAnAssetUnderAnotherNameKeepsItAndTakesTheNewName() {
    String code = uniqueAssetCode("A");
    Asset original = store.registerAsset(new AssetSpec(code, 2, "Old")).value();

    Registration<Asset> renamed = store.registerAsset(new AssetSpec(code, 2, "New"));

    assertThat(renamed.created()).isFalse();
    assertThat(renamed.value()).isEqualTo(new Asset(code, 2, "New", original.createdAt()));
    assertThat(store.findAsset(code)).contains(renamed.value());
  }

  @Test
  void assetsAreListedSortedByCodeInByteOrder() {
    String prefix = uniqueAssetCode("L");
    List<String> codes =
        List.of(prefix + "_X", prefix + "ZX", prefix + "-X", prefix + "0X", prefix + ".X");
    for (String code : codes) {
      store.registerAsset(new AssetSpec(code, 0, null));
    }

    List<String> listed = store.listAssets().stream().map(Asset::code).toList();

    assertThat(listed.stream().filter(code -> code.startsWith(prefix)).toList())
        .containsExactly(prefix + "-X", prefix + ".X", prefix + "0X", prefix + "ZX", prefix + "_X");
    assertThat(listed).isSorted().doesNotHaveDuplicates().contains(BTC, USD, ETH);
  }

  @Test
  void findAssetOfAnUnregisteredCodeIsEmpty() {
    assertThat(store.findAsset(uniqueAssetCode("NONE"))).isEmpty();
  }

  // ---- books and accounts ---------------------------------------------------------------------

  @Test
  void openingAnAccountCreatesItAndItsBookThenConfirmsTheIdenticalRequest() {
    String book = newBook();
    assertThat(store.findBook(book)).isEmpty();
    AccountSpec spec = new AccountSpec(AccountKind.ASSET, min("0"), Map.of("owner", "ops"));

    Registration<Account> first = store.openAccount(book, "assets:cash", spec);
    Registration<Account> again = store.openAccount(book, "assets:cash", spec);

    assertThat(first.created()).isTrue();
    Account account = first.value();
    assertThat(account.book()).isEqualTo(book);
    assertThat(account.account()).isEqualTo("assets:cash");
    assertThat(account.kind()).isEqualTo(AccountKind.ASSET);
    assertThat(account.normalSide()).isEqualTo(Side.DEBIT);
    assertThat(account.minBalance()).isEqualTo(min("0"));
    assertThat(account.metadata()).isEqualTo(Map.of("owner", "ops"));
    assertThat(account.balances()).isEmpty();
    assertThat(again.created()).isFalse();
    assertThat(again.value()).isEqualTo(account);
    assertThat(store.getAccount(book, "assets:cash")).isEqualTo(account);
    assertThat(store.findBook(book)).contains(new BookSummary(book, 0, HashChain.GENESIS));
  }

  @Test
  void reopeningAnAccountWithAnotherKindIsAConflictOnKind() {
    String book = newBook();
    store.openAccount(book, "income:fees", new AccountSpec(AccountKind.INCOME));

    LedgerException failure =
        ledgerFailure(
            () -> store.openAccount(book, "income:fees", new AccountSpec(AccountKind.EXPENSE)));

    assertThat(failure.code()).isEqualTo(ErrorCode.CONFLICT);
    assertThat(failure.error().fields()).isEqualTo(Map.of("field", "kind"));
    assertThat(store.getAccount(book, "income:fees").kind()).isEqualTo(AccountKind.INCOME);
  }

  @Test
  void reopeningAnAccountWithAnotherMinBalanceIsAConflictOnMinBalance() {
    String book = newBook();
    store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "0"));
    store.openAccount(book, "liabilities:bob", new AccountSpec(AccountKind.LIABILITY));

    LedgerException otherValue =
        ledgerFailure(
            () -> store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "-1")));
    LedgerException unconstrainedToZero =
        ledgerFailure(
            () -> store.openAccount(book, "liabilities:bob", spec(AccountKind.LIABILITY, "0")));
    LedgerException zeroToUnconstrained =
        ledgerFailure(
            () ->
                store.openAccount(
                    book, "liabilities:alice", new AccountSpec(AccountKind.LIABILITY)));

    for (LedgerException failure : List.of(otherValue, unconstrainedToZero, zeroToUnconstrained)) {
      assertThat(failure.code()).isEqualTo(ErrorCode.CONFLICT);
      assertThat(failure.error().fields()).isEqualTo(Map.of("field", "min_balance"));
    }
    assertThat(store.getAccount(book, "liabilities:alice").minBalance()).isEqualTo(min("0"));
    assertThat(store.getAccount(book, "liabilities:bob").minBalance()).isNull();
  }

  @Test
  void minBalancesEqualInValueAreTheSameMinBalance() {
    String book = newBook();
    store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "-500"));

    Registration<Account> again =
        store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "-500.00"));

    assertThat(again.created()).isFalse();
    assertThat(again.value().minBalance().normalized()).isEqualTo("-500");
    assertThat(store.getAccount(book, "liabilities:alice").minBalance().normalized())
        .isEqualTo("-500");
  }

  @Test
  void reopeningAnAccountReplacesItsMetadata() {
    String book = newBook();
    Account original =
        store
            .openAccount(
                book,
                "assets:cash",
                new AccountSpec(AccountKind.ASSET, null, Map.of("a", "1", "b", "2")))
            .value();

    Registration<Account> reopened =
        store.openAccount(
            book, "assets:cash", new AccountSpec(AccountKind.ASSET, null, Map.of("c", "3")));

    assertThat(reopened.created()).isFalse();
    assertThat(reopened.value().metadata()).isEqualTo(Map.of("c", "3"));
    assertThat(reopened.value().createdAt()).isEqualTo(original.createdAt());
    assertThat(store.getAccount(book, "assets:cash").metadata()).isEqualTo(Map.of("c", "3"));

    store.openAccount(book, "assets:cash", new AccountSpec(AccountKind.ASSET));
    assertThat(store.getAccount(book, "assets:cash").metadata()).isEmpty();
  }

  @Test
  void unknownAccountsAndBooksAreNotFound() {
    String book = newBook();
    store.openAccount(book, "assets:cash", new AccountSpec(AccountKind.ASSET));
    String unknownBook = newBook();

    List<ThrowingCallable> calls =
        List.of(
            () -> store.getAccount(book, "assets:nobody"),
            () -> store.getAccount(unknownBook, "assets:cash"),
            () -> store.balances(book, "assets:nobody", null, null),
            () -> store.balances(unknownBook, "assets:cash", null, null),
            () -> store.listPostings(book, "assets:nobody", null, 0, 10),
            () -> store.listTransactions(unknownBook, 0, 10),
            () -> store.findTransactionByKey(unknownBook, "k"),
            () -> store.trialBalance(unknownBook, null),
            () -> store.trialBalance(unknownBook, Instant.parse("2030-01-01T00:00:00Z")),
            () -> store.verify(unknownBook));
    for (ThrowingCallable call : calls) {
      assertThat(ledgerFailure(call).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }
    assertThat(store.findBook(unknownBook)).isEmpty();
    assertThat(store.readCommits(unknownBook, 1, 10)).isEmpty();
  }

  @Test
  void accountsArePagedInNameOrderWithoutGapsOrDuplicates() {
    String book = newBook();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      names.add("n" + i);
    }
    names.addAll(List.of("n:1", "n-1", "n.1", "n_1", "n1:x"));
    List<String> shuffled = new ArrayList<>(names);
    Collections.shuffle(shuffled, new Random(42));
    for (String name : shuffled) {
      store.openAccount(book, name, new AccountSpec(AccountKind.ASSET));
    }
    List<String> expected = new ArrayList<>(names);
    Collections.sort(expected);

    List<List<String>> pages = new ArrayList<>();
    List<String> nextAfters = new ArrayList<>();
    String after = null;
    do {
      AccountPage page = store.listAccounts(book, after, 7);
      pages.add(page.accounts().stream().map(Account::account).toList());
      after = page.nextAfter();
      nextAfters.add(after);
    } while (after != null && pages.size() < 10);

    assertThat(pages)
        .containsExactly(
            expected.subList(0, 7),
            expected.subList(7, 14),
            expected.subList(14, 21),
            expected.subList(21, 25));
    assertThat(nextAfters)
        .containsExactly(expected.get(6), expected.get(13), expected.get(20), null);
    assertThat(store.listAccounts(book, expected.get(24), 7))
        .isEqualTo(new AccountPage(List.of(), null));
    assertThat(store.listAccounts(book, null, 25).nextAfter()).isNull();
  }

  @Test
  void listedAccountsCarryTheirBalances() {
    String book = newBook();
    openAccounts(book, AccountKind.ASSET, "assets:cash");
    openAccounts(book, AccountKind.EQUITY, "equity:capital");
    commit(
        store,
        book,
        draft("k1", debit("assets:cash", USD, "7.5"), credit("equity:capital", USD, "7.5")));

    AccountPage page = store.listAccounts(book, null, 10);

    assertThat(page.accounts())
        .extracting(Account::account, a -> balanceStrings(a.balances()))
        .containsExactly(
            tuple("assets:cash", List.of("USD 7.50")),
            tuple("equity:capital", List.of("USD 7.50")));
  }

  @Test
  void listingAccountsOfAnUnknownBookIsNotFound() {
    LedgerException failure = ledgerFailure(() -> store.listAccounts(newBook(), null, 10));

    assertThat(failure.code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void booksReflectTheirLastSeqAndHeadHash() {
    String book = newBook();
    String empty = newBook();
    openStandardAccounts(book);
    openStandardAccounts(empty);
    commit(store, book, fund("k1", "1"));
    Transaction second = commit(store, book, fund("k2", "2"));

    assertThat(store.findBook(book)).contains(new BookSummary(book, 2, second.hash()));
    assertThat(store.findBook(empty)).contains(new BookSummary(empty, 0, HashChain.GENESIS));
    List<BookSummary> books = store.listBooks();
    assertThat(books)
        .contains(
            new BookSummary(book, 2, second.hash()), new BookSummary(empty, 0, HashChain.GENESIS));
    assertThat(books.stream().map(BookSummary::book).toList()).isSorted().doesNotHaveDuplicates();
  }

  // ---- idempotency ----------------------------------------------------------------------------

  @Test
  void replayAnswersTheOriginalCommitDeduplicated() {
    String book = newBook();
    openStandardAccounts(book);
    TransactionDraft draft =
        new TransactionDraft(
            "deposit-1",
            List.of(debit("assets:cash", USD, "10"), credit("equity:capital", USD, "10")),
            Instant.parse("2026-11-20T14:02:00Z"),
            "first deposit",
            Map.of("ref", "abc"));
    Transaction original = commit(store, book, draft);
    commit(store, book, fund("deposit-2", "1"));

    Transaction replay = committed(store.commitBatch(book, List.of(draft)).get(0));

    assertThat(replay.deduplicated()).isTrue();
    assertThat(replay.txId()).isEqualTo(original.txId());
    assertThat(replay.seq()).isEqualTo(1);
    assertThat(replay.hash()).isEqualTo(original.hash());
    assertThat(replay).isEqualTo(original.withDeduplicated(true));
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(2);
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("11.00");
  }

  @Test
  void aDifferentRequestUnderAUsedKeyIsRejectedNamingTheOriginalTransaction() {
    String book = newBook();
    openStandardAccounts(book);
    Transaction original = commit(store, book, fund("k", "10"));

    List<PostOutcome> outcomes =
        store.commitBatch(
            book,
            List.of(
                fund("k", "11"),
                new TransactionDraft(
                    "k",
                    List.of(debit("assets:cash", USD, "10"), credit("equity:capital", USD, "10")),
                    null,
                    "another memo",
                    Map.of())));

    for (PostOutcome outcome : outcomes) {
      LedgerError error = rejected(outcome);
      assertThat(error.code()).isEqualTo(ErrorCode.IDEMPOTENCY_KEY_REUSED);
      assertThat(error.fields()).isEqualTo(Map.of("tx_id", original.txId().toString()));
    }
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(1);
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("10.00");
  }

  @Test
  void aReplayDifferingOnlyInTrailingZerosIsTheSameRequest() {
    String book = newBook();
    openStandardAccounts(book);
    Transaction original =
        commit(
            store,
            book,
            draft("k", debit("assets:cash", BTC, "0.5"), credit("equity:capital", BTC, "0.5")));

    Transaction replay =
        committed(
            store
                .commitBatch(
                    book,
                    List.of(
                        draft(
                            "k",
                            debit("assets:cash", BTC, "0.50"),
                            credit("equity:capital", BTC, "0.50000000"))))
                .get(0));

    assertThat(replay).isEqualTo(original.withDeduplicated(true));
    assertThat(balance(store, book, "assets:cash", BTC)).isEqualTo("0.50000000");
  }

  @Test
  void theSameKeyInTwoBooksIsIndependent() {
    String first = newBook();
    String second = newBook();
    openStandardAccounts(first);
    openStandardAccounts(second);

    Transaction a = commit(store, first, fund("shared-key", "1"));
    Transaction b = commit(store, second, fund("shared-key", "2"));

    assertThat(a.seq()).isEqualTo(1);
    assertThat(b.seq()).isEqualTo(1);
    assertThat(b.deduplicated()).isFalse();
    assertThat(b.txId()).isNotEqualTo(a.txId());
    assertThat(store.findTransactionByKey(first, "shared-key")).contains(a);
    assertThat(store.findTransactionByKey(second, "shared-key")).contains(b);
  }

  @Test
  void identicalDraftsUnderOneKeyInOneBatchCommitOnce() {
    String book = newBook();
    openStandardAccounts(book);

    List<PostOutcome> outcomes =
        store.commitBatch(book, List.of(fund("k", "3"), fund("k", "3.0"), fund("other", "1")));

    Transaction first = committed(outcomes.get(0));
    Transaction second = committed(outcomes.get(1));
    Transaction third = committed(outcomes.get(2));
    assertThat(first.deduplicated()).isFalse();
    assertThat(first.seq()).isEqualTo(1);
    assertThat(second).isEqualTo(first.withDeduplicated(true));
    assertThat(third.seq()).isEqualTo(2);
    assertThat(third.deduplicated()).isFalse();
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(2);
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("4.00");
  }

  @Test
  void aDifferentDraftUnderAKeyUsedEarlierInTheBatchIsRejected() {
    String book = newBook();
    openStandardAccounts(book);

    List<PostOutcome> outcomes = store.commitBatch(book, List.of(fund("k", "3"), fund("k", "4")));

    Transaction first = committed(outcomes.get(0));
    LedgerError error = rejected(outcomes.get(1));
    assertThat(error.code()).isEqualTo(ErrorCode.IDEMPOTENCY_KEY_REUSED);
    assertThat(error.fields()).isEqualTo(Map.of("tx_id", first.txId().toString()));
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(1);
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("3.00");
  }

  @Test
  void aReplayIsAnsweredEvenWhenTheRequestWouldNowBeRejected() {
    String book = newBook();
    store.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "0"));
    commit(
        store,
        book,
        draft(
            "deposit",
            debit("assets:hot-wallet", USD, "1"),
            credit("liabilities:alice", USD, "1")));
    Transaction withdrawal = commit(store, book, withdraw("withdraw", USD, "1"));

    Transaction replay = committed(commitOne(book, withdraw("withdraw", USD, "1")));
    LedgerError fresh = rejected(commitOne(book, withdraw("withdraw-again", USD, "1")));

    assertThat(replay).isEqualTo(withdrawal.withDeduplicated(true));
    assertThat(fresh.code()).isEqualTo(ErrorCode.INSUFFICIENT_BALANCE);
    assertThat(balance(store, book, "liabilities:alice", USD)).isEqualTo("0.00");
  }

  @Test
  void aKeyRejectedEarlierInABatchIsFreeForALaterDraftOfTheSameBatch() {
    String book = newBook();
    openStandardAccounts(book);

    List<PostOutcome> outcomes =
        store.commitBatch(
            book,
            List.of(
                draft("k", debit("assets:cash", USD, "1"), credit("equity:capital", USD, "2")),
                fund("k", "2")));

    assertThat(rejected(outcomes.get(0)).code()).isEqualTo(ErrorCode.UNBALANCED);
    Transaction tx = committed(outcomes.get(1));
    assertThat(tx.seq()).isEqualTo(1);
    assertThat(tx.deduplicated()).isFalse();
    assertThat(store.findTransactionByKey(book, "k")).contains(tx);
  }

  @Test
  void concurrentRequestsUnderOneKeyCommitOnceAndTheRestAreReplays() throws Exception {
    String book = newBook();
    openStandardAccounts(book);

    List<Transaction> answers =
        runConcurrently(
            8, i -> committed(store.commitBatch(book, List.of(fund("once", "5"))).get(0)));

    List<Transaction> fresh = answers.stream().filter(tx -> !tx.deduplicated()).toList();
    assertThat(fresh).hasSize(1);
    Transaction original = fresh.get(0);
    assertThat(original.seq()).isEqualTo(1);
    assertThat(answers)
        .allSatisfy(tx -> assertThat(tx.withDeduplicated(false)).isEqualTo(original));
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(1);
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("5.00");
  }

  // ---- sequencing under concurrency -----------------------------------------------------------

  @Test
  void concurrentGroupCommitsToOneBookFormOneGaplessChain() throws Exception {
    String book = newBook();
    openStandardAccounts(book);
    int threads = 16;
    int batchesPerThread = 25;

    List<List<List<Transaction>>> perThread =
        runConcurrently(
            threads,
            thread -> {
              List<List<Transaction>> batches = new ArrayList<>();
              for (int b = 0; b < batchesPerThread; b++) {
                int size = (thread + b) % 4 + 1;
                List<TransactionDraft> drafts = new ArrayList<>();
                for (int d = 0; d < size; d++) {
                  drafts.add(fund("t" + thread + "-b" + b + "-d" + d, "0.01"));
                }
                List<Transaction> committed = new ArrayList<>();
                for (PostOutcome outcome : store.commitBatch(book, drafts)) {
                  committed.add(committed(outcome));
                }
                batches.add(committed);
              }
              return batches;
            });

    int expectedCommits = 0;
    for (int thread = 0; thread < threads; thread++) {
      for (int b = 0; b < batchesPerThread; b++) {
        expectedCommits += (thread + b) % 4 + 1;
      }
    }
    int total = 0;
    Set<Long> seqs = new HashSet<>();
    for (List<List<Transaction>> batches : perThread) {
      for (List<Transaction> batch : batches) {
        for (int i = 0; i < batch.size(); i++) {
          Transaction tx = batch.get(i);
          assertThat(tx.deduplicated()).isFalse();
          assertThat(tx.seq()).isEqualTo(batch.get(0).seq() + i);
          assertThat(tx.committedAt()).isEqualTo(batch.get(0).committedAt());
          assertThat(seqs.add(tx.seq())).isTrue();
          total++;
        }
      }
    }
    int n = total;
    assertThat(n).isEqualTo(expectedCommits);
    assertThat(seqs)
        .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, n).boxed().toList());

    List<Transaction> all = readAllTransactions(book, 97);
    assertThat(all)
        .extracting(Transaction::seq)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
    String previousHash = HashChain.GENESIS;
    Instant previousTime = Instant.EPOCH;
    for (Transaction tx : all) {
      assertThat(tx.prevHash()).isEqualTo(previousHash);
      assertThat(HashChain.hash(tx)).isEqualTo(tx.hash());
      assertThat(tx.committedAt()).isAfterOrEqualTo(previousTime);
      previousHash = tx.hash();
      previousTime = tx.committedAt();
    }
    VerifyResult verify = store.verify(book);
    assertThat(verify.ok()).as("verify: %s", verify.reason()).isTrue();
    assertThat(verify.seq()).isEqualTo(n);
    assertThat(verify.headHash()).isEqualTo(previousHash);
    assertThat(store.findBook(book)).contains(new BookSummary(book, n, previousHash));
    assertThat(balance(store, book, "assets:cash", USD))
        .isEqualTo(DecimalAmount.ofMinorUnits(BigInteger.valueOf(n), 2).asWritten());
  }

  // ---- min_balance ----------------------------------------------------------------------------

  @Test
  void concurrentWithdrawalsNeverTakeAnAccountBelowItsMinBalance() throws Exception {
    String book = newBook();
    store.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "0"));
    int funded = 20;
    int attempts = 40;
    commit(
        store,
        book,
        draft(
            "deposit",
            debit("assets:hot-wallet", BTC, "0.00000020"),
            credit("liabilities:alice", BTC, "0.0000002")));

    List<PostOutcome> outcomes =
        runConcurrently(
            attempts,
            i ->
                store
                    .commitBatch(
                        book,
                        List.of(
                            draft(
                                "withdraw-" + i,
                                debit("liabilities:alice", BTC, "0.00000001"),
                                credit("assets:hot-wallet", BTC, "0.00000001"))))
                    .get(0));

    List<Transaction> accepted = new ArrayList<>();
    List<LedgerError> refused = new ArrayList<>();
    for (PostOutcome outcome : outcomes) {
      if (outcome instanceof PostOutcome.Committed) {
        accepted.add(committed(outcome));
      } else {
        refused.add(rejected(outcome));
      }
    }
    assertThat(accepted).hasSize(funded);
    assertThat(refused).hasSize(attempts - funded);
    for (LedgerError error : refused) {
      assertThat(error.code()).isEqualTo(ErrorCode.INSUFFICIENT_BALANCE);
      assertThat(error.fields())
          .isEqualTo(
              Map.of(
                  "account", "liabilities:alice",
                  "asset", BTC,
                  "balance", "0.00000000",
                  "min_balance", "0"));
    }
    assertThat(accepted)
        .extracting(tx -> tx.postings().get(0).balanceAfter().toString())
        .containsExactlyInAnyOrderElementsOf(
            LongStream.range(0, funded)
                .mapToObj(
                    left -> DecimalAmount.ofMinorUnits(BigInteger.valueOf(left), 8).asWritten())
                .toList());
    assertThat(balance(store, book, "liabilities:alice", BTC)).isEqualTo("0.00000000");
    assertThat(balance(store, book, "assets:hot-wallet", BTC)).isEqualTo("0.00000000");
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(1 + funded);
    assertThat(store.verify(book).ok()).isTrue();
  }

  @Test
  void aNegativeMinBalanceAllowsOverdraftDownToExactlyTheLimitInEveryAsset() {
    String book = newBook();
    store.openAccount(book, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(book, "liabilities:alice", spec(AccountKind.LIABILITY, "-500"));

    Transaction first = commit(store, book, withdraw("w1", USD, "499.99"));
    LedgerError oneCentTooFar = rejected(commitOne(book, withdraw("w2", USD, "0.02")));
    Transaction toTheLimit = commit(store, book, withdraw("w2", USD, "0.01"));
    LedgerError beyond = rejected(commitOne(book, withdraw("w3", USD, "0.01")));
    Transaction btcToTheLimit = commit(store, book, withdraw("w4", BTC, "500"));
    LedgerError btcBeyond = rejected(commitOne(book, withdraw("w5", BTC, "0.00000001")));

    assertThat(first.postings().get(0).balanceAfter().toString()).isEqualTo("-499.99");
    assertThat(oneCentTooFar.code()).isEqualTo(ErrorCode.INSUFFICIENT_BALANCE);
    assertThat(oneCentTooFar.fields())
        .isEqualTo(
            Map.of(
                "account", "liabilities:alice",
                "asset", USD,
                "balance", "-499.99",
                "min_balance", "-500"));
    assertThat(toTheLimit.seq()).isEqualTo(2);
    assertThat(toTheLimit.postings().get(0).balanceAfter().toString()).isEqualTo("-500.00");
    assertThat(beyond.fields())
        .isEqualTo(
            Map.of(
                "account", "liabilities:alice",
                "asset", USD,
                "balance", "-500.00",
                "min_balance", "-500"));
    assertThat(btcToTheLimit.postings().get(0).balanceAfter().toString())
        .isEqualTo("-500.00000000");
    assertThat(btcBeyond.code()).isEqualTo(ErrorCode.INSUFFICIENT_BALANCE);
    assertThat(btcBeyond.fields())
        .isEqualTo(
            Map.of(
                "account", "liabilities:alice",
                "asset", BTC,
                "balance", "-500.00000000",
                "min_balance", "-500"));
    assertThat(balance(store, book, "liabilities:alice", USD)).isEqualTo("-500.00");
    assertThat(balance(store, book, "liabilities:alice", BTC)).isEqualTo("-500.00000000");
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(3);
  }

  // ---- normal sides and the trial balance -----------------------------------------------------

  @Test
  void balancesAreNormalSideAdjustedForAllFiveKindsAndTheTrialBalanceShowsRawColumns() {
    String book = newBook();
    openAccounts(book, AccountKind.ASSET, "assets:cash");
    openAccounts(book, AccountKind.LIABILITY, "liabilities:loan");
    openAccounts(book, AccountKind.EQUITY, "equity:capital");
    openAccounts(book, AccountKind.INCOME, "income:sales");
    openAccounts(book, AccountKind.EXPENSE, "expenses:rent");

    Transaction capital =
        commit(
            store,
            book,
            draft("k1", debit("assets:cash", USD, "100"), credit("equity:capital", USD, "100")));
    Transaction loan =
        commit(
            store,
            book,
            draft("k2", debit("assets:cash", USD, "50"), credit("liabilities:loan", USD, "50")));
    Transaction sale =
        commit(
            store,
            book,
            draft("k3", debit("assets:cash", USD, "30"), credit("income:sales", USD, "30")));
    Transaction rent =
        commit(
            store,
            book,
            draft("k4", debit("expenses:rent", USD, "20"), credit("assets:cash", USD, "20")));
    Transaction refund =
        commit(
            store,
            book,
            draft("k5", debit("income:sales", USD, "40"), credit("assets:cash", USD, "40")));

    assertThat(balancesAfter(capital)).containsExactly("100.00", "100.00");
    assertThat(balancesAfter(loan)).containsExactly("150.00", "50.00");
    assertThat(balancesAfter(sale)).containsExactly("180.00", "30.00");
    assertThat(balancesAfter(rent)).containsExactly("20.00", "160.00");
    assertThat(balancesAfter(refund)).containsExactly("-10.00", "120.00");
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("120.00");
    assertThat(balance(store, book, "liabilities:loan", USD)).isEqualTo("50.00");
    assertThat(balance(store, book, "equity:capital", USD)).isEqualTo("100.00");
    assertThat(balance(store, book, "income:sales", USD)).isEqualTo("-10.00");
    assertThat(balance(store, book, "expenses:rent", USD)).isEqualTo("20.00");
    assertThat(store.getAccount(book, "liabilities:loan").normalSide()).isEqualTo(Side.CREDIT);
    assertThat(store.balances(book, "income:sales", null, null).normalSide())
        .isEqualTo(Side.CREDIT);

    TrialBalance trial = store.trialBalance(book, null);

    assertThat(trial.book()).isEqualTo(book);
    assertThat(trial.seq()).isEqualTo(5);
    assertThat(trial.asOf()).isNull();
    assertThat(trialLines(trial))
        .containsExactly(
            "assets:cash asset USD 120.00 0.00",
            "equity:capital equity USD 0.00 100.00",
            "expenses:rent expense USD 20.00 0.00",
            "income:sales income USD 10.00 0.00",
            "liabilities:loan liability USD 0.00 50.00");
    assertThat(trialTotals(trial)).containsExactly("USD 150.00 150.00");
    assertThat(trial.balanced()).isTrue();
  }

  @Test
  void zeroBalancesAreLeftOutOfTheTrialBalance() {
    String book = newBook();
    openStandardAccounts(book);
    commit(store, book, fund("k1", "5"));
    commit(
        store,
        book,
        draft("k2", debit("equity:capital", USD, "5"), credit("assets:cash", USD, "5")));
    commit(
        store,
        book,
        draft("k3", debit("assets:cash", BTC, "1"), credit("equity:capital", BTC, "1")));

    TrialBalance trial = store.trialBalance(book, null);

    assertThat(trialLines(trial))
        .containsExactly(
            "assets:cash asset BTC 1.00000000 0.00000000",
            "equity:capital equity BTC 0.00000000 1.00000000");
    assertThat(trialTotals(trial)).containsExactly("BTC 1.00000000 1.00000000");
    assertThat(trial.balanced()).isTrue();
    assertThat(trial.seq()).isEqualTo(3);
  }

  // ---- rejections -----------------------------------------------------------------------------

  @Test
  void rejectedDraftsLeaveNoTraceAndTheirBatchmatesCommitWithConsecutiveSeqs() {
    String book = newBook();
    openStandardAccounts(book);
    String unknownAsset = uniqueAssetCode("NOPE");

    List<PostOutcome> outcomes =
        store.commitBatch(
            book,
            List.of(
                fund("k0", "1"),
                draft("k1", debit("assets:cash", USD, "1"), credit("equity:capital", USD, "0.9")),
                draft("k2", debit("assets:cash", USD, "1"), credit("equity:nobody", USD, "1")),
                fund("k3", "2"),
                draft(
                    "k4",
                    debit("assets:cash", unknownAsset, "1"),
                    credit("equity:capital", unknownAsset, "1")),
                draft("k5", credit("equity:capital", USD, "1"), debit("assets:cash", USD, "0.001")),
                fund("k6", "4")));

    assertThat(committed(outcomes.get(0)).seq()).isEqualTo(1);
    assertThat(committed(outcomes.get(3)).seq()).isEqualTo(2);
    assertThat(committed(outcomes.get(6)).seq()).isEqualTo(3);
    assertThat(committed(outcomes.get(3)).prevHash()).isEqualTo(committed(outcomes.get(0)).hash());
    assertThat(committed(outcomes.get(6)).prevHash()).isEqualTo(committed(outcomes.get(3)).hash());
    LedgerError unbalanced = rejected(outcomes.get(1));
    assertThat(unbalanced.code()).isEqualTo(ErrorCode.UNBALANCED);
    assertThat(unbalanced.fields())
        .isEqualTo(Map.of("asset", USD, "debits", "1.00", "credits", "0.90"));
    LedgerError unknownAccount = rejected(outcomes.get(2));
    assertThat(unknownAccount.code()).isEqualTo(ErrorCode.UNKNOWN_ACCOUNT);
    assertThat(unknownAccount.fields()).isEqualTo(Map.of("account", "equity:nobody"));
    LedgerError unknownAssetError = rejected(outcomes.get(4));
    assertThat(unknownAssetError.code()).isEqualTo(ErrorCode.UNKNOWN_ASSET);
    assertThat(unknownAssetError.fields()).isEqualTo(Map.of("asset", unknownAsset));
    LedgerError tooPrecise = rejected(outcomes.get(5));
    assertThat(tooPrecise.code()).isEqualTo(ErrorCode.INVALID_AMOUNT);
    assertThat(tooPrecise.fields()).isEqualTo(Map.of("field", "postings[1].debit"));

    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(3);
    assertThat(readAllTransactions(book, 100))
        .extracting(Transaction::idempotencyKey)
        .containsExactly("k0", "k3", "k6");
    for (String key : List.of("k1", "k2", "k4", "k5")) {
      assertThat(store.findTransactionByKey(book, key)).isEmpty();
    }
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("7.00");
    assertThat(store.getAccount(book, "assets:cash").balances())
        .extracting(Balance::asset)
        .containsExactly(USD);
    assertThat(store.verify(book).ok()).isTrue();

    Transaction corrected =
        commit(
            store,
            book,
            draft("k1", debit("assets:cash", USD, "1"), credit("equity:capital", USD, "1")));
    assertThat(corrected.seq()).isEqualTo(4);
    assertThat(corrected.deduplicated()).isFalse();
    assertThat(store.findTransactionByKey(book, "k1")).contains(corrected);

    store.registerAsset(new AssetSpec(unknownAsset, 0, null));
    Transaction afterRegistration =
        commit(
            store,
            book,
            draft(
                "k4",
                debit("assets:cash", unknownAsset, "1"),
                credit("equity:capital", unknownAsset, "1")));
    assertThat(afterRegistration.seq()).isEqualTo(5);
    assertThat(afterRegistration.deduplicated()).isFalse();
    assertThat(balance(store, book, "assets:cash", unknownAsset)).isEqualTo("1");
  }

  @Test
  void committingToABookThatDoesNotExistRejectsEveryDraftAsUnknownAccountAndCreatesNothing() {
    String book = newBook();

    List<PostOutcome> outcomes = store.commitBatch(book, List.of(fund("k1", "1"), fund("k2", "2")));

    assertThat(outcomes).hasSize(2);
    for (PostOutcome outcome : outcomes) {
      LedgerError error = rejected(outcome);
      assertThat(error.code()).isEqualTo(ErrorCode.UNKNOWN_ACCOUNT);
      assertThat(error.fields()).isEqualTo(Map.of("account", "assets:cash"));
    }
    assertThat(store.findBook(book)).isEmpty();
    assertThat(store.listBooks()).extracting(BookSummary::book).doesNotContain(book);
    assertThat(store.readCommits(book, 1, 10)).isEmpty();
    assertThat(ledgerFailure(() -> store.listAccounts(book, null, 10)).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void aBalanceBeyondTenToThe78IsOutOfRangeOnEitherSide() {
    String book = newBook();
    String asset = uniqueAssetCode("BIG");
    store.registerAsset(new AssetSpec(asset, 0, null));
    openAccounts(book, AccountKind.ASSET, "assets:vault", "assets:other");
    openAccounts(book, AccountKind.EQUITY, "equity:issuance");
    BigInteger max = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
    String maxText = max.toString();

    List<Transaction> accepted = new ArrayList<>();
    LedgerError debitSide = null;
    for (int i = 1; i <= 12 && debitSide == null; i++) {
      PostOutcome outcome =
          commitOne(
              book,
              draft(
                  "issue-" + i,
                  debit("assets:vault", asset, maxText),
                  credit("equity:issuance", asset, maxText)));
      if (outcome instanceof PostOutcome.Committed) {
        accepted.add(committed(outcome));
      } else {
        debitSide = rejected(outcome);
      }
    }
    LedgerError creditSide =
        rejected(
            commitOne(
                book,
                draft(
                    "issue-other",
                    debit("assets:other", asset, maxText),
                    credit("equity:issuance", asset, maxText))));

    assertThat(accepted).hasSize(8);
    String eightTimes = max.multiply(BigInteger.valueOf(8)).toString();
    assertThat(eightTimes)
        .isEqualTo(
            "926336713898529563388567880069503262826159877325124512315660672063305037119480");
    assertThat(accepted.get(7).postings().get(0).balanceAfter().toString()).isEqualTo(eightTimes);
    assertThat(debitSide).isNotNull();
    assertThat(debitSide.code()).isEqualTo(ErrorCode.AMOUNT_OUT_OF_RANGE);
    assertThat(debitSide.fields()).isEqualTo(Map.of("account", "assets:vault", "asset", asset));
    assertThat(creditSide.code()).isEqualTo(ErrorCode.AMOUNT_OUT_OF_RANGE);
    assertThat(creditSide.fields()).isEqualTo(Map.of("account", "equity:issuance", "asset", asset));
    assertThat(balance(store, book, "assets:vault", asset)).isEqualTo(eightTimes);
    assertThat(balance(store, book, "equity:issuance", asset)).isEqualTo(eightTimes);
    assertThat(store.getAccount(book, "assets:other").balances()).isEmpty();
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(8);
    assertThat(store.verify(book).ok()).isTrue();
  }

  @Test
  void uint256AmountsSumExactlyBeyondTwoToThe256() {
    String book = newBook();
    openStandardAccounts(book);
    String half = "57896044618658097711785492504343953926634992332820282019728.792003956564819968";
    String full = "115792089237316195423570985008687907853269984665640564039457.584007913129639936";

    Transaction tx =
        commit(
            store,
            book,
            draft(
                "big",
                debit("assets:cash", ETH, half),
                debit("assets:cash", ETH, half),
                credit("equity:capital", ETH, half),
                credit("equity:capital", ETH, half)));

    assertThat(balancesAfter(tx)).containsExactly(half, full, half, full);
    assertThat(tx.postings().get(0).amount().minorUnits()).isEqualTo(BigInteger.ONE.shiftLeft(255));
    assertThat(balance(store, book, "assets:cash", ETH)).isEqualTo(full);
    assertThat(balance(store, book, "equity:capital", ETH)).isEqualTo(full);
    assertThat(trialTotals(store.trialBalance(book, null)))
        .containsExactly(ETH + " " + full + " " + full);
    assertThat(store.findTransaction(tx.txId())).contains(tx);
    assertThat(store.verify(book).ok()).isTrue();
  }

  // ---- as_of ----------------------------------------------------------------------------------

  @Test
  void asOfIncludesEveryCommitAtOrBeforeTheMomentAndNamesTheLastSeq() {
    TestClock clock = new TestClock(Instant.parse("2031-05-06T07:08:09.100000Z"));
    try (Store timed = openFreshStore(StoreSettings.defaults().withClock(clock))) {
      registerCommonAssets(timed);
      String book = newBook();
      openStandardAccounts(timed, book);
      Instant t1 = Instant.parse("2031-05-06T07:08:09.100000Z");
      Instant t2 = t1.plusSeconds(1);
      Instant t3 = t2.plusSeconds(1);

      clock.set(t1);
      Transaction seq1 = commit(timed, book, fund("k1", "10"));
      clock.set(t2);
      List<PostOutcome> batch = timed.commitBatch(book, List.of(fund("k2", "5"), fund("k3", "2")));
      clock.set(t3);
      Transaction seq4 = commit(timed, book, fund("k4", "1"));

      assertThat(seq1.committedAt()).isEqualTo(t1);
      assertThat(committed(batch.get(0)).committedAt()).isEqualTo(t2);
      assertThat(committed(batch.get(1)).committedAt()).isEqualTo(t2);
      assertThat(committed(batch.get(1)).seq()).isEqualTo(3);
      assertThat(seq4.committedAt()).isEqualTo(t3);
      assertThat(seq4.seq()).isEqualTo(4);

      Instant beforeFirst = t1.minus(ONE_MICRO);
      AccountBalances none = timed.balances(book, "assets:cash", beforeFirst, null);
      assertThat(none.seq()).isZero();
      assertThat(none.asOf()).isEqualTo(beforeFirst);
      assertThat(none.balances()).isEmpty();
      AccountBalances zero = timed.balances(book, "assets:cash", beforeFirst, USD);
      assertThat(zero.seq()).isZero();
      assertThat(balanceStrings(zero.balances())).containsExactly("USD 0.00");
      TrialBalance emptyTrial = timed.trialBalance(book, beforeFirst);
      assertThat(emptyTrial.seq()).isZero();
      assertThat(emptyTrial.asOf()).isEqualTo(beforeFirst);
      assertThat(emptyTrial.accounts()).isEmpty();
      assertThat(emptyTrial.totals()).isEmpty();
      assertThat(emptyTrial.balanced()).isTrue();

      Map<Instant, Long> expectedSeq = new LinkedHashMap<>();
      Map<Instant, String> expectedCash = new LinkedHashMap<>();
      expectedSeq.put(t1, 1L);
      expectedCash.put(t1, "10.00");
      expectedSeq.put(t2.minus(ONE_MICRO), 1L);
      expectedCash.put(t2.minus(ONE_MICRO), "10.00");
      expectedSeq.put(t2, 3L);
      expectedCash.put(t2, "17.00");
      expectedSeq.put(t2.plusMillis(500), 3L);
      expectedCash.put(t2.plusMillis(500), "17.00");
      expectedSeq.put(t3.minus(ONE_MICRO), 3L);
      expectedCash.put(t3.minus(ONE_MICRO), "17.00");
      expectedSeq.put(t3, 4L);
      expectedCash.put(t3, "18.00");
      expectedSeq.put(t3.plus(Duration.ofDays(1)), 4L);
      expectedCash.put(t3.plus(Duration.ofDays(1)), "18.00");
      expectedSeq.put(LAST_REPRESENTABLE, 4L);
      expectedCash.put(LAST_REPRESENTABLE, "18.00");
      for (Instant asOf : expectedSeq.keySet()) {
        String cash = expectedCash.get(asOf);
        AccountBalances balances = timed.balances(book, "assets:cash", asOf, null);
        assertThat(balances.seq()).as("seq as of %s", asOf).isEqualTo(expectedSeq.get(asOf));
        assertThat(balances.asOf()).isEqualTo(asOf);
        assertThat(balanceStrings(balances.balances()))
            .as("as of %s", asOf)
            .containsExactly("USD " + cash);
        assertThat(balanceStrings(timed.balances(book, "equity:capital", asOf, USD).balances()))
            .containsExactly("USD " + cash);
        TrialBalance trial = timed.trialBalance(book, asOf);
        assertThat(trial.seq()).as("trial seq as of %s", asOf).isEqualTo(expectedSeq.get(asOf));
        assertThat(trial.asOf()).isEqualTo(asOf);
        assertThat(trialLines(trial))
            .as("trial as of %s", asOf)
            .containsExactly(
                "assets:cash asset USD " + cash + " 0.00",
                "equity:capital equity USD 0.00 " + cash);
        assertThat(trialTotals(trial)).containsExactly("USD " + cash + " " + cash);
        assertThat(trial.balanced()).isTrue();
      }

      AccountBalances latest = timed.balances(book, "assets:cash", null, null);
      assertThat(latest.seq()).isEqualTo(4);
      assertThat(latest.asOf()).isNull();
      assertThat(balanceStrings(latest.balances())).containsExactly("USD 18.00");
      assertThat(timed.trialBalance(book, null).seq()).isEqualTo(4);
    }
  }

  @Test
  void commitTimesNeverDecreaseWhenTheClockStepsBack() {
    Instant t1 = Instant.parse("2031-07-01T12:00:00.000001Z");
    TestClock clock = new TestClock(t1);
    try (Store timed = openFreshStore(StoreSettings.defaults().withClock(clock))) {
      registerCommonAssets(timed);
      String book = newBook();
      openStandardAccounts(timed, book);

      Transaction first = commit(timed, book, fund("k1", "1"));
      clock.set(t1.minus(Duration.ofHours(1)));
      Transaction stepBack = commit(timed, book, fund("k2", "1"));
      clock.set(t1.plusSeconds(1));
      Transaction later = commit(timed, book, fund("k3", "1"));

      assertThat(first.committedAt()).isEqualTo(t1);
      assertThat(stepBack.committedAt()).isEqualTo(t1);
      assertThat(later.committedAt()).isEqualTo(t1.plusSeconds(1));
      assertThat(timed.balances(book, "assets:cash", t1, null).seq()).isEqualTo(2);
      assertThat(timed.verify(book).ok()).isTrue();
    }
  }

  @Test
  void anAssetFilterAnswersZeroForAnAssetNeverHeldAndNotFoundForAnUnknownAsset() {
    String book = newBook();
    openStandardAccounts(book);
    commit(store, book, fund("k1", "1"));

    AccountBalances btc = store.balances(book, "assets:cash", null, BTC);
    AccountBalances usd = store.balances(book, "assets:cash", null, USD);
    AccountBalances all = store.balances(book, "assets:cash", null, null);

    assertThat(balanceStrings(btc.balances())).containsExactly("BTC 0.00000000");
    assertThat(btc.seq()).isEqualTo(1);
    assertThat(btc.book()).isEqualTo(book);
    assertThat(btc.account()).isEqualTo("assets:cash");
    assertThat(btc.kind()).isEqualTo(AccountKind.ASSET);
    assertThat(balanceStrings(usd.balances())).containsExactly("USD 1.00");
    assertThat(balanceStrings(all.balances())).containsExactly("USD 1.00");
    String unknown = uniqueAssetCode("NOPE");
    assertThat(ledgerFailure(() -> store.balances(book, "assets:cash", null, unknown)).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(
            ledgerFailure(
                    () ->
                        store.balances(
                            book, "assets:cash", Instant.parse("2030-01-01T00:00:00Z"), unknown))
                .code())
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  // ---- reading ----------------------------------------------------------------------------------

  @Test
  void transactionsArePagedBySeq() {
    String book = newBook();
    openStandardAccounts(book);
    List<Transaction> committed = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      committed.add(commit(store, book, fund("k" + i, String.valueOf(i))));
    }

    List<List<Long>> pages = new ArrayList<>();
    List<Long> nexts = new ArrayList<>();
    List<Transaction> read = new ArrayList<>();
    long after = 0;
    while (pages.size() < 10) {
      TransactionPage page = store.listTransactions(book, after, 3);
      pages.add(page.transactions().stream().map(Transaction::seq).toList());
      read.addAll(page.transactions());
      nexts.add(page.nextAfterSeq());
      if (page.nextAfterSeq() == null) {
        break;
      }
      after = page.nextAfterSeq();
    }

    assertThat(pages)
        .containsExactly(
            List.of(1L, 2L, 3L), List.of(4L, 5L, 6L), List.of(7L, 8L, 9L), List.of(10L));
    assertThat(nexts).containsExactly(3L, 6L, 9L, null);
    assertThat(read).isEqualTo(committed);
    assertThat(store.listTransactions(book, 10, 3)).isEqualTo(new TransactionPage(List.of(), null));
    assertThat(store.listTransactions(book, 7, 3).nextAfterSeq()).isNull();
  }

  @Test
  void readCommitsCatchesUpFromASeq() {
    String book = newBook();
    openStandardAccounts(book);
    for (int i = 1; i <= 10; i++) {
      commit(store, book, fund("k" + i, "1"));
    }

    assertThat(store.readCommits(book, 4, 3))
        .extracting(Transaction::seq)
        .containsExactly(4L, 5L, 6L);
    assertThat(store.readCommits(book, 9, 100))
        .extracting(Transaction::seq)
        .containsExactly(9L, 10L);
    assertThat(store.readCommits(book, 1, 2)).extracting(Transaction::seq).containsExactly(1L, 2L);
    assertThat(store.readCommits(book, 0, 2)).extracting(Transaction::seq).containsExactly(1L, 2L);
    assertThat(store.readCommits(book, 11, 5)).isEmpty();
    assertThat(store.readCommits(book, 1, 1000)).isEqualTo(readAllTransactions(book, 1000));
  }

  @Test
  void transactionsAreFoundByIdAndByKey() {
    String book = newBook();
    openStandardAccounts(book);
    Transaction tx = commit(store, book, fund("the-key", "1"));

    assertThat(store.findTransaction(tx.txId())).contains(tx);
    assertThat(store.findTransaction(UUID.randomUUID())).isEmpty();
    assertThat(store.findTransactionByKey(book, "the-key")).contains(tx);
    assertThat(store.findTransactionByKey(book, "other-key")).isEmpty();
  }

  /**
   * An account {@code assets:x} with postings in two assets, one transaction posting to it in both
   * assets (seq 2) and one posting to it twice in one asset (seq 4). Its postings, as {@link
   * #postingLines}, are {@link #X_POSTINGS}.
   */
  private List<Transaction> commitPostingsFixture(String book) {
    openAccounts(book, AccountKind.ASSET, "assets:x");
    openAccounts(book, AccountKind.EQUITY, "equity:y");
    List<Transaction> txs = new ArrayList<>();
    txs.add(
        commit(
            store, book, draft("k1", debit("assets:x", BTC, "1"), credit("equity:y", BTC, "1"))));
    txs.add(
        commit(
            store,
            book,
            draft(
                "k2",
                debit("assets:x", BTC, "2"),
                credit("equity:y", BTC, "2"),
                debit("assets:x", USD, "1"),
                credit("equity:y", USD, "1"))));
    txs.add(
        commit(
            store, book, draft("k3", debit("assets:x", USD, "2"), credit("equity:y", USD, "2"))));
    txs.add(
        commit(
            store,
            book,
            draft(
                "k4",
                debit("assets:x", BTC, "3"),
                credit("assets:x", BTC, "1"),
                credit("equity:y", BTC, "2"))));
    txs.add(
        commit(
            store, book, draft("k5", debit("assets:x", USD, "3"), credit("equity:y", USD, "3"))));
    txs.add(
        commit(
            store, book, draft("k6", debit("assets:x", BTC, "4"), credit("equity:y", BTC, "4"))));
    return txs;
  }

  private static final String R1 = "1 BTC debit 1.00000000 -> 1.00000000";
  private static final String R2 = "2 BTC debit 2.00000000 -> 3.00000000";
  private static final String R3 = "2 USD debit 1.00 -> 1.00";
  private static final String R4 = "3 USD debit 2.00 -> 3.00";
  private static final String R5 = "4 BTC debit 3.00000000 -> 6.00000000";
  private static final String R6 = "4 BTC credit 1.00000000 -> 5.00000000";
  private static final String R7 = "5 USD debit 3.00 -> 6.00";
  private static final String R8 = "6 BTC debit 4.00000000 -> 9.00000000";
  private static final List<String> X_POSTINGS = List.of(R1, R2, R3, R4, R5, R6, R7, R8);

  @Test
  void postingsOfAnAccountArePagedWithoutSplittingATransaction() {
    String book = newBook();
    List<Transaction> txs = commitPostingsFixture(book);

    PostingPage everything = store.listPostings(book, "assets:x", null, 0, 100);
    assertThat(postingLines(everything)).containsExactlyElementsOf(X_POSTINGS);
    assertThat(everything.nextAfterSeq()).isNull();
    for (AccountPosting posting : everything.postings()) {
      Transaction tx = txs.get((int) posting.seq() - 1);
      assertThat(posting.txId()).isEqualTo(tx.txId());
      assertThat(posting.committedAt()).isEqualTo(tx.committedAt());
    }

    // A page holds `limit` postings and then the rest of its last transaction's postings.
    assertThat(postingPages(book, null, 2))
        .containsExactly(List.of(R1, R2, R3), List.of(R4, R5, R6), List.of(R7, R8));
    assertThat(pageNexts(book, null, 2)).containsExactly(2L, 4L, null);
    assertThat(postingPages(book, null, 1))
        .containsExactly(
            List.of(R1), List.of(R2, R3), List.of(R4), List.of(R5, R6), List.of(R7), List.of(R8));
    assertThat(pageNexts(book, null, 1)).containsExactly(1L, 2L, 3L, 4L, 5L, null);
    assertThat(postingPages(book, null, 3))
        .containsExactly(List.of(R1, R2, R3), List.of(R4, R5, R6), List.of(R7, R8));
    assertThat(store.listPostings(book, "assets:x", null, 6, 10))
        .isEqualTo(new PostingPage(List.of(), null));
  }

  @Test
  void postingsFilteredByAssetArePagedWithinThatAsset() {
    String book = newBook();
    commitPostingsFixture(book);

    assertThat(postingPages(book, BTC, 100)).containsExactly(List.of(R1, R2, R5, R6, R8));
    assertThat(postingPages(book, USD, 1)).containsExactly(List.of(R3), List.of(R4), List.of(R7));
    assertThat(pageNexts(book, USD, 1)).containsExactly(2L, 3L, null);
    assertThat(postingPages(book, BTC, 3)).containsExactly(List.of(R1, R2, R5, R6), List.of(R8));
    assertThat(pageNexts(book, BTC, 3)).containsExactly(4L, null);
    assertThat(store.listPostings(book, "assets:x", ETH, 0, 10))
        .isEqualTo(new PostingPage(List.of(), null));
    assertThat(
            ledgerFailure(
                    () -> store.listPostings(book, "assets:x", uniqueAssetCode("NOPE"), 0, 10))
                .code())
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void aFilteredPageThatEndsInsideATransactionHoldsOnlyTheFilteredAsset() {
    String book = newBook();
    commitPostingsFixture(book);

    // The BTC page of limit 2 ends at seq 2, which also posts USD to the account (after its BTC
    // posting): completing the transaction must not bring that USD posting into a BTC listing.
    PostingPage first = store.listPostings(book, "assets:x", BTC, 0, 2);

    assertThat(postingLines(first)).containsExactly(R1, R2);
    assertThat(first.nextAfterSeq()).isEqualTo(2L);
    assertThat(postingPages(book, BTC, 2))
        .containsExactly(List.of(R1, R2), List.of(R5, R6), List.of(R8));
    assertThat(pageNexts(book, BTC, 2)).containsExactly(2L, 4L, null);
  }

  @Test
  void everyPostingRecordsTheRunningBalanceOfItsAccount() {
    String book = newBook();
    openStandardAccounts(book);

    Transaction first =
        commit(
            store,
            book,
            draft(
                "k1",
                debit("assets:cash", USD, "3"),
                credit("assets:cash", USD, "1"),
                credit("equity:capital", USD, "2")));
    Transaction second =
        commit(
            store,
            book,
            draft(
                "k2",
                debit("equity:capital", USD, "0.5"),
                credit("assets:cash", USD, "0.25"),
                credit("assets:cash", USD, "0.25")));

    assertThat(balancesAfter(first)).containsExactly("3.00", "2.00", "2.00");
    assertThat(balancesAfter(second)).containsExactly("1.50", "1.75", "1.50");
    assertThat(store.findTransaction(first.txId())).contains(first);
    assertThat(store.findTransaction(second.txId())).contains(second);
    assertThat(balance(store, book, "assets:cash", USD)).isEqualTo("1.50");
  }

  @Test
  void storedTransactionsReadBackExactlyAsCommittedAndHashAsTheyClaim() {
    String book = newBook();
    openStandardAccounts(book);
    List<Transaction> committed = new ArrayList<>();
    committed.add(
        commit(
            store,
            book,
            new TransactionDraft(
                "with-everything",
                List.of(
                    debit("assets:cash", BTC, "0.12345678"),
                    credit("equity:capital", BTC, "0.12345678")),
                Instant.parse("2026-11-20T14:02:00.123456Z"),
                "déjà vu 𝄞 \"quoted\"\nsecond line",
                Map.of("z", "last", "Z", "upper", "é", "e-acute", "𝄞", "clef", "", "empty key"))));
    committed.add(
        commit(
            store,
            book,
            new TransactionDraft(
                "empty-memo",
                List.of(debit("assets:cash", USD, "1"), credit("equity:capital", USD, "1")),
                Instant.parse("0001-01-01T00:00:00Z"),
                "",
                Map.of("a", ""))));
    committed.add(
        commit(
            store,
            book,
            new TransactionDraft(
                "far-future",
                List.of(
                    debit("assets:cash", ETH, "0.000000000000000001"),
                    credit("equity:capital", ETH, "0.000000000000000001")),
                LAST_REPRESENTABLE,
                null,
                Map.of())));
    committed.add(commit(store, book, fund("plain", "2")));

    assertThat(committed.get(1).memo()).isEmpty();
    assertThat(committed.get(2).memo()).isNull();
    List<Transaction> read = readAllTransactions(book, 100);
    assertThat(read).isEqualTo(committed);
    for (Transaction tx : read) {
      assertThat(HashChain.hash(tx)).isEqualTo(tx.hash());
      assertThat(store.findTransaction(tx.txId())).contains(tx);
      assertThat(store.findTransactionByKey(book, tx.idempotencyKey())).contains(tx);
    }
    VerifyResult verify = store.verify(book);
    assertThat(verify.ok()).as("verify: %s", verify.reason()).isTrue();
    assertThat(verify.seq()).isEqualTo(4);
  }

  // ---- the hash chain -------------------------------------------------------------------------

  @Test
  void theStoreReproducesThePinnedHashChainVectors() throws IOException {
    JsonNode vectors;
    try (InputStream in =
        StoreContractTest.class.getResourceAsStream(
            "/dev/talea/protocol/hash-chain-vectors.json")) {
      assertThat(in).as("hash-chain-vectors.json from ledger-protocol's test-jar").isNotNull();
      vectors = Json.mapper().readTree(in);
    }
    JsonNode commits = vectors.get("commits");
    assertThat(commits).hasSize(4);
    Map<String, Integer> decimals = Map.of("BTC", 8, "USDC.ERC20", 0, "POINTS", 0, "ETH", 18);
    Iterator<UUID> ids =
        List.of(
                uuid(commits.get(0)),
                uuid(commits.get(1)),
                uuid(commits.get(2)),
                uuid(commits.get(3)))
            .iterator();
    TestClock clock = new TestClock(Instant.parse("2026-11-20T14:00:00Z"));

    try (Store fresh =
        openFreshStore(StoreSettings.defaults().withTxIds(ids::next).withClock(clock))) {
      decimals.forEach((code, scale) -> fresh.registerAsset(new AssetSpec(code, scale, null)));
      for (JsonNode vector : commits) {
        for (JsonNode posting : vector.get("postings")) {
          String account = posting.get("account").asText();
          fresh.openAccount(vector.get("book").asText(), account, new AccountSpec(kindOf(account)));
        }
      }

      List<Transaction> results = new ArrayList<>();
      for (JsonNode vector : commits) {
        clock.set(Instant.parse(vector.get("committed_at").asText()));
        results.add(commit(fresh, vector.get("book").asText(), draftOf(vector, decimals)));
      }

      for (int i : new int[] {0, 1, 3}) {
        JsonNode vector = commits.get(i);
        Transaction tx = results.get(i);
        assertThat(tx.book()).isEqualTo(vector.get("book").asText());
        assertThat(tx.seq()).isEqualTo(vector.get("seq").asLong());
        assertThat(tx.txId()).isEqualTo(uuid(vector));
        assertThat(tx.committedAt()).isEqualTo(Instant.parse(vector.get("committed_at").asText()));
        assertThat(tx.prevHash()).isEqualTo(vector.get("prev_hash").asText());
        assertThat(tx.hash())
            .as(vector.get("name").asText())
            .isEqualTo(vector.get("hash").asText());
      }
      Transaction third = results.get(2);
      assertThat(third.seq()).isEqualTo(3);
      assertThat(third.txId()).isEqualTo(uuid(commits.get(2)));
      assertThat(third.committedAt())
          .isEqualTo(Instant.parse(commits.get(1).get("committed_at").asText()));
      assertThat(third.prevHash()).isEqualTo(commits.get(1).get("hash").asText());
      assertThat(third.hash()).isEqualTo(HashChain.hash(third));
      assertThat(third.hash()).isNotEqualTo(commits.get(2).get("hash").asText());
      assertThat(third.memo()).isEmpty();

      for (Transaction tx : results) {
        assertThat(fresh.findTransaction(tx.txId())).contains(tx);
      }
      VerifyResult payments = fresh.verify("payments");
      assertThat(payments.ok()).as("verify: %s", payments.reason()).isTrue();
      assertThat(payments.seq()).isEqualTo(3);
      assertThat(payments.headHash()).isEqualTo(third.hash());
      VerifyResult exchange = fresh.verify("exchange.eu-1");
      assertThat(exchange.ok()).as("verify: %s", exchange.reason()).isTrue();
      assertThat(exchange.headHash()).isEqualTo(commits.get(3).get("hash").asText());
      assertThat(fresh.listBooks())
          .containsExactly(
              new BookSummary("exchange.eu-1", 1, commits.get(3).get("hash").asText()),
              new BookSummary("payments", 3, third.hash()));
    }
  }

  // ---- verify ---------------------------------------------------------------------------------

  @Test
  void verifyConfirmsAHealthyBookUpToItsHead() {
    String book = newBook();
    openStandardAccounts(book);
    assertThat(store.verify(book)).isEqualTo(VerifyResult.ok(book, 0, HashChain.GENESIS));
    commit(store, book, fund("k1", "1"));
    commit(store, book, fund("k2", "2"));
    commit(
        store,
        book,
        draft("k3", debit("equity:capital", USD, "0.5"), credit("assets:cash", USD, "0.5")));

    VerifyResult result = store.verify(book);

    BookSummary head = store.findBook(book).orElseThrow();
    assertThat(result).isEqualTo(VerifyResult.ok(book, 3, head.headHash()));
    assertThat(head.lastSeq()).isEqualTo(3);
  }

  @Test
  void verifyReportsTheFirstSeqWhoseStoredDataWasChanged() {
    String book = newBook();
    openStandardAccounts(book);
    commit(store, book, fund("k1", "1"));
    commit(store, book, fund("k2", "2"));
    commit(store, book, fund("k3", "3"));

    changePostingAmount(book, 2, 0, BigInteger.valueOf(201));
    VerifyResult result = store.verify(book);

    assertThat(result.ok()).isFalse();
    assertThat(result.book()).isEqualTo(book);
    assertThat(result.firstBadSeq()).isEqualTo(2L);
    assertThat(result.reason()).contains("hash");
  }

  @Test
  void verifyOfAnUnknownBookIsNotFound() {
    assertThat(ledgerFailure(() -> store.verify(newBook())).code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  // ---- reads under concurrent writes ----------------------------------------------------------

  /**
   * Every read is one snapshot: while writers commit, every answer equals the book's state right
   * after the seq it reports (replayed here from the acknowledged commits), and never misses a
   * commit acknowledged before the read began. See {@link ConcurrentReads}.
   */
  @Test
  void everyReadUnderConcurrentWritesAnswersFromOneStateOfTheBook() throws Exception {
    String book = newBook();

    List<String> failures = new ConcurrentReads(store, book, 4, 3, 12).run();

    Map<String, List<String>> byRead = new TreeMap<>();
    for (String failure : failures) {
      byRead
          .computeIfAbsent(failure.substring(0, failure.indexOf(' ')), r -> new ArrayList<>())
          .add(failure.length() > 700 ? failure.substring(0, 700) + "..." : failure);
    }
    StringBuilder summary = new StringBuilder();
    byRead.forEach(
        (read, list) -> {
          summary.append(String.format("%n%s: %d wrong answers, e.g.", read, list.size()));
          list.stream().limit(2).forEach(f -> summary.append("\n  ").append(f));
        });
    assertThat(failures).as("answers that mix states:%s", summary).isEmpty();
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A clock that stands still at whatever instant a test sets. */
  protected static final class TestClock extends Clock {
    private volatile Instant now;

    public TestClock(Instant start) {
      this.now = start;
    }

    public void set(Instant instant) {
      this.now = instant;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  protected static void registerCommonAssets(Store target) {
    target.registerAsset(new AssetSpec(BTC, 8, "Bitcoin"));
    target.registerAsset(new AssetSpec(USD, 2, "US dollar"));
    target.registerAsset(new AssetSpec(ETH, 18, "Ether"));
  }

  protected static String newBook() {
    return "t-" + hex();
  }

  protected static String uniqueAssetCode(String prefix) {
    return prefix + hex().toUpperCase(Locale.ROOT);
  }

  private static String hex() {
    return String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  private static DecimalAmount min(String text) {
    return DecimalAmount.parseSigned(text, "min_balance");
  }

  private static AccountSpec spec(AccountKind kind, String minBalance) {
    return new AccountSpec(kind, min(minBalance), Map.of());
  }

  private void openAccounts(String book, AccountKind kind, String... names) {
    for (String name : names) {
      store.openAccount(book, name, new AccountSpec(kind));
    }
  }

  /** assets:cash (asset) and equity:capital (equity), both unconstrained. */
  private void openStandardAccounts(String book) {
    openStandardAccounts(store, book);
  }

  private static void openStandardAccounts(Store target, String book) {
    target.openAccount(book, "assets:cash", new AccountSpec(AccountKind.ASSET));
    target.openAccount(book, "equity:capital", new AccountSpec(AccountKind.EQUITY));
  }

  private static DraftPosting debit(String account, String asset, String amount) {
    return DraftPosting.debit(account, asset, amount);
  }

  private static DraftPosting credit(String account, String asset, String amount) {
    return DraftPosting.credit(account, asset, amount);
  }

  private static TransactionDraft draft(String key, DraftPosting... postings) {
    return new TransactionDraft(key, List.of(postings));
  }

  /** Capital paid into cash, in USD. */
  private static TransactionDraft fund(String key, String amount) {
    return draft(key, debit("assets:cash", USD, amount), credit("equity:capital", USD, amount));
  }

  /** Alice takes money out of the hot wallet. */
  private static TransactionDraft withdraw(String key, String asset, String amount) {
    return draft(
        key, debit("liabilities:alice", asset, amount), credit("assets:hot-wallet", asset, amount));
  }

  private PostOutcome commitOne(String book, TransactionDraft draft) {
    List<PostOutcome> outcomes = store.commitBatch(book, List.of(draft));
    assertThat(outcomes).hasSize(1);
    return outcomes.get(0);
  }

  /** Commits one draft that must be accepted as a new commit. */
  private static Transaction commit(Store target, String book, TransactionDraft draft) {
    List<PostOutcome> outcomes = target.commitBatch(book, List.of(draft));
    assertThat(outcomes).hasSize(1);
    Transaction tx = committed(outcomes.get(0));
    assertThat(tx.deduplicated()).isFalse();
    assertThat(tx.book()).isEqualTo(book);
    assertThat(tx.idempotencyKey()).isEqualTo(draft.idempotencyKey());
    return tx;
  }

  /** The transaction of a committed outcome, checked to hash as it claims. */
  private static Transaction committed(PostOutcome outcome) {
    assertThat(outcome)
        .as("expected a commit, got %s", outcome)
        .isInstanceOf(PostOutcome.Committed.class);
    Transaction tx = ((PostOutcome.Committed) outcome).transaction();
    assertThat(HashChain.hash(tx)).as("hash of seq %d", tx.seq()).isEqualTo(tx.hash());
    return tx;
  }

  private static LedgerError rejected(PostOutcome outcome) {
    assertThat(outcome)
        .as("expected a rejection, got %s", outcome)
        .isInstanceOf(PostOutcome.Rejected.class);
    return ((PostOutcome.Rejected) outcome).error();
  }

  private static LedgerException ledgerFailure(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(LedgerException.class);
    return (LedgerException) thrown;
  }

  /** The normal-side balance of one account in one asset, formatted. */
  private static String balance(Store target, String book, String account, String asset) {
    List<Balance> balances = target.balances(book, account, null, asset).balances();
    assertThat(balances).hasSize(1);
    assertThat(balances.get(0).asset()).isEqualTo(asset);
    return balances.get(0).balance().toString();
  }

  private static List<String> balanceStrings(List<Balance> balances) {
    return balances.stream().map(b -> b.asset() + " " + b.balance()).toList();
  }

  private static List<String> balancesAfter(Transaction tx) {
    return tx.postings().stream().map(p -> p.balanceAfter().toString()).toList();
  }

  private static List<String> trialLines(TrialBalance trial) {
    return trial.accounts().stream()
        .map(
            line ->
                line.account()
                    + " "
                    + line.kind().wireName()
                    + " "
                    + line.asset()
                    + " "
                    + line.debit()
                    + " "
                    + line.credit())
        .toList();
  }

  private static List<String> trialTotals(TrialBalance trial) {
    return trial.totals().stream()
        .map(total -> total.asset() + " " + total.debit() + " " + total.credit())
        .toList();
  }

  private static List<String> postingLines(PostingPage page) {
    return page.postings().stream()
        .map(
            p ->
                p.seq()
                    + " "
                    + p.asset()
                    + " "
                    + p.side().wireName()
                    + " "
                    + p.amount()
                    + " -> "
                    + p.balanceAfter())
        .toList();
  }

  private List<PostingPage> readPostingPages(String book, String asset, int limit) {
    List<PostingPage> pages = new ArrayList<>();
    long after = 0;
    while (pages.size() < 20) {
      PostingPage page = store.listPostings(book, "assets:x", asset, after, limit);
      pages.add(page);
      if (page.nextAfterSeq() == null) {
        break;
      }
      after = page.nextAfterSeq();
    }
    return pages;
  }

  private List<List<String>> postingPages(String book, String asset, int limit) {
    return readPostingPages(book, asset, limit).stream()
        .map(StoreContractTest::postingLines)
        .toList();
  }

  private List<Long> pageNexts(String book, String asset, int limit) {
    return readPostingPages(book, asset, limit).stream()
        .map(PostingPage::nextAfterSeq)
        .collect(Collectors.toList());
  }

  private List<Transaction> readAllTransactions(String book, int limit) {
    List<Transaction> all = new ArrayList<>();
    long after = 0;
    for (int guard = 0; guard < 10_000; guard++) {
      TransactionPage page = store.listTransactions(book, after, limit);
      all.addAll(page.transactions());
      if (page.nextAfterSeq() == null) {
        return all;
      }
      assertThat(page.nextAfterSeq())
          .isEqualTo(page.transactions().get(page.transactions().size() - 1).seq());
      after = page.nextAfterSeq();
    }
    throw new AssertionError("listTransactions never ended");
  }

  private static <T> List<T> runConcurrently(int threads, IntFunction<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.apply(id);
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  private static UUID uuid(JsonNode vector) {
    return UUID.fromString(vector.get("tx_id").asText());
  }

  private static AccountKind kindOf(String account) {
    String root = account.substring(0, account.indexOf(':'));
    return switch (root) {
      case "assets" -> AccountKind.ASSET;
      case "liabilities" -> AccountKind.LIABILITY;
      case "equity" -> AccountKind.EQUITY;
      case "income" -> AccountKind.INCOME;
      case "expenses" -> AccountKind.EXPENSE;
      default -> throw new IllegalArgumentException("no kind for " + account);
    };
  }

  /** The draft that, committed at the vector's time with its tx id, gives the vector's commit. */
  private static TransactionDraft draftOf(JsonNode vector, Map<String, Integer> decimals) {
    List<DraftPosting> postings = new ArrayList<>();
    for (JsonNode posting : vector.get("postings")) {
      String asset = posting.get("asset").asText();
      postings.add(
          new DraftPosting(
              posting.get("account").asText(),
              asset,
              "debit".equals(posting.get("side").asText()) ? Side.DEBIT : Side.CREDIT,
              DecimalAmount.ofMinorUnits(
                  new BigInteger(posting.get("amount_minor").asText()), decimals.get(asset))));
    }
    JsonNode occurredAt = vector.get("occurred_at");
    JsonNode memo = vector.get("memo");
    Map<String, String> metadata = new LinkedHashMap<>();
    vector
        .get("metadata")
        .properties()
        .forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
    return new TransactionDraft(
        vector.get("idempotency_key").asText(),
        postings,
        occurredAt == null || occurredAt.isNull() ? null : Instant.parse(occurredAt.asText()),
        memo == null || memo.isNull() ? null : memo.asText(),
        metadata);
  }
}
