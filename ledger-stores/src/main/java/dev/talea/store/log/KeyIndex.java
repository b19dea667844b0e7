package dev.talea.store.log;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * A book's idempotency keys: a 64-bit hash of the key to the seq that used it, in an
 * open-addressing table of two longs a slot (about 32 bytes a key). The key itself stays on disk in
 * its commit record; a hit is confirmed by reading it. Two different keys with the same 64-bit hash
 * are kept apart in a small overflow map, so a collision costs a disk read, never a wrong answer.
 */
final class KeyIndex {

  private static final long EMPTY = 0;

  private long[] hashes = new long[64];
  private long[] seqs = new long[64];
  private int size;
  private final Map<String, Long> overflow = new HashMap<>();

  /**
   * The seq that used {@code key}, or -1.
   *
   * @param keyAt reads the idempotency key of the commit at a seq
   */
  long find(String key, LongFunction<String> keyAt) {
    long hash = hash(key);
    int slot = slotOf(hash);
    if (slot >= 0 && key.equals(keyAt.apply(seqs[slot]))) {
      return seqs[slot];
    }
    Long seq = overflow.get(key);
    return seq == null ? -1 : seq;
  }

  /**
   * Records that {@code seq} used {@code key}, which {@link #find} does not know yet.
   *
   * @return false if another entry has the same hash, so the key went to the overflow map (callers
   *     replaying a log confirm, with {@link #find}, that it was a different key)
   */
  boolean put(String key, long seq) {
    long hash = hash(key);
    if (slotOf(hash) >= 0) {
      overflow.put(key, seq);
      return false;
    }
    if ((size + 1) * 2 > hashes.length) {
      grow();
    }
    insert(hash, seq);
    size++;
    return true;
  }

  private int slotOf(long hash) {
    int mask = hashes.length - 1;
    for (int i = (int) hash & mask; ; i = (i + 1) & mask) {
      if (hashes[i] == EMPTY) {
        return -1;
      }
      if (hashes[i] == hash) {
        return i;
      }
    }
  }

  private void insert(long hash, long seq) {
    int mask = hashes.length - 1;
    int i = (int) hash & mask;
    while (hashes[i] != EMPTY) {
      i = (i + 1) & mask;
    }
    hashes[i] = hash;
    seqs[i] = seq;
  }

  private void grow() {
    // Allocate everything before changing anything: if the heap runs out, the table is unchanged.
    long[] newHashes = new long[hashes.length * 2];
    long[] newSeqs = new long[seqs.length * 2];
    long[] oldHashes = hashes;
    long[] oldSeqs = seqs;
    hashes = newHashes;
    seqs = newSeqs;
    for (int i = 0; i < oldHashes.length; i++) {
      if (oldHashes[i] != EMPTY) {
        insert(oldHashes[i], oldSeqs[i]);
      }
    }
  }

  /** FNV-1a over the key's bytes, finished with a 64-bit mix; never 0 (the empty slot). */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xFF;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h == EMPTY ? 1 : h;
  }
}
