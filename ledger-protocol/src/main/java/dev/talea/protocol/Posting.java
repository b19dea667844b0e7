package dev.talea.protocol;

import java.util.Objects;

/**
 * One committed leg of a transaction.
 *
 * @param amount the posted amount, always positive
 * @param balanceAfter the account's normal-side-adjusted balance in this asset right after this
 *     posting (postings of one transaction apply in order)
 */
public record Posting(String account, String asset, Side side, Amount amount, Amount balanceAfter) {

  public Posting {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(side, "side");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(balanceAfter, "balanceAfter");
  }
}
