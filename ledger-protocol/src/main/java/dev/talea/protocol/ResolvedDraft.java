package dev.talea.protocol;

import java.math.BigInteger;
import java.util.List;
import java.util.Objects;

/**
 * A draft whose amounts have been tied to their assets: every posting in minor units, every asset
 * known, every asset balanced. What is left to check needs the book's state (accounts, min_balance,
 * the balance bound) and happens inside the store's commit.
 */
public record ResolvedDraft(TransactionDraft draft, List<Leg> legs) {

  public ResolvedDraft {
    Objects.requireNonNull(draft, "draft");
    legs = List.copyOf(legs);
  }

  /** A posting in minor units of its asset. */
  public record Leg(String account, String asset, Side side, BigInteger amount, int decimals) {

    public Amount amountValue() {
      return new Amount(amount, decimals);
    }

    /** The change this leg makes to its account's raw (debit-positive) balance. */
    public BigInteger rawDelta() {
      return side == Side.DEBIT ? amount : amount.negate();
    }
  }
}
