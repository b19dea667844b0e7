package dev.talea.torture;

import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.Balance;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks a run's history against the book as it ended, read back in full. The rules:
 *
 * <ol>
 *   <li>the book's seqs are gapless and its hash chain links and hashes as it claims;
 *   <li>every acknowledged commit is in the book, unchanged, at the seq it was acknowledged with;
 *   <li>every commit in the book is a draft some client sent with its key, exactly once, and not
 *       one that was refused;
 *   <li>an answer for a key that was committed before is that commit, marked deduplicated; a
 *       different request under a committed key was refused {@code 409 idempotency_key_reused};
 *   <li>no customer balance, read or recorded in a posting, is below its {@code min_balance} of 0;
 *   <li>every read equals the book right after the seq it reports, and that seq includes every
 *       commit acknowledged before the read began (balances, {@code as_of} balances, trial
 *       balances, statements, transaction pages, verify);
 *   <li>every live tail received consecutive commits, each exactly as the book holds it, and the
 *       tails that followed the whole run received the whole book;
 *   <li>per book the customers' funds sum to the deposits, and every {@code verify} was ok;
 *   <li>no request was answered {@code 500 internal}.
 * </ol>
 */
final class Checker {

  /** A broken rule, with the operations that show it. */
  record Violation(String rule, String what, List<Op> evidence) {
    @Override
    public String toString() {
      StringBuilder text = new StringBuilder(rule).append(": ").append(what);
      for (Op op : evidence) {
        text.append("\n  ").append(op.toString().replace("\n", "\n  "));
      }
      return text.toString();
    }
  }

  /** A draft sent in a post, and what became of it in that post. */
  private record Attempt(Op op, TransactionDraft draft, PostOutcome result) {
    boolean committed() {
      return result instanceof PostOutcome.Committed;
    }

    Transaction transaction() {
      return ((PostOutcome.Committed) result).transaction();
    }

    /** Refused with a contract error: the draft left nothing behind. */
    boolean refused() {
      return result instanceof PostOutcome.Rejected || op.outcome == Op.Outcome.FAIL;
    }

    String refusal() {
      return result instanceof PostOutcome.Rejected rejected
          ? rejected.error().code().wireName()
          : op.error;
    }
  }

  private final Bank bank;
  private final List<Violation> violations = new ArrayList<>();

  Checker(Bank bank) {
    this.bank = bank;
  }

  /**
   * @param books per book, every commit in seq order as the store holds it after the run
   * @return the broken rules, none if the history is sound
   */
  List<Violation> check(List<Op> history, Map<String, List<Transaction>> books) {
    for (Op op : history) {
      if (op.outcome == Op.Outcome.UNKNOWN && op.error != null && op.error.startsWith("internal")) {
        violate("no 500", "a request was answered 500 internal", op);
      }
    }
    for (String book : bank.books) {
      List<Op> ops = history.stream().filter(op -> op.book.equals(book)).toList();
      new BookCheck(book, books.get(book), ops).run();
    }
    return violations;
  }

  private void violate(String rule, String what, Op... evidence) {
    if (violations.size() < 1000) {
      violations.add(new Violation(rule, what, Arrays.asList(evidence)));
    }
  }

  private final class BookCheck {
    private final String book;
    private final List<Transaction> commits;
    private final List<Op> ops;
    private final Map<String, Transaction> byKey = new HashMap<>();
    private final Map<String, List<Attempt>> attempts = new HashMap<>();

    /** Per customer, the seqs of its postings and its balance right after each (minor units). */
    private final Map<String, long[]> postingSeqs = new HashMap<>();

    private final Map<String, BigInteger[]> postingBalances = new HashMap<>();

    /** OK posts by completion time, and the highest seq acknowledged by each (prefix maximum). */
    private long[] ackTimes = new long[0];

    private long[] ackSeqs = new long[0];

    BookCheck(String book, List<Transaction> commits, List<Op> ops) {
      this.book = book;
      this.commits = commits;
      this.ops = ops;
    }

    void run() {
      chain();
      index();
      commitsAndAnswers();
      reads();
      conservation();
    }

    // ---- the book itself ----------------------------------------------------------------------

    private void chain() {
      String previous = HashChain.GENESIS;
      for (int i = 0; i < commits.size(); i++) {
        Transaction tx = commits.get(i);
        if (tx.seq() != i + 1) {
          violate("gapless", book + ": position " + (i + 1) + " holds seq " + tx.seq());
          return;
        }
        if (!tx.prevHash().equals(previous) || !HashChain.hash(tx).equals(tx.hash())) {
          violate("hash chain", book + ": seq " + tx.seq() + " does not link or hash as it claims");
          return;
        }
        previous = tx.hash();
        if (byKey.put(tx.idempotencyKey(), tx) != null) {
          violate("exactly once", book + ": key " + tx.idempotencyKey() + " is in the book twice");
        }
        for (Posting posting : tx.postings()) {
          if (!posting.account().equals(Bank.VAULT)
              && posting.balanceAfter().minorUnits().signum() < 0) {
            violate(
                "min_balance",
                book
                    + ": seq "
                    + tx.seq()
                    + " leaves "
                    + posting.account()
                    + " at "
                    + posting.balanceAfter());
          }
        }
      }
    }

    private void index() {
      Map<String, List<long[]>> seqs = new HashMap<>();
      Map<String, List<BigInteger>> balances = new HashMap<>();
      for (Transaction tx : commits) {
        for (Posting posting : tx.postings()) {
          seqs.computeIfAbsent(posting.account(), a -> new ArrayList<>())
              .add(new long[] {tx.seq()});
          balances
              .computeIfAbsent(posting.account(), a -> new ArrayList<>())
              .add(posting.balanceAfter().minorUnits());
        }
      }
      seqs.forEach(
          (account, list) ->
              postingSeqs.put(account, list.stream().mapToLong(s -> s[0]).toArray()));
      balances.forEach(
          (account, list) -> postingBalances.put(account, list.toArray(new BigInteger[0])));
      List<long[]> acks = new ArrayList<>();
      for (Op op : ops) {
        if (!op.kind.posts()) {
          continue;
        }
        for (int i = 0; i < op.drafts.size(); i++) {
          PostOutcome result = op.results == null ? null : op.results.get(i);
          Attempt attempt = new Attempt(op, op.drafts.get(i), result);
          attempts
              .computeIfAbsent(op.drafts.get(i).idempotencyKey(), k -> new ArrayList<>())
              .add(attempt);
          if (attempt.committed()) {
            acks.add(new long[] {op.completedNanos, attempt.transaction().seq()});
          }
        }
      }
      acks.sort((a, b) -> Long.compare(a[0], b[0]));
      ackTimes = new long[acks.size()];
      ackSeqs = new long[acks.size()];
      long max = 0;
      for (int i = 0; i < acks.size(); i++) {
        ackTimes[i] = acks.get(i)[0];
        max = Math.max(max, acks.get(i)[1]);
        ackSeqs[i] = max;
      }
    }

    /** The highest seq acknowledged to any client before {@code nanos}. */
    private long ackedBefore(long nanos) {
      int index = Arrays.binarySearch(ackTimes, nanos);
      int count = index >= 0 ? index : -index - 1;
      return count == 0 ? 0 : ackSeqs[count - 1];
    }

    // ---- posts --------------------------------------------------------------------------------

    private void commitsAndAnswers() {
      for (List<Attempt> forKey : attempts.values()) {
        for (Attempt attempt : forKey) {
          if (attempt.committed()) {
            Transaction answered = attempt.transaction().withDeduplicated(false);
            Transaction stored =
                answered.seq() >= 1 && answered.seq() <= commits.size()
                    ? commits.get((int) answered.seq() - 1)
                    : null;
            if (!answered.equals(stored)) {
              violate(
                  "acknowledged commits are kept",
                  book
                      + ": seq "
                      + answered.seq()
                      + " was acknowledged but the book holds "
                      + stored,
                  attempt.op);
            }
            // Committed before this attempt began: the answer must say it is a replay.
            for (Attempt earlier : forKey) {
              if (earlier != attempt
                  && earlier.committed()
                  && earlier.op.completedNanos < attempt.op.invokedNanos
                  && !attempt.transaction().deduplicated()) {
                violate(
                    "replays are deduplicated",
                    book
                        + ": key "
                        + attempt.draft.idempotencyKey()
                        + " was committed earlier, yet answered as new",
                    earlier.op,
                    attempt.op);
                break;
              }
            }
          }
          if (attempt.refused() && "idempotency_key_reused".equals(attempt.refusal())) {
            Transaction stored = byKey.get(attempt.draft.idempotencyKey());
            if (stored == null || sameContent(attempt.draft, stored)) {
              violate(
                  "409 means another request holds the key",
                  book
                      + ": key "
                      + attempt.draft.idempotencyKey()
                      + " was refused as reused, but the book holds "
                      + stored,
                  attempt.op);
            }
          }
        }
      }
      for (Transaction tx : commits) {
        List<Attempt> forKey = attempts.getOrDefault(tx.idempotencyKey(), List.of());
        List<Attempt> matching = forKey.stream().filter(a -> sameContent(a.draft, tx)).toList();
        if (matching.isEmpty()) {
          violate(
              "commits come from requests",
              book
                  + ": seq "
                  + tx.seq()
                  + " (key "
                  + tx.idempotencyKey()
                  + ") matches no draft any client sent under its key",
              forKey.stream().map(Attempt::op).toArray(Op[]::new));
        } else if (matching.stream().allMatch(Attempt::refused)) {
          violate(
              "refused drafts leave nothing",
              book + ": seq " + tx.seq() + " holds a draft every post of which was refused",
              matching.stream().map(Attempt::op).toArray(Op[]::new));
        }
        // A different request under this key, sent after it was acknowledged, must have been 409.
        long firstAck =
            forKey.stream()
                .filter(Attempt::committed)
                .mapToLong(a -> a.op.completedNanos)
                .min()
                .orElse(Long.MAX_VALUE);
        for (Attempt attempt : forKey) {
          if (!sameContent(attempt.draft, tx)
              && attempt.op.invokedNanos > firstAck
              && attempt.committed()) {
            violate(
                "a changed body under a used key is 409",
                book
                    + ": key "
                    + tx.idempotencyKey()
                    + " took a different request after its commit",
                attempt.op);
          }
        }
      }
    }

    // ---- reads --------------------------------------------------------------------------------

    private void reads() {
      for (Op op : ops) {
        if (op.kind == Op.Kind.TAIL) {
          tail(op);
          continue;
        }
        if (op.outcome != Op.Outcome.OK || op.kind.posts()) {
          continue;
        }
        long acked = ackedBefore(op.invokedNanos);
        switch (op.kind) {
          case BALANCE -> {
            AccountBalances answer = (AccountBalances) op.answer;
            if (seqInRange(op, answer.seq(), acked)) {
              expectBalance(op, answer, answer.seq());
            }
          }
          case BALANCE_AS_OF -> {
            AccountBalances answer = (AccountBalances) op.answer;
            Instant asOf = (Instant) ((Object[]) op.request)[1];
            if (asOfSeq(op, asOf, answer.seq(), acked)) {
              expectBalance(op, answer, answer.seq());
            }
          }
          case TRIAL_BALANCE -> trial(op, (TrialBalance) op.answer, acked);
          case STATEMENT -> statement(op, (PostingPage) op.answer, acked);
          case TRANSACTIONS -> transactions(op, (TransactionPage) op.answer, acked);
          case VERIFY -> {
            VerifyResult result = (VerifyResult) op.answer;
            if (!result.ok()) {
              violate("verify is ok", book + ": verify answered " + result, op);
            } else if (seqInRange(op, result.seq(), acked)
                && result.seq() > 0
                && !result.headHash().equals(commits.get((int) result.seq() - 1).hash())) {
              violate("verify is ok", book + ": verify names another head hash", op);
            }
          }
          default -> throw new IllegalStateException(op.kind.name());
        }
      }
    }

    private boolean seqInRange(Op op, long seq, long acked) {
      if (seq < acked || seq > commits.size()) {
        violate(
            "reads see acknowledged commits",
            book + ": a read reports seq " + seq + ", outside " + acked + ".." + commits.size(),
            op);
        return false;
      }
      return true;
    }

    private boolean asOfSeq(Op op, Instant asOf, long seq, long acked) {
      if (seq < 1
          || seq > commits.size()
          || commits.get((int) seq - 1).committedAt().isAfter(asOf)) {
        violate("as_of", book + ": seq " + seq + " reported for as_of " + asOf, op);
        return false;
      }
      for (long later = seq + 1; later <= Math.min(acked, commits.size()); later++) {
        if (!commits.get((int) later - 1).committedAt().isAfter(asOf)) {
          violate(
              "as_of",
              book
                  + ": seq "
                  + seq
                  + " reported for as_of "
                  + asOf
                  + ", but seq "
                  + later
                  + " was committed by then",
              op);
          return false;
        }
      }
      return true;
    }

    /** An account's normal-side balance right after {@code seq} (zero before its first posting). */
    private BigInteger balanceAt(String account, long seq) {
      long[] seqs = postingSeqs.get(account);
      if (seqs == null) {
        return BigInteger.ZERO;
      }
      // The number of its postings at or before seq (an upper bound: one commit may post twice).
      int low = 0;
      int high = seqs.length;
      while (low < high) {
        int middle = (low + high) >>> 1;
        if (seqs[middle] <= seq) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      return low == 0 ? BigInteger.ZERO : postingBalances.get(account)[low - 1];
    }

    private void expectBalance(Op op, AccountBalances answer, long seq) {
      BigInteger expected = balanceAt(answer.account(), seq);
      BigInteger got = BigInteger.ZERO;
      for (Balance balance : answer.balances()) {
        if (balance.asset().equals(Bank.ASSET)) {
          got = balance.balance().minorUnits();
        }
      }
      if (!got.equals(expected)) {
        violate(
            "reads are one state",
            book
                + ": "
                + answer.account()
                + " reads "
                + got
                + " at seq "
                + seq
                + ", the book gives "
                + expected,
            op);
      }
      if (got.signum() < 0) {
        violate("min_balance", book + ": " + answer.account() + " read below zero", op);
      }
    }

    private void trial(Op op, TrialBalance trial, long acked) {
      if (!seqInRange(op, trial.seq(), acked)) {
        return;
      }
      if (!trial.balanced()) {
        violate("conservation", book + ": a trial balance does not balance", op);
      }
      Map<String, BigInteger> lines = new HashMap<>();
      for (TrialBalance.Line line : trial.accounts()) {
        BigInteger raw = line.debit().minorUnits().subtract(line.credit().minorUnits());
        lines.put(line.account(), raw);
      }
      List<String> accounts = new ArrayList<>(bank.customers);
      accounts.add(Bank.VAULT);
      for (String account : accounts) {
        BigInteger normal = balanceAt(account, trial.seq());
        BigInteger raw = Bank.kindOf(account).normalize(normal);
        if (!raw.equals(lines.getOrDefault(account, BigInteger.ZERO))) {
          violate(
              "reads are one state",
              book
                  + ": the trial balance at seq "
                  + trial.seq()
                  + " shows "
                  + account
                  + " at "
                  + lines.get(account)
                  + ", the book gives "
                  + raw,
              op);
          return;
        }
      }
    }

    private void statement(Op op, PostingPage page, long acked) {
      Object[] request = (Object[]) op.request;
      String account = (String) request[0];
      long after = (Long) request[1];
      int limit = (Integer) request[2];
      List<AccountPosting> expected = new ArrayList<>();
      for (int i = (int) Math.min(after, commits.size()); i < commits.size(); i++) {
        Transaction tx = commits.get(i);
        for (Posting posting : tx.postings()) {
          if (posting.account().equals(account)) {
            expected.add(
                new AccountPosting(
                    tx.seq(),
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
        violate("reads are one state", book + ": a statement differs from the book", op);
        return;
      }
      long through = page.nextAfterSeq() == null ? acked : page.nextAfterSeq();
      if (page.nextAfterSeq() != null
          && (got.size() < limit || page.nextAfterSeq() != got.get(got.size() - 1).seq())) {
        violate("reads are one state", book + ": a statement page goes on wrongly", op);
        return;
      }
      long missing = expected.stream().filter(p -> p.seq() <= through).count() - got.size();
      if (missing > 0) {
        violate("reads see acknowledged commits", book + ": a statement misses postings", op);
      }
    }

    private void transactions(Op op, TransactionPage page, long acked) {
      long after = ((long[]) op.request)[0];
      int limit = (int) ((long[]) op.request)[1];
      List<Transaction> got = page.transactions();
      for (int i = 0; i < got.size(); i++) {
        long seq = after + 1 + i;
        if (seq > commits.size() || !got.get(i).equals(commits.get((int) seq - 1))) {
          violate("reads are one state", book + ": commit " + seq + " reads differently", op);
          return;
        }
      }
      long last = after + got.size();
      if (page.nextAfterSeq() == null ? last < acked && after < acked : got.size() != limit) {
        violate("reads see acknowledged commits", book + ": a transactions page ends early", op);
      }
    }

    @SuppressWarnings("unchecked")
    private void tail(Op op) {
      List<Transaction> events;
      synchronized (op) {
        events = op.answer == null ? List.of() : List.copyOf((List<Transaction>) op.answer);
      }
      long from = (Long) op.request;
      for (int i = 0; i < events.size(); i++) {
        Transaction event = events.get(i);
        long seq = from + i;
        if (event.seq() != seq) {
          violate(
              "live tails are the book in order",
              book
                  + ": event "
                  + (i + 1)
                  + " of a tail from seq "
                  + from
                  + " is seq "
                  + event.seq(),
              op);
          return;
        }
        if (seq > commits.size() || !event.equals(commits.get((int) seq - 1))) {
          violate(
              "live tails are the book in order",
              book + ": a tail's seq " + seq + " differs from the book: " + event,
              op);
          return;
        }
      }
      if (op.client == 0 && events.size() != commits.size()) {
        violate(
            "live tails are the book in order",
            book
                + ": the tail of the whole run received "
                + events.size()
                + " of "
                + commits.size()
                + " commits",
            op);
      }
    }

    // ---- the end state ------------------------------------------------------------------------

    private void conservation() {
      long head = commits.size();
      BigInteger customers = BigInteger.ZERO;
      for (String customer : bank.customers) {
        customers = customers.add(balanceAt(customer, head));
      }
      BigInteger vault = balanceAt(Bank.VAULT, head);
      if (!customers.equals(bank.deposits()) || !vault.equals(bank.deposits())) {
        violate(
            "conservation",
            book
                + ": customers hold "
                + customers
                + ", the vault "
                + vault
                + ", deposits were "
                + bank.deposits());
      }
    }
  }

  /** Whether a stored commit is this draft: same key, postings, memo, metadata, business time. */
  static boolean sameContent(TransactionDraft draft, Transaction tx) {
    if (!draft.idempotencyKey().equals(tx.idempotencyKey())
        || !Objects.equals(draft.memo(), tx.memo())
        || !draft.metadata().equals(tx.metadata())
        || !Objects.equals(draft.occurredAt(), tx.occurredAt())
        || draft.postings().size() != tx.postings().size()) {
      return false;
    }
    for (int i = 0; i < draft.postings().size(); i++) {
      DraftPosting sent = draft.postings().get(i);
      Posting stored = tx.postings().get(i);
      if (!sent.account().equals(stored.account())
          || !sent.asset().equals(stored.asset())
          || sent.side() != stored.side()
          || sent.amount()
                  .compareToMinorUnits(stored.amount().minorUnits(), stored.amount().decimals())
              != 0) {
        return false;
      }
    }
    return true;
  }
}
