package dev.talea.store.log;

import dev.talea.protocol.HashChain;
import dev.talea.protocol.Side;
import dev.talea.protocol.Timestamps;
import dev.talea.store.commit.BalanceKey;
import dev.talea.store.read.StoredAccount;
import dev.talea.store.read.StoredCommit;
import dev.talea.store.read.StoredPosting;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One book of the log store, in memory: its chain head, where each of its commits lies in the log,
 * and the indexes rebuilt from the log on open (idempotency keys, accounts, balances, each
 * account's postings, commit times for {@code as_of}). The records themselves stay on disk.
 *
 * <p>{@link #commitLock} makes this book's group commits one at a time — the book's single writer,
 * which assigns its seqs. {@link #state} guards the indexes: commits change them only after their
 * records are durable, so a reader never sees a commit that a crash could take back.
 */
final class BookLog {

  final String name;
  final int number;
  final ReentrantLock commitLock = new ReentrantLock();
  final ReentrantReadWriteLock state = new ReentrantReadWriteLock();

  // Guarded by state.
  long lastSeq;
  String headHash = HashChain.GENESIS;
  Instant lastCommittedAt;
  final LongList positions = new LongList(64);
  final LongList committedAtMicros = new LongList(64);
  final KeyIndex keys = new KeyIndex();
  final TreeMap<String, StoredAccount> accounts = new TreeMap<>();
  final Map<BalanceKey, BigInteger> balances = new HashMap<>();

  /** Per account, per asset: the account's postings as {@code seq << 8 | index}, ascending. */
  final Map<String, TreeMap<String, LongList>> postings = new HashMap<>();

  BookLog(String name, int number) {
    this.name = name;
    this.number = number;
  }

  /**
   * Adds a commit whose record is durable at {@code position}. Caller holds the write lock.
   *
   * @return false if its key's hash collided with another key's (see {@link KeyIndex#put})
   */
  boolean apply(StoredCommit commit, long position) {
    lastSeq = commit.seq();
    headHash = commit.hash();
    lastCommittedAt = commit.committedAt();
    positions.add(position);
    committedAtMicros.add(Timestamps.toEpochMicros(commit.committedAt()));
    boolean uniqueHash = keys.put(commit.idempotencyKey(), commit.seq());
    for (int i = 0; i < commit.postings().size(); i++) {
      StoredPosting posting = commit.postings().get(i);
      BigInteger delta =
          posting.side() == Side.DEBIT ? posting.amount() : posting.amount().negate();
      balances.merge(new BalanceKey(posting.account(), posting.asset()), delta, BigInteger::add);
      postings
          .computeIfAbsent(posting.account(), a -> new TreeMap<>())
          .computeIfAbsent(posting.asset(), a -> new LongList(4))
          .add(commit.seq() << 8 | i);
    }
    return uniqueHash;
  }

  /** The log position of a commit. Caller holds a lock. */
  long positionOf(long seq) {
    return positions.get((int) (seq - 1));
  }

  /** The last seq committed at or before {@code asOf}, 0 if none. Caller holds a lock. */
  long seqAsOf(Instant asOf) {
    return committedAtMicros.countAtMost(Timestamps.toEpochMicros(Timestamps.truncate(asOf)));
  }

  /**
   * The entry ({@code seq << 8 | index}) of the last posting of an account in an asset with seq at
   * or before {@code seq}, or -1. Caller holds a lock.
   */
  long lastPostingAtOrBefore(String account, String asset, long seq) {
    TreeMap<String, LongList> byAsset = postings.get(account);
    LongList entries = byAsset == null ? null : byAsset.get(asset);
    if (entries == null) {
      return -1;
    }
    int count = entries.countAtMost(seq << 8 | 0xFF);
    return count == 0 ? -1 : entries.get(count - 1);
  }
}
