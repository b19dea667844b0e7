package dev.talea.store.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TxIds;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.commit.BalanceKey;
import dev.talea.store.commit.GroupCommit;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The shared read core on an in-memory view whose book has more commits than its head shows, as a
 * view of a book written after the view was taken would: the core must answer from the head, and
 * never ask for balances or postings beyond it. Statement paging is checked against a brute-force
 * listing.
 */
class SnapshotStoreTest {

  private static final String BOOK = "core";
  private static final List<String> ASSETS = List.of("BTC", "ETH", "USD");
  private static final Map<String, Integer> DECIMALS = Map.of("BTC", 8, "ETH", 18, "USD", 2);
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

  /** A book of {@code total} commits, of which a view shows the first {@code head}. */
  private static final class Fake extends SnapshotStore {
    final List<StoredCommit> commits = new ArrayList<>();
    final Map<String, StoredAccount> accounts = new TreeMap<>();
    long head;

    Fake(int total, int head, long seed) {
      Random random = new Random(seed);
      for (String name : List.of("assets:a", "assets:b", "liabilities:c", "equity:d")) {
        AccountKind kind =
            AccountKind.fromWire(
                name.startsWith("assets")
                    ? "asset"
                    : name.startsWith("equity") ? "equity" : "liability");
        accounts.put(name, new StoredAccount(name, kind, null, Map.of(), T0));
      }
      List<String> names = List.copyOf(accounts.keySet());
      Map<BalanceKey, BigInteger> raw = new HashMap<>();
      String previous = HashChain.GENESIS;
      for (int seq = 1; seq <= total; seq++) {
        List<StoredPosting> postings = new ArrayList<>();
        int pairs = 1 + random.nextInt(3);
        for (int p = 0; p < pairs; p++) {
          String asset = ASSETS.get(random.nextInt(ASSETS.size()));
          BigInteger amount = BigInteger.valueOf(1 + random.nextInt(1000));
          String from = names.get(random.nextInt(names.size()));
          String to = names.get(random.nextInt(names.size()));
          postings.add(posting(raw, from, asset, Side.DEBIT, amount));
          postings.add(posting(raw, to, asset, Side.CREDIT, amount));
        }
        StoredCommit unhashed =
            new StoredCommit(
                BOOK,
                seq,
                TxIds.newId(),
                T0.plusSeconds(seq),
                null,
                "k" + seq,
                "f",
                null,
                Map.of(),
                postings,
                "0".repeat(64),
                previous);
        String hash = HashChain.hash(transaction(this, unhashed));
        commits.add(
            new StoredCommit(
                BOOK,
                seq,
                unhashed.txId(),
                unhashed.committedAt(),
                null,
                unhashed.idempotencyKey(),
                "f",
                null,
                Map.of(),
                postings,
                hash,
                previous));
        previous = hash;
      }
      this.head = head;
    }

    private StoredPosting posting(
        Map<BalanceKey, BigInteger> raw,
        String account,
        String asset,
        Side side,
        BigInteger amount) {
      BigInteger balance =
          raw.merge(
              new BalanceKey(account, asset),
              side == Side.DEBIT ? amount : amount.negate(),
              BigInteger::add);
      return new StoredPosting(
          account, asset, side, amount, accounts.get(account).kind().normalize(balance));
    }

    private static Transaction transaction(Fake fake, StoredCommit commit) {
      return fake.snapshot(view -> SnapshotStore.transaction(view, commit));
    }

    @Override
    protected <T> T snapshot(Function<ReadView, T> work) {
      return work.apply(new View());
    }

    /** Answers from the first {@code head} commits and fails any request beyond them. */
    private final class View implements ReadView {
      @Override
      public List<Asset> assets() {
        return ASSETS.stream().map(this::asset).toList();
      }

      @Override
      public Asset asset(String code) {
        return DECIMALS.containsKey(code) ? new Asset(code, DECIMALS.get(code), null, T0) : null;
      }

      @Override
      public Integer decimals(String code) {
        return DECIMALS.get(code);
      }

      @Override
      public List<BookSummary> books() {
        return List.of(head(BOOK));
      }

      @Override
      public BookSummary head(String book) {
        if (!book.equals(BOOK)) {
          return null;
        }
        return new BookSummary(
            BOOK, head, head == 0 ? HashChain.GENESIS : commits.get((int) head - 1).hash());
      }

      @Override
      public StoredAccount account(String book, String account) {
        return accounts.get(account);
      }

      @Override
      public List<StoredAccount> accounts(String book, String after, int limit) {
        return accounts.values().stream()
            .filter(a -> after == null || a.name().compareTo(after) > 0)
            .limit(limit)
            .toList();
      }

      @Override
      public Map<String, AccountKind> kinds(String book) {
        Map<String, AccountKind> kinds = new HashMap<>();
        accounts.forEach((name, a) -> kinds.put(name, a.kind()));
        return kinds;
      }

      @Override
      public Map<BalanceKey, BigInteger> balances(String book, Collection<String> names, long seq) {
        assertThat(seq).as("balances asked beyond the head").isLessThanOrEqualTo(head);
        Map<BalanceKey, BigInteger> raw = new LinkedHashMap<>();
        for (StoredCommit commit : commits.subList(0, (int) seq)) {
          for (StoredPosting p : commit.postings()) {
            if (names == null || names.contains(p.account())) {
              raw.merge(
                  new BalanceKey(p.account(), p.asset()),
                  p.side() == Side.DEBIT ? p.amount() : p.amount().negate(),
                  BigInteger::add);
            }
          }
        }
        return raw;
      }

      @Override
      public long seqAsOf(String book, Instant asOf) {
        return commits.stream().filter(c -> !c.committedAt().isAfter(asOf)).count();
      }

      @Override
      public List<StoredCommit> commits(String book, long first, long last) {
        return first > head
            ? List.of()
            : commits.subList((int) first - 1, (int) Math.min(last, head));
      }

      @Override
      public AccountAtHead accountAtHead(String book, String account) {
        Map<String, BigInteger> raw = new TreeMap<>();
        balances(book, List.of(account), head).forEach((key, value) -> raw.put(key.asset(), value));
        StoredAccount found = accounts.get(account);
        return found == null ? null : new AccountAtHead(head(book), found, raw);
      }

      @Override
      public long seqOfKey(String book, String idempotencyKey) {
        return commits.stream()
            .filter(c -> c.idempotencyKey().equals(idempotencyKey))
            .mapToLong(StoredCommit::seq)
            .findFirst()
            .orElse(0);
      }

      @Override
      public Location locate(UUID txId) {
        return commits.stream()
            .filter(c -> c.txId().equals(txId))
            .map(c -> new Location(BOOK, c.seq()))
            .findFirst()
            .orElse(null);
      }

      @Override
      public List<StoredEntry> postings(
          String book, String account, String asset, long afterSeq, long throughSeq, int limit) {
        assertThat(throughSeq).as("postings asked beyond the head").isLessThanOrEqualTo(head);
        return entries(account, asset, afterSeq, throughSeq).stream().limit(limit).toList();
      }
    }

    List<StoredEntry> entries(String account, String asset, long afterSeq, long throughSeq) {
      List<StoredEntry> entries = new ArrayList<>();
      for (StoredCommit c : commits) {
        for (int i = 0; i < c.postings().size(); i++) {
          StoredPosting p = c.postings().get(i);
          if (c.seq() > afterSeq
              && c.seq() <= throughSeq
              && p.account().equals(account)
              && (asset == null || p.asset().equals(asset))) {
            entries.add(
                new StoredEntry(
                    c.seq(),
                    i,
                    c.txId(),
                    c.committedAt(),
                    p.asset(),
                    p.side(),
                    p.amount(),
                    p.balanceAfter()));
          }
        }
      }
      return entries;
    }

    @Override
    public String backend() {
      return "fake";
    }

    @Override
    public Registration<Asset> registerAsset(AssetSpec spec) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Registration<dev.talea.protocol.Account> openAccount(
        String book, String account, AccountSpec spec) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  @Test
  void readsAnswerFromTheHeadAndNeverAskBeyondIt() {
    Fake fake = new Fake(300, 200, 1);

    assertThat(fake.verify(BOOK))
        .isEqualTo(VerifyResult.ok(BOOK, 200, fake.commits.get(199).hash()));
    assertThat(fake.readCommits(BOOK, 150, 1000)).extracting(Transaction::seq).hasSize(51);
    assertThat(fake.getAccount(BOOK, "assets:a").balances())
        .isEqualTo(fake.balances(BOOK, "assets:a", T0.plusSeconds(200), null).balances());
    assertThat(fake.listTransactions(BOOK, 180, 50).nextAfterSeq()).isNull();
    assertThat(fake.listTransactions(BOOK, 180, 50).transactions()).hasSize(20);
    assertThat(fake.trialBalance(BOOK, null).seq()).isEqualTo(200);
    assertThat(fake.trialBalance(BOOK, T0.plusSeconds(250)).seq()).isEqualTo(200);
    assertThat(fake.balances(BOOK, "assets:a", T0.plusSeconds(120), null).seq()).isEqualTo(120);
    assertThat(fake.findTransactionByKey(BOOK, "k250")).isEmpty();
    assertThat(fake.findTransaction(fake.commits.get(249).txId())).isEmpty();
    assertThat(fake.findTransactionByKey(BOOK, "k200")).map(Transaction::seq).contains(200L);
    assertThat(fake.trialBalance(BOOK, null).balanced()).isTrue();
  }

  @Test
  void aVerifyThatFindsDamageReportsTheHeadItVerified() {
    Fake fake = new Fake(60, 50, 2);
    StoredCommit damaged = fake.commits.get(9);
    List<StoredPosting> postings = new ArrayList<>(damaged.postings());
    StoredPosting first = postings.get(0);
    postings.set(
        0,
        new StoredPosting(
            first.account(),
            first.asset(),
            first.side(),
            first.amount().add(BigInteger.ONE),
            first.balanceAfter()));
    fake.commits.set(9, damaged.withPostings(postings));

    VerifyResult result = fake.verify(BOOK);

    assertThat(result.ok()).isFalse();
    assertThat(result.seq()).isEqualTo(50);
    assertThat(result.firstBadSeq()).isEqualTo(10L);
    assertThat(result.reason()).isEqualTo("hash does not match the commit's content");
  }

  @Test
  void statementPagesConcatenateToEveryPostingUpToTheHeadAndNeverSplitACommit() {
    Random random = new Random(3);
    for (int round = 0; round < 40; round++) {
      Fake fake = new Fake(120, 60 + random.nextInt(60), round);
      String account = List.copyOf(fake.accounts.keySet()).get(random.nextInt(4));
      String asset = random.nextBoolean() ? null : ASSETS.get(random.nextInt(3));
      int limit = 1 + random.nextInt(12);
      List<AccountPosting> all = new ArrayList<>();
      long after = 0;
      List<Long> nexts = new ArrayList<>();
      for (int guard = 0; guard < 1000; guard++) {
        PostingPage page = fake.listPostings(BOOK, account, asset, after, limit);
        all.addAll(page.postings());
        if (page.nextAfterSeq() == null) {
          break;
        }
        assertThat(page.postings().size()).isGreaterThanOrEqualTo(limit);
        assertThat(page.nextAfterSeq())
            .isEqualTo(page.postings().get(page.postings().size() - 1).seq());
        nexts.add(page.nextAfterSeq());
        after = page.nextAfterSeq();
      }
      List<Long> expected =
          fake.entries(account, asset, 0, fake.head).stream().map(StoredEntry::seq).toList();
      assertThat(all).extracting(AccountPosting::seq).as("round %d", round).isEqualTo(expected);
      // A page ends with its last commit whole: no seq appears on two pages.
      for (long next : nexts) {
        assertThat(all.stream().filter(p -> p.seq() == next).count())
            .isEqualTo(expected.stream().filter(s -> s == next).count());
      }
      if (!expected.isEmpty()) {
        assertThat(nexts).doesNotContain(expected.get(expected.size() - 1));
      }
    }
  }

  @Test
  void replaysAreAnsweredWithTheStoredCommitMarkedDeduplicated() {
    Fake fake = new Fake(5, 5, 4);
    GroupCommit plan =
        new GroupCommit(
            new ArrayList<>(java.util.Arrays.asList((PostOutcome) null)),
            Map.of(0, 3L),
            List.of(),
            Map.of(),
            5,
            fake.commits.get(4).hash(),
            T0);

    List<PostOutcome> outcomes = fake.snapshot(view -> SnapshotStore.outcomes(plan, view, BOOK));

    Transaction third = fake.readCommits(BOOK, 3, 1).get(0);
    assertThat(outcomes).containsExactly(new PostOutcome.Committed(third.withDeduplicated(true)));
  }
}
