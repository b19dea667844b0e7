package dev.talea.store.log;

import java.util.UUID;

/**
 * Every transaction id in the log to its book and seq: an open-addressing table of three longs a
 * slot (the id's two halves and the packed book number and seq), about 48 bytes an id. Ids are
 * random, so their low bits spread well. Not thread-safe.
 */
final class TxIdIndex {

  private static final int SEQ_BITS = 44;

  private long[] msbs = new long[1024];
  private long[] lsbs = new long[1024];
  private long[] values = new long[1024];
  private int size;

  void put(UUID id, int book, long seq) {
    if ((size + 1) * 2 > msbs.length) {
      grow();
    }
    insert(id.getMostSignificantBits(), id.getLeastSignificantBits(), pack(book, seq));
    size++;
  }

  /** The packed book number and seq, or -1. */
  long find(UUID id) {
    long msb = id.getMostSignificantBits();
    long lsb = id.getLeastSignificantBits();
    int mask = msbs.length - 1;
    for (int i = slot(lsb, mask); ; i = (i + 1) & mask) {
      if (values[i] == 0) {
        return -1;
      }
      if (msbs[i] == msb && lsbs[i] == lsb) {
        return values[i];
      }
    }
  }

  static int bookOf(long packed) {
    return (int) (packed >>> SEQ_BITS);
  }

  static long seqOf(long packed) {
    return packed & ((1L << SEQ_BITS) - 1);
  }

  private static long pack(int book, long seq) {
    // Book numbers start at 1 and seqs at 1, so a packed value is never 0 (the empty slot).
    return ((long) book << SEQ_BITS) | seq;
  }

  private static int slot(long lsb, int mask) {
    return (int) (lsb ^ (lsb >>> 32)) & mask;
  }

  private void insert(long msb, long lsb, long value) {
    int mask = msbs.length - 1;
    int i = slot(lsb, mask);
    while (values[i] != 0) {
      i = (i + 1) & mask;
    }
    msbs[i] = msb;
    lsbs[i] = lsb;
    values[i] = value;
  }

  private void grow() {
    // Allocate everything before changing anything: if the heap runs out, the table is unchanged.
    long[] newMsbs = new long[msbs.length * 2];
    long[] newLsbs = new long[lsbs.length * 2];
    long[] newValues = new long[values.length * 2];
    long[] oldMsbs = msbs;
    long[] oldLsbs = lsbs;
    long[] oldValues = values;
    msbs = newMsbs;
    lsbs = newLsbs;
    values = newValues;
    for (int i = 0; i < oldValues.length; i++) {
      if (oldValues[i] != 0) {
        insert(oldMsbs[i], oldLsbs[i], oldValues[i]);
      }
    }
  }
}
