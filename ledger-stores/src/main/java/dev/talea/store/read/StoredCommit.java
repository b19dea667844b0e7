package dev.talea.store.read;

import dev.talea.protocol.Posting;
import dev.talea.protocol.Transaction;
import dev.talea.store.commit.GroupCommit;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A commit as a store keeps it: amounts in minor units, without their decimals (those belong to the
 * asset registry), and the fingerprint of the request that made it.
 */
public record StoredCommit(
    String book,
    long seq,
    UUID txId,
    Instant committedAt,
    Instant occurredAt,
    String idempotencyKey,
    String fingerprint,
    String memo,
    Map<String, String> metadata,
    List<StoredPosting> postings,
    String hash,
    String prevHash) {

  public StoredCommit {
    postings = List.copyOf(postings);
  }

  /** This commit with other postings. */
  public StoredCommit withPostings(List<StoredPosting> other) {
    return new StoredCommit(
        book,
        seq,
        txId,
        committedAt,
        occurredAt,
        idempotencyKey,
        fingerprint,
        memo,
        metadata,
        other,
        hash,
        prevHash);
  }

  /** A new commit of a group commit, as it is to be stored. */
  public static StoredCommit of(GroupCommit.NewCommit commit) {
    Transaction tx = commit.transaction();
    List<StoredPosting> postings = new ArrayList<>(tx.postings().size());
    for (Posting posting : tx.postings()) {
      postings.add(
          new StoredPosting(
              posting.account(),
              posting.asset(),
              posting.side(),
              posting.amount().minorUnits(),
              posting.balanceAfter().minorUnits()));
    }
    return new StoredCommit(
        tx.book(),
        tx.seq(),
        tx.txId(),
        tx.committedAt(),
        tx.occurredAt(),
        tx.idempotencyKey(),
        commit.fingerprint(),
        tx.memo(),
        tx.metadata(),
        postings,
        tx.hash(),
        tx.prevHash());
  }
}
