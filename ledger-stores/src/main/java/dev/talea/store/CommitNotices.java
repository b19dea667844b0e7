package dev.talea.store;

/**
 * Receives notice of commits made through other processes sharing the store (other talead instances
 * on one Postgres database). Called from the store's listening thread; implementations must not
 * block.
 */
public interface CommitNotices {

  /** Another process committed seqs {@code firstSeq..lastSeq} of {@code book}. */
  void committed(String book, long firstSeq, long lastSeq);

  /**
   * The listening connection was (re)established; notices sent while it was down are lost, so
   * anything that depends on them should catch up from the store.
   */
  void resumed();
}
