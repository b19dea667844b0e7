package dev.talea.protocol;

import java.util.List;

/**
 * Every business and infrastructure outcome the contract names, with its HTTP status and the extra
 * problem fields it carries. The wire value ({@link #wireName()}) is what clients switch on.
 *
 * <p>{@code overloaded} appears twice on the wire: {@link #BOOK_OVERLOADED} (429, one book's write
 * queue is full) and {@link #OVERLOADED} (503, the instance's admission limit is reached).
 */
public enum ErrorCode {
  INVALID_REQUEST(400, "invalid_request", "Invalid request", List.of("field")),
  INVALID_AMOUNT(400, "invalid_amount", "Invalid amount", List.of("field")),
  UNAUTHORIZED(401, "unauthorized", "Unauthorized", List.of()),
  FORBIDDEN(403, "forbidden", "Forbidden", List.of("book")),
  NOT_FOUND(404, "not_found", "Not found", List.of()),
  METHOD_NOT_ALLOWED(405, "method_not_allowed", "Method not allowed", List.of()),
  TIMEOUT(408, "timeout", "Request timeout", List.of()),
  IDEMPOTENCY_KEY_REUSED(
      409, "idempotency_key_reused", "Idempotency key already used", List.of("tx_id")),
  CONFLICT(409, "conflict", "Conflict", List.of("field")),
  PAYLOAD_TOO_LARGE(413, "payload_too_large", "Payload too large", List.of()),
  URI_TOO_LONG(414, "uri_too_long", "URI too long", List.of()),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type", "Unsupported media type", List.of()),
  UNBALANCED(422, "unbalanced", "Unbalanced transaction", List.of("asset", "debits", "credits")),
  UNKNOWN_ACCOUNT(422, "unknown_account", "Unknown account", List.of("account")),
  UNKNOWN_ASSET(422, "unknown_asset", "Unknown asset", List.of("asset")),
  INSUFFICIENT_BALANCE(
      422,
      "insufficient_balance",
      "Insufficient balance",
      List.of("account", "asset", "balance", "min_balance")),
  AMOUNT_OUT_OF_RANGE(
      422, "amount_out_of_range", "Balance out of range", List.of("account", "asset")),
  BOOK_OVERLOADED(429, "overloaded", "Book overloaded", List.of("book")),
  HEADERS_TOO_LARGE(431, "headers_too_large", "Request headers too large", List.of()),
  OVERLOADED(503, "overloaded", "Server overloaded", List.of()),
  UNAVAILABLE(503, "unavailable", "Store unavailable", List.of()),
  INTERNAL(500, "internal", "Internal error", List.of()),
  HTTP_VERSION_NOT_SUPPORTED(
      505, "http_version_not_supported", "HTTP version not supported", List.of());

  private final int httpStatus;
  private final String wireName;
  private final String title;
  private final List<String> extraFields;

  ErrorCode(int httpStatus, String wireName, String title, List<String> extraFields) {
    this.httpStatus = httpStatus;
    this.wireName = wireName;
    this.title = title;
    this.extraFields = extraFields;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The stable machine code, the {@code error} member of a problem document. */
  public String wireName() {
    return wireName;
  }

  /** A short human summary, the {@code title} member of a problem document. */
  public String title() {
    return title;
  }

  /** The problem members beyond the standard ones that this code always carries. */
  public List<String> extraFields() {
    return extraFields;
  }

  /** The problem document's {@code type} URI. */
  public String typeUri() {
    return "https://talea.dev/errors/" + wireName;
  }

  /**
   * Whether the same request may simply be sent again later: the outcome was "not now" or
   * "unknown", never "no". Posts are safe to retry because they carry their idempotency key.
   */
  public boolean isRetryable() {
    return this == TIMEOUT || this == BOOK_OVERLOADED || this == OVERLOADED || this == UNAVAILABLE;
  }

  /**
   * The code for a wire pair, or {@link #INTERNAL} for a pair this version does not know (a newer
   * server); the status disambiguates the two {@code overloaded} codes.
   */
  public static ErrorCode fromWire(int httpStatus, String wireName) {
    ErrorCode nameOnly = null;
    for (ErrorCode code : values()) {
      if (code.wireName.equals(wireName)) {
        if (code.httpStatus == httpStatus) {
          return code;
        }
        nameOnly = code;
      }
    }
    return nameOnly != null ? nameOnly : INTERNAL;
  }
}
