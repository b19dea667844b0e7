package dev.talea.actors;

/**
 * What the write path reports about itself, for metrics. The server implements it with Kamon; the
 * default does nothing. Implementations must be cheap and must not block: they are called from book
 * actors and from the blocking dispatcher.
 */
public interface LedgerMetrics {

  LedgerMetrics NONE = new LedgerMetrics() {};

  /** A group commit finished: how many drafts it held and how long {@code commitBatch} took. */
  default void groupCommitted(String book, int drafts, long storeNanos) {}

  /** A group commit failed in the store. */
  default void groupFailed(String book) {}

  /** The number of posts waiting behind a book's group commit changed. */
  default void queueDepth(String book, int waiting) {}
}
