package dev.talea.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An account's balances at a point in commit time.
 *
 * @param asOf the requested moment, or {@code null} for the latest state
 * @param seq the last seq of the book included (0 if none)
 */
public record AccountBalances(
    String book, String account, AccountKind kind, Instant asOf, long seq, List<Balance> balances) {

  public AccountBalances {
    Objects.requireNonNull(book, "book");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(kind, "kind");
    balances = List.copyOf(balances);
  }

  public Side normalSide() {
    return kind.normalSide();
  }
}
