package dev.talea.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A committed transaction: the event at {@code seq} in its book's gapless sequence, linked into the
 * book's hash chain.
 *
 * @param txId a UUIDv7, unique across all books
 * @param seq gapless per book, starting at 1
 * @param committedAt the store's clock, taken under the book's write arbiter (never decreases as
 *     seq grows), microsecond precision
 * @param occurredAt business time as submitted, or {@code null}
 * @param deduplicated {@code true} when this is the answer to a replayed request: the original
 *     commit, unchanged
 * @param hash hex SHA-256 of {@code prevHash} and the canonical bytes of this commit ({@link
 *     HashChain})
 * @param prevHash the previous commit's hash; 64 zeros for seq 1
 */
public record Transaction(
    UUID txId,
    String book,
    long seq,
    Instant committedAt,
    Instant occurredAt,
    String idempotencyKey,
    boolean deduplicated,
    String memo,
    Map<String, String> metadata,
    List<Posting> postings,
    String hash,
    String prevHash) {

  public Transaction {
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(book, "book");
    Objects.requireNonNull(committedAt, "committedAt");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(prevHash, "prevHash");
    metadata = Metadata.normalize(metadata, "metadata");
    postings = List.copyOf(postings);
  }

  /** This commit as the answer to a replay (or not). */
  public Transaction withDeduplicated(boolean value) {
    return value == deduplicated
        ? this
        : new Transaction(
            txId,
            book,
            seq,
            committedAt,
            occurredAt,
            idempotencyKey,
            value,
            memo,
            metadata,
            postings,
            hash,
            prevHash);
  }
}
