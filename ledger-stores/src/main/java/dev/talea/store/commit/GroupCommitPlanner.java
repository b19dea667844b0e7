package dev.talea.store.commit;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Amounts;
import dev.talea.protocol.Asset;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.Drafts;
import dev.talea.protocol.HashChain;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.RequestFingerprint;
import dev.talea.protocol.ResolvedDraft;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The rules of a group commit, shared by every store: given a book's state read under its write
 * arbiter, decide each draft's outcome in order and what to write.
 *
 * <p>Per draft, in this order: the idempotency check (a stored or earlier-in-batch key with the
 * same fingerprint is a replay, with another fingerprint {@code idempotency_key_reused});
 * resolution against the assets ({@code unknown_asset}, {@code invalid_amount}, {@code
 * unbalanced}); every account open ({@code unknown_account}); then each posting applied in order to
 * the running balances, where the raw balance must stay within ±(10^78 − 1) ({@code
 * amount_out_of_range}) and the normal-side-adjusted balance must not fall below the account's
 * {@code min_balance} ({@code insufficient_balance}). Every recorded {@code balance_after}
 * therefore respects the account's limits. A rejected draft changes nothing, so its batchmates see
 * the state as if it had never been sent; this is what a savepoint per draft would give, decided
 * before anything is written.
 *
 * <p>Accepted drafts take consecutive seqs, share the batch's commit timestamp and extend the hash
 * chain.
 */
public final class GroupCommitPlanner {

  private GroupCommitPlanner() {}

  /** The idempotency keys of the drafts, for reading {@link BookSnapshot#keys()}. */
  public static Set<String> keysOf(List<TransactionDraft> drafts) {
    Set<String> keys = new LinkedHashSet<>();
    drafts.forEach(draft -> keys.add(draft.idempotencyKey()));
    return keys;
  }

  /** The accounts the drafts name, for reading {@link BookSnapshot#accounts()} and balances. */
  public static Set<String> accountsOf(List<TransactionDraft> drafts) {
    Set<String> accounts = new LinkedHashSet<>();
    for (TransactionDraft draft : drafts) {
      for (DraftPosting posting : draft.postings()) {
        accounts.add(posting.account());
      }
    }
    return accounts;
  }

  /**
   * The commit timestamp of a batch: the store's clock, but never earlier than the book's last
   * commit, so that committed_at never decreases as seq grows even if the clock steps back.
   */
  public static Instant commitTimestamp(Instant clock, Instant lastCommittedAt) {
    Instant truncated = dev.talea.protocol.Timestamps.truncate(clock);
    return lastCommittedAt != null && lastCommittedAt.isAfter(truncated)
        ? lastCommittedAt
        : truncated;
  }

  /**
   * The outcomes of drafts to a book that does not exist: it has no accounts, so every draft is
   * rejected (as {@code unknown_account}, or for an earlier fault) and nothing is to be written.
   */
  public static List<PostOutcome> toMissingBook(
      String book, List<TransactionDraft> drafts, Function<String, Asset> assets) {
    return plan(
            book,
            BookSnapshot.empty(Map.of(), Map.of()),
            dev.talea.protocol.Timestamps.truncate(Instant.now()),
            drafts,
            assets,
            () -> {
              throw new IllegalStateException("a draft to a book without accounts was accepted");
            })
        .outcomes();
  }

  /**
   * Plans a group commit.
   *
   * @param committedAt from {@link #commitTimestamp}
   * @param assets the registered asset with a code, or {@code null}
   * @param txIds a source of new transaction ids
   */
  public static GroupCommit plan(
      String book,
      BookSnapshot snapshot,
      Instant committedAt,
      List<TransactionDraft> drafts,
      Function<String, Asset> assets,
      Supplier<UUID> txIds) {
    PostOutcome[] outcomes = new PostOutcome[drafts.size()];
    Map<Integer, Long> replays = new HashMap<>();
    List<GroupCommit.NewCommit> commits = new ArrayList<>();
    Map<String, GroupCommit.NewCommit> keysInBatch = new HashMap<>();
    Map<BalanceKey, BigInteger> touched = new LinkedHashMap<>();
    long seq = snapshot.lastSeq();
    String head = snapshot.headHash();

    for (int i = 0; i < drafts.size(); i++) {
      TransactionDraft draft = drafts.get(i);
      String key = draft.idempotencyKey();
      String fingerprint = RequestFingerprint.of(draft);

      BookSnapshot.StoredKey stored = snapshot.keys().get(key);
      if (stored != null) {
        if (stored.fingerprint().equals(fingerprint)) {
          replays.put(i, stored.seq());
        } else {
          outcomes[i] = rejected(LedgerError.idempotencyKeyReused(stored.txId().toString()));
        }
        continue;
      }
      GroupCommit.NewCommit batchmate = keysInBatch.get(key);
      if (batchmate != null) {
        outcomes[i] =
            batchmate.fingerprint().equals(fingerprint)
                ? new PostOutcome.Committed(batchmate.transaction().withDeduplicated(true))
                : rejected(
                    LedgerError.idempotencyKeyReused(batchmate.transaction().txId().toString()));
        continue;
      }

      Map<BalanceKey, BigInteger> updates = new HashMap<>();
      List<Posting> postings;
      try {
        postings = apply(Drafts.resolve(draft, assets), snapshot, touched, updates);
      } catch (LedgerException e) {
        outcomes[i] = rejected(e.error());
        continue;
      }

      seq++;
      UUID txId = txIds.get();
      String hash =
          HashChain.hash(
              head,
              book,
              seq,
              txId,
              committedAt,
              key,
              postings,
              draft.occurredAt(),
              draft.memo(),
              draft.metadata());
      Transaction tx =
          new Transaction(
              txId,
              book,
              seq,
              committedAt,
              draft.occurredAt(),
              key,
              false,
              draft.memo(),
              draft.metadata(),
              postings,
              hash,
              head);
      GroupCommit.NewCommit commit = new GroupCommit.NewCommit(tx, fingerprint);
      commits.add(commit);
      keysInBatch.put(key, commit);
      touched.putAll(updates);
      head = hash;
      outcomes[i] = new PostOutcome.Committed(tx);
    }
    return new GroupCommit(
        Arrays.asList(outcomes), replays, commits, touched, seq, head, committedAt);
  }

  /**
   * Applies a resolved draft's legs in order to the running balances, collecting the new raw
   * balances in {@code updates} (the caller merges them only if the whole draft is accepted).
   */
  private static List<Posting> apply(
      ResolvedDraft resolved,
      BookSnapshot snapshot,
      Map<BalanceKey, BigInteger> touched,
      Map<BalanceKey, BigInteger> updates) {
    for (ResolvedDraft.Leg leg : resolved.legs()) {
      if (!snapshot.accounts().containsKey(leg.account())) {
        throw LedgerError.unknownAccount(leg.account()).toException();
      }
    }
    List<Posting> postings = new ArrayList<>(resolved.legs().size());
    for (ResolvedDraft.Leg leg : resolved.legs()) {
      BookSnapshot.AccountRule rule = snapshot.accounts().get(leg.account());
      AccountKind kind = rule.kind();
      BalanceKey balanceKey = new BalanceKey(leg.account(), leg.asset());
      BigInteger before = updates.get(balanceKey);
      if (before == null) {
        before = touched.get(balanceKey);
      }
      if (before == null) {
        before = snapshot.balances().getOrDefault(balanceKey, BigInteger.ZERO);
      }
      BigInteger after = before.add(leg.rawDelta());
      if (!Amounts.isWithinBalanceBound(after)) {
        throw LedgerError.amountOutOfRange(leg.account(), leg.asset()).toException();
      }
      BigInteger normalAfter = kind.normalize(after);
      if (rule.minBalance() != null
          && rule.minBalance().compareToMinorUnits(normalAfter, leg.decimals()) > 0) {
        throw LedgerError.insufficientBalance(
                leg.account(),
                leg.asset(),
                Amounts.format(kind.normalize(before), leg.decimals()),
                rule.minBalance().normalized(),
                Amounts.format(normalAfter, leg.decimals()))
            .toException();
      }
      updates.put(balanceKey, after);
      postings.add(
          new Posting(
              leg.account(),
              leg.asset(),
              leg.side(),
              leg.amountValue(),
              new Amount(normalAfter, leg.decimals())));
    }
    return postings;
  }

  private static PostOutcome rejected(LedgerError error) {
    return new PostOutcome.Rejected(error);
  }
}
