package dev.talea.protocol;

import java.util.List;

/**
 * A page of an account's postings in seq order.
 *
 * @param nextAfterSeq the {@code after_seq} of the next page, or {@code null} when this is the last
 */
public record PostingPage(List<AccountPosting> postings, Long nextAfterSeq) {

  public PostingPage {
    postings = List.copyOf(postings);
  }
}
