package dev.talea.torture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Balance;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TxIds;
import dev.talea.protocol.VerifyResult;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The checker on histories made by hand: a sound one passes, and each kind of damage a store or a
 * server could do is reported under its rule.
 */
class CheckerTest {

  private static final String BOOK = "bank-0";
  private final Bank bank = new Bank(1, 2);
  private final String c0 = bank.customers.get(0);
  private final String c1 = bank.customers.get(1);
  private final AtomicLong ids = new AtomicLong();
  private final List<Op> history = new ArrayList<>();
  private final List<Transaction> book = new ArrayList<>();
  private final Map<String, BigInteger> raw = new HashMap<>();

  /** Commits a draft to the hand-made book, as a store would: seq, balances, hash chain. */
  private Transaction commit(TransactionDraft draft) {
    long seq = book.size() + 1;
    List<Posting> postings = new ArrayList<>();
    for (DraftPosting p : draft.postings()) {
      BigInteger amount = p.amount().toMinorUnits(Bank.DECIMALS, "amount");
      BigInteger after =
          raw.merge(
              p.account(), p.side() == Side.DEBIT ? amount : amount.negate(), BigInteger::add);
      BigInteger normal = Bank.kindOf(p.account()).normalize(after);
      postings.add(
          new Posting(
              p.account(),
              p.asset(),
              p.side(),
              new Amount(amount, Bank.DECIMALS),
              new Amount(normal, Bank.DECIMALS)));
    }
    String prev = book.isEmpty() ? HashChain.GENESIS : book.get(book.size() - 1).hash();
    Instant at = Instant.parse("2026-12-02T00:00:00Z").plusSeconds(seq);
    Transaction unhashed =
        new Transaction(
            TxIds.newId(),
            BOOK,
            seq,
            at,
            null,
            draft.idempotencyKey(),
            false,
            draft.memo(),
            draft.metadata(),
            postings,
            "0".repeat(64),
            prev);
    Transaction tx =
        new Transaction(
            unhashed.txId(),
            BOOK,
            seq,
            at,
            null,
            draft.idempotencyKey(),
            false,
            draft.memo(),
            draft.metadata(),
            postings,
            HashChain.hash(unhashed),
            prev);
    book.add(tx);
    return tx;
  }

  private Op post(Op.Kind kind, TransactionDraft draft) {
    Op op = new Op(ids.incrementAndGet(), 1, kind, BOOK, List.of(draft), null);
    history.add(op);
    return op;
  }

  /** A sound run: deposits, one transfer acknowledged, one refused, a replay deduplicated. */
  private void soundRun() {
    for (String customer : bank.customers) {
      Op deposit = post(Op.Kind.DEPOSIT, Bank.deposit(customer));
      deposit.ok(List.of(new PostOutcome.Committed(commit(Bank.deposit(customer)))), null);
    }
    TransactionDraft transfer = Bank.transfer("t-1", c0, c1, 25_000);
    Op first = post(Op.Kind.TRANSFER, transfer);
    Transaction committed = commit(transfer);
    first.ok(List.of(new PostOutcome.Committed(committed)), null);
    Op refused = post(Op.Kind.TRANSFER, Bank.transfer("t-2", c0, c1, 900_000));
    refused.failed("insufficient_balance/422");
    Op replay = post(Op.Kind.REPLAY, transfer);
    replay.ok(List.of(new PostOutcome.Committed(committed.withDeduplicated(true))), null);
    Op changed = post(Op.Kind.CHANGED_REPLAY, Bank.transfer("t-1", c0, c1, 25_001));
    changed.failed("idempotency_key_reused/409");
  }

  private List<Checker.Violation> check() {
    return new Checker(bank).check(history, Map.of(BOOK, book));
  }

  private List<String> rules() {
    return check().stream().map(Checker.Violation::rule).distinct().toList();
  }

  @Test
  void aSoundHistoryKeepsEveryRule() {
    soundRun();
    Op read = new Op(ids.incrementAndGet(), 1, Op.Kind.BALANCE, BOOK, null, c1);
    history.add(read);
    read.ok(
        null,
        new AccountBalances(
            BOOK,
            c1,
            AccountKind.LIABILITY,
            null,
            book.size(),
            List.of(new Balance(Bank.ASSET, new Amount(BigInteger.valueOf(125_000), 2)))));
    assertThat(check()).isEmpty();
  }

  @Test
  void anAcknowledgedCommitTheBookLostIsReported() {
    soundRun();
    book.remove(book.size() - 1);
    assertThat(rules()).contains("acknowledged commits are kept");
  }

  @Test
  void aCommitOfARefusedDraftIsReported() {
    soundRun();
    Op refused = post(Op.Kind.TRANSFER, Bank.transfer("t-9", c1, c0, 100));
    commit(Bank.transfer("t-9", c1, c0, 100));
    refused.failed("insufficient_balance/422");
    assertThat(rules()).contains("refused drafts leave nothing");
  }

  @Test
  void aReplayAnsweredAsNewAndAChangedBodyAcceptedAreReported() {
    soundRun();
    Transaction original = book.get(book.size() - 1);
    Op again = post(Op.Kind.REPLAY, Bank.transfer("t-1", c0, c1, 25_000));
    again.ok(List.of(new PostOutcome.Committed(original)), null);
    Op changed = post(Op.Kind.CHANGED_REPLAY, Bank.transfer("t-1", c0, c1, 30_000));
    changed.ok(List.of(new PostOutcome.Committed(original)), null);
    assertThat(rules())
        .contains("replays are deduplicated", "a changed body under a used key is 409");
  }

  @Test
  void aReadThatMixesStatesOrMissesAnAcknowledgedCommitIsReported() {
    soundRun();
    Op stale = new Op(ids.incrementAndGet(), 2, Op.Kind.BALANCE, BOOK, null, c1);
    history.add(stale);
    // Reports seq 2 (before the transfer that was acknowledged before the read began).
    stale.ok(
        null,
        new AccountBalances(
            BOOK,
            c1,
            AccountKind.LIABILITY,
            null,
            2,
            List.of(new Balance(Bank.ASSET, new Amount(BigInteger.valueOf(100_000), 2)))));
    Op mixed = new Op(ids.incrementAndGet(), 2, Op.Kind.BALANCE, BOOK, null, c0);
    history.add(mixed);
    // Reports the head, with the balance c0 had before the transfer.
    mixed.ok(
        null,
        new AccountBalances(
            BOOK,
            c0,
            AccountKind.LIABILITY,
            null,
            book.size(),
            List.of(new Balance(Bank.ASSET, new Amount(BigInteger.valueOf(100_000), 2)))));
    Op verify = new Op(ids.incrementAndGet(), 2, Op.Kind.VERIFY, BOOK, null, null);
    history.add(verify);
    verify.ok(null, VerifyResult.failed(BOOK, 3, 3, "the stored balance differs"));
    assertThat(rules())
        .contains("reads see acknowledged commits", "reads are one state", "verify is ok");
  }

  @Test
  void aTailThatSkipsOrAltersACommitIsReported() {
    soundRun();
    Op tail = new Op(ids.incrementAndGet(), 3, Op.Kind.TAIL, BOOK, null, 1L);
    history.add(tail);
    List<Transaction> events = new ArrayList<>(book);
    events.remove(1);
    tail.ok(null, events);
    assertThat(rules()).contains("live tails are the book in order");
  }

  @Test
  void aServerErrorIsReported() {
    soundRun();
    Op broken = post(Op.Kind.TRANSFER, Bank.transfer("t-5", c0, c1, 1));
    broken.unknown(ErrorCode.INTERNAL.wireName() + "/500");
    assertThat(rules()).contains("no 500");
    assertThat(LedgerError.of(ErrorCode.INTERNAL, "x").code().httpStatus()).isEqualTo(500);
  }
}
