package dev.talea.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A business outcome that is not a success: the contract's error code, a human detail, and the
 * code's structured fields (for example {@code field}, {@code account}, {@code tx_id}). All field
 * values are strings, exactly as they appear in the problem document.
 */
public record LedgerError(ErrorCode code, String detail, Map<String, String> fields) {

  public LedgerError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(detail, "detail");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** The value of a structured field, or {@code null} if this error does not carry it. */
  public String field(String name) {
    return fields.get(name);
  }

  public LedgerException toException() {
    return new LedgerException(this);
  }

  public static LedgerError of(ErrorCode code, String detail) {
    return new LedgerError(code, detail, Map.of());
  }

  public static LedgerError invalidRequest(String field, String detail) {
    return new LedgerError(ErrorCode.INVALID_REQUEST, detail, Map.of("field", field));
  }

  public static LedgerError invalidAmount(String field, String detail) {
    return new LedgerError(ErrorCode.INVALID_AMOUNT, detail, Map.of("field", field));
  }

  public static LedgerError forbidden(String book) {
    return new LedgerError(
        ErrorCode.FORBIDDEN,
        "this token may not perform this operation on book " + book,
        Map.of("book", book));
  }

  public static LedgerError notFound(String detail) {
    return of(ErrorCode.NOT_FOUND, detail);
  }

  public static LedgerError idempotencyKeyReused(String txId) {
    return new LedgerError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "the idempotency key was already used in this book for a different request",
        Map.of("tx_id", txId));
  }

  public static LedgerError conflict(String field, String detail) {
    return new LedgerError(ErrorCode.CONFLICT, detail, Map.of("field", field));
  }

  public static LedgerError unbalanced(String asset, String debits, String credits) {
    return new LedgerError(
        ErrorCode.UNBALANCED,
        "debits " + debits + " and credits " + credits + " differ for asset " + asset,
        ordered("asset", asset, "debits", debits, "credits", credits));
  }

  public static LedgerError unknownAccount(String account) {
    return new LedgerError(
        ErrorCode.UNKNOWN_ACCOUNT,
        "account " + account + " is not open in this book",
        Map.of("account", account));
  }

  public static LedgerError unknownAsset(String asset) {
    return new LedgerError(
        ErrorCode.UNKNOWN_ASSET, "asset " + asset + " is not registered", Map.of("asset", asset));
  }

  /**
   * @param balance the account's normal-side-adjusted balance before the posting
   * @param resulting what the posting would have made it
   */
  public static LedgerError insufficientBalance(
      String account, String asset, String balance, String minBalance, String resulting) {
    return new LedgerError(
        ErrorCode.INSUFFICIENT_BALANCE,
        account
            + " holds "
            + balance
            + " "
            + asset
            + "; the posting would take it to "
            + resulting
            + ", below its min_balance "
            + minBalance,
        ordered("account", account, "asset", asset, "balance", balance, "min_balance", minBalance));
  }

  public static LedgerError amountOutOfRange(String account, String asset) {
    return new LedgerError(
        ErrorCode.AMOUNT_OUT_OF_RANGE,
        "the balance of " + account + " in " + asset + " would exceed 10^78-1 minor units",
        ordered("account", account, "asset", asset));
  }

  public static LedgerError bookOverloaded(String book) {
    return new LedgerError(
        ErrorCode.BOOK_OVERLOADED,
        "the write queue of book " + book + " is full; retry with the same idempotency key",
        Map.of("book", book));
  }

  private static Map<String, String> ordered(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
