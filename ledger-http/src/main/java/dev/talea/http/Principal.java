package dev.talea.http;

import java.util.Set;

/**
 * Who a bearer token speaks for: its books (exact names, or every book) and whether it may write.
 * Never holds the secret itself.
 */
record Principal(String name, Set<String> books, boolean allBooks, boolean readWrite) {

  Principal {
    books = Set.copyOf(books);
  }

  boolean canRead(String book) {
    return allBooks || books.contains(book);
  }

  boolean canWrite(String book) {
    return readWrite && canRead(book);
  }

  /** Registering assets (global) needs a read-write token for every book. */
  boolean canAdminister() {
    return readWrite && allBooks;
  }
}
