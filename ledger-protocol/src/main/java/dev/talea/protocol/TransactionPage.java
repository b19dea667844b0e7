package dev.talea.protocol;

import java.util.List;

/**
 * A page of a book's transactions in seq order.
 *
 * @param nextAfterSeq the {@code after_seq} of the next page, or {@code null} when this is the last
 */
public record TransactionPage(List<Transaction> transactions, Long nextAfterSeq) {

  public TransactionPage {
    transactions = List.copyOf(transactions);
  }
}
