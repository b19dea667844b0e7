package dev.talea.protocol;

/** Free text (memos, names, metadata) must be storable unchanged by every store. */
final class TextRules {

  private TextRules() {}

  /**
   * Rejects text that a store could not keep byte for byte: U+0000 (which Postgres refuses) and
   * unpaired UTF-16 surrogates (which have no UTF-8 form).
   */
  static void requireStorable(String text, String field) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        throw LedgerError.invalidRequest(field, field + " must not contain U+0000").toException();
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw LedgerError.invalidRequest(field, field + " contains an unpaired surrogate")
            .toException();
      }
    }
  }
}
