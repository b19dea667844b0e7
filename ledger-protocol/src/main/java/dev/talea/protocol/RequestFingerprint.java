package dev.talea.protocol;

import java.util.HexFormat;

/**
 * Tells a replay from a different request under the same idempotency key. Two drafts are "the same
 * request" when their postings (in order: account, asset, side, amount), occurred_at, memo and
 * metadata are equal, amounts compared by value: {@code "0.5"} and {@code "0.50"} are the same
 * amount.
 *
 * <p>Amounts enter in normalised decimal form (trailing fractional zeros dropped). Because an
 * asset's decimals can never change once registered, this is exactly a comparison in minor units,
 * and it needs no asset lookup, so a replay can be recognised before anything else about it is
 * checked. The encoding ({@code talea/request/v1}) is in {@code docs/canonical-encoding.md}.
 */
public final class RequestFingerprint {

  static final String REQUEST_TAG = "talea/request/v1";

  private RequestFingerprint() {}

  /**
   * The lowercase hex SHA-256 fingerprint of a draft; the idempotency key itself is not part of it.
   */
  public static String of(TransactionDraft draft) {
    CanonicalWriter out = new CanonicalWriter().string(REQUEST_TAG).u32(draft.postings().size());
    for (DraftPosting posting : draft.postings()) {
      out.string(posting.account())
          .string(posting.asset())
          .u8(HashChain.sideByte(posting.side()))
          .string(posting.amount().normalized());
    }
    byte[] bytes =
        out.optionalI64(
                draft.occurredAt() == null ? null : Timestamps.toEpochMicros(draft.occurredAt()))
            .optionalString(draft.memo())
            .metadata(draft.metadata())
            .toByteArray();
    return HexFormat.of().formatHex(HashChain.sha256().digest(bytes));
  }
}
