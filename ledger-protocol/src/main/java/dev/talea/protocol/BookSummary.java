package dev.talea.protocol;

import java.util.Objects;

/**
 * A book and the head of its chain.
 *
 * @param lastSeq the last committed seq, 0 if the book has no commits yet
 * @param headHash the hash of the last commit, 64 zeros if none
 */
public record BookSummary(String book, long lastSeq, String headHash) {

  public BookSummary {
    Objects.requireNonNull(book, "book");
    Objects.requireNonNull(headHash, "headHash");
  }
}
