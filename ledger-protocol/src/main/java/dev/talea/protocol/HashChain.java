package dev.talea.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The per-book hash chain: {@code hash(n) = SHA-256(prev_hash bytes ‖ canonical bytes of commit
 * n)}, with {@code prev_hash} of seq 1 being 32 zero bytes. The canonical encoding is versioned
 * ({@code talea/commit/v1}) and documented in {@code docs/canonical-encoding.md}; every store
 * computes the same value, and fixed test vectors pin it forever.
 *
 * <p>What is hashed: book, seq, tx_id, committed_at (microseconds), idempotency key, each posting's
 * account, asset, side and amount in minor units, occurred_at, memo and metadata. {@code
 * balance_after} is not hashed: it is derived from the chain and checked separately by verify.
 */
public final class HashChain {

  /** The {@code prev_hash} of a book's first commit. */
  public static final String GENESIS = "0".repeat(64);

  static final String COMMIT_TAG = "talea/commit/v1";
  static final int DEBIT_BYTE = 1;
  static final int CREDIT_BYTE = 2;

  private static final HexFormat HEX = HexFormat.of();

  private HashChain() {}

  /** The hash of a commit whose content is given field by field (the store's view). */
  public static String hash(
      String prevHash,
      String book,
      long seq,
      UUID txId,
      Instant committedAt,
      String idempotencyKey,
      List<Posting> postings,
      Instant occurredAt,
      String memo,
      Map<String, String> metadata) {
    byte[] canonical =
        canonicalBytes(
            book, seq, txId, committedAt, idempotencyKey, postings, occurredAt, memo, metadata);
    MessageDigest sha256 = sha256();
    sha256.update(parseHash(prevHash));
    sha256.update(canonical);
    return HEX.formatHex(sha256.digest());
  }

  /** The hash that {@code transaction} should carry, recomputed from its content and prev_hash. */
  public static String hash(Transaction transaction) {
    return hash(
        transaction.prevHash(),
        transaction.book(),
        transaction.seq(),
        transaction.txId(),
        transaction.committedAt(),
        transaction.idempotencyKey(),
        transaction.postings(),
        transaction.occurredAt(),
        transaction.memo(),
        transaction.metadata());
  }

  /** The canonical bytes of a commit, without the link to its predecessor. */
  public static byte[] canonicalBytes(
      String book,
      long seq,
      UUID txId,
      Instant committedAt,
      String idempotencyKey,
      List<Posting> postings,
      Instant occurredAt,
      String memo,
      Map<String, String> metadata) {
    CanonicalWriter out =
        new CanonicalWriter()
            .string(COMMIT_TAG)
            .string(book)
            .i64(seq)
            .uuid(txId)
            .i64(Timestamps.toEpochMicros(committedAt))
            .string(idempotencyKey)
            .u32(postings.size());
    for (Posting posting : postings) {
      out.string(posting.account())
          .string(posting.asset())
          .u8(sideByte(posting.side()))
          .u256(posting.amount().minorUnits());
    }
    return out.optionalI64(occurredAt == null ? null : Timestamps.toEpochMicros(occurredAt))
        .optionalString(memo)
        .metadata(metadata)
        .toByteArray();
  }

  /** Whether {@code value} is a lowercase hex SHA-256 (64 characters). */
  public static boolean isHash(String value) {
    if (value == null || value.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = value.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  static int sideByte(Side side) {
    return side == Side.DEBIT ? DEBIT_BYTE : CREDIT_BYTE;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static byte[] parseHash(String hex) {
    if (!isHash(hex)) {
      throw new IllegalArgumentException("not a lowercase hex SHA-256: " + hex);
    }
    return HEX.parseHex(hex);
  }
}
