package dev.talea.store.commit;

import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The planned result of a group commit: what to answer and what to write. A store writes {@link
 * #commits} and {@link #balances} and moves the book's head to ({@link #lastSeq}, {@link
 * #headHash}, {@link #committedAt}) in one storage transaction, then answers {@link #outcomes}.
 *
 * @param outcomes one per draft; {@code null} where {@link #replays} names a stored commit to load
 * @param replays draft index to the seq of the stored commit it replays (answered deduplicated)
 * @param commits the new commits, in seq order
 * @param balances the final raw balance of every (account, asset) the new commits touched
 */
public record GroupCommit(
    List<PostOutcome> outcomes,
    Map<Integer, Long> replays,
    List<NewCommit> commits,
    Map<BalanceKey, BigInteger> balances,
    long lastSeq,
    String headHash,
    Instant committedAt) {

  /**
   * A new commit and the fingerprint of the request that made it (kept with its idempotency key).
   */
  public record NewCommit(Transaction transaction, String fingerprint) {}

  public boolean writesNothing() {
    return commits.isEmpty();
  }
}
