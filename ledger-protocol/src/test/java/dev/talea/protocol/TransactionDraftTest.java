package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Draft validation: what the {@link TransactionDraft} constructor rejects on its own, what {@link
 * Drafts#resolve} rejects once the assets are known, and which drafts {@link RequestFingerprint}
 * treats as the same request.
 */
class TransactionDraftTest {

  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant OCCURRED = Instant.parse("2026-11-20T14:02:00.123456Z");

  private static final Map<String, Asset> REGISTRY =
      Map.of(
          "BTC", new Asset("BTC", 8, "Bitcoin", CREATED),
          "ETH", new Asset("ETH", 18, "Ether", CREATED),
          "JPY", new Asset("JPY", 0, "Yen", CREATED));

  private static final String HOT = "assets:hot-wallet";
  private static final String ALICE = "liabilities:customers:alice";

  private static TransactionDraft draft(List<DraftPosting> postings) {
    return new TransactionDraft("key-1", postings);
  }

  /** A debit of {@code amount} to the hot wallet and a credit of the same to alice. */
  private static List<DraftPosting> pair(String asset, String amount) {
    return List.of(
        DraftPosting.debit(HOT, asset, amount), DraftPosting.credit(ALICE, asset, amount));
  }

  private static List<DraftPosting> postings(int count) {
    List<DraftPosting> postings = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      postings.add(
          i % 2 == 0
              ? DraftPosting.debit("assets:a" + i, "BTC", "1")
              : DraftPosting.credit("assets:a" + i, "BTC", "1"));
    }
    return postings;
  }

  private static ResolvedDraft resolve(TransactionDraft draft) {
    return Drafts.resolve(draft, REGISTRY::get);
  }

  /** The error of the {@link LedgerException} that {@code call} must throw. */
  private static LedgerError rejection(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(LedgerException.class);
    return ((LedgerException) thrown).error();
  }

  private static void assertInvalidRequest(LedgerError error, String field) {
    assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(error.fields()).isEqualTo(Map.of("field", field));
  }

  private static void assertInvalidAmount(LedgerError error, String field) {
    assertThat(error.code()).isEqualTo(ErrorCode.INVALID_AMOUNT);
    assertThat(error.fields()).isEqualTo(Map.of("field", field));
  }

  /** A one-entry metadata map whose compact JSON ({@code {"k":"vvv…"}}) is {@code bytes} long. */
  private static Map<String, String> metadataOfSerializedSize(int bytes) {
    // {"k":""} is 8 bytes.
    return Map.of("k", "v".repeat(bytes - 8));
  }

  @Nested
  class Construction {

    @ParameterizedTest
    @ValueSource(
        strings = {
          "",
          "has space",
          "tab\tinside",
          "caf\u00e9",
          "del\u007f",
          "nul\u0000",
          "line\nbreak"
        })
    void invalidIdempotencyKeyIsRejectedNamingIdempotencyKey(String key) {
      LedgerError error = rejection(() -> new TransactionDraft(key, pair("BTC", "1")));
      assertInvalidRequest(error, "idempotency_key");
    }

    @Test
    void nullIdempotencyKeyIsRejectedNamingIdempotencyKey() {
      LedgerError error = rejection(() -> new TransactionDraft(null, pair("BTC", "1")));
      assertInvalidRequest(error, "idempotency_key");
    }

    @Test
    void idempotencyKeyOf256CharactersIsRejected() {
      LedgerError error = rejection(() -> new TransactionDraft("k".repeat(256), pair("BTC", "1")));
      assertInvalidRequest(error, "idempotency_key");
    }

    @Test
    void idempotencyKeyOf255PrintableAsciiCharactersIsAccepted() {
      String key = "!~" + "x".repeat(253);
      TransactionDraft draft = new TransactionDraft(key, pair("BTC", "1"));
      assertThat(draft.idempotencyKey()).isEqualTo(key).hasSize(255);
    }

    @Test
    void zeroPostingsAreRejectedNamingPostings() {
      LedgerError error = rejection(() -> draft(List.of()));
      assertInvalidRequest(error, "postings");
    }

    @Test
    void nullPostingsAreRejectedNamingPostings() {
      LedgerError error = rejection(() -> draft(null));
      assertInvalidRequest(error, "postings");
    }

    @Test
    void onePostingIsRejectedNamingPostings() {
      LedgerError error = rejection(() -> draft(postings(1)));
      assertInvalidRequest(error, "postings");
    }

    @Test
    void twoHundredFiftySevenPostingsAreRejectedNamingPostings() {
      LedgerError error = rejection(() -> draft(postings(257)));
      assertInvalidRequest(error, "postings");
    }

    @Test
    void twoPostingsAreAccepted() {
      assertThat(draft(postings(2)).postings()).hasSize(2);
    }

    @Test
    void twoHundredFiftySixPostingsAreAcceptedAndResolve() {
      TransactionDraft draft = draft(postings(256));
      assertThat(draft.postings()).hasSize(256);
      assertThat(resolve(draft).legs()).hasSize(256);
    }

    @Test
    void badAccountNameAtSecondPostingNamesItsAccountField() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit(HOT, "BTC", "1"),
              DraftPosting.credit("Liabilities:Alice", "BTC", "1"));
      LedgerError error = rejection(() -> draft(postings));
      assertInvalidRequest(error, "postings[1].account");
    }

    @Test
    void accountNameOf129CharactersIsRejected() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit("a".repeat(129), "BTC", "1"),
              DraftPosting.credit(ALICE, "BTC", "1"));
      LedgerError error = rejection(() -> draft(postings));
      assertInvalidRequest(error, "postings[0].account");
    }

    @Test
    void badAssetCodeAtFirstPostingNamesItsAssetField() {
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "btc", "1"), DraftPosting.credit(ALICE, "BTC", "1"));
      LedgerError error = rejection(() -> draft(postings));
      assertInvalidRequest(error, "postings[0].asset");
    }

    @Test
    void memoOf1025CharactersIsRejected() {
      LedgerError error =
          rejection(
              () -> new TransactionDraft("k", pair("BTC", "1"), null, "m".repeat(1025), Map.of()));
      assertInvalidRequest(error, "memo");
    }

    @Test
    void memoOf1024CharactersIsAccepted() {
      String memo = "m".repeat(1024);
      TransactionDraft draft = new TransactionDraft("k", pair("BTC", "1"), null, memo, Map.of());
      assertThat(draft.memo()).isEqualTo(memo);
    }

    @Test
    void memoOf1024SupplementaryCharactersIsAcceptedBecauseTheLimitCountsCodePoints() {
      String memo = "\uD83D\uDE00".repeat(1024); // U+1F600, two UTF-16 units each
      assertThat(memo.length()).isEqualTo(2048);
      TransactionDraft draft = new TransactionDraft("k", pair("BTC", "1"), null, memo, Map.of());
      assertThat(draft.memo()).isEqualTo(memo);
    }

    @Test
    void memoOf1025SupplementaryCharactersIsRejected() {
      String memo = "\uD83D\uDE00".repeat(1025);
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), null, memo, Map.of()));
      assertInvalidRequest(error, "memo");
    }

    @Test
    void memoWithNulCharacterIsRejected() {
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), null, "a\u0000b", Map.of()));
      assertInvalidRequest(error, "memo");
    }

    @Test
    void memoWithUnpairedHighSurrogateIsRejected() {
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), null, "ab\uD83D", Map.of()));
      assertInvalidRequest(error, "memo");
    }

    @Test
    void memoWithUnpairedLowSurrogateIsRejected() {
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), null, "\uDE00ab", Map.of()));
      assertInvalidRequest(error, "memo");
    }

    @Test
    void metadataOneByteOver16KibSerialisedIsRejectedNamingMetadata() {
      Map<String, String> metadata = metadataOfSerializedSize(16 * 1024 + 1);
      assertThat(Metadata.serializedSize(metadata)).isEqualTo(16385);
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), null, null, metadata));
      assertInvalidRequest(error, "metadata");
    }

    @Test
    void metadataOfExactly16KibSerialisedIsAccepted() {
      Map<String, String> metadata = metadataOfSerializedSize(16 * 1024);
      assertThat(Metadata.serializedSize(metadata)).isEqualTo(16384);
      TransactionDraft draft = new TransactionDraft("k", pair("BTC", "1"), null, null, metadata);
      assertThat(draft.metadata()).isEqualTo(metadata);
    }

    @Test
    void metadataSizeCountsUtf8BytesNotCharacters() {
      // "é" is two UTF-8 bytes: 8 + 2 * 8189 = 16386 bytes but only 8197 characters.
      Map<String, String> metadata = Map.of("k", "\u00e9".repeat(8189));
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), null, null, metadata));
      assertInvalidRequest(error, "metadata");
    }

    @Test
    void metadataValueWithNulCharacterNamesItsKey() {
      LedgerError error =
          rejection(
              () ->
                  new TransactionDraft(
                      "k", pair("BTC", "1"), null, null, Map.of("note", "a\u0000")));
      assertInvalidRequest(error, "metadata.note");
    }

    @Test
    void occurredAtWithNanosecondPrecisionIsRejected() {
      Instant nanos = Instant.parse("2026-11-20T14:02:00.123456789Z");
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), nanos, null, Map.of()));
      assertInvalidRequest(error, "occurred_at");
    }

    @Test
    void occurredAtOneNanosecondPastAMicrosecondIsRejected() {
      Instant nanos = OCCURRED.plusNanos(1);
      LedgerError error =
          rejection(() -> new TransactionDraft("k", pair("BTC", "1"), nanos, null, Map.of()));
      assertInvalidRequest(error, "occurred_at");
    }

    @Test
    void occurredAtWithMicrosecondPrecisionIsAccepted() {
      TransactionDraft draft =
          new TransactionDraft("k", pair("BTC", "1"), OCCURRED, null, Map.of());
      assertThat(draft.occurredAt()).isEqualTo(OCCURRED);
    }

    @Test
    void metadataIsKeptSortedByKeyWhateverTheInsertionOrder() {
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("zeta", "1");
      metadata.put("alpha", "2");
      TransactionDraft draft = new TransactionDraft("k", pair("BTC", "1"), null, null, metadata);
      assertThat(draft.metadata().keySet()).containsExactly("alpha", "zeta");
    }
  }

  @Nested
  class Resolve {

    @Test
    void unknownAssetIsRejectedNamingTheAsset() {
      LedgerError error = rejection(() -> resolve(draft(pair("DOGE", "1"))));
      assertThat(error.code()).isEqualTo(ErrorCode.UNKNOWN_ASSET);
      assertThat(error.fields()).isEqualTo(Map.of("asset", "DOGE"));
    }

    @Test
    void unknownAssetInSecondPostingIsNamedEvenAfterAKnownOne() {
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "BTC", "1"), DraftPosting.credit(ALICE, "XRP", "1"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNKNOWN_ASSET);
      assertThat(error.fields()).isEqualTo(Map.of("asset", "XRP"));
    }

    @Test
    void nineFractionalDigitsOnAnEightDecimalAssetAreRejectedOnTheDebit() {
      LedgerError error = rejection(() -> resolve(draft(pair("BTC", "0.123456789"))));
      assertInvalidAmount(error, "postings[0].debit");
    }

    @Test
    void nineFractionalDigitsOnAnEightDecimalAssetAreRejectedOnTheCredit() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit(HOT, "BTC", "0.12345678"),
              DraftPosting.credit(ALICE, "BTC", "0.123456780"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertInvalidAmount(error, "postings[1].credit");
    }

    @Test
    void anyFractionOnAZeroDecimalAssetIsRejected() {
      LedgerError error = rejection(() -> resolve(draft(pair("JPY", "1.0"))));
      assertInvalidAmount(error, "postings[0].debit");
    }

    @Test
    void postingOfExactly2To256Minus1MinorUnitsResolves() {
      BigInteger max = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
      ResolvedDraft resolved = resolve(draft(pair("JPY", max.toString())));
      assertThat(resolved.legs()).extracting(ResolvedDraft.Leg::amount).containsExactly(max, max);
    }

    @Test
    void postingOf2To256MinorUnitsIsRejected() {
      String tooBig = BigInteger.TWO.pow(256).toString();
      LedgerError error = rejection(() -> resolve(draft(pair("JPY", tooBig))));
      assertInvalidAmount(error, "postings[0].debit");
    }

    @Test
    void postingAbove2To256Minus1MinorUnitsOfAnEightDecimalAssetIsRejected() {
      String tooBig = new BigDecimal(BigInteger.TWO.pow(256), 8).toPlainString();
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "BTC", "1"), DraftPosting.credit(ALICE, "BTC", tooBig));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertInvalidAmount(error, "postings[1].credit");
    }

    @Test
    void unbalancedAssetIsRejectedWithTotalsInTheAssetsDecimals() {
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "BTC", "0.5"), DraftPosting.credit(ALICE, "BTC", "0.4"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNBALANCED);
      assertThat(error.fields())
          .isEqualTo(Map.of("asset", "BTC", "debits", "0.50000000", "credits", "0.40000000"));
    }

    @Test
    void unbalancedTotalsSumEveryPostingOfTheAsset() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit(HOT, "BTC", "0.3"),
              DraftPosting.debit("assets:cold-wallet", "BTC", "0.2"),
              DraftPosting.credit(ALICE, "BTC", "0.49999999"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNBALANCED);
      assertThat(error.fields())
          .isEqualTo(Map.of("asset", "BTC", "debits", "0.50000000", "credits", "0.49999999"));
    }

    @Test
    void unbalancedZeroDecimalAssetPrintsWholeUnits() {
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "JPY", "42"), DraftPosting.credit(ALICE, "JPY", "41"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNBALANCED);
      assertThat(error.fields()).isEqualTo(Map.of("asset", "JPY", "debits", "42", "credits", "41"));
    }

    @Test
    void postingsOnOneSideOnlyAreUnbalancedWithAZeroColumn() {
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "BTC", "1"), DraftPosting.debit(ALICE, "BTC", "1"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNBALANCED);
      assertThat(error.fields())
          .isEqualTo(Map.of("asset", "BTC", "debits", "2.00000000", "credits", "0.00000000"));
    }

    @Test
    void twoAssetTransactionBalancedPerAssetResolvesToMinorUnits() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit(HOT, "BTC", "0.5"),
              DraftPosting.credit(ALICE, "BTC", "0.5"),
              DraftPosting.debit(HOT, "ETH", "1.000000000000000001"),
              DraftPosting.credit(ALICE, "ETH", "1.000000000000000001"));
      ResolvedDraft resolved = resolve(draft(postings));
      BigInteger btc = BigInteger.valueOf(50_000_000L);
      BigInteger eth = new BigInteger("1000000000000000001");
      assertThat(resolved.legs())
          .containsExactly(
              new ResolvedDraft.Leg(HOT, "BTC", Side.DEBIT, btc, 8),
              new ResolvedDraft.Leg(ALICE, "BTC", Side.CREDIT, btc, 8),
              new ResolvedDraft.Leg(HOT, "ETH", Side.DEBIT, eth, 18),
              new ResolvedDraft.Leg(ALICE, "ETH", Side.CREDIT, eth, 18));
      assertThat(resolved.draft()).isEqualTo(draft(postings));
    }

    @Test
    void balancedAndUnbalancedAssetsTogetherNameTheUnbalancedOne() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit(HOT, "BTC", "0.5"),
              DraftPosting.credit(ALICE, "BTC", "0.5"),
              DraftPosting.debit(HOT, "ETH", "1"),
              DraftPosting.credit(ALICE, "ETH", "0.999999999999999999"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNBALANCED);
      assertThat(error.fields())
          .isEqualTo(
              Map.of(
                  "asset", "ETH",
                  "debits", "1.000000000000000000",
                  "credits", "0.999999999999999999"));
    }

    @Test
    void unbalancedAssetBeforeABalancedOneIsNamed() {
      List<DraftPosting> postings =
          List.of(
              DraftPosting.debit(HOT, "ETH", "2"),
              DraftPosting.credit(ALICE, "ETH", "1"),
              DraftPosting.debit(HOT, "BTC", "0.5"),
              DraftPosting.credit(ALICE, "BTC", "0.5"));
      LedgerError error = rejection(() -> resolve(draft(postings)));
      assertThat(error.code()).isEqualTo(ErrorCode.UNBALANCED);
      assertThat(error.field("asset")).isEqualTo("ETH");
    }

    @Test
    void amountsDifferingOnlyInTrailingZerosResolveToTheSameMinorUnits() {
      List<DraftPosting> postings =
          List.of(DraftPosting.debit(HOT, "BTC", "0.5"), DraftPosting.credit(ALICE, "BTC", "0.50"));
      ResolvedDraft resolved = resolve(draft(postings));
      assertThat(resolved.legs())
          .extracting(ResolvedDraft.Leg::amount)
          .containsExactly(BigInteger.valueOf(50_000_000L), BigInteger.valueOf(50_000_000L));
    }

    @Test
    void legsCarryRawDeltasWithDebitPositive() {
      ResolvedDraft resolved = resolve(draft(pair("BTC", "12.00000001")));
      assertThat(resolved.legs())
          .extracting(ResolvedDraft.Leg::rawDelta)
          .containsExactly(BigInteger.valueOf(1_200_000_001L), BigInteger.valueOf(-1_200_000_001L));
      assertThat(resolved.legs().get(0).amountValue().toString()).isEqualTo("12.00000001");
    }
  }

  @Nested
  class Fingerprint {

    private final Map<String, String> metadata = Map.of("chain_tx", "0xabc", "source", "node-1");

    private TransactionDraft base() {
      return new TransactionDraft(
          "deposit-0xabc-0", pair("BTC", "0.5"), OCCURRED, "memo", metadata);
    }

    private TransactionDraft withPostings(List<DraftPosting> postings) {
      return new TransactionDraft("deposit-0xabc-0", postings, OCCURRED, "memo", metadata);
    }

    private String fingerprint(TransactionDraft draft) {
      return RequestFingerprint.of(draft);
    }

    @Test
    void fingerprintIsLowercaseHexSha256() {
      assertThat(fingerprint(base())).matches("[0-9a-f]{64}");
    }

    @Test
    void fingerprintIsStableForAnEqualDraft() {
      assertThat(fingerprint(base())).isEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithTrailingFractionalZerosHasSameFingerprint() {
      TransactionDraft zeros =
          withPostings(
              List.of(
                  DraftPosting.debit(HOT, "BTC", "0.50000000"),
                  DraftPosting.credit(ALICE, "BTC", "0.500")));
      assertThat(fingerprint(zeros)).isEqualTo(fingerprint(base()));
    }

    @Test
    void wholeAmountWithAndWithoutFractionalZerosHasSameFingerprint() {
      TransactionDraft plain = withPostings(pair("BTC", "10"));
      TransactionDraft zeros =
          withPostings(
              List.of(
                  DraftPosting.debit(HOT, "BTC", "10.0"),
                  DraftPosting.credit(ALICE, "BTC", "10.00000000")));
      assertThat(fingerprint(zeros)).isEqualTo(fingerprint(plain));
    }

    @Test
    void replayUnderAnotherIdempotencyKeyHasSameFingerprint() {
      assertThat(fingerprint(base().withIdempotencyKey("other-key")))
          .isEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithSwappedPostingOrderHasDifferentFingerprint() {
      List<DraftPosting> swapped = List.of(base().postings().get(1), base().postings().get(0));
      assertThat(fingerprint(withPostings(swapped))).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithDifferentAccountHasDifferentFingerprint() {
      TransactionDraft other =
          withPostings(
              List.of(
                  DraftPosting.debit("assets:cold-wallet", "BTC", "0.5"),
                  DraftPosting.credit(ALICE, "BTC", "0.5")));
      assertThat(fingerprint(other)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithDifferentAssetHasDifferentFingerprint() {
      assertThat(fingerprint(withPostings(pair("ETH", "0.5")))).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithDifferentSidesHasDifferentFingerprint() {
      TransactionDraft reversed =
          withPostings(
              List.of(
                  DraftPosting.credit(HOT, "BTC", "0.5"), DraftPosting.debit(ALICE, "BTC", "0.5")));
      assertThat(fingerprint(reversed)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithDifferentAmountHasDifferentFingerprint() {
      assertThat(fingerprint(withPostings(pair("BTC", "0.05")))).isNotEqualTo(fingerprint(base()));
      assertThat(fingerprint(withPostings(pair("BTC", "5")))).isNotEqualTo(fingerprint(base()));
      assertThat(fingerprint(withPostings(pair("BTC", "0.50000001"))))
          .isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithDifferentOccurredAtHasDifferentFingerprint() {
      TransactionDraft later =
          new TransactionDraft(
              "deposit-0xabc-0", pair("BTC", "0.5"), OCCURRED.plusNanos(1_000), "memo", metadata);
      assertThat(fingerprint(later)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithoutOccurredAtHasDifferentFingerprint() {
      TransactionDraft none =
          new TransactionDraft("deposit-0xabc-0", pair("BTC", "0.5"), null, "memo", metadata);
      assertThat(fingerprint(none)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void occurredAtAtTheEpochDiffersFromNoOccurredAt() {
      TransactionDraft epoch =
          new TransactionDraft("k", pair("BTC", "1"), Instant.EPOCH, null, Map.of());
      TransactionDraft none = new TransactionDraft("k", pair("BTC", "1"), null, null, Map.of());
      assertThat(fingerprint(epoch)).isNotEqualTo(fingerprint(none));
    }

    @Test
    void replayWithDifferentMemoHasDifferentFingerprint() {
      TransactionDraft other =
          new TransactionDraft("deposit-0xabc-0", pair("BTC", "0.5"), OCCURRED, "memo!", metadata);
      assertThat(fingerprint(other)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void nullMemoAndEmptyMemoHaveDifferentFingerprints() {
      TransactionDraft none = new TransactionDraft("k", pair("BTC", "1"), null, null, Map.of());
      TransactionDraft empty = new TransactionDraft("k", pair("BTC", "1"), null, "", Map.of());
      assertThat(fingerprint(none)).isNotEqualTo(fingerprint(empty));
    }

    @Test
    void replayWithDifferentMetadataValueHasDifferentFingerprint() {
      TransactionDraft other =
          new TransactionDraft(
              "deposit-0xabc-0",
              pair("BTC", "0.5"),
              OCCURRED,
              "memo",
              Map.of("chain_tx", "0xabd", "source", "node-1"));
      assertThat(fingerprint(other)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithDifferentMetadataKeyHasDifferentFingerprint() {
      TransactionDraft other =
          new TransactionDraft(
              "deposit-0xabc-0",
              pair("BTC", "0.5"),
              OCCURRED,
              "memo",
              Map.of("chain_tx", "0xabc", "origin", "node-1"));
      assertThat(fingerprint(other)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithAnExtraMetadataEntryHasDifferentFingerprint() {
      Map<String, String> more = new HashMap<>(metadata);
      more.put("extra", "");
      TransactionDraft other =
          new TransactionDraft("deposit-0xabc-0", pair("BTC", "0.5"), OCCURRED, "memo", more);
      assertThat(fingerprint(other)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void replayWithoutMetadataHasDifferentFingerprint() {
      TransactionDraft other =
          new TransactionDraft("deposit-0xabc-0", pair("BTC", "0.5"), OCCURRED, "memo", Map.of());
      assertThat(fingerprint(other)).isNotEqualTo(fingerprint(base()));
    }

    @Test
    void metadataInsertionOrderDoesNotChangeTheFingerprint() {
      Map<String, String> forward = new LinkedHashMap<>();
      forward.put("a", "1");
      forward.put("b", "2");
      forward.put("c", "3");
      Map<String, String> backward = new LinkedHashMap<>();
      backward.put("c", "3");
      backward.put("b", "2");
      backward.put("a", "1");
      TransactionDraft one = new TransactionDraft("k", pair("BTC", "1"), null, null, forward);
      TransactionDraft two = new TransactionDraft("k", pair("BTC", "1"), null, null, backward);
      assertThat(fingerprint(one)).isEqualTo(fingerprint(two));
    }

    @Test
    void movingTextBetweenMetadataKeyAndValueChangesTheFingerprint() {
      TransactionDraft one =
          new TransactionDraft("k", pair("BTC", "1"), null, null, Map.of("ab", "c"));
      TransactionDraft two =
          new TransactionDraft("k", pair("BTC", "1"), null, null, Map.of("a", "bc"));
      assertThat(fingerprint(one)).isNotEqualTo(fingerprint(two));
    }
  }
}
