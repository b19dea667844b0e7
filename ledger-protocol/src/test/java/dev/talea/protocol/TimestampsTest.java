package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 3339 timestamps as contract §1 "Conventions" has them. */
class TimestampsTest {

  private static final String FIELD = "occurred_at";

  /** 0000-01-01T00:00:00Z in microseconds since the epoch. */
  private static final long MIN_MICROS = -62_167_219_200_000_000L;

  /** 9999-12-31T23:59:59.999999Z in microseconds since the epoch. */
  private static final long MAX_MICROS = 253_402_300_799_999_999L;

  // ---------------------------------------------------------------------------------------------
  // parse

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "2026-11-20T14:02:00Z,             2026-11-20T14:02:00Z",
    "2026-11-20T15:02:00+01:00,        2026-11-20T14:02:00Z",
    "2026-11-20T09:02:00-05:00,        2026-11-20T14:02:00Z",
    "2026-11-20T19:47:00+05:45,        2026-11-20T14:02:00Z",
    "2026-11-20T14:02:00+00:00,        2026-11-20T14:02:00Z",
    "2026-11-20T14:02:00-00:00,        2026-11-20T14:02:00Z",
    "2026-11-21T00:30:00+10:28,        2026-11-20T14:02:00Z",
    "2026-11-20T00:30:00-13:32,        2026-11-20T14:02:00Z",
    "2026-01-01T00:30:00+01:00,        2025-12-31T23:30:00Z",
    "2026-11-21T08:02:00+18:00,        2026-11-20T14:02:00Z",
    "2026-11-19T20:02:00-18:00,        2026-11-20T14:02:00Z",
    "2026-11-20t14:02:00z,             2026-11-20T14:02:00Z",
    "2026-11-20t15:02:00+01:00,        2026-11-20T14:02:00Z",
    "2026-11-20T14:02:00.123456Z,      2026-11-20T14:02:00.123456Z",
    "2024-02-29T00:00:00Z,             2024-02-29T00:00:00Z",
    "1969-12-31T23:59:59.999999Z,      1969-12-31T23:59:59.999999Z",
  })
  void offsetsAreNormalisedToUtc(String text, String expectedUtc) {
    assertThat(Timestamps.parse(text, FIELD)).isEqualTo(Instant.parse(expectedUtc));
  }

  /**
   * RFC 3339's time-numoffset allows hours 00–23, and the contract accepts "any RFC 3339 offset",
   * beyond {@code java.time.ZoneOffset}'s ±18:00.
   */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "2026-11-21T09:02:00+19:00,        2026-11-20T14:02:00Z",
    "2026-11-21T14:01:00+23:59,        2026-11-20T14:02:00Z",
    "2026-11-19T14:03:00-23:59,        2026-11-20T14:02:00Z",
  })
  void offsetsBeyondEighteenHoursAreValidRfc3339AndAreNormalised(String text, String expectedUtc) {
    assertThat(Timestamps.parse(text, FIELD)).isEqualTo(Instant.parse(expectedUtc));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "2026-11-20T14:02:00Z,         0",
    "2026-11-20T14:02:00.1Z,       100000000",
    "2026-11-20T14:02:00.12Z,      120000000",
    "2026-11-20T14:02:00.123Z,     123000000",
    "2026-11-20T14:02:00.1234Z,    123400000",
    "2026-11-20T14:02:00.12345Z,   123450000",
    "2026-11-20T14:02:00.123456Z,  123456000",
    "2026-11-20T14:02:00.000001Z,  1000",
    "2026-11-20T14:02:00.000000Z,  0",
    "2026-11-20T14:02:00.100000Z,  100000000",
    "2026-11-20T15:02:00.5+01:00,  500000000",
  })
  void zeroToSixFractionalDigitsAreAccepted(String text, int expectedNanos) {
    Instant parsed = Timestamps.parse(text, FIELD);

    assertThat(parsed.getNano()).isEqualTo(expectedNanos);
    assertThat(Timestamps.format(parsed)).startsWith("2026-11-20T14:02:00.");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "2026-11-20T14:02:00.1234567Z",
        "2026-11-20T14:02:00.1234560Z",
        "2026-11-20T14:02:00.0000000Z",
        "2026-11-20T14:02:00.12345678Z",
        "2026-11-20T14:02:00.123456789Z",
        "2026-11-20T14:02:00.1234567890Z",
        "2026-11-20T15:02:00.1234567+01:00",
      })
  void moreThanSixFractionalDigitsAreRejectedNamingTheField(String text) {
    assertInvalidRequest(() -> Timestamps.parse(text, FIELD), FIELD);
    assertInvalidRequest(() -> Timestamps.parse(text, "as_of"), "as_of");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "2026-11-20T14:02Z",
        "2026-11-20T14Z",
        "2026-11-20T14:02:00",
        "2026-11-20T14:02:00.123456",
        "2026-11-20",
        "2026-11-20TZ",
        "2026-11-20T14:02:00.Z",
        "2026-11-20T14:02:00+01",
        "2026-11-20T14:02:00+0100",
        "2026-11-20T14:02:00 Z",
        " 2026-11-20T14:02:00Z",
        "2026-11-20T14:02:00Z ",
        "2026-11-20T14:02:00GMT",
        "2026-11-20T14:02:00UTC",
        "2026-11-20T14:02:00+01:00[Europe/Paris]",
        "20261120T140200Z",
        "2026-11-20X14:02:00Z",
        "26-11-20T14:02:00Z",
        "+2026-11-20T14:02:00Z",
        "12026-11-20T14:02:00Z",
        "2026-1-20T14:02:00Z",
        "2026-11-20T4:02:00Z",
        "2026-11-20T14:02:00,5Z",
        "\u0662\u0660\u0662\u0666-11-20T14:02:00Z",
        "1763647320",
      })
  void malformedTimestampsAreRejectedNamingTheField(String text) {
    assertInvalidRequest(() -> Timestamps.parse(text, FIELD), FIELD);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "2026-02-30T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-32T00:00:00Z",
        "2026-11-20T24:00:00Z",
        "2026-11-20T24:00:00+01:00",
        "2026-11-20T14:60:00Z",
        "2026-11-20T14:02:61Z",
        "2026-11-20T14:02:00+25:00",
        "2026-11-20T14:02:00+01:60",
      })
  void impossibleDatesAndTimesAreRejectedNamingTheField(String text) {
    assertInvalidRequest(() -> Timestamps.parse(text, FIELD), FIELD);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "0000-01-01T00:30:00+01:00",
        "0000-01-01T00:00:00.000000+00:01",
        "9999-12-31T23:30:00-01:00",
        "9999-12-31T23:59:59.999999-00:01",
      })
  void timestampsOutsideTheYears0000To9999AfterNormalisationAreRejected(String text) {
    assertInvalidRequest(() -> Timestamps.parse(text, FIELD), FIELD);
  }

  @Test
  void theExtremesOfTheFourDigitYearRangeAreAccepted() {
    Instant min = Timestamps.parse("0000-01-01T00:00:00Z", FIELD);
    Instant max = Timestamps.parse("9999-12-31T23:59:59.999999Z", FIELD);

    assertThat(Timestamps.format(min)).isEqualTo("0000-01-01T00:00:00.000000Z");
    assertThat(Timestamps.format(max)).isEqualTo("9999-12-31T23:59:59.999999Z");
    assertThat(Timestamps.toEpochMicros(min)).isEqualTo(MIN_MICROS);
    assertThat(Timestamps.toEpochMicros(max)).isEqualTo(MAX_MICROS);
    assertThat(Timestamps.format(Timestamps.parse("0000-01-01T00:30:00-01:00", FIELD)))
        .isEqualTo("0000-01-01T01:30:00.000000Z");
    assertThat(Timestamps.format(Timestamps.parse("9999-12-31T23:30:00+01:00", FIELD)))
        .isEqualTo("9999-12-31T22:30:00.000000Z");
  }

  // ---------------------------------------------------------------------------------------------
  // format

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "2026-11-20T14:02:00Z,            2026-11-20T14:02:00.000000Z",
    "2026-11-20T14:02:00.1Z,          2026-11-20T14:02:00.100000Z",
    "2026-11-20T14:02:00.123456Z,     2026-11-20T14:02:00.123456Z",
    "2026-11-20T14:02:00.000001Z,     2026-11-20T14:02:00.000001Z",
    "1970-01-01T00:00:00Z,            1970-01-01T00:00:00.000000Z",
    "1969-12-31T23:59:59.999999Z,     1969-12-31T23:59:59.999999Z",
    "0001-01-01T00:00:00Z,            0001-01-01T00:00:00.000000Z",
  })
  void formatPrintsUtcWithExactlySixFractionalDigits(String instant, String expected) {
    assertThat(Timestamps.format(Instant.parse(instant))).isEqualTo(expected);
  }

  @Test
  void formatOfAnInstantWithZeroNanosPrintsSixZeros() {
    Instant instant = Instant.ofEpochSecond(1_763_647_320L, 0);

    assertThat(Timestamps.format(instant)).isEqualTo("2025-11-20T14:02:00.000000Z");
  }

  @Test
  void formatTruncatesSubMicrosecondDigitsInsteadOfRounding() {
    assertThat(Timestamps.format(Instant.parse("2026-11-20T14:02:59.999999999Z")))
        .isEqualTo("2026-11-20T14:02:59.999999Z");
    assertThat(Timestamps.truncate(Instant.parse("2026-11-20T14:02:59.999999999Z")))
        .isEqualTo(Instant.parse("2026-11-20T14:02:59.999999Z"));
  }

  @Test
  void formatRefusesInstantsWithoutAFourDigitYear() {
    assertThatThrownBy(() -> Timestamps.format(Instant.parse("+10000-01-01T00:00:00Z")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Timestamps.format(Instant.parse("-0001-12-31T23:59:59Z")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 1000)
  void formatThenParseGivesBackTheSameInstant(
      @ForAll @LongRange(min = MIN_MICROS, max = MAX_MICROS) long micros) {
    Instant instant = Timestamps.fromEpochMicros(micros);
    String formatted = Timestamps.format(instant);

    assertThat(formatted).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z");
    assertThat(Timestamps.parse(formatted, FIELD)).isEqualTo(instant);
    assertThat(Timestamps.parse(formatted.replace('T', 't').replace('Z', 'z'), FIELD))
        .isEqualTo(instant);
  }

  // ---------------------------------------------------------------------------------------------
  // epoch micros

  @ParameterizedTest(name = "{0} µs = {1}")
  @CsvSource({
    "0,                    1970-01-01T00:00:00Z",
    "1,                    1970-01-01T00:00:00.000001Z",
    "-1,                   1969-12-31T23:59:59.999999Z",
    "-1000000,             1969-12-31T23:59:59Z",
    "-1000001,             1969-12-31T23:59:58.999999Z",
    "1763647320123456,     2025-11-20T14:02:00.123456Z",
    "-62167219200000000,   0000-01-01T00:00:00Z",
    "253402300799999999,   9999-12-31T23:59:59.999999Z",
  })
  void epochMicrosConvertBothWaysIncludingBefore1970(long micros, String instant) {
    assertThat(Timestamps.fromEpochMicros(micros)).isEqualTo(Instant.parse(instant));
    assertThat(Timestamps.toEpochMicros(Instant.parse(instant))).isEqualTo(micros);
  }

  @Property(tries = 1000)
  void epochMicrosRoundTrip(@ForAll @LongRange(min = MIN_MICROS, max = MAX_MICROS) long micros) {
    Instant instant = Timestamps.fromEpochMicros(micros);

    assertThat(instant.getNano() % 1_000).isZero();
    assertThat(Timestamps.toEpochMicros(instant)).isEqualTo(micros);
  }

  @Property(tries = 300)
  void epochMicrosRoundTripForNegativeValues(
      @ForAll @LongRange(min = MIN_MICROS, max = -1) long micros) {
    Instant instant = Timestamps.fromEpochMicros(micros);

    assertThat(instant).isBefore(Instant.EPOCH);
    assertThat(Timestamps.toEpochMicros(instant)).isEqualTo(micros);
    assertThat(Timestamps.toEpochMicros(Timestamps.parse(Timestamps.format(instant), FIELD)))
        .isEqualTo(micros);
  }

  @Test
  void toEpochMicrosRefusesSubMicrosecondPrecision() {
    assertThatThrownBy(() -> Timestamps.toEpochMicros(Instant.ofEpochSecond(0, 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Timestamps.toEpochMicros(Instant.ofEpochSecond(-1, 999_999_999)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void assertInvalidRequest(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            LedgerException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
              assertThat(e.field("field")).isEqualTo(field);
              assertThat(e.error().fields()).containsOnlyKeys("field");
            });
  }
}
