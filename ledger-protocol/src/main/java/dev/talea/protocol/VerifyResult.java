package dev.talea.protocol;

import java.util.Objects;

/**
 * The outcome of re-deriving a book from its postings: the hash chain recomputed and every stored
 * balance recomputed.
 *
 * @param seq the book's seq in the state that was verified: its commits up to this seq were checked
 * @param headHash the chain head that was verified (on success)
 * @param firstBadSeq the first seq whose stored data disagrees with the recomputation (on failure)
 * @param reason what disagreed (on failure)
 */
public record VerifyResult(
    String book, long seq, String headHash, boolean ok, Long firstBadSeq, String reason) {

  public VerifyResult {
    Objects.requireNonNull(book, "book");
    if (ok && (firstBadSeq != null || reason != null)) {
      throw new IllegalArgumentException("a successful verification has no bad seq or reason");
    }
    if (!ok && (firstBadSeq == null || reason == null)) {
      throw new IllegalArgumentException("a failed verification names a bad seq and a reason");
    }
  }

  public static VerifyResult ok(String book, long seq, String headHash) {
    return new VerifyResult(book, seq, Objects.requireNonNull(headHash), true, null, null);
  }

  /**
   * @param seq the book's seq in the state that was verified
   * @param firstBadSeq the first seq (at most {@code seq}) whose stored data disagrees
   */
  public static VerifyResult failed(String book, long seq, long firstBadSeq, String reason) {
    return new VerifyResult(book, seq, null, false, firstBadSeq, reason);
  }
}
