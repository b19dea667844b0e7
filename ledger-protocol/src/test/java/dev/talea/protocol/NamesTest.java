package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.BiFunction;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** The name grammars of contract §1 "Conventions", at their boundaries. */
class NamesTest {

  private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  // ---------------------------------------------------------------------------------------------
  // book: ^[a-z0-9][a-z0-9_.-]{0,63}$

  @Nested
  class Book {

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
        strings = {
          "a",
          "z",
          "0",
          "9",
          "payments",
          "payments-eu",
          "book_1",
          "v1.2",
          "a-",
          "a.",
          "a_"
        })
    void validBookNamesAreAccepted(String name) {
      assertThat(Names.isBook(name)).isTrue();
      assertThat(Names.requireBook(name, "book")).isSameAs(name);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @NullAndEmptySource
    @ValueSource(
        strings = {
          "-a",
          "_a",
          ".a",
          ":a",
          "a:b",
          "Payments",
          "paymentS",
          "A",
          "a b",
          " a",
          "a ",
          "a\n",
          "a\t",
          "a\u0000",
          "a/b",
          "a+b",
          "caf\u00e9",
          "\u0131",
          "\uFF41",
          "\u0661",
          "a\u200B"
        })
    void invalidBookNamesAreRejectedAsInvalidRequestNamingTheField(String name) {
      assertThat(Names.isBook(name)).isFalse();
      assertInvalidRequest(() -> Names.requireBook(name, "path.book"), "path.book");
    }

    @Test
    void sixtyFourCharactersAreTheMaximum() {
      String sixtyFour = "b" + "x".repeat(63);
      String sixtyFive = sixtyFour + "x";

      assertThat(sixtyFour).hasSize(64);
      assertThat(Names.requireBook(sixtyFour, "book")).isEqualTo(sixtyFour);
      assertThat(Names.isBook(sixtyFive)).isFalse();
      assertInvalidRequest(() -> Names.requireBook(sixtyFive, "book"), "book");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // account: ^[a-z0-9][a-z0-9_.:-]{0,127}$

  @Nested
  class Account {

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
        strings = {
          "a",
          "0",
          "liabilities:customers:alice",
          "assets:hot-wallet",
          "a:",
          "a::b",
          "x_y.z-1:2",
          "9:"
        })
    void validAccountNamesAreAccepted(String name) {
      assertThat(Names.isAccount(name)).isTrue();
      assertThat(Names.requireAccount(name, "account")).isSameAs(name);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @NullAndEmptySource
    @ValueSource(
        strings = {
          ":a",
          "-a",
          "_a",
          ".a",
          "Assets:cash",
          "assets:Cash",
          "assets cash",
          "assets/cash",
          "assets;cash",
          "assets:cash\n",
          "assets:caf\u00e9",
          "\u212Aelvin",
          "a\u007F"
        })
    void invalidAccountNamesAreRejectedAsInvalidRequestNamingTheField(String name) {
      assertThat(Names.isAccount(name)).isFalse();
      assertInvalidRequest(
          () -> Names.requireAccount(name, "postings[1].account"), "postings[1].account");
    }

    @Test
    void oneHundredTwentyEightCharactersAreTheMaximum() {
      String max = "a" + "b:".repeat(63) + "c";
      String tooLong = max + "d";

      assertThat(max).hasSize(128);
      assertThat(Names.requireAccount(max, "account")).isEqualTo(max);
      assertThat(Names.isAccount(tooLong)).isFalse();
      assertInvalidRequest(() -> Names.requireAccount(tooLong, "account"), "account");
    }

    @Test
    void aColonMakesAnAccountNameButNotABookName() {
      assertThat(Names.isAccount("a:b")).isTrue();
      assertThat(Names.isBook("a:b")).isFalse();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // asset code: ^[A-Z0-9][A-Z0-9_.-]{0,31}$

  @Nested
  class AssetCode {

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"BTC", "ETH", "USDC.ERC20", "A", "0", "1INCH", "X_Y-Z", "B."})
    void validAssetCodesAreAccepted(String code) {
      assertThat(Names.isAssetCode(code)).isTrue();
      assertThat(Names.requireAssetCode(code, "code")).isSameAs(code);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @NullAndEmptySource
    @ValueSource(
        strings = {
          "btc",
          "Btc",
          "BTc",
          "_BTC",
          ".BTC",
          "-BTC",
          "BTC:ETH",
          "BTC ",
          " BTC",
          "B TC",
          "BTC\n",
          "\u00C9TH",
          "\uFF22TC",
          "BT\u0421"
        })
    void invalidAssetCodesAreRejectedAsInvalidRequestNamingTheField(String code) {
      assertThat(Names.isAssetCode(code)).isFalse();
      assertInvalidRequest(
          () -> Names.requireAssetCode(code, "postings[0].asset"), "postings[0].asset");
    }

    @Test
    void thirtyTwoCharactersAreTheMaximum() {
      String max = "U" + "S".repeat(31);
      String tooLong = max + "D";

      assertThat(max).hasSize(32);
      assertThat(Names.requireAssetCode(max, "code")).isEqualTo(max);
      assertThat(Names.isAssetCode(tooLong)).isFalse();
      assertInvalidRequest(() -> Names.requireAssetCode(tooLong, "code"), "code");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // idempotency key: 1–255 of 0x21–0x7E

  @Nested
  class IdempotencyKey {

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
        strings = {
          "!",
          "~",
          "k",
          "deposit-0xabc-0",
          "UPPER:lower/0-9_~!@#$%^&*()[]{}<>?\"'\\|`=+,;.",
        })
    void printableAsciiKeysAreAccepted(String key) {
      assertThat(Names.isIdempotencyKey(key)).isTrue();
      assertThat(Names.requireIdempotencyKey(key, "idempotency_key")).isSameAs(key);
    }

    @Test
    void everyCharacterFrom0x21To0x7EIsAcceptedAndItsNeighboursAreNot() {
      for (char c = 0x21; c <= 0x7E; c++) {
        assertThat(Names.isIdempotencyKey("k" + c)).as("0x%02X", (int) c).isTrue();
      }
      assertThat(Names.isIdempotencyKey("\u0021")).isTrue();
      assertThat(Names.isIdempotencyKey("\u007E")).isTrue();
      assertThat(Names.isIdempotencyKey("\u0020")).isFalse();
      assertThat(Names.isIdempotencyKey("\u007F")).isFalse();
    }

    @ParameterizedTest(name = "\"{0}\"")
    @NullAndEmptySource
    @ValueSource(
        strings = {
          " ",
          "a b",
          " key",
          "key ",
          "\u007F",
          "key\u007F",
          "key\t",
          "key\n",
          "key\r",
          "\u0000",
          "\u001F",
          "\u0080",
          "caf\u00e9",
          "\u00A0",
          "\uFF01",
          "\uD83D\uDE00"
        })
    void keysWithSpacesControlOrNonAsciiCharactersAreRejected(String key) {
      assertThat(Names.isIdempotencyKey(key)).isFalse();
      assertInvalidRequest(
          () -> Names.requireIdempotencyKey(key, "Idempotency-Key"), "Idempotency-Key");
    }

    @Test
    void twoHundredFiftyFiveCharactersAreTheMaximum() {
      String max = "!" + "k".repeat(253) + "~";
      String tooLong = max + "k";

      assertThat(max).hasSize(255);
      assertThat(Names.requireIdempotencyKey(max, "idempotency_key")).isEqualTo(max);
      assertThat(Names.isIdempotencyKey(tooLong)).isFalse();
      assertInvalidRequest(
          () -> Names.requireIdempotencyKey(tooLong, "idempotency_key"), "idempotency_key");
    }
  }

  @Test
  void theGrammarsAreCaseSensitiveInOppositeDirections() {
    assertThat(Names.isBook("btc")).isTrue();
    assertThat(Names.isBook("BTC")).isFalse();
    assertThat(Names.isAccount("btc")).isTrue();
    assertThat(Names.isAccount("BTC")).isFalse();
    assertThat(Names.isAssetCode("BTC")).isTrue();
    assertThat(Names.isAssetCode("btc")).isFalse();
    assertThat(Names.isIdempotencyKey("btc")).isTrue();
    assertThat(Names.isIdempotencyKey("BTC")).isTrue();
  }

  // ---------------------------------------------------------------------------------------------
  // Properties: anything built from the grammar is accepted; one bad character spoils it.

  @Provide
  Arbitrary<String> books() {
    return names(LOWER, LOWER + "_.-", 64);
  }

  @Provide
  Arbitrary<String> accounts() {
    return names(LOWER, LOWER + "_.:-", 128);
  }

  @Provide
  Arbitrary<String> assetCodes() {
    return names(UPPER, UPPER + "_.-", 32);
  }

  @Provide
  Arbitrary<String> idempotencyKeys() {
    return Arbitraries.strings().withCharRange('\u0021', '\u007E').ofMinLength(1).ofMaxLength(255);
  }

  /** Characters that no name grammar allows anywhere (spaces, controls, punctuation, non-ASCII). */
  @Provide
  Arbitrary<Character> foreignCharacters() {
    return Arbitraries.oneOf(
        Arbitraries.chars().range('\u0000', '\u0020'),
        Arbitraries.chars().range('\u007F', '\uD7FF'),
        Arbitraries.of('/', '\\', '+', ',', '@', '#', '~', '!', '*', '"', '\''));
  }

  /** Characters outside 0x21–0x7E. */
  @Provide
  Arbitrary<Character> nonPrintableOrNonAscii() {
    return Arbitraries.oneOf(
        Arbitraries.chars().range('\u0000', '\u0020'),
        Arbitraries.chars().range('\u007F', '\uD7FF'),
        Arbitraries.chars().range('\uE000', '\uFFFF'));
  }

  private static Arbitrary<String> names(String first, String rest, int maxLength) {
    return Combinators.combine(
            Arbitraries.chars().with(first.toCharArray()),
            Arbitraries.strings().withChars(rest).ofMaxLength(maxLength - 1))
        .as((c, tail) -> c + tail);
  }

  @Property(tries = 300)
  void everyBookBuiltFromTheGrammarIsAccepted(@ForAll("books") String book) {
    assertThat(Names.requireBook(book, "book")).isEqualTo(book);
    assertThat(Names.isAccount(book)).isTrue();
  }

  @Property(tries = 300)
  void everyAccountBuiltFromTheGrammarIsAccepted(@ForAll("accounts") String account) {
    assertThat(Names.requireAccount(account, "account")).isEqualTo(account);
  }

  @Property(tries = 300)
  void everyAssetCodeBuiltFromTheGrammarIsAccepted(@ForAll("assetCodes") String code) {
    assertThat(Names.requireAssetCode(code, "code")).isEqualTo(code);
  }

  @Property(tries = 300)
  void everyKeyOfPrintableAsciiIsAccepted(@ForAll("idempotencyKeys") String key) {
    assertThat(Names.requireIdempotencyKey(key, "idempotency_key")).isEqualTo(key);
  }

  @Property(tries = 300)
  void oneForeignCharacterAnywhereMakesABookAccountOrAssetCodeInvalid(
      @ForAll("books") String book,
      @ForAll("assetCodes") String code,
      @ForAll("foreignCharacters") char bad,
      @ForAll int position) {
    assertRejectedWithCharacterInserted(book, bad, position, 64, Names::isBook, Names::requireBook);
    assertRejectedWithCharacterInserted(
        book, bad, position, 128, Names::isAccount, Names::requireAccount);
    assertRejectedWithCharacterInserted(
        code, bad, position, 32, Names::isAssetCode, Names::requireAssetCode);
  }

  @Property(tries = 300)
  void aWrongCaseLetterAnywhereMakesABookAccountOrAssetCodeInvalid(
      @ForAll("books") String book,
      @ForAll("assetCodes") String code,
      @ForAll("letters") char letter,
      @ForAll int position) {
    char upper = Character.toUpperCase(letter);
    assertRejectedWithCharacterInserted(
        book, upper, position, 64, Names::isBook, Names::requireBook);
    assertRejectedWithCharacterInserted(
        book, upper, position, 128, Names::isAccount, Names::requireAccount);
    assertRejectedWithCharacterInserted(
        code, letter, position, 32, Names::isAssetCode, Names::requireAssetCode);
  }

  @Provide
  Arbitrary<Character> letters() {
    return Arbitraries.chars().range('a', 'z');
  }

  @Property(tries = 300)
  void oneSpaceOrControlOrNonAsciiCharacterMakesAKeyInvalid(
      @ForAll("idempotencyKeys") String key,
      @ForAll("nonPrintableOrNonAscii") char bad,
      @ForAll int position) {
    assertRejectedWithCharacterInserted(
        key, bad, position, 255, Names::isIdempotencyKey, Names::requireIdempotencyKey);
  }

  private static void assertRejectedWithCharacterInserted(
      String valid,
      char bad,
      int position,
      int maxLength,
      Predicate<String> is,
      BiFunction<String, String, String> require) {
    // Keep the result within the maximum length, so only the inserted character can spoil it.
    String base = valid.length() < maxLength ? valid : valid.substring(0, maxLength - 1);
    int at = Math.floorMod(position, base.length() + 1);
    String name = base.substring(0, at) + bad + base.substring(at);
    assertThat(name).hasSizeLessThanOrEqualTo(maxLength);
    assertThat(is.test(name)).as("%s", name).isFalse();
    assertInvalidRequest(() -> require.apply(name, "the_field"), "the_field");
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
