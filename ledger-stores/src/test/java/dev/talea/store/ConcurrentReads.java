package dev.talea.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Balance;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Side;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Reads under concurrent writes, for the conformance suite: writer threads commit random transfers
 * to one book while reader threads call every read, recording each answer together with the highest
 * seq acknowledged before the read began. Once the writers stop, the acknowledged commits are
 * replayed here, independently of the store, and every answer is compared with the book's state
 * right after the seq it reports (for answers without a seq: after some seq at least as new as what
 * was acknowledged before the read began). A read that mixes two states — a commit without its
 * postings, balances from after the head it reports, a verify that sees balances newer than the
 * chain it walked — fails the comparison.
 */
final class ConcurrentReads {

  private static final Map<String, AccountKind> ACCOUNTS = new LinkedHashMap<>();

  static {
    ACCOUNTS.put("assets:cash", AccountKind.ASSET);
    ACCOUNTS.put("assets:hot-wallet", AccountKind.ASSET);
    ACCOUNTS.put("equity:capital", AccountKind.EQUITY);
    ACCOUNTS.put("expenses:network-fees", AccountKind.EXPENSE);
    ACCOUNTS.put("income:fees", AccountKind.INCOME);
    ACCOUNTS.put("liabilities:alice", AccountKind.LIABILITY);
    ACCOUNTS.put("liabilities:bob", AccountKind.LIABILITY);
  }

  private static final List<String> NAMES = List.copyOf(ACCOUNTS.keySet());
  private static final Map<String, Integer> DECIMALS =
      Map.of(StoreContractTest.USD, 2, StoreContractTest.BTC, 8);
  private static final List<String> ASSETS = List.of(StoreContractTest.BTC, StoreContractTest.USD);

  private final Store store;
  private final String book;
  private final int writers;
  private final int readers;
  private final int cyclesPerReader;

  /** The highest seq acknowledged to a writer so far: every seq up to it is committed. */
  private final AtomicLong acked = new AtomicLong();

  private final Map<Long, Transaction> history = new ConcurrentHashMap<>();
  private final List<Observation> observations =
      java.util.Collections.synchronizedList(new ArrayList<>());

  ConcurrentReads(Store store, String book, int writers, int readers, int cyclesPerReader) {
    this.store = store;
    this.book = book;
    this.writers = writers;
    this.readers = readers;
    this.cyclesPerReader = cyclesPerReader;
  }

  /** One answer, with the acknowledged head before the read began and after it ended. */
  private record Observation(String read, long before, long after, Object request, Object answer) {}

  /** Opens the accounts, runs writers and readers, and returns what every answer got wrong. */
  List<String> run() throws Exception {
    ACCOUNTS.forEach((name, kind) -> store.openAccount(book, name, new AccountSpec(kind)));
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch warm = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
    try {
      List<Future<?>> writing = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        writing.add(pool.submit(() -> write(id, stop, warm)));
      }
      List<Future<?>> reading = new ArrayList<>();
      for (int r = 0; r < readers; r++) {
        int id = r;
        reading.add(
            pool.submit(
                () -> {
                  warm.await();
                  read(new Random(1000 + id));
                  return null;
                }));
      }
      try {
        for (Future<?> reader : reading) {
          reader.get(5, TimeUnit.MINUTES);
        }
      } finally {
        stop.set(true);
      }
      for (Future<?> writer : writing) {
        writer.get(1, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    return check();
  }

  // ---- writers --------------------------------------------------------------------------------

  private Void write(int id, AtomicBoolean stop, CountDownLatch warm) {
    Random random = new Random(id);
    for (int batch = 0; !stop.get(); batch++) {
      List<TransactionDraft> drafts = new ArrayList<>();
      int size = 1 + random.nextInt(4);
      for (int d = 0; d < size; d++) {
        drafts.add(transfer(random, "w" + id + "-" + batch + "-" + d));
      }
      long last = 0;
      for (PostOutcome outcome : store.commitBatch(book, drafts)) {
        assertThat(outcome).isInstanceOf(PostOutcome.Committed.class);
        Transaction tx = ((PostOutcome.Committed) outcome).transaction();
        assertThat(tx.deduplicated()).isFalse();
        assertThat(history.put(tx.seq(), tx)).as("seq %d twice", tx.seq()).isNull();
        last = Math.max(last, tx.seq());
      }
      long committed = last;
      acked.accumulateAndGet(committed, Math::max);
      if (committed >= 100) {
        warm.countDown();
      }
    }
    return null;
  }

  /** Two postings in one asset, or four in both: accounts are unconstrained, so none is refused. */
  private static TransactionDraft transfer(Random random, String key) {
    List<DraftPosting> postings = new ArrayList<>();
    int assets = random.nextInt(3) == 0 ? 2 : 1;
    int first = random.nextInt(ASSETS.size());
    for (int a = 0; a < assets; a++) {
      String asset = ASSETS.get((first + a) % ASSETS.size());
      DecimalAmount amount =
          DecimalAmount.ofMinorUnits(
              BigInteger.valueOf(1 + random.nextInt(1_000_000)), DECIMALS.get(asset));
      String from = NAMES.get(random.nextInt(NAMES.size()));
      String to = NAMES.get(random.nextInt(NAMES.size()));
      postings.add(new DraftPosting(from, asset, Side.DEBIT, amount));
      postings.add(new DraftPosting(to, asset, Side.CREDIT, amount));
    }
    return new TransactionDraft(key, postings, null, "transfer " + key, Map.of("key", key));
  }

  // ---- readers --------------------------------------------------------------------------------

  private void read(Random random) {
    for (int cycle = 0; cycle < cyclesPerReader; cycle++) {
      String account = NAMES.get(random.nextInt(NAMES.size()));
      String asset = random.nextBoolean() ? null : ASSETS.get(random.nextInt(ASSETS.size()));
      long head = acked.get();
      long from = 1 + (long) random.nextInt((int) head);
      int limit = 1 + random.nextInt(60);
      long after = (long) random.nextInt((int) head + 1);
      Transaction known = history.get(from);

      observe("verify", null, () -> store.verify(book));
      observe("readCommits", new long[] {from, limit}, () -> store.readCommits(book, from, limit));
      observe("readCommits", new long[] {head, 100}, () -> store.readCommits(book, head, 100));
      observe("trialBalance", null, () -> store.trialBalance(book, null));
      observe(
          "balances",
          new Object[] {account, asset},
          () -> store.balances(book, account, null, asset));
      if (known != null) {
        Instant asOf = known.committedAt();
        observe(
            "balancesAsOf",
            new Object[] {account, asset, asOf},
            () -> store.balances(book, account, asOf, asset));
        observe("trialBalanceAsOf", asOf, () -> store.trialBalance(book, asOf));
        observe(
            "findTransactionByKey",
            known,
            () -> store.findTransactionByKey(book, known.idempotencyKey()));
        observe("findTransaction", known, () -> store.findTransaction(known.txId()));
      }
      observe(
          "listPostings",
          new Object[] {account, asset, after, limit},
          () -> store.listPostings(book, account, asset, after, limit));
      observe(
          "listTransactions",
          new long[] {after, limit},
          () -> store.listTransactions(book, after, limit));
      observe("getAccount", account, () -> store.getAccount(book, account));
      observe("listAccounts", null, () -> store.listAccounts(book, null, 100));
    }
  }

  private void observe(String read, Object request, Supplier<Object> call) {
    long before = acked.get();
    Object answer = call.get();
    observations.add(new Observation(read, before, acked.get(), request, answer));
  }

  // ---- checking against a replay --------------------------------------------------------------

  private int n;

  /** Raw balances (debits minus credits) after each seq; index 0 is the empty book. */
  private final List<Map<String, BigInteger>> rawAfter = new ArrayList<>();

  private List<String> check() {
    n = history.size();
    List<String> failures = new ArrayList<>();
    for (long seq = 1; seq <= n; seq++) {
      assertThat(history).as("acknowledged commits are gapless").containsKey(seq);
    }
    assertThat(store.findBook(book).orElseThrow().lastSeq()).isEqualTo(n);
    Map<String, BigInteger> raw = new TreeMap<>();
    rawAfter.add(Map.copyOf(raw));
    for (long seq = 1; seq <= n; seq++) {
      for (Posting posting : history.get(seq).postings()) {
        BigInteger amount = posting.amount().minorUnits();
        raw.merge(
            posting.account() + " " + posting.asset(),
            posting.side() == Side.DEBIT ? amount : amount.negate(),
            BigInteger::add);
      }
      rawAfter.add(Map.copyOf(raw));
    }
    Map<String, Integer> counts = new TreeMap<>();
    for (Observation o : observations) {
      counts.merge(o.read(), 1, Integer::sum);
      String wrong = wrong(o);
      if (wrong != null) {
        failures.add(o.read() + " (acknowledged head " + o.before() + "): " + wrong);
      }
    }
    assertThat(counts.values()).allSatisfy(count -> assertThat(count).isPositive());
    return failures;
  }

  /** What is wrong with an answer, or {@code null}. */
  private String wrong(Observation o) {
    return switch (o.read()) {
      case "verify" -> wrongVerify(o, (VerifyResult) o.answer());
      case "readCommits" -> wrongCommits(o, (long[]) o.request(), cast(o.answer()));
      case "trialBalance" -> wrongTrialBalance(o, null, (TrialBalance) o.answer());
      case "trialBalanceAsOf" ->
          wrongTrialBalance(o, (Instant) o.request(), (TrialBalance) o.answer());
      case "balances", "balancesAsOf" ->
          wrongBalances(o, (Object[]) o.request(), (AccountBalances) o.answer());
      case "findTransactionByKey", "findTransaction" -> {
        Optional<?> found = (Optional<?>) o.answer();
        yield found.isPresent() && found.get().equals(o.request())
            ? null
            : "expected " + o.request() + ", got " + found;
      }
      case "listPostings" -> wrongPostings(o, (Object[]) o.request(), (PostingPage) o.answer());
      case "listTransactions" ->
          wrongTransactions(o, (long[]) o.request(), (TransactionPage) o.answer());
      case "getAccount" -> wrongAccounts(o, List.of((Account) o.answer()));
      case "listAccounts" -> wrongAccounts(o, ((AccountPage) o.answer()).accounts());
      default -> throw new IllegalStateException(o.read());
    };
  }

  @SuppressWarnings("unchecked")
  private static List<Transaction> cast(Object answer) {
    return (List<Transaction>) answer;
  }

  /** The seq an answer reports must include every commit acknowledged before the read began. */
  private String wrongSeq(Observation o, long seq) {
    if (seq < o.before() || seq > n) {
      return "reports seq " + seq + ", outside " + o.before() + ".." + n;
    }
    return null;
  }

  private String wrongVerify(Observation o, VerifyResult result) {
    String seq = wrongSeq(o, result.seq());
    if (seq != null) {
      return seq;
    }
    String hash = result.seq() == 0 ? HashChain.GENESIS : history.get(result.seq()).hash();
    VerifyResult expected = VerifyResult.ok(book, result.seq(), hash);
    return result.equals(expected) ? null : "expected " + expected + ", got " + result;
  }

  private String wrongCommits(Observation o, long[] request, List<Transaction> commits) {
    long from = Math.max(1, request[0]);
    int limit = (int) request[1];
    if (commits.size() > limit) {
      return commits.size() + " commits for limit " + limit;
    }
    long atLeast = Math.min(limit, Math.max(0, o.before() - from + 1));
    if (commits.size() < atLeast) {
      return "only " + commits.size() + " commits from seq " + from + ", expected " + atLeast;
    }
    for (int i = 0; i < commits.size(); i++) {
      Transaction expected = history.get(from + i);
      if (!commits.get(i).equals(expected)) {
        return "commit "
            + (from + i)
            + " reads as "
            + commits.get(i)
            + ", committed as "
            + expected;
      }
    }
    return null;
  }

  private String wrongTrialBalance(Observation o, Instant asOf, TrialBalance trial) {
    long seq = trial.seq();
    if (asOf == null) {
      String wrong = wrongSeq(o, seq);
      if (wrong != null) {
        return wrong;
      }
    } else {
      String wrong = wrongAsOfSeq(o, asOf, seq);
      if (wrong != null) {
        return wrong;
      }
    }
    TrialBalance expected = expectedTrialBalance(asOf, seq);
    return trial.equals(expected)
        ? null
        : "expected " + expected + " at seq " + seq + ", got " + trial;
  }

  /**
   * An as-of answer's seq is the last commit at or before the moment: no later seq that was
   * acknowledged before the read began may have been committed at or before it.
   */
  private String wrongAsOfSeq(Observation o, Instant asOf, long seq) {
    Instant moment = Timestamps.truncate(asOf);
    if (seq < 1 || seq > n || history.get(seq).committedAt().isAfter(moment)) {
      return "reports seq " + seq + " for as_of " + moment;
    }
    for (long later = seq + 1; later <= o.before(); later++) {
      if (!history.get(later).committedAt().isAfter(moment)) {
        return "reports seq "
            + seq
            + " for as_of "
            + moment
            + ", but seq "
            + later
            + " was committed by then";
      }
    }
    return null;
  }

  private TrialBalance expectedTrialBalance(Instant asOf, long seq) {
    List<TrialBalance.RawBalance> lines = new ArrayList<>();
    rawAfter
        .get((int) seq)
        .forEach(
            (key, raw) -> {
              String[] parts = key.split(" ");
              lines.add(
                  new TrialBalance.RawBalance(
                      parts[0], ACCOUNTS.get(parts[0]), parts[1], DECIMALS.get(parts[1]), raw));
            });
    return TrialBalance.of(book, asOf == null ? null : Timestamps.truncate(asOf), seq, lines);
  }

  private String wrongBalances(Observation o, Object[] request, AccountBalances answer) {
    String account = (String) request[0];
    String asset = (String) request[1];
    Instant asOf = request.length > 2 ? (Instant) request[2] : null;
    long seq = answer.seq();
    String wrong = asOf == null ? wrongSeq(o, seq) : wrongAsOfSeq(o, asOf, seq);
    if (wrong != null) {
      return wrong;
    }
    AccountBalances expected =
        new AccountBalances(
            book,
            account,
            ACCOUNTS.get(account),
            asOf == null ? null : Timestamps.truncate(asOf),
            seq,
            expectedBalances(account, asset, seq));
    return answer.equals(expected) ? null : "expected " + expected + ", got " + answer;
  }

  /** An account's normal-side balances after a seq: every asset it held by then, or one asset. */
  private List<Balance> expectedBalances(String account, String asset, long seq) {
    List<Balance> balances = new ArrayList<>();
    for (String held : ASSETS.stream().sorted().toList()) {
      BigInteger raw = rawAfter.get((int) seq).get(account + " " + held);
      if ((asset == null && raw != null) || held.equals(asset)) {
        BigInteger normal = ACCOUNTS.get(account).normalize(raw == null ? BigInteger.ZERO : raw);
        balances.add(new Balance(held, new Amount(normal, DECIMALS.get(held))));
      }
    }
    return balances;
  }

  private String wrongPostings(Observation o, Object[] request, PostingPage page) {
    String account = (String) request[0];
    String asset = (String) request[1];
    long after = (Long) request[2];
    int limit = (Integer) request[3];
    List<AccountPosting> expected = new ArrayList<>();
    for (long seq = after + 1; seq <= n; seq++) {
      Transaction tx = history.get(seq);
      for (Posting posting : tx.postings()) {
        if (posting.account().equals(account) && (asset == null || posting.asset().equals(asset))) {
          expected.add(
              new AccountPosting(
                  seq,
                  tx.txId(),
                  tx.committedAt(),
                  posting.asset(),
                  posting.side(),
                  posting.amount(),
                  posting.balanceAfter()));
        }
      }
    }
    List<AccountPosting> got = page.postings();
    if (got.size() > expected.size() || !expected.subList(0, got.size()).equals(got)) {
      return "postings after seq " + after + " read as " + got + ", committed as " + expected;
    }
    long through;
    if (page.nextAfterSeq() == null) {
      through = o.before();
    } else {
      if (got.size() < limit || page.nextAfterSeq() != got.get(got.size() - 1).seq()) {
        return "a page of "
            + got.size()
            + " (limit "
            + limit
            + ") goes on after seq "
            + page.nextAfterSeq();
      }
      through = page.nextAfterSeq();
    }
    long missing = expected.stream().filter(p -> p.seq() <= through).count() - got.size();
    return missing > 0 ? missing + " postings up to seq " + through + " are missing: " + got : null;
  }

  private String wrongTransactions(Observation o, long[] request, TransactionPage page) {
    long after = request[0];
    int limit = (int) request[1];
    List<Transaction> got = page.transactions();
    for (int i = 0; i < got.size(); i++) {
      Transaction expected = history.get(after + 1 + i);
      if (!got.get(i).equals(expected)) {
        return "commit "
            + (after + 1 + i)
            + " reads as "
            + got.get(i)
            + ", committed as "
            + expected;
      }
    }
    long last = after + got.size();
    if (page.nextAfterSeq() == null) {
      return last < o.before()
          ? "the listing ends at seq " + last + " before the acknowledged head"
          : null;
    }
    return got.size() == limit && page.nextAfterSeq() == last
        ? null
        : "a page of "
            + got.size()
            + " (limit "
            + limit
            + ") goes on after seq "
            + page.nextAfterSeq();
  }

  /**
   * Accounts read together show their balances after one seq, no older than the acknowledged head.
   */
  private String wrongAccounts(Observation o, List<Account> accounts) {
    for (long seq = o.before(); seq <= n; seq++) {
      boolean all = true;
      for (Account account : accounts) {
        if (!account.balances().equals(expectedBalances(account.account(), null, seq))) {
          all = false;
          break;
        }
      }
      if (all) {
        return null;
      }
    }
    Map<String, List<Balance>> got = new HashMap<>();
    accounts.forEach(a -> got.put(a.account(), a.balances()));
    return "balances " + got + " match no state of the book from seq " + o.before() + " on";
  }
}
