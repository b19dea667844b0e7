package dev.talea.store.commit;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Amounts;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.VerifyResult;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Re-derives a book from its commits, fed in seq order a page at a time, and reports the first
 * place where stored data disagrees with the derivation: a missing seq, a broken chain link, a hash
 * that does not match the commit's content, a commit timestamp that goes backwards, postings that
 * do not balance, a {@code balance_after} that the postings do not give, and at the end a chain
 * head or a balance projection that differs. Shared by every store, so "verify" means the same
 * everywhere.
 */
public final class ChainVerifier {

  private final String book;
  private final BookSummary head;
  private final Map<String, AccountKind> kinds;
  private final Map<BalanceKey, BigInteger> raw = new HashMap<>();
  private final Map<BalanceKey, Integer> decimals = new HashMap<>();
  private final Map<BalanceKey, Long> lastTouched = new HashMap<>();
  private long lastSeq;
  private String lastHash = HashChain.GENESIS;
  private Instant lastCommittedAt;

  /**
   * @param head the book's head in the state being verified: its commits up to this seq are checked
   * @param kinds the kind of every account of the book
   */
  public ChainVerifier(BookSummary head, Map<String, AccountKind> kinds) {
    this.book = head.book();
    this.head = head;
    this.kinds = kinds;
  }

  /**
   * Checks the commits that should be seqs {@code first..last}, continuing from the previous page.
   *
   * @return the failure, if this page holds the first one
   */
  public Optional<VerifyResult> check(long first, long last, List<Transaction> page) {
    long expected = first;
    for (Transaction tx : page) {
      if (tx.seq() != expected) {
        return fail(expected, "seq " + expected + " is missing");
      }
      Optional<VerifyResult> failure = checkOne(tx);
      if (failure.isPresent()) {
        return failure;
      }
      expected++;
    }
    if (expected <= last) {
      return fail(expected, "seq " + expected + " is missing");
    }
    return Optional.empty();
  }

  private Optional<VerifyResult> checkOne(Transaction tx) {
    long seq = tx.seq();
    if (!tx.book().equals(book)) {
      return fail(seq, "the commit belongs to book " + tx.book());
    }
    if (!tx.prevHash().equals(lastHash)) {
      return fail(seq, "prev_hash does not match the hash of seq " + (seq - 1));
    }
    if (!HashChain.isHash(tx.hash()) || !HashChain.hash(tx).equals(tx.hash())) {
      return fail(seq, "hash does not match the commit's content");
    }
    if (lastCommittedAt != null && tx.committedAt().isBefore(lastCommittedAt)) {
      return fail(seq, "committed_at is earlier than that of seq " + (seq - 1));
    }
    Map<String, BigInteger> net = new LinkedHashMap<>();
    for (int i = 0; i < tx.postings().size(); i++) {
      Posting posting = tx.postings().get(i);
      AccountKind kind = kinds.get(posting.account());
      if (kind == null) {
        return fail(seq, "posting " + i + " names " + posting.account() + ", which is not open");
      }
      BigInteger amount = posting.amount().minorUnits();
      if (!Amounts.isValidPostingAmount(amount)) {
        return fail(seq, "posting " + i + " has an amount outside 1..2^256-1");
      }
      BigInteger delta = posting.side() == Side.DEBIT ? amount : amount.negate();
      net.merge(posting.asset(), delta, BigInteger::add);
      BalanceKey key = new BalanceKey(posting.account(), posting.asset());
      BigInteger running = raw.getOrDefault(key, BigInteger.ZERO).add(delta);
      raw.put(key, running);
      decimals.put(key, posting.amount().decimals());
      lastTouched.put(key, seq);
      BigInteger expected = kind.normalize(running);
      if (!posting.balanceAfter().minorUnits().equals(expected)) {
        return fail(
            seq,
            "balance_after of posting "
                + i
                + " is "
                + posting.balanceAfter()
                + " but the postings give "
                + Amounts.format(expected, posting.amount().decimals()));
      }
    }
    for (Map.Entry<String, BigInteger> entry : net.entrySet()) {
      if (entry.getValue().signum() != 0) {
        return fail(seq, "debits and credits of " + entry.getKey() + " do not balance");
      }
    }
    lastSeq = seq;
    lastHash = tx.hash();
    lastCommittedAt = tx.committedAt();
    return Optional.empty();
  }

  /**
   * Compares the book's stored head and raw balance projection (in the same state as the head) with
   * the derivation, after every commit up to the head has been checked.
   */
  public VerifyResult finish(Map<BalanceKey, BigInteger> storedRaw) {
    if (head.lastSeq() != lastSeq || !head.headHash().equals(lastHash)) {
      return VerifyResult.failed(
          book,
          head.lastSeq(),
          Math.max(1, head.lastSeq()),
          "the book's head does not match its last commit");
    }
    Set<BalanceKey> keys = new HashSet<>(raw.keySet());
    keys.addAll(storedRaw.keySet());
    long firstBad = Long.MAX_VALUE;
    String reason = null;
    for (BalanceKey key : keys) {
      BigInteger derived = raw.getOrDefault(key, BigInteger.ZERO);
      BigInteger stored = storedRaw.get(key);
      if (stored == null ? derived.signum() != 0 : !stored.equals(derived)) {
        long seq = lastTouched.getOrDefault(key, Math.max(1, lastSeq));
        if (seq < firstBad) {
          firstBad = seq;
          int scale = decimals.getOrDefault(key, 0);
          reason =
              "the stored balance of "
                  + key.account()
                  + " in "
                  + key.asset()
                  + " is "
                  + (stored == null ? "missing" : Amounts.format(stored, scale))
                  + " but the postings give "
                  + Amounts.format(derived, scale)
                  + " (debits minus credits)";
        }
      }
    }
    if (reason != null) {
      return VerifyResult.failed(book, head.lastSeq(), firstBad, reason);
    }
    return VerifyResult.ok(book, lastSeq, lastHash);
  }

  private Optional<VerifyResult> fail(long seq, String reason) {
    return Optional.of(VerifyResult.failed(book, head.lastSeq(), seq, reason));
  }
}
