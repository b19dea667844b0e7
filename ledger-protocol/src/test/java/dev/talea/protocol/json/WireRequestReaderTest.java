package dev.talea.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.TransactionDraft;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The strict request decoders: every problem is {@code invalid_request} or {@code invalid_amount}
 * naming the offending field, exactly as the problem document will.
 */
class WireRequestReaderTest {

  private static final String POSTINGS =
      "'postings':[{'account':'assets:hot-wallet','asset':'BTC','debit':'0.5'},"
          + "{'account':'liabilities:customers:alice','asset':'BTC','credit':'0.5'}]";

  private static final List<DraftPosting> EXPECTED_POSTINGS =
      List.of(
          DraftPosting.debit("assets:hot-wallet", "BTC", "0.5"),
          DraftPosting.credit("liabilities:customers:alice", "BTC", "0.5"));

  /** JSON text written with single quotes for readability. */
  private static String text(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  private static byte[] bytes(String singleQuoted) {
    return text(singleQuoted).getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode body(String singleQuoted) {
    return Json.parseRequest(bytes(singleQuoted));
  }

  /** A draft body with the given posting objects. */
  private static JsonNode draftWithPostings(String postings) {
    return body("{'idempotency_key':'k-1','postings':[" + postings + "]}");
  }

  private static LedgerError rejection(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(LedgerException.class);
    return ((LedgerException) thrown).error();
  }

  private static void assertError(LedgerError error, ErrorCode code, String field) {
    assertThat(error.code()).isEqualTo(code);
    assertThat(error.fields()).isEqualTo(Map.of("field", field));
  }

  @Nested
  class UnknownFields {

    @Test
    void unknownTopLevelDraftFieldIsRejectedByName() {
      JsonNode node = body("{'idempotency_key':'k-1'," + POSTINGS + ",'foo':1}");
      assertError(rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "foo");
    }

    @Test
    void unknownPostingFieldIsRejectedWithItsPath() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1','foo':true},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "postings[0].foo");
    }

    @Test
    void unknownFieldInSecondPostingNamesTheSecondPosting() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1'},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1','balance_after':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "postings[1].balance_after");
    }

    @Test
    void unknownAssetSpecFieldIsRejectedByName() {
      JsonNode node = body("{'code':'BTC','decimals':8,'symbol':'B'}");
      assertError(rejection(() -> WireReader.assetSpec(node)), ErrorCode.INVALID_REQUEST, "symbol");
    }

    @Test
    void unknownAccountSpecFieldIsRejectedByName() {
      JsonNode node = body("{'kind':'asset','normal_side':'debit'}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_REQUEST, "normal_side");
    }

    @Test
    void unknownBatchFieldIsRejectedByName() {
      JsonNode node = body("{'transactions':[],'atomic':true}");
      assertError(
          rejection(() -> WireReader.batchRequest(node)), ErrorCode.INVALID_REQUEST, "atomic");
    }
  }

  @Nested
  class AmountFields {

    @Test
    void fractionalJsonNumberAmountIsInvalidAmount() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':0.5},"
                  + "{'account':'assets:b','asset':'BTC','credit':'0.5'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_AMOUNT,
          "postings[0].debit");
    }

    @Test
    void integerJsonNumberAmountIsInvalidAmount() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':1},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_AMOUNT,
          "postings[0].debit");
    }

    @Test
    void jsonNumberCreditInSecondPostingNamesIt() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1'},"
                  + "{'account':'assets:b','asset':'BTC','credit':1}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_AMOUNT,
          "postings[1].credit");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "", "+1", "-1", "1e3", "1E3", " 1", "1 ", "01", "00.5", "1.", ".5", "1,5", "0x1", "1.2.3",
          "abc", "\u0661", "0", "0.000"
        })
    void malformedOrZeroAmountStringIsInvalidAmount(String amount) {
      JsonNode node =
          Json.parseRequest(
              ("{\"idempotency_key\":\"k-1\",\"postings\":["
                      + "{\"account\":\"assets:a\",\"asset\":\"BTC\",\"debit\":\""
                      + amount
                      + "\"},{\"account\":\"assets:b\",\"asset\":\"BTC\",\"credit\":\"1\"}]}")
                  .getBytes(StandardCharsets.UTF_8));
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_AMOUNT,
          "postings[0].debit");
    }

    @Test
    void postingWithBothDebitAndCreditIsInvalidRequestOnThePosting() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1','credit':'1'},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings[0]");
    }

    @Test
    void nullAmountOnTheOtherSideCountsAsAbsent() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1','credit':null},"
                  + "{'account':'assets:b','asset':'BTC','debit':null,'credit':'1'}");
      TransactionDraft draft = WireReader.draft(node, null);
      assertThat(draft.postings())
          .containsExactly(
              DraftPosting.debit("assets:a", "BTC", "1"),
              DraftPosting.credit("assets:b", "BTC", "1"));
    }

    @Test
    void postingWithBothAmountsNullIsInvalidRequestOnThePosting() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':null,'credit':null},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings[0]");
    }

    @Test
    void postingWithNeitherDebitNorCreditIsInvalidRequestOnThePosting() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC'},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings[0]");
    }

    @Test
    void amountsKeepTheirValueAsWritten() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'12.00000001'},"
                  + "{'account':'assets:b','asset':'BTC','credit':'12.000000010'}");
      TransactionDraft draft = WireReader.draft(node, null);
      assertThat(draft.postings().get(0).amount().unscaled())
          .isEqualTo(BigInteger.valueOf(1_200_000_001L));
      assertThat(draft.postings().get(0).amount().scale()).isEqualTo(8);
      assertThat(draft.postings().get(1).amount().scale()).isEqualTo(9);
      assertThat(draft.postings().get(1).amount()).isEqualTo(draft.postings().get(0).amount());
    }
  }

  @Nested
  class IdempotencyKey {

    private final JsonNode withoutKey = body("{" + POSTINGS + "}");
    private final JsonNode withKey = body("{'idempotency_key':'body-key'," + POSTINGS + "}");

    @Test
    void headerKeyAloneIsUsed() {
      TransactionDraft draft = WireReader.draft(withoutKey, "header-key");
      assertThat(draft).isEqualTo(new TransactionDraft("header-key", EXPECTED_POSTINGS));
    }

    @Test
    void bodyKeyAloneIsUsed() {
      TransactionDraft draft = WireReader.draft(withKey, null);
      assertThat(draft).isEqualTo(new TransactionDraft("body-key", EXPECTED_POSTINGS));
    }

    @Test
    void equalHeaderAndBodyKeysAreAccepted() {
      TransactionDraft draft = WireReader.draft(withKey, "body-key");
      assertThat(draft.idempotencyKey()).isEqualTo("body-key");
    }

    @Test
    void differentHeaderAndBodyKeysAreRejected() {
      assertError(
          rejection(() -> WireReader.draft(withKey, "header-key")),
          ErrorCode.INVALID_REQUEST,
          "idempotency_key");
    }

    @Test
    void headerAndBodyKeysDifferingOnlyInCaseAreRejected() {
      assertError(
          rejection(() -> WireReader.draft(withKey, "BODY-KEY")),
          ErrorCode.INVALID_REQUEST,
          "idempotency_key");
    }

    @Test
    void missingKeyIsRejected() {
      assertError(
          rejection(() -> WireReader.draft(withoutKey, null)),
          ErrorCode.INVALID_REQUEST,
          "idempotency_key");
    }

    @Test
    void nullBodyKeyWithoutHeaderIsRejected() {
      JsonNode node = body("{'idempotency_key':null," + POSTINGS + "}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "idempotency_key");
    }

    @Test
    void invalidHeaderKeyIsRejected() {
      assertError(
          rejection(() -> WireReader.draft(withoutKey, "has space")),
          ErrorCode.INVALID_REQUEST,
          "idempotency_key");
    }

    @Test
    void numericBodyKeyIsRejected() {
      JsonNode node = body("{'idempotency_key':42," + POSTINGS + "}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "idempotency_key");
    }
  }

  @Nested
  class MalformedBodies {

    @Test
    void malformedJsonIsRejectedAsBody() {
      assertError(
          rejection(() -> Json.parseRequest(bytes("{'code':'BTC',"))),
          ErrorCode.INVALID_REQUEST,
          "body");
    }

    @Test
    void aNumberWithAnExponentTooLongToReadIsRejectedAsBody() {
      // Found by JsonFuzzTest: Jackson throws NumberFormatException, not an IOException.
      assertError(
          rejection(
              () ->
                  Json.parseRequest(
                      bytes("{'kind':0.9999999999999E99999999999999999999999999999999}"))),
          ErrorCode.INVALID_REQUEST,
          "body");
    }

    @Test
    void trailingGarbageIsRejectedAsBody() {
      assertError(
          rejection(() -> Json.parseRequest(bytes("{'code':'BTC','decimals':8} x"))),
          ErrorCode.INVALID_REQUEST,
          "body");
    }

    @Test
    void secondJsonValueAfterTheFirstIsRejectedAsBody() {
      assertError(
          rejection(() -> Json.parseRequest(bytes("{'code':'BTC','decimals':8}{}"))),
          ErrorCode.INVALID_REQUEST,
          "body");
    }

    @Test
    void duplicateKeysAreRejectedAsBody() {
      assertError(
          rejection(() -> Json.parseRequest(bytes("{'code':'BTC','decimals':8,'decimals':2}"))),
          ErrorCode.INVALID_REQUEST,
          "body");
    }

    @Test
    void duplicateKeysInANestedObjectAreRejectedAsBody() {
      assertError(
          rejection(
              () -> Json.parseRequest(bytes("{'kind':'asset','metadata':{'a':'1','a':'2'}}"))),
          ErrorCode.INVALID_REQUEST,
          "body");
    }

    @Test
    void emptyBodyIsRejectedAsBody() {
      assertError(
          rejection(() -> Json.parseRequest(new byte[0])), ErrorCode.INVALID_REQUEST, "body");
    }

    @Test
    void whitespaceOnlyBodyIsRejectedAsBody() {
      assertError(
          rejection(() -> Json.parseRequest(bytes(" \n\t "))), ErrorCode.INVALID_REQUEST, "body");
    }

    @Test
    void arrayInsteadOfADraftObjectIsRejectedAsBody() {
      JsonNode node = body("[{'idempotency_key':'k-1'}]");
      assertError(
          rejection(() -> WireReader.draft(node, "k-1")), ErrorCode.INVALID_REQUEST, "body");
    }

    @Test
    void arrayInsteadOfAnAssetSpecIsRejectedAsBody() {
      JsonNode node = body("[]");
      assertError(rejection(() -> WireReader.assetSpec(node)), ErrorCode.INVALID_REQUEST, "body");
    }

    @Test
    void stringInsteadOfAnAccountSpecIsRejectedAsBody() {
      JsonNode node = body("'asset'");
      assertError(rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_REQUEST, "body");
    }

    @Test
    void nullInsteadOfABatchIsRejectedAsBody() {
      JsonNode node = body("null");
      assertError(
          rejection(() -> WireReader.batchRequest(node)), ErrorCode.INVALID_REQUEST, "body");
    }

    @Test
    void postingThatIsNotAnObjectIsRejectedWithItsPath() {
      JsonNode node =
          draftWithPostings("'assets:a',{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings[0]");
    }

    @Test
    void postingsThatAreNotAnArrayAreRejected() {
      JsonNode node = body("{'idempotency_key':'k-1','postings':{}}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings");
    }

    @Test
    void onePostingOnTheWireIsRejected() {
      JsonNode node = draftWithPostings("{'account':'assets:a','asset':'BTC','debit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings");
    }

    @Test
    void twoHundredFiftySevenPostingsOnTheWireAreRejected() {
      StringJoiner postings = new StringJoiner(",");
      for (int i = 0; i < 257; i++) {
        postings.add("{'account':'assets:a','asset':'BTC','debit':'1'}");
      }
      JsonNode node = draftWithPostings(postings.toString());
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "postings");
    }

    @Test
    void accountAsANumberIsRejectedWithItsPath() {
      JsonNode node =
          draftWithPostings(
              "{'account':7,'asset':'BTC','debit':'1'},"
                  + "{'account':'assets:b','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "postings[0].account");
    }

    @Test
    void missingAssetIsRejectedWithItsPath() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1'},"
                  + "{'account':'assets:b','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "postings[1].asset");
    }

    @Test
    void invalidAccountNameOnTheWireNamesItsPath() {
      JsonNode node =
          draftWithPostings(
              "{'account':'assets:a','asset':'BTC','debit':'1'},"
                  + "{'account':'Assets:B','asset':'BTC','credit':'1'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)),
          ErrorCode.INVALID_REQUEST,
          "postings[1].account");
    }

    @Test
    void memoAsANumberIsRejected() {
      JsonNode node = body("{'idempotency_key':'k-1'," + POSTINGS + ",'memo':5}");
      assertError(rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "memo");
    }

    @Test
    void memoOver1024CharactersOnTheWireIsRejected() {
      JsonNode node =
          body("{'idempotency_key':'k-1'," + POSTINGS + ",'memo':'" + "m".repeat(1025) + "'}");
      assertError(rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "memo");
    }
  }

  @Nested
  class AssetSpecs {

    @Test
    void assetSpecDecodes() {
      assertThat(WireReader.assetSpec(body("{'code':'USDC.ERC20','decimals':6,'name':'USD Coin'}")))
          .isEqualTo(new AssetSpec("USDC.ERC20", 6, "USD Coin"));
    }

    @Test
    void assetSpecWithoutNameDecodes() {
      assertThat(WireReader.assetSpec(body("{'code':'BTC','decimals':0}")))
          .isEqualTo(new AssetSpec("BTC", 0, null));
    }

    @Test
    void assetSpecWith36DecimalsDecodes() {
      assertThat(WireReader.assetSpec(body("{'code':'X','decimals':36}")).decimals()).isEqualTo(36);
    }

    @ParameterizedTest
    @ValueSource(strings = {"'8'", "8.5", "8.0", "37", "-1", "true", "null", "99999999999"})
    void decimalsThatAreNotAnIntegerFrom0To36AreRejected(String decimals) {
      JsonNode node = body("{'code':'BTC','decimals':" + decimals + "}");
      assertError(
          rejection(() -> WireReader.assetSpec(node)), ErrorCode.INVALID_REQUEST, "decimals");
    }

    @Test
    void missingDecimalsAreRejected() {
      JsonNode node = body("{'code':'BTC'}");
      assertError(
          rejection(() -> WireReader.assetSpec(node)), ErrorCode.INVALID_REQUEST, "decimals");
    }

    @Test
    void lowercaseAssetCodeIsRejectedNamingCode() {
      JsonNode node = body("{'code':'btc','decimals':8}");
      assertError(rejection(() -> WireReader.assetSpec(node)), ErrorCode.INVALID_REQUEST, "code");
    }

    @Test
    void assetNameOver128CharactersIsRejectedNamingName() {
      JsonNode node = body("{'code':'BTC','decimals':8,'name':'" + "n".repeat(129) + "'}");
      assertError(rejection(() -> WireReader.assetSpec(node)), ErrorCode.INVALID_REQUEST, "name");
    }
  }

  @Nested
  class AccountSpecs {

    @Test
    void unknownKindIsRejectedNamingKind() {
      JsonNode node = body("{'kind':'revenue'}");
      assertError(rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_REQUEST, "kind");
    }

    @Test
    void kindIsCaseSensitive() {
      JsonNode node = body("{'kind':'Asset'}");
      assertError(rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_REQUEST, "kind");
    }

    @Test
    void missingKindIsRejectedNamingKind() {
      JsonNode node = body("{'min_balance':'0'}");
      assertError(rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_REQUEST, "kind");
    }

    @Test
    void minBalanceAsAJsonNumberIsInvalidAmount() {
      JsonNode node = body("{'kind':'asset','min_balance':0}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_AMOUNT, "min_balance");
    }

    @Test
    void malformedMinBalanceIsInvalidAmount() {
      JsonNode node = body("{'kind':'asset','min_balance':'-0'}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_AMOUNT, "min_balance");
    }

    @Test
    void negativeMinBalanceIsAccepted() {
      AccountSpec spec = WireReader.accountSpec(body("{'kind':'liability','min_balance':'-500'}"));
      assertThat(spec.kind()).isEqualTo(AccountKind.LIABILITY);
      assertThat(spec.minBalance().unscaled()).isEqualTo(BigInteger.valueOf(-500));
      assertThat(spec.minBalance().scale()).isZero();
      assertThat(spec.minBalance()).isEqualTo(DecimalAmount.parseSigned("-500.00", "min_balance"));
    }

    @Test
    void nullMinBalanceMeansUnconstrained() {
      AccountSpec spec = WireReader.accountSpec(body("{'kind':'asset','min_balance':null}"));
      assertThat(spec).isEqualTo(new AccountSpec(AccountKind.ASSET));
    }

    @Test
    void metadataWithANonStringValueNamesTheKey() {
      JsonNode node = body("{'kind':'asset','metadata':{'ok':'yes','tier':1}}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)),
          ErrorCode.INVALID_REQUEST,
          "metadata.tier");
    }

    @Test
    void metadataWithANullValueNamesTheKey() {
      JsonNode node = body("{'kind':'asset','metadata':{'tier':null}}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)),
          ErrorCode.INVALID_REQUEST,
          "metadata.tier");
    }

    @Test
    void metadataWithANestedObjectNamesTheKey() {
      JsonNode node = body("{'kind':'asset','metadata':{'tags':{'a':'b'}}}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)),
          ErrorCode.INVALID_REQUEST,
          "metadata.tags");
    }

    @Test
    void metadataThatIsNotAnObjectIsRejected() {
      JsonNode node = body("{'kind':'asset','metadata':['a']}");
      assertError(
          rejection(() -> WireReader.accountSpec(node)), ErrorCode.INVALID_REQUEST, "metadata");
    }

    @Test
    void draftMetadataWithANonStringValueNamesTheKey() {
      JsonNode node = body("{'idempotency_key':'k-1'," + POSTINGS + ",'metadata':{'n':1.5}}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "metadata.n");
    }

    @Test
    void fullAccountSpecDecodes() {
      AccountSpec spec =
          WireReader.accountSpec(
              body("{'kind':'expense','min_balance':'0','metadata':{'b':'2','a':'1'}}"));
      assertThat(spec)
          .isEqualTo(
              new AccountSpec(
                  AccountKind.EXPENSE,
                  DecimalAmount.parseSigned("0", "min_balance"),
                  Map.of("a", "1", "b", "2")));
      assertThat(spec.metadata().keySet()).containsExactly("a", "b");
    }
  }

  @Nested
  class OccurredAt {

    @Test
    void sevenFractionalDigitsAreRejected() {
      JsonNode node =
          body(
              "{'idempotency_key':'k-1',"
                  + POSTINGS
                  + ",'occurred_at':'2026-11-20T14:02:00.1234567Z'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "occurred_at");
    }

    @Test
    void sixFractionalDigitsAreKeptExactly() {
      JsonNode node =
          body(
              "{'idempotency_key':'k-1',"
                  + POSTINGS
                  + ",'occurred_at':'2026-11-20T14:02:00.123456Z'}");
      assertThat(WireReader.draft(node, null).occurredAt())
          .isEqualTo(Instant.parse("2026-11-20T14:02:00.123456Z"));
    }

    @Test
    void positiveOffsetIsNormalisedToUtc() {
      JsonNode node =
          body(
              "{'idempotency_key':'k-1',"
                  + POSTINGS
                  + ",'occurred_at':'2026-11-20T14:02:00+02:00'}");
      assertThat(WireReader.draft(node, null).occurredAt())
          .isEqualTo(Instant.parse("2026-11-20T12:02:00Z"));
    }

    @Test
    void negativeOffsetAcrossMidnightIsNormalisedToUtc() {
      JsonNode node =
          body(
              "{'idempotency_key':'k-1',"
                  + POSTINGS
                  + ",'occurred_at':'2026-12-31T22:30:00.5-03:30'}");
      assertThat(WireReader.draft(node, null).occurredAt())
          .isEqualTo(Instant.parse("2027-01-01T02:00:00.500Z"));
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "2026-11-20",
          "2026-11-20T14:02:00",
          "2026-11-20 14:02:00Z",
          "2026-13-01T00:00:00Z",
          "1763647320",
          "2026-11-20T14:02:00+0200"
        })
    void nonRfc3339TimestampIsRejected(String timestamp) {
      JsonNode node =
          body("{'idempotency_key':'k-1'," + POSTINGS + ",'occurred_at':'" + timestamp + "'}");
      assertError(
          rejection(() -> WireReader.draft(node, null)), ErrorCode.INVALID_REQUEST, "occurred_at");
    }
  }

  @Nested
  class FullDraft {

    @Test
    void everyDraftFieldDecodes() {
      JsonNode node =
          body(
              "{'idempotency_key':'deposit-0xabc-0',"
                  + POSTINGS
                  + ",'occurred_at':'2026-11-20T14:02:00Z','memo':'deposit 0xabc',"
                  + "'metadata':{'chain_tx':'0xabc'}}");
      assertThat(WireReader.draft(node, null))
          .isEqualTo(
              new TransactionDraft(
                  "deposit-0xabc-0",
                  EXPECTED_POSTINGS,
                  Instant.parse("2026-11-20T14:02:00Z"),
                  "deposit 0xabc",
                  Map.of("chain_tx", "0xabc")));
    }

    @Test
    void nullOptionalFieldsAreTreatedAsAbsent() {
      JsonNode node =
          body(
              "{'idempotency_key':'k-1',"
                  + POSTINGS
                  + ",'occurred_at':null,'memo':null,'metadata':null}");
      assertThat(WireReader.draft(node, null))
          .isEqualTo(new TransactionDraft("k-1", EXPECTED_POSTINGS));
    }
  }

  @Nested
  class Batches {

    private String validDraft(String key) {
      return "{'idempotency_key':'" + key + "'," + POSTINGS + "}";
    }

    private JsonNode batchOf(int count) {
      StringJoiner drafts = new StringJoiner(",");
      for (int i = 0; i < count; i++) {
        drafts.add(validDraft("k-" + i));
      }
      return body("{'transactions':[" + drafts + "]}");
    }

    @Test
    void emptyBatchIsRejectedNamingTransactions() {
      assertError(
          rejection(() -> WireReader.batchRequest(batchOf(0))),
          ErrorCode.INVALID_REQUEST,
          "transactions");
    }

    @Test
    void batchOf1001DraftsIsRejectedNamingTransactions() {
      JsonNode node = batchOf(1001);
      assertError(
          rejection(() -> WireReader.batchRequest(node)),
          ErrorCode.INVALID_REQUEST,
          "transactions");
    }

    @Test
    void batchOf1000DraftsDecodesEveryDraft() {
      List<WireReader.BatchItem> items = WireReader.batchRequest(batchOf(1000));
      assertThat(items).hasSize(1000);
      assertThat(items).allSatisfy(item -> assertThat(item.error()).isNull());
      assertThat(items.get(999).draft())
          .isEqualTo(new TransactionDraft("k-999", EXPECTED_POSTINGS));
    }

    @Test
    void batchWithoutTransactionsArrayIsRejected() {
      assertError(
          rejection(() -> WireReader.batchRequest(body("{}"))),
          ErrorCode.INVALID_REQUEST,
          "transactions");
      assertError(
          rejection(() -> WireReader.batchRequest(body("{'transactions':{}}"))),
          ErrorCode.INVALID_REQUEST,
          "transactions");
    }

    @Test
    void invalidSecondDraftFailsOnlyItself() {
      String badAmount =
          "{'idempotency_key':'k-bad','postings':["
              + "{'account':'assets:a','asset':'BTC','debit':0.5},"
              + "{'account':'assets:b','asset':'BTC','credit':'0.5'}]}";
      JsonNode node =
          body(
              "{'transactions':["
                  + validDraft("k-0")
                  + ","
                  + badAmount
                  + ","
                  + validDraft("k-2")
                  + "]}");
      List<WireReader.BatchItem> items = WireReader.batchRequest(node);
      assertThat(items).hasSize(3);
      assertThat(items.get(0))
          .isEqualTo(
              new WireReader.BatchItem(new TransactionDraft("k-0", EXPECTED_POSTINGS), null));
      assertThat(items.get(1).draft()).isNull();
      assertError(items.get(1).error(), ErrorCode.INVALID_AMOUNT, "postings[0].debit");
      assertThat(items.get(2))
          .isEqualTo(
              new WireReader.BatchItem(new TransactionDraft("k-2", EXPECTED_POSTINGS), null));
    }

    @Test
    void eachInvalidDraftCarriesItsOwnError() {
      String missingKey = "{" + POSTINGS + "}";
      String unknownField = "{'idempotency_key':'k-1'," + POSTINGS + ",'extra':1}";
      String oneSided =
          "{'idempotency_key':'k-2','postings':[{'account':'assets:a','asset':'BTC'},"
              + "{'account':'assets:b','asset':'BTC','credit':'1'}]}";
      JsonNode node =
          body(
              "{'transactions':["
                  + missingKey
                  + ","
                  + unknownField
                  + ","
                  + oneSided
                  + ","
                  + validDraft("k-3")
                  + "]}");
      List<WireReader.BatchItem> items = WireReader.batchRequest(node);
      assertThat(items).hasSize(4);
      assertThat(items.subList(0, 3)).allSatisfy(item -> assertThat(item.draft()).isNull());
      assertError(items.get(0).error(), ErrorCode.INVALID_REQUEST, "idempotency_key");
      assertError(items.get(1).error(), ErrorCode.INVALID_REQUEST, "extra");
      assertError(items.get(2).error(), ErrorCode.INVALID_REQUEST, "postings[0]");
      assertThat(items.get(3).error()).isNull();
      assertThat(items.get(3).draft().idempotencyKey()).isEqualTo("k-3");
    }

    @Test
    void batchItemThatIsNotAnObjectIsRejectedByItsIndex() {
      JsonNode node = body("{'transactions':[" + validDraft("k-0") + ",42]}");
      List<WireReader.BatchItem> items = WireReader.batchRequest(node);
      assertThat(items.get(0).error()).isNull();
      assertThat(items.get(1).draft()).isNull();
      assertError(items.get(1).error(), ErrorCode.INVALID_REQUEST, "transactions[1]");
    }
  }
}
