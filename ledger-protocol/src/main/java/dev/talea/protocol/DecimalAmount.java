package dev.talea.protocol;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;

/**
 * An exact decimal as written on the wire, before it is tied to an asset's decimals: {@code "0.50"}
 * is {@code unscaled = 50, scale = 2}. The scale is the number of fractional digits as written, so
 * trailing zeros are kept until {@link #normalized()} drops them.
 *
 * <p>The grammar is the contract's: plain decimal notation, no exponent, no {@code +}, no
 * whitespace, no leading zeros except a single {@code 0} before the point, no bare point. {@link
 * #parseSigned} additionally accepts a leading {@code -} (for {@code min_balance}). Equality is by
 * value, so {@code "1.0"} and {@code "1.00"} are equal.
 */
public final class DecimalAmount implements Comparable<DecimalAmount> {

  /** More integer digits than this cannot fit any amount or balance (10^78 − 1 has 78). */
  static final int MAX_INTEGER_DIGITS = 78;

  private final BigInteger unscaled;
  private final int scale;

  private DecimalAmount(BigInteger unscaled, int scale) {
    this.unscaled = unscaled;
    this.scale = scale;
  }

  /**
   * Parses a strictly positive amount (a posting amount).
   *
   * @throws LedgerException {@code invalid_amount} naming {@code field}
   */
  public static DecimalAmount parsePositive(String text, String field) {
    DecimalAmount amount = parse(text, false, field);
    if (amount.unscaled.signum() == 0) {
      throw LedgerError.invalidAmount(field, "amount must be greater than zero").toException();
    }
    return amount;
  }

  /**
   * Parses a signed amount; zero is allowed, {@code -0} is not.
   *
   * @throws LedgerException {@code invalid_amount} naming {@code field}
   */
  public static DecimalAmount parseSigned(String text, String field) {
    return parse(text, true, field);
  }

  /** The exact decimal value of minor units at the given decimals. */
  public static DecimalAmount ofMinorUnits(BigInteger minorUnits, int decimals) {
    Amounts.requireDecimals(decimals);
    return new DecimalAmount(minorUnits, decimals);
  }

  private static DecimalAmount parse(String text, boolean signed, String field) {
    if (text == null) {
      throw LedgerError.invalidAmount(field, "amount must be a decimal string").toException();
    }
    int length = text.length();
    int i = 0;
    boolean negative = false;
    if (signed && length > 0 && text.charAt(0) == '-') {
      negative = true;
      i = 1;
    }
    int integerStart = i;
    while (i < length && isDigit(text.charAt(i))) {
      i++;
    }
    int integerDigits = i - integerStart;
    if (integerDigits == 0) {
      throw malformed(field, text);
    }
    if (integerDigits > 1 && text.charAt(integerStart) == '0') {
      throw malformed(field, text);
    }
    int fractionDigits = 0;
    if (i < length && text.charAt(i) == '.') {
      i++;
      int fractionStart = i;
      while (i < length && isDigit(text.charAt(i))) {
        i++;
      }
      fractionDigits = i - fractionStart;
      if (fractionDigits == 0) {
        throw malformed(field, text);
      }
    }
    if (i != length) {
      throw malformed(field, text);
    }
    if (integerDigits > MAX_INTEGER_DIGITS) {
      throw LedgerError.invalidAmount(field, "amount is out of range").toException();
    }
    if (fractionDigits > Amounts.MAX_DECIMALS) {
      throw LedgerError.invalidAmount(
              field, "amount has more than " + Amounts.MAX_DECIMALS + " fractional digits")
          .toException();
    }
    String digits =
        fractionDigits == 0
            ? text.substring(integerStart)
            : text.substring(integerStart, integerStart + integerDigits)
                + text.substring(integerStart + integerDigits + 1);
    BigInteger unscaled = new BigInteger(digits);
    if (negative) {
      if (unscaled.signum() == 0) {
        throw malformed(field, text);
      }
      unscaled = unscaled.negate();
    }
    return new DecimalAmount(unscaled, fractionDigits);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static LedgerException malformed(String field, String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
    return LedgerError.invalidAmount(
            field,
            "\""
                + shown
                + "\" is not a plain decimal amount (digits, an optional fraction, no sign,"
                + " exponent, leading zeros or spaces)")
        .toException();
  }

  /** The digits without the point; negative for a negative amount. */
  public BigInteger unscaled() {
    return unscaled;
  }

  /** The number of fractional digits as written (trailing zeros included). */
  public int scale() {
    return scale;
  }

  public int signum() {
    return unscaled.signum();
  }

  /**
   * The amount in minor units of an asset with {@code decimals}.
   *
   * @throws LedgerException {@code invalid_amount} if the amount has more fractional digits than
   *     the asset allows (trailing zeros count: the asset's precision is a hard limit on what may
   *     be written)
   */
  public BigInteger toMinorUnits(int decimals, String field) {
    Amounts.requireDecimals(decimals);
    if (scale > decimals) {
      throw LedgerError.invalidAmount(
              field, "amount has " + scale + " fractional digits but the asset allows " + decimals)
          .toException();
    }
    return unscaled.multiply(BigInteger.TEN.pow(decimals - scale));
  }

  /**
   * The amount in minor units, checked to be a valid posting amount (1 … 2^256 − 1).
   *
   * @throws LedgerException {@code invalid_amount}
   */
  public BigInteger toPostingUnits(int decimals, String field) {
    BigInteger minor = toMinorUnits(decimals, field);
    if (!Amounts.isValidPostingAmount(minor)) {
      throw LedgerError.invalidAmount(
              field,
              minor.signum() <= 0
                  ? "amount must be greater than zero"
                  : "amount exceeds 2^256-1 minor units")
          .toException();
    }
    return minor;
  }

  /**
   * Compares this amount with minor units of an asset with {@code decimals}, exactly (no rounding
   * either way): {@code "0.5"} is greater than 0 minor units and less than 1 minor unit of a
   * 0-decimal asset.
   */
  public int compareToMinorUnits(BigInteger minorUnits, int decimals) {
    return compareTo(ofMinorUnits(minorUnits, decimals));
  }

  /**
   * The shortest plain form: trailing fractional zeros and a bare point removed ({@code "0.50"} →
   * {@code "0.5"}).
   */
  public String normalized() {
    return toBigDecimal().stripTrailingZeros().toPlainString();
  }

  /** The amount exactly as its digits and scale say, trailing zeros included. */
  public String asWritten() {
    return toBigDecimal().toPlainString();
  }

  private BigDecimal toBigDecimal() {
    return new BigDecimal(unscaled, scale);
  }

  @Override
  public int compareTo(DecimalAmount other) {
    return toBigDecimal().compareTo(other.toBigDecimal());
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof DecimalAmount that && compareTo(that) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(normalized());
  }

  @Override
  public String toString() {
    return normalized();
  }
}
