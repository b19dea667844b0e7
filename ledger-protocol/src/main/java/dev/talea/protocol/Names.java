package dev.talea.protocol;

import java.util.regex.Pattern;

/**
 * The contract's name grammars (all case-sensitive). Each {@code require…} method returns its input
 * when valid and otherwise throws {@code invalid_request} naming the offending field.
 */
public final class Names {

  private static final Pattern BOOK = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
  private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9][a-z0-9_.:-]{0,127}");
  private static final Pattern ASSET = Pattern.compile("[A-Z0-9][A-Z0-9_.-]{0,31}");
  private static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  private Names() {}

  public static boolean isBook(String value) {
    return value != null && BOOK.matcher(value).matches();
  }

  public static boolean isAccount(String value) {
    return value != null && ACCOUNT.matcher(value).matches();
  }

  public static boolean isAssetCode(String value) {
    return value != null && ASSET.matcher(value).matches();
  }

  /** 1–255 printable ASCII characters, 0x21–0x7E (no spaces, no control characters). */
  public static boolean isIdempotencyKey(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        return false;
      }
    }
    return true;
  }

  public static String requireBook(String value, String field) {
    if (!isBook(value)) {
      throw invalid(field, "a book name: 1-64 of a-z 0-9 _ . - starting with a letter or digit");
    }
    return value;
  }

  public static String requireAccount(String value, String field) {
    if (!isAccount(value)) {
      throw invalid(
          field, "an account name: 1-128 of a-z 0-9 _ . : - starting with a letter or digit");
    }
    return value;
  }

  public static String requireAssetCode(String value, String field) {
    if (!isAssetCode(value)) {
      throw invalid(field, "an asset code: 1-32 of A-Z 0-9 _ . - starting with a letter or digit");
    }
    return value;
  }

  public static String requireIdempotencyKey(String value, String field) {
    if (!isIdempotencyKey(value)) {
      throw invalid(field, "an idempotency key: 1-255 printable ASCII characters without spaces");
    }
    return value;
  }

  private static LedgerException invalid(String field, String expected) {
    return LedgerError.invalidRequest(field, field + " must be " + expected).toException();
  }
}
