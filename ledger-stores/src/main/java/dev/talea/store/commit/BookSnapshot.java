package dev.talea.store.commit;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.HashChain;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * What a group commit needs to know about a book, read under the book's write arbiter so that it
 * cannot change until the commit ends: the chain head, the idempotency keys the drafts use, and the
 * rules and raw balances of the accounts they touch. Nothing else of the book is read.
 *
 * @param lastCommittedAt the commit timestamp of {@code lastSeq}, or {@code null} for an empty book
 * @param keys stored idempotency keys among those of the drafts
 * @param accounts open accounts among those the drafts name (absent: not open)
 * @param balances raw balances (debits minus credits, minor units) among those the drafts touch
 *     (absent: zero)
 */
public record BookSnapshot(
    long lastSeq,
    String headHash,
    Instant lastCommittedAt,
    Map<String, StoredKey> keys,
    Map<String, AccountRule> accounts,
    Map<BalanceKey, BigInteger> balances) {

  /** A book with no commits (or no book at all: then {@code accounts} is empty too). */
  public static BookSnapshot empty(
      Map<String, AccountRule> accounts, Map<BalanceKey, BigInteger> balances) {
    return new BookSnapshot(0, HashChain.GENESIS, null, Map.of(), accounts, balances);
  }

  /** An idempotency key already committed: the request it was first used for, and its commit. */
  public record StoredKey(String fingerprint, long seq, UUID txId) {}

  /** What a commit must respect of an account. */
  public record AccountRule(AccountKind kind, DecimalAmount minBalance) {}
}
