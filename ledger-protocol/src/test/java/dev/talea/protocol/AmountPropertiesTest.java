package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The amount rules of contract §1 "Amounts": the input grammar, the uint256 posting bound, the
 * 10^78 − 1 balance bound and the output form. Properties run under jqwik; the fixed examples run
 * under JUnit Jupiter.
 */
class AmountPropertiesTest {

  private static final String FIELD = "postings[3].debit";

  /** 2^256 − 1, computed here rather than taken from the code under test. */
  private static final BigInteger UINT256_MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

  private static final BigInteger TWO_POW_256 = BigInteger.TWO.pow(256);

  /** 10^78 − 1. */
  private static final BigInteger BALANCE_MAX = BigInteger.TEN.pow(78).subtract(BigInteger.ONE);

  /** The 78 digits of 2^256 − 1, written out. */
  private static final String UINT256_MAX_DIGITS =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";

  /** The 78 digits of 2^256, written out. */
  private static final String TWO_POW_256_DIGITS =
      "115792089237316195423570985008687907853269984665640564039457584007913129639936";

  // ---------------------------------------------------------------------------------------------
  // Generators

  /** Minor units 1 … 2^256 − 1: small values, values around powers of ten and around the top. */
  @Provide
  Arbitrary<BigInteger> postingMinorUnits() {
    return Arbitraries.oneOf(
        Arbitraries.bigIntegers().between(BigInteger.ONE, BigInteger.valueOf(1_000_000)),
        nearPowersOfTen(77),
        Arbitraries.bigIntegers()
            .between(BigInteger.ZERO, BigInteger.valueOf(1_000_000))
            .map(UINT256_MAX::subtract),
        Arbitraries.integers()
            .between(1, 256)
            .flatMap(
                bits ->
                    Arbitraries.bigIntegers()
                        .between(
                            BigInteger.ONE.shiftLeft(bits - 1),
                            BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE))),
        Arbitraries.bigIntegers().between(BigInteger.ONE, UINT256_MAX));
  }

  /** Signed balances within ±(10^78 − 1), zero included. */
  @Provide
  Arbitrary<BigInteger> balances() {
    Arbitrary<BigInteger> magnitudes =
        Arbitraries.oneOf(
            Arbitraries.bigIntegers().between(BigInteger.ZERO, BigInteger.valueOf(1_000_000)),
            nearPowersOfTen(78).filter(m -> m.compareTo(BALANCE_MAX) <= 0),
            Arbitraries.bigIntegers()
                .between(BigInteger.ZERO, BigInteger.valueOf(1_000_000))
                .map(BALANCE_MAX::subtract),
            Arbitraries.integers()
                .between(1, 78)
                .flatMap(
                    digits ->
                        Arbitraries.bigIntegers()
                            .between(
                                BigInteger.TEN.pow(digits - 1),
                                BigInteger.TEN.pow(digits).subtract(BigInteger.ONE))));
    return Combinators.combine(magnitudes, Arbitraries.of(true, false))
        .as((magnitude, negative) -> negative ? magnitude.negate() : magnitude);
  }

  /** 10^k + delta for k in 0 … maxExponent and delta in −3 … 3, kept at ≥ 1. */
  private static Arbitrary<BigInteger> nearPowersOfTen(int maxExponent) {
    return Combinators.combine(
            Arbitraries.integers().between(0, maxExponent), Arbitraries.integers().between(-3, 3))
        .as((k, delta) -> BigInteger.TEN.pow(k).add(BigInteger.valueOf(delta)))
        .filter(m -> m.signum() > 0);
  }

  /** A valid, non-zero posting amount as written by a client, and the asset's decimals. */
  record DecimalText(String integerPart, String fraction, int decimals) {
    String text() {
      return fraction.isEmpty() ? integerPart : integerPart + "." + fraction;
    }

    /** The minor units, computed independently of the code under test. */
    BigInteger minorUnits() {
      return new BigInteger(integerPart + fraction + "0".repeat(decimals - fraction.length()));
    }

    /** What the server prints for this amount: exactly {@code decimals} fractional digits. */
    String outputForm() {
      return decimals == 0
          ? integerPart
          : integerPart + "." + fraction + "0".repeat(decimals - fraction.length());
    }
  }

  /**
   * Decimal strings in the contract grammar: no leading zeros, 0 … decimals fractional digits
   * (trailing zeros included), never zero, and small enough (< 10^77 minor units) to fit uint256.
   */
  @Provide
  Arbitrary<DecimalText> decimalTexts() {
    return Arbitraries.integers()
        .between(0, Amounts.MAX_DECIMALS)
        .flatMap(
            decimals ->
                Combinators.combine(integerParts(77 - decimals), fractions(decimals))
                    .as(
                        (integerPart, fraction) ->
                            new DecimalText(integerPart, fraction, decimals)))
        .filter(d -> d.minorUnits().signum() > 0);
  }

  private static Arbitrary<String> integerParts(int maxDigits) {
    Arbitrary<String> nonZero =
        Combinators.combine(
                Arbitraries.chars().range('1', '9'),
                Arbitraries.strings().withCharRange('0', '9').ofMaxLength(maxDigits - 1))
            .as((first, rest) -> first + rest);
    return Arbitraries.oneOf(Arbitraries.just("0"), nonZero);
  }

  private static Arbitrary<String> fractions(int decimals) {
    if (decimals == 0) {
      return Arbitraries.just("");
    }
    return Combinators.combine(
            Arbitraries.strings().withCharRange('0', '9').ofMaxLength(decimals),
            Arbitraries.integers().between(0, decimals))
        .as((digits, zeros) -> digits + "0".repeat(Math.min(zeros, decimals - digits.length())));
  }

  // ---------------------------------------------------------------------------------------------
  // Round trips

  @Property(tries = 500)
  void parsingTheFormattedFormGivesBackTheMinorUnitsForEveryDecimals(
      @ForAll("postingMinorUnits") BigInteger minorUnits) {
    for (int decimals = 0; decimals <= Amounts.MAX_DECIMALS; decimals++) {
      String formatted = Amounts.format(minorUnits, decimals);
      assertThat(Amounts.parsePosting(formatted, decimals, FIELD))
          .as("parsePosting(\"%s\", %d)", formatted, decimals)
          .isEqualTo(minorUnits);
    }
  }

  @Property(tries = 500)
  void formattedPostingAmountsHaveExactlyTheAssetsDecimalsAndNoLeadingZeros(
      @ForAll("postingMinorUnits") BigInteger minorUnits) {
    for (int decimals = 0; decimals <= Amounts.MAX_DECIMALS; decimals++) {
      String formatted = Amounts.format(minorUnits, decimals);
      String pattern =
          decimals == 0 ? "0|[1-9][0-9]*" : "(0|[1-9][0-9]*)\\.[0-9]{" + decimals + "}";
      assertThat(formatted).matches(pattern);
      assertThat(new BigInteger(formatted.replace(".", ""))).isEqualTo(minorUnits);
    }
  }

  @Property(tries = 1000)
  void formattingAParsedDecimalStringPadsItToTheAssetsDecimals(
      @ForAll("decimalTexts") DecimalText amount) {
    BigInteger minorUnits = Amounts.parsePosting(amount.text(), amount.decimals(), FIELD);

    assertThat(minorUnits).isEqualTo(amount.minorUnits());
    assertThat(Amounts.format(minorUnits, amount.decimals())).isEqualTo(amount.outputForm());
    assertThat(DecimalAmount.parsePositive(amount.outputForm(), FIELD))
        .isEqualTo(DecimalAmount.parsePositive(amount.text(), FIELD));
  }

  @Property(tries = 300)
  void signedBalancesFormatWithALeadingMinusAndExactlyTheAssetsDecimals(
      @ForAll("balances") BigInteger balance) {
    for (int decimals = 0; decimals <= Amounts.MAX_DECIMALS; decimals++) {
      String formatted = Amounts.format(balance, decimals);

      assertThat(formatted.startsWith("-")).isEqualTo(balance.signum() < 0);
      String unsigned = balance.signum() < 0 ? formatted.substring(1) : formatted;
      if (decimals == 0) {
        assertThat(unsigned).isEqualTo(balance.abs().toString());
      } else {
        assertThat(unsigned).matches("(0|[1-9][0-9]*)\\.[0-9]{" + decimals + "}");
        assertThat(new BigInteger(unsigned.replace(".", ""))).isEqualTo(balance.abs());
      }
      assertThat(DecimalAmount.parseSigned(formatted, FIELD).compareToMinorUnits(balance, decimals))
          .isZero();
    }
  }

  @Property(tries = 1000)
  void amountParseFormattedReadsBackWhatAmountToStringWrites(
      @ForAll("balances") BigInteger minorUnits,
      @ForAll @IntRange(min = 0, max = 36) int decimals) {
    Amount amount = new Amount(minorUnits, decimals);

    Amount readBack = Amount.parseFormatted(amount.toString(), FIELD);

    assertThat(readBack).isEqualTo(amount);
    assertThat(readBack.minorUnits()).isEqualTo(minorUnits);
    assertThat(readBack.decimals()).isEqualTo(decimals);
  }

  @Property(tries = 300)
  void compareToMinorUnitsIsExactAroundEveryValue(
      @ForAll("balances") BigInteger minorUnits,
      @ForAll @IntRange(min = 0, max = 36) int decimals) {
    DecimalAmount amount = DecimalAmount.parseSigned(Amounts.format(minorUnits, decimals), FIELD);

    assertThat(amount.compareToMinorUnits(minorUnits, decimals)).isZero();
    assertThat(Integer.signum(amount.compareToMinorUnits(minorUnits.add(BigInteger.ONE), decimals)))
        .isEqualTo(-1);
    assertThat(
            Integer.signum(
                amount.compareToMinorUnits(minorUnits.subtract(BigInteger.ONE), decimals)))
        .isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------
  // Bounds

  @Property(tries = 200)
  void minorUnitsAboveUint256AreRejected(
      @ForAll("balances") BigInteger balance, @ForAll @IntRange(min = 0, max = 36) int decimals) {
    BigInteger tooLarge = TWO_POW_256.add(balance.abs());
    String text = Amounts.format(tooLarge, decimals);

    assertInvalidAmount(() -> Amounts.parsePosting(text, decimals, FIELD), FIELD);
  }

  @ParameterizedTest(name = "decimals {0}")
  @ValueSource(ints = {0, 1, 8, 18, 35, 36})
  void twoToThe256MinusOneMinorUnitsAreAccepted(int decimals) {
    String text = withPoint(UINT256_MAX_DIGITS, decimals);

    assertThat(Amounts.parsePosting(text, decimals, FIELD)).isEqualTo(UINT256_MAX);
    assertThat(Amounts.format(UINT256_MAX, decimals)).isEqualTo(text);
  }

  @ParameterizedTest(name = "decimals {0}")
  @ValueSource(ints = {0, 1, 8, 18, 35, 36})
  void twoToThe256MinorUnitsAreRejectedAsInvalidAmount(int decimals) {
    String text = withPoint(TWO_POW_256_DIGITS, decimals);

    assertInvalidAmount(() -> Amounts.parsePosting(text, decimals, FIELD), FIELD);
  }

  @Test
  void uint256BoundaryStringsAreTheOnesExpected() {
    assertThat(new BigInteger(UINT256_MAX_DIGITS)).isEqualTo(UINT256_MAX);
    assertThat(new BigInteger(TWO_POW_256_DIGITS)).isEqualTo(TWO_POW_256);
    assertThat(Amounts.MAX_POSTING).isEqualTo(UINT256_MAX);
    assertThat(withPoint(UINT256_MAX_DIGITS, 0))
        .isEqualTo(
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    assertThat(withPoint(UINT256_MAX_DIGITS, 18))
        .isEqualTo(
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
    assertThat(withPoint(UINT256_MAX_DIGITS, 36))
        .isEqualTo(
            "115792089237316195423570985008687907853269.984665640564039457584007913129639935");
  }

  @Test
  void oneMinorUnitIsTheSmallestPostingAmount() {
    assertThat(Amounts.parsePosting("0.00000001", 8, FIELD)).isEqualTo(BigInteger.ONE);
    assertThat(Amounts.parsePosting("1", 0, FIELD)).isEqualTo(BigInteger.ONE);
    assertThat(Amounts.parsePosting("0." + "0".repeat(35) + "1", 36, FIELD))
        .isEqualTo(BigInteger.ONE);
  }

  @Test
  void balanceBoundIsTenToThe78MinusOneInEitherDirection() {
    BigInteger tenTo78 = BigInteger.TEN.pow(78);

    assertThat(Amounts.isWithinBalanceBound(BALANCE_MAX)).isTrue();
    assertThat(Amounts.isWithinBalanceBound(BALANCE_MAX.negate())).isTrue();
    assertThat(Amounts.isWithinBalanceBound(BigInteger.ZERO)).isTrue();
    assertThat(Amounts.isWithinBalanceBound(tenTo78)).isFalse();
    assertThat(Amounts.isWithinBalanceBound(tenTo78.negate())).isFalse();
    assertThat(Amounts.MAX_BALANCE).isEqualTo(BALANCE_MAX);
  }

  @Property(tries = 300)
  void everyBalanceInsideTheBoundIsWithinItAndOneBeyondIsNot(
      @ForAll("balances") BigInteger balance) {
    assertThat(Amounts.isWithinBalanceBound(balance)).isTrue();
    BigInteger beyond =
        balance.signum() < 0 ? balance.subtract(BALANCE_MAX) : balance.add(BALANCE_MAX);
    if (beyond.abs().compareTo(BALANCE_MAX) > 0) {
      assertThat(Amounts.isWithinBalanceBound(beyond)).isFalse();
    }
  }

  @Test
  void moreThan78IntegerDigitsAreRejected() {
    String seventyNineDigits = "1" + "0".repeat(78);

    assertInvalidAmount(() -> Amounts.parsePosting(seventyNineDigits, 0, FIELD), FIELD);
    assertInvalidAmount(() -> DecimalAmount.parsePositive(seventyNineDigits, FIELD), FIELD);
    assertInvalidAmount(() -> DecimalAmount.parseSigned(seventyNineDigits, FIELD), FIELD);
    assertInvalidAmount(() -> DecimalAmount.parseSigned("-" + seventyNineDigits, FIELD), FIELD);
    assertInvalidAmount(() -> Amount.parseFormatted("-" + seventyNineDigits, FIELD), FIELD);
  }

  @Test
  void seventyEightIntegerDigitsParseAsADecimalButExceedUint256AsAPosting() {
    String seventyEightNines = "9".repeat(78);

    assertThat(DecimalAmount.parseSigned("-" + seventyEightNines, FIELD).unscaled())
        .isEqualTo(BALANCE_MAX.negate());
    assertInvalidAmount(() -> Amounts.parsePosting(seventyEightNines, 0, FIELD), FIELD);
  }

  @Test
  void moreThan36FractionalDigitsAreRejected() {
    String thirtySevenDigits = "0." + "0".repeat(36) + "1";

    assertInvalidAmount(() -> Amounts.parsePosting(thirtySevenDigits, 36, FIELD), FIELD);
    assertInvalidAmount(() -> DecimalAmount.parsePositive(thirtySevenDigits, FIELD), FIELD);
    assertInvalidAmount(() -> DecimalAmount.parseSigned("1." + "0".repeat(37), FIELD), FIELD);
    assertInvalidAmount(() -> Amount.parseFormatted("-" + thirtySevenDigits, FIELD), FIELD);
  }

  // ---------------------------------------------------------------------------------------------
  // Grammar

  @ParameterizedTest(name = "\"{0}\"")
  @NullSource
  @ValueSource(
      strings = {
        "1e3",
        "1E3",
        "1e-3",
        "-1",
        "+1",
        " 1",
        "1 ",
        "\t1",
        "1\n",
        "01",
        "00",
        "00.5",
        "1.",
        ".5",
        ".",
        "0",
        "0.0",
        "0.00000000",
        "",
        "1,5",
        "1_000",
        "1.2.3",
        "0x10",
        "\u0661",
        "\u0661.5",
        "\uFF11",
        "NaN",
        "Infinity",
        "-Infinity",
        "-0",
        "-"
      })
  void malformedOrZeroPostingAmountsAreRejectedAsInvalidAmountNamingTheField(String text) {
    assertInvalidAmount(() -> Amounts.parsePosting(text, 8, FIELD), FIELD);
    assertInvalidAmount(() -> DecimalAmount.parsePositive(text, "amount"), "amount");
  }

  @Test
  void nineDecimalsOnAnEightDecimalAssetIsRejected() {
    assertInvalidAmount(() -> Amounts.parsePosting("0.123456789", 8, FIELD), FIELD);
    assertThat(Amounts.parsePosting("0.12345678", 8, FIELD))
        .isEqualTo(BigInteger.valueOf(12_345_678));
  }

  @Test
  void trailingZerosBeyondTheAssetsDecimalsAreRejectedNotRounded() {
    assertInvalidAmount(() -> Amounts.parsePosting("1.000000000", 8, FIELD), FIELD);
    assertInvalidAmount(() -> Amounts.parsePosting("42.0", 0, FIELD), FIELD);
    assertThat(Amounts.parsePosting("42", 0, FIELD)).isEqualTo(BigInteger.valueOf(42));
  }

  @Property(tries = 300)
  void moreFractionalDigitsThanTheAssetAllowsAreRejected(
      @ForAll("decimalTexts") DecimalText amount) {
    int fewerDecimals = amount.fraction().length() - 1;
    if (fewerDecimals >= 0) {
      assertInvalidAmount(() -> Amounts.parsePosting(amount.text(), fewerDecimals, FIELD), FIELD);
    }
  }

  @Property(tries = 300)
  void decoratingAValidAmountMakesItInvalid(@ForAll("decimalTexts") DecimalText amount) {
    String text = amount.text();
    int decimals = amount.decimals();
    for (String bad :
        new String[] {
          "+" + text,
          "-" + text,
          " " + text,
          text + " ",
          text + "e0",
          text + ".",
          text.contains(".") ? text + "0." : text + ".0.",
          "0" + text,
        }) {
      assertInvalidAmount(() -> Amounts.parsePosting(bad, decimals, FIELD), FIELD);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // DecimalAmount

  @Test
  void trailingZerosDoNotChangeTheValue() {
    DecimalAmount oneZero = DecimalAmount.parsePositive("1.0", FIELD);
    DecimalAmount twoZeros = DecimalAmount.parsePositive("1.00", FIELD);

    assertThat(oneZero).isEqualTo(twoZeros);
    assertThat(twoZeros).isEqualTo(oneZero);
    assertThat(oneZero.hashCode()).isEqualTo(twoZeros.hashCode());
    assertThat(oneZero.compareTo(twoZeros)).isZero();
    assertThat(oneZero.toMinorUnits(2, FIELD)).isEqualTo(BigInteger.valueOf(100));
    assertThat(twoZeros.toMinorUnits(2, FIELD)).isEqualTo(BigInteger.valueOf(100));
    assertThat(Amounts.parsePosting("1.0", 8, FIELD))
        .isEqualTo(Amounts.parsePosting("1.00", 8, FIELD))
        .isEqualTo(BigInteger.valueOf(100_000_000));
    assertThat(oneZero.scale()).isEqualTo(1);
    assertThat(twoZeros.scale()).isEqualTo(2);
    assertThat(oneZero.asWritten()).isEqualTo("1.0");
    assertThat(twoZeros.asWritten()).isEqualTo("1.00");
  }

  @Property(tries = 300)
  void equalValuesWrittenDifferentlyAreEqualAndHashAlike(
      @ForAll("decimalTexts") DecimalText amount) {
    String fraction = amount.fraction();
    String padded;
    if (fraction.isEmpty()) {
      padded = amount.text() + ".000";
    } else if (fraction.length() <= Amounts.MAX_DECIMALS - 2) {
      padded = amount.text() + "00";
    } else {
      String stripped = fraction.replaceAll("0+$", "");
      padded = stripped.isEmpty() ? amount.integerPart() : amount.integerPart() + "." + stripped;
    }
    DecimalAmount written = DecimalAmount.parsePositive(amount.text(), FIELD);
    DecimalAmount withZeros = DecimalAmount.parsePositive(padded, FIELD);

    assertThat(withZeros).isEqualTo(written);
    assertThat(withZeros.hashCode()).isEqualTo(written.hashCode());
    assertThat(withZeros.compareTo(written)).isZero();
    assertThat(withZeros.normalized()).isEqualTo(written.normalized());
  }

  @Test
  void normalizedDropsTrailingFractionalZerosOnly() {
    assertThat(DecimalAmount.parsePositive("1.50", FIELD).normalized()).isEqualTo("1.5");
    assertThat(DecimalAmount.parsePositive("100", FIELD).normalized()).isEqualTo("100");
    assertThat(DecimalAmount.parsePositive("100.000", FIELD).normalized()).isEqualTo("100");
    assertThat(DecimalAmount.parsePositive("0.50", FIELD).normalized()).isEqualTo("0.5");
    assertThat(DecimalAmount.parseSigned("0.000", FIELD).normalized()).isEqualTo("0");
    assertThat(DecimalAmount.parseSigned("-12.3400", FIELD).normalized()).isEqualTo("-12.34");
    assertThat(DecimalAmount.parsePositive("1.50", FIELD).toString()).isEqualTo("1.5");
  }

  @Test
  void parseSignedAcceptsNegativesAndZero() {
    DecimalAmount minus500 = DecimalAmount.parseSigned("-500", "min_balance");
    DecimalAmount zero = DecimalAmount.parseSigned("0", "min_balance");
    DecimalAmount minusHalf = DecimalAmount.parseSigned("-0.5", "min_balance");

    assertThat(minus500.unscaled()).isEqualTo(BigInteger.valueOf(-500));
    assertThat(minus500.scale()).isZero();
    assertThat(minus500.signum()).isEqualTo(-1);
    assertThat(zero.unscaled()).isEqualTo(BigInteger.ZERO);
    assertThat(zero.signum()).isZero();
    assertThat(minusHalf.unscaled()).isEqualTo(BigInteger.valueOf(-5));
    assertThat(minusHalf.scale()).isEqualTo(1);
    assertThat(minusHalf.normalized()).isEqualTo("-0.5");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @NullSource
  @ValueSource(
      strings = {"-0", "-0.0", "-0.000", "--1", "+5", "-", "- 1", "-01", "-.5", "-1.", "1-", ""})
  void parseSignedRejectsMalformedSigns(String text) {
    assertInvalidAmount(() -> DecimalAmount.parseSigned(text, "min_balance"), "min_balance");
  }

  @Test
  void compareToMinorUnitsIsExactAcrossDecimals() {
    DecimalAmount half = DecimalAmount.parsePositive("0.5", FIELD);

    assertThat(Integer.signum(half.compareToMinorUnits(BigInteger.ZERO, 0))).isEqualTo(1);
    assertThat(Integer.signum(half.compareToMinorUnits(BigInteger.ONE, 0))).isEqualTo(-1);
    assertThat(half.compareToMinorUnits(BigInteger.valueOf(50_000_000), 8)).isZero();

    DecimalAmount minus500 = DecimalAmount.parseSigned("-500", FIELD);
    assertThat(minus500.compareToMinorUnits(BigInteger.valueOf(-50_000_000_000L), 8)).isZero();
    assertThat(
            Integer.signum(minus500.compareToMinorUnits(BigInteger.valueOf(-50_000_000_001L), 8)))
        .isEqualTo(1);
    assertThat(
            Integer.signum(minus500.compareToMinorUnits(BigInteger.valueOf(-49_999_999_999L), 8)))
        .isEqualTo(-1);
  }

  // ---------------------------------------------------------------------------------------------
  // Output form

  @Test
  void outputFormExamplesFromTheContract() {
    assertThat(Amounts.format(BigInteger.valueOf(50_000_000), 8)).isEqualTo("0.50000000");
    assertThat(Amounts.format(BigInteger.valueOf(1_250_000_000), 8)).isEqualTo("12.50000000");
    assertThat(Amounts.format(BigInteger.valueOf(42), 0)).isEqualTo("42");
    assertThat(Amounts.format(BigInteger.valueOf(-42), 0)).isEqualTo("-42");
    assertThat(Amounts.format(BigInteger.valueOf(-50_000_000), 8)).isEqualTo("-0.50000000");
    assertThat(Amounts.format(BigInteger.ZERO, 8)).isEqualTo("0.00000000");
    assertThat(Amounts.format(BigInteger.ZERO, 0)).isEqualTo("0");
    assertThat(Amounts.format(BigInteger.ONE.negate(), 36)).isEqualTo("-0." + "0".repeat(35) + "1");
    assertThat(Amounts.format(BALANCE_MAX.negate(), 0)).isEqualTo("-" + "9".repeat(78));
  }

  @Test
  void amountParseFormattedTakesTheDecimalsFromTheFraction() {
    assertThat(Amount.parseFormatted("-0.50000000", FIELD))
        .isEqualTo(new Amount(BigInteger.valueOf(-50_000_000), 8));
    assertThat(Amount.parseFormatted("42", FIELD)).isEqualTo(new Amount(BigInteger.valueOf(42), 0));
    assertThat(Amount.parseFormatted("0.000", FIELD)).isEqualTo(Amount.zero(3));
    assertThat(new Amount(BigInteger.valueOf(-7), 2).toString()).isEqualTo("-0.07");
  }

  @ParameterizedTest(name = "decimals {0}")
  @ValueSource(ints = {-1, 37, 78})
  void decimalsOutsideZeroTo36AreAProgrammingError(int decimals) {
    assertThatThrownBy(() -> Amounts.format(BigInteger.ONE, decimals))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("decimals must be 0..36: " + decimals);
    assertThatThrownBy(() -> Amounts.parsePosting("1", decimals, FIELD))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Amount(BigInteger.ONE, decimals))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The digits with a decimal point inserted {@code decimals} places from the right. */
  private static String withPoint(String digits, int decimals) {
    if (decimals == 0) {
      return digits;
    }
    int point = digits.length() - decimals;
    return digits.substring(0, point) + "." + digits.substring(point);
  }

  private static void assertInvalidAmount(ThrowingCallable call, String field) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            LedgerException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_AMOUNT);
              assertThat(e.field("field")).isEqualTo(field);
              assertThat(e.error().fields()).containsOnlyKeys("field");
            });
  }
}
