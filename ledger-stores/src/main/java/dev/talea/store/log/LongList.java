package dev.talea.store.log;

import java.util.Arrays;

/** A growable array of longs: eight bytes an entry, no boxing. Not thread-safe. */
final class LongList {

  private long[] values;
  private int size;

  LongList() {
    this(16);
  }

  LongList(int capacity) {
    values = new long[Math.max(capacity, 4)];
  }

  void add(long value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, values.length + (values.length >> 1));
    }
    values[size++] = value;
  }

  long get(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException(index);
    }
    return values[index];
  }

  int size() {
    return size;
  }

  /** In a list sorted ascending: the number of values {@code <= key}. */
  int countAtMost(long key) {
    int low = 0;
    int high = size;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (values[mid] <= key) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }
}
