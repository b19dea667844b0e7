package dev.talea.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A transaction as a caller submits it. Construction checks everything that does not need the store
 * (the key, 2–256 well-formed postings, memo and metadata limits, occurred_at precision), so an
 * invalid draft cannot exist; errors name the offending field as on the wire ({@code
 * postings[1].account}). What needs the store (assets, decimals, balance per asset, accounts,
 * limits) is checked by {@link Drafts#resolve} and the store's commit.
 *
 * @param occurredAt business time, optional, at microsecond precision
 * @param memo optional, at most 1024 characters
 */
public record TransactionDraft(
    String idempotencyKey,
    List<DraftPosting> postings,
    Instant occurredAt,
    String memo,
    Map<String, String> metadata) {

  public static final int MIN_POSTINGS = 2;
  public static final int MAX_POSTINGS = 256;
  public static final int MAX_MEMO_LENGTH = 1024;

  public TransactionDraft {
    Names.requireIdempotencyKey(idempotencyKey, "idempotency_key");
    if (postings == null || postings.size() < MIN_POSTINGS || postings.size() > MAX_POSTINGS) {
      throw LedgerError.invalidRequest("postings", "a transaction has 2 to 256 postings")
          .toException();
    }
    for (int i = 0; i < postings.size(); i++) {
      checkPosting(postings.get(i), "postings[" + i + "]");
    }
    postings = List.copyOf(postings);
    if (occurredAt != null) {
      if (occurredAt.getNano() % 1_000 != 0) {
        throw LedgerError.invalidRequest(
                "occurred_at", "occurred_at has more than 6 fractional digits")
            .toException();
      }
      if (!Timestamps.isRepresentable(occurredAt)) {
        throw LedgerError.invalidRequest(
                "occurred_at", "occurred_at must fall in the years 0000-9999 UTC")
            .toException();
      }
    }
    if (memo != null) {
      TextRules.requireStorable(memo, "memo");
      if (memo.codePointCount(0, memo.length()) > MAX_MEMO_LENGTH) {
        throw LedgerError.invalidRequest("memo", "memo must be at most 1024 characters")
            .toException();
      }
    }
    metadata = Metadata.normalize(metadata, "metadata");
  }

  /** A draft with just a key and postings. */
  public TransactionDraft(String idempotencyKey, List<DraftPosting> postings) {
    this(idempotencyKey, postings, null, null, Map.of());
  }

  /** The same draft under another idempotency key. */
  public TransactionDraft withIdempotencyKey(String key) {
    return new TransactionDraft(key, postings, occurredAt, memo, metadata);
  }

  private static void checkPosting(DraftPosting posting, String path) {
    if (posting == null) {
      throw LedgerError.invalidRequest(path, path + " must be an object").toException();
    }
    Names.requireAccount(posting.account(), path + ".account");
    Names.requireAssetCode(posting.asset(), path + ".asset");
    String amountField = path + "." + posting.side().wireName();
    if (posting.amount() == null) {
      throw LedgerError.invalidAmount(amountField, amountField + " is required").toException();
    }
    if (posting.amount().signum() <= 0) {
      throw LedgerError.invalidAmount(amountField, "amount must be greater than zero")
          .toException();
    }
  }
}
