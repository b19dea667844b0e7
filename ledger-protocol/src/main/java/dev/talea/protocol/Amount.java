package dev.talea.protocol;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A resolved amount: minor units together with the decimals of their asset, so it always prints in
 * the contract's output form ({@code "0.50000000"} for 8 decimals). May be negative (balances).
 */
public record Amount(BigInteger minorUnits, int decimals) {

  public Amount {
    Objects.requireNonNull(minorUnits, "minorUnits");
    Amounts.requireDecimals(decimals);
  }

  public static Amount zero(int decimals) {
    return new Amount(BigInteger.ZERO, decimals);
  }

  /**
   * Reads an amount in output form, taking the decimals from the number of fractional digits. This
   * is how a client reads amounts the server formatted; input amounts go through {@link
   * DecimalAmount}.
   *
   * @throws LedgerException {@code invalid_amount} if the text is not a signed plain decimal
   */
  public static Amount parseFormatted(String text, String field) {
    DecimalAmount decimal = DecimalAmount.parseSigned(text, field);
    return new Amount(decimal.unscaled(), decimal.scale());
  }

  public int signum() {
    return minorUnits.signum();
  }

  public Amount negate() {
    return new Amount(minorUnits.negate(), decimals);
  }

  public Amount abs() {
    return signum() < 0 ? negate() : this;
  }

  /** The amount in the contract's output form. */
  @Override
  public String toString() {
    return Amounts.format(minorUnits, decimals);
  }
}
