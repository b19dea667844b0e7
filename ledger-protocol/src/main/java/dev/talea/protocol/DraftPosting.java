package dev.talea.protocol;

import java.util.Objects;

/**
 * One leg of a transaction draft: an amount debited or credited to an account in an asset. The
 * amount is still a written decimal; it becomes minor units once the asset's decimals are known.
 */
public record DraftPosting(String account, String asset, Side side, DecimalAmount amount) {

  public DraftPosting {
    Objects.requireNonNull(side, "side");
  }

  /**
   * A debit of {@code amount} (a decimal string such as {@code "0.5"}).
   *
   * @throws LedgerException {@code invalid_amount} if the amount is not a positive plain decimal
   */
  public static DraftPosting debit(String account, String asset, String amount) {
    return new DraftPosting(
        account, asset, Side.DEBIT, DecimalAmount.parsePositive(amount, "debit"));
  }

  /**
   * A credit of {@code amount} (a decimal string such as {@code "0.5"}).
   *
   * @throws LedgerException {@code invalid_amount} if the amount is not a positive plain decimal
   */
  public static DraftPosting credit(String account, String asset, String amount) {
    return new DraftPosting(
        account, asset, Side.CREDIT, DecimalAmount.parsePositive(amount, "credit"));
  }
}
