package dev.talea.protocol;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * RFC 3339 timestamps as the contract has them: output always in UTC with exactly six fractional
 * digits ({@code 2026-11-20T14:02:00.123456Z}); input in any RFC 3339 offset with at most six
 * fractional digits, normalised to UTC. Talea's clock resolution is the microsecond.
 */
public final class Timestamps {

  private static final Pattern RFC_3339 =
      Pattern.compile(
          "\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})");

  private static final DateTimeFormatter OUTPUT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private static final Instant MIN = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999999999Z");

  private Timestamps() {}

  /**
   * Parses an RFC 3339 timestamp.
   *
   * @throws LedgerException {@code invalid_request} naming {@code field} if the text is not RFC
   *     3339 or has more than six fractional digits
   */
  public static Instant parse(String text, String field) {
    if (text == null || !RFC_3339.matcher(text).matches()) {
      throw LedgerError.invalidRequest(
              field, field + " must be an RFC 3339 timestamp such as 2026-11-20T14:02:00.123456Z")
          .toException();
    }
    int offsetStart = Math.max(text.indexOf('+', 19), text.indexOf('-', 19));
    if (offsetStart < 0) {
      offsetStart = text.length() - 1; // "Z"
    }
    int point = text.indexOf('.');
    if (point > 0 && offsetStart - point - 1 > 6) {
      throw LedgerError.invalidRequest(
              field, field + " has more than 6 fractional digits (microseconds are the limit)")
          .toException();
    }
    try {
      // RFC 3339 allows offsets up to ±23:59, beyond java.time's ±18:00, so apply it by hand.
      LocalDateTime local =
          LocalDateTime.parse(
              text.substring(0, offsetStart).replace('t', 'T'),
              DateTimeFormatter.ISO_LOCAL_DATE_TIME);
      long offsetSeconds = 0;
      if (text.charAt(offsetStart) == '+' || text.charAt(offsetStart) == '-') {
        int hours = Integer.parseInt(text, offsetStart + 1, offsetStart + 3, 10);
        int minutes = Integer.parseInt(text, offsetStart + 4, offsetStart + 6, 10);
        if (hours > 23 || minutes > 59) {
          throw LedgerError.invalidRequest(field, field + " has an invalid UTC offset")
              .toException();
        }
        offsetSeconds =
            (hours * 3600L + minutes * 60L) * (text.charAt(offsetStart) == '-' ? -1 : 1);
      }
      Instant instant = local.toInstant(ZoneOffset.UTC).minusSeconds(offsetSeconds);
      if (!isRepresentable(instant)) {
        throw LedgerError.invalidRequest(field, field + " must fall in the years 0000-9999 UTC")
            .toException();
      }
      return instant;
    } catch (DateTimeException e) {
      throw LedgerError.invalidRequest(field, field + " is not a valid date and time")
          .toException();
    }
  }

  /** The contract's output form: UTC, exactly six fractional digits. */
  public static String format(Instant instant) {
    return OUTPUT.format(requireRepresentable(instant));
  }

  /** The instant truncated to talea's resolution, the microsecond. */
  public static Instant truncate(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  /** Microseconds since the Unix epoch (exact: the instant must already be truncated). */
  public static long toEpochMicros(Instant instant) {
    if (instant.getNano() % 1_000 != 0) {
      throw new IllegalArgumentException("instant has sub-microsecond precision: " + instant);
    }
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  public static Instant fromEpochMicros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  /** Whether the instant has a four-digit UTC year, as RFC 3339 requires. */
  public static boolean isRepresentable(Instant instant) {
    return !instant.isBefore(MIN) && !instant.isAfter(MAX);
  }

  private static Instant requireRepresentable(Instant instant) {
    if (!isRepresentable(instant)) {
      throw new IllegalArgumentException("instant outside years 0000-9999: " + instant);
    }
    return instant;
  }
}
