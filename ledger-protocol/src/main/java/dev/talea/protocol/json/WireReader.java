package dev.talea.protocol.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.Balance;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Wire JSON to domain values. Request readers are strict (unknown fields rejected, every problem an
 * {@code invalid_request} or {@code invalid_amount} naming its field); response readers ignore
 * unknown fields and report problems as {@link WireFormatException}.
 */
public final class WireReader {

  /** The most drafts in one batch request. */
  public static final int MAX_BATCH = 1000;

  private static final Set<String> ASSET_FIELDS = Set.of("code", "decimals", "name");
  private static final Set<String> ACCOUNT_FIELDS = Set.of("kind", "min_balance", "metadata");
  private static final Set<String> DRAFT_FIELDS =
      Set.of("idempotency_key", "postings", "occurred_at", "memo", "metadata");
  private static final Set<String> POSTING_FIELDS = Set.of("account", "asset", "debit", "credit");
  private static final Set<String> BATCH_FIELDS = Set.of("transactions");

  private WireReader() {}

  // ---- requests ---------------------------------------------------------------------------------

  public static AssetSpec assetSpec(JsonNode body) {
    JsonFields fields = JsonFields.request(body, "", ASSET_FIELDS);
    String code = fields.requiredString("code");
    int decimals = fields.requiredInt("decimals", 0, 36);
    return new AssetSpec(code, decimals, fields.optionalString("name"));
  }

  public static AccountSpec accountSpec(JsonNode body) {
    JsonFields fields = JsonFields.request(body, "", ACCOUNT_FIELDS);
    String kindName = fields.requiredString("kind");
    AccountKind kind = AccountKind.fromWire(kindName);
    if (kind == null) {
      throw fields.invalid("kind", "kind must be one of asset, liability, equity, income, expense");
    }
    DecimalAmount minBalance = fields.optionalSignedAmount("min_balance");
    return new AccountSpec(kind, minBalance, fields.optionalStringMap("metadata"));
  }

  /**
   * A draft from a post body.
   *
   * @param headerKey the {@code Idempotency-Key} header, or {@code null}; if the body has a key
   *     too, the two must be equal
   */
  public static TransactionDraft draft(JsonNode body, String headerKey) {
    JsonFields fields = JsonFields.request(body, "", DRAFT_FIELDS);
    String key = fields.optionalString("idempotency_key");
    if (key != null && headerKey != null && !key.equals(headerKey)) {
      throw fields.invalid(
          "idempotency_key", "the Idempotency-Key header and idempotency_key differ");
    }
    if (key == null) {
      key = headerKey;
    }
    if (key == null) {
      throw fields.invalid(
          "idempotency_key",
          "idempotency_key is required (in the body or the Idempotency-Key header)");
    }
    List<JsonNode> items =
        fields.requiredArray(
            "postings", TransactionDraft.MIN_POSTINGS, TransactionDraft.MAX_POSTINGS);
    List<DraftPosting> postings = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      postings.add(posting(items.get(i), "postings[" + i + "]"));
    }
    return new TransactionDraft(
        key,
        postings,
        fields.optionalTimestamp("occurred_at"),
        fields.optionalString("memo"),
        fields.optionalStringMap("metadata"));
  }

  /**
   * One draft of a batch request: decoded, or rejected on its own without failing its batchmates.
   */
  public record BatchItem(TransactionDraft draft, LedgerError error) {}

  /**
   * A batch body: {@code {"transactions":[draft, ...]}} with 1–1000 drafts. The body's shape is
   * checked as a whole; each draft is decoded independently, and the fields its errors name are
   * relative to that draft ({@code postings[0].debit}), since results come back in request order.
   */
  public static List<BatchItem> batchRequest(JsonNode body) {
    JsonFields fields = JsonFields.request(body, "", BATCH_FIELDS);
    List<JsonNode> items = fields.requiredArray("transactions", 1, MAX_BATCH);
    List<BatchItem> drafts = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      if (!item.isObject()) {
        String field = "transactions[" + i + "]";
        drafts.add(
            new BatchItem(null, LedgerError.invalidRequest(field, field + " must be an object")));
        continue;
      }
      try {
        drafts.add(new BatchItem(draft(item, null), null));
      } catch (LedgerException e) {
        drafts.add(new BatchItem(null, e.error()));
      }
    }
    return drafts;
  }

  private static DraftPosting posting(JsonNode node, String path) {
    JsonFields fields = JsonFields.request(node, path, POSTING_FIELDS);
    String account = fields.requiredString("account");
    String asset = fields.requiredString("asset");
    boolean debit = fields.has("debit");
    boolean credit = fields.has("credit");
    if (debit == credit) {
      throw LedgerError.invalidRequest(path, path + " must have exactly one of debit or credit")
          .toException();
    }
    Side side = debit ? Side.DEBIT : Side.CREDIT;
    return new DraftPosting(account, asset, side, fields.positiveAmount(side.wireName()));
  }

  // ---- responses --------------------------------------------------------------------------------

  public static Asset asset(JsonNode node) {
    return response(() -> readAsset(JsonFields.response(node, "")));
  }

  public static List<Asset> assets(JsonNode node) {
    return response(() -> list(JsonFields.response(node, ""), "assets", WireReader::readAsset));
  }

  public static List<BookSummary> books(JsonNode node) {
    return response(
        () ->
            list(
                JsonFields.response(node, ""),
                "books",
                f ->
                    new BookSummary(
                        f.requiredString("book"),
                        f.requiredLong("last_seq"),
                        f.requiredString("head_hash"))));
  }

  public static Account account(JsonNode node) {
    return response(() -> readAccount(JsonFields.response(node, "")));
  }

  public static AccountPage accountPage(JsonNode node) {
    return response(
        () -> {
          JsonFields fields = JsonFields.response(node, "");
          return new AccountPage(
              list(fields, "accounts", WireReader::readAccount),
              fields.optionalString("next_after"));
        });
  }

  public static Transaction transaction(JsonNode node) {
    return response(() -> readTransaction(JsonFields.response(node, "")));
  }

  public static TransactionPage transactionPage(JsonNode node) {
    return response(
        () -> {
          JsonFields fields = JsonFields.response(node, "");
          return new TransactionPage(
              list(fields, "transactions", WireReader::readTransaction),
              fields.optionalLong("next_after_seq"));
        });
  }

  public static List<Transaction> transactions(JsonNode node) {
    return response(
        () -> list(JsonFields.response(node, ""), "transactions", WireReader::readTransaction));
  }

  public static List<PostOutcome> batchResults(JsonNode node) {
    return response(
        () ->
            list(
                JsonFields.response(node, ""),
                "results",
                f -> {
                  int status = (int) f.requiredLong("status");
                  if (f.has("transaction")) {
                    return new PostOutcome.Committed(
                        readTransaction(JsonFields.response(f.raw("transaction"), "transaction")));
                  }
                  return new PostOutcome.Rejected(problem(status, f.raw("error")));
                }));
  }

  public static PostingPage postingPage(JsonNode node) {
    return response(
        () -> {
          JsonFields fields = JsonFields.response(node, "");
          return new PostingPage(
              list(
                  fields,
                  "postings",
                  f -> {
                    Side side = f.has("debit") ? Side.DEBIT : Side.CREDIT;
                    return new AccountPosting(
                        f.requiredLong("seq"),
                        uuid(f.requiredString("tx_id")),
                        f.requiredTimestamp("committed_at"),
                        f.requiredString("asset"),
                        side,
                        amount(f, side.wireName()),
                        amount(f, "balance_after"));
                  }),
              fields.optionalLong("next_after_seq"));
        });
  }

  public static AccountBalances accountBalances(JsonNode node) {
    return response(
        () -> {
          JsonFields f = JsonFields.response(node, "");
          return new AccountBalances(
              f.requiredString("book"),
              f.requiredString("account"),
              kind(f),
              f.optionalTimestamp("as_of"),
              f.requiredLong("seq"),
              list(f, "balances", WireReader::readBalance));
        });
  }

  public static TrialBalance trialBalance(JsonNode node) {
    return response(
        () -> {
          JsonFields f = JsonFields.response(node, "");
          return new TrialBalance(
              f.requiredString("book"),
              f.optionalTimestamp("as_of"),
              f.requiredLong("seq"),
              list(
                  f,
                  "accounts",
                  l ->
                      new TrialBalance.Line(
                          l.requiredString("account"),
                          kind(l),
                          l.requiredString("asset"),
                          amount(l, "debit"),
                          amount(l, "credit"))),
              list(
                  f,
                  "totals",
                  t ->
                      new TrialBalance.Total(
                          t.requiredString("asset"), amount(t, "debit"), amount(t, "credit"))),
              f.requiredBoolean("balanced"));
        });
  }

  public static VerifyResult verifyResult(JsonNode node) {
    return response(
        () -> {
          JsonFields f = JsonFields.response(node, "");
          String book = f.requiredString("book");
          if (f.requiredBoolean("ok")) {
            return VerifyResult.ok(book, f.requiredLong("seq"), f.requiredString("head_hash"));
          }
          return VerifyResult.failed(
              book,
              f.requiredLong("seq"),
              f.requiredLong("first_bad_seq"),
              f.requiredString("reason"));
        });
  }

  /**
   * The error in a problem document. A body that is not a problem document (a proxy's HTML page,
   * say) still yields an error whose code follows from the status.
   */
  public static LedgerError problem(int status, JsonNode node) {
    if (node == null || !node.isObject()) {
      return LedgerError.of(codeForStatus(status), "HTTP status " + status);
    }
    String wireName = node.path("error").asText(null);
    ErrorCode code =
        wireName == null ? codeForStatus(status) : ErrorCode.fromWire(status, wireName);
    String detail = node.path("detail").asText("HTTP status " + status);
    Map<String, String> fields = new LinkedHashMap<>();
    for (String name : code.extraFields()) {
      JsonNode value = node.get(name);
      if (value != null && !value.isNull()) {
        fields.put(name, value.asText());
      }
    }
    return new LedgerError(code, detail, fields);
  }

  private static ErrorCode codeForStatus(int status) {
    return switch (status) {
      case 400 -> ErrorCode.INVALID_REQUEST;
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 403 -> ErrorCode.FORBIDDEN;
      case 404 -> ErrorCode.NOT_FOUND;
      case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
      case 408 -> ErrorCode.TIMEOUT;
      case 409 -> ErrorCode.CONFLICT;
      case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
      case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
      case 429 -> ErrorCode.BOOK_OVERLOADED;
      case 502, 503, 504 -> ErrorCode.UNAVAILABLE;
      default -> ErrorCode.INTERNAL;
    };
  }

  // ---- response pieces --------------------------------------------------------------------------

  private static Asset readAsset(JsonFields f) {
    return new Asset(
        f.requiredString("code"),
        (int) f.requiredLong("decimals"),
        f.optionalString("name"),
        f.requiredTimestamp("created_at"));
  }

  private static Account readAccount(JsonFields f) {
    return new Account(
        f.requiredString("book"),
        f.requiredString("account"),
        kind(f),
        f.optionalSignedAmount("min_balance"),
        f.optionalStringMap("metadata"),
        f.requiredTimestamp("created_at"),
        list(f, "balances", WireReader::readBalance));
  }

  private static Balance readBalance(JsonFields f) {
    return new Balance(f.requiredString("asset"), amount(f, "balance"));
  }

  private static Transaction readTransaction(JsonFields f) {
    List<Posting> postings =
        list(
            f,
            "postings",
            p -> {
              Side side = p.has("debit") ? Side.DEBIT : Side.CREDIT;
              return new Posting(
                  p.requiredString("account"),
                  p.requiredString("asset"),
                  side,
                  amount(p, side.wireName()),
                  amount(p, "balance_after"));
            });
    return new Transaction(
        uuid(f.requiredString("tx_id")),
        f.requiredString("book"),
        f.requiredLong("seq"),
        f.requiredTimestamp("committed_at"),
        f.optionalTimestamp("occurred_at"),
        f.requiredString("idempotency_key"),
        f.requiredBoolean("deduplicated"),
        f.optionalString("memo"),
        f.optionalStringMap("metadata"),
        postings,
        f.requiredString("hash"),
        f.requiredString("prev_hash"));
  }

  private static AccountKind kind(JsonFields f) {
    AccountKind kind = AccountKind.fromWire(f.requiredString("kind"));
    if (kind == null) {
      throw new WireFormatException("unknown account kind " + f.requiredString("kind"));
    }
    return kind;
  }

  private static Amount amount(JsonFields f, String name) {
    return Amount.parseFormatted(f.requiredString(name), f.pathOf(name));
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new WireFormatException("not a UUID: " + text, e);
    }
  }

  private static <T> List<T> list(JsonFields f, String name, Function<JsonFields, T> reader) {
    JsonNode array = f.raw(name);
    if (array == null || !array.isArray()) {
      throw new WireFormatException(f.pathOf(name) + " must be an array");
    }
    List<T> items = new ArrayList<>(array.size());
    Iterator<JsonNode> elements = array.elements();
    for (int i = 0; elements.hasNext(); i++) {
      items.add(reader.apply(JsonFields.response(elements.next(), f.pathOf(name) + "[" + i + "]")));
    }
    return items;
  }

  private static <T> T response(Supplier<T> reader) {
    try {
      return reader.get();
    } catch (LedgerException | IllegalArgumentException | NullPointerException e) {
      throw new WireFormatException("malformed response: " + e.getMessage(), e);
    }
  }
}
