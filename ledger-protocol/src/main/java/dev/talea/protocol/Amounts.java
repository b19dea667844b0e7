package dev.talea.protocol;

import java.math.BigInteger;

/**
 * Exact amounts. On the wire an amount is a plain decimal string; inside talea it is an integer
 * count of an asset's minor units ({@code value × 10^decimals}) held in a {@link BigInteger}.
 * Nothing here rounds: a string with more fractional digits than the asset allows is rejected,
 * never cut.
 */
public final class Amounts {

  /** The most decimals an asset may have. */
  public static final int MAX_DECIMALS = 36;

  /** The largest posting amount in minor units: 2^256 − 1, so that every ERC-20 amount fits. */
  public static final BigInteger MAX_POSTING =
      BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  /** The largest balance magnitude in minor units: 10^78 − 1. */
  public static final BigInteger MAX_BALANCE = BigInteger.TEN.pow(78).subtract(BigInteger.ONE);

  private Amounts() {}

  /**
   * Parses a posting amount against an asset's decimals into minor units.
   *
   * @throws LedgerException {@code invalid_amount} naming {@code field} if the text is not in the
   *     amount grammar, is zero, has more fractional digits than {@code decimals}, or exceeds 2^256
   *     − 1 minor units
   */
  public static BigInteger parsePosting(String text, int decimals, String field) {
    return DecimalAmount.parsePositive(text, field).toPostingUnits(decimals, field);
  }

  /**
   * Formats minor units with exactly {@code decimals} fractional digits: {@code (50000000, 8)} is
   * {@code "0.50000000"}, {@code (42, 0)} is {@code "42"}, negative values get a leading {@code -}.
   */
  public static String format(BigInteger minorUnits, int decimals) {
    requireDecimals(decimals);
    String digits = minorUnits.abs().toString();
    StringBuilder out = new StringBuilder(digits.length() + decimals + 3);
    if (minorUnits.signum() < 0) {
      out.append('-');
    }
    if (decimals == 0) {
      return out.append(digits).toString();
    }
    if (digits.length() <= decimals) {
      out.append("0.");
      out.append("0".repeat(decimals - digits.length()));
      out.append(digits);
    } else {
      int point = digits.length() - decimals;
      out.append(digits, 0, point).append('.').append(digits, point, digits.length());
    }
    return out.toString();
  }

  /** Whether a balance in minor units is within ±(10^78 − 1). */
  public static boolean isWithinBalanceBound(BigInteger balance) {
    return balance.abs().compareTo(MAX_BALANCE) <= 0;
  }

  /** Whether minor units are a valid posting amount: 1 … 2^256 − 1. */
  public static boolean isValidPostingAmount(BigInteger minorUnits) {
    return minorUnits.signum() > 0 && minorUnits.compareTo(MAX_POSTING) <= 0;
  }

  static void requireDecimals(int decimals) {
    if (decimals < 0 || decimals > MAX_DECIMALS) {
      throw new IllegalArgumentException("decimals must be 0.." + MAX_DECIMALS + ": " + decimals);
    }
  }
}
