package dev.talea.store.log;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.Asset;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.Side;
import dev.talea.protocol.Timestamps;
import dev.talea.store.read.StoredAccount;
import dev.talea.store.read.StoredCommit;
import dev.talea.store.read.StoredPosting;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The bodies of the three record kinds, in a compact big-endian binary form (see {@code
 * docs/explanation-log-store.md}): an asset registration, an account opening (or its metadata
 * update), and a commit. Strings are a {@code u32} byte length and UTF-8; integers of any size are
 * a {@code u8} length and two's-complement bytes; optional values are a presence byte.
 */
final class Records {

  static final int ASSET = 1;
  static final int ACCOUNT = 2;
  static final int COMMIT = 3;

  private static final HexFormat HEX = HexFormat.of();

  private Records() {}

  /** A decoded record. */
  sealed interface Record permits AssetRecord, AccountRecord, CommitRecord {}

  record AssetRecord(Asset asset) implements Record {}

  /** An account opening, or a new version of its metadata. */
  record AccountRecord(String book, StoredAccount account) implements Record {}

  record CommitRecord(StoredCommit commit) implements Record {}

  // ---- encoding ---------------------------------------------------------------------------------

  static byte[] encode(AssetRecord record) {
    Writer out = new Writer();
    out.u8(ASSET);
    Asset asset = record.asset();
    out.string(asset.code()).u8(asset.decimals()).optionalString(asset.name());
    out.time(asset.createdAt());
    return out.bytes();
  }

  static byte[] encode(AccountRecord record) {
    StoredAccount account = record.account();
    Writer out = new Writer();
    out.u8(ACCOUNT).string(record.book()).string(account.name()).string(account.kind().wireName());
    out.optionalString(account.minBalance() == null ? null : account.minBalance().normalized());
    out.metadata(account.metadata()).time(account.createdAt());
    return out.bytes();
  }

  static byte[] encode(StoredCommit commit) {
    Writer out = new Writer();
    out.u8(COMMIT).string(commit.book()).i64(commit.seq());
    out.i64(commit.txId().getMostSignificantBits()).i64(commit.txId().getLeastSignificantBits());
    out.time(commit.committedAt());
    if (commit.occurredAt() == null) {
      out.u8(0);
    } else {
      out.u8(1).time(commit.occurredAt());
    }
    out.string(commit.idempotencyKey()).hash(commit.fingerprint());
    out.optionalString(commit.memo()).metadata(commit.metadata());
    out.u16(commit.postings().size());
    for (StoredPosting posting : commit.postings()) {
      out.string(posting.account()).string(posting.asset());
      out.u8(posting.side() == Side.DEBIT ? 1 : 2);
      out.integer(posting.amount()).integer(posting.balanceAfter());
    }
    out.hash(commit.hash()).hash(commit.prevHash());
    return out.bytes();
  }

  // ---- decoding ---------------------------------------------------------------------------------

  static Record decode(ByteBuffer body) {
    Reader in = new Reader(body);
    int type = in.u8();
    Record record =
        switch (type) {
          case ASSET ->
              new AssetRecord(new Asset(in.string(), in.u8(), in.optionalString(), in.time()));
          case ACCOUNT ->
              new AccountRecord(
                  in.string(),
                  new StoredAccount(
                      in.string(),
                      kind(in.string()),
                      minBalance(in.optionalString()),
                      in.metadata(),
                      in.time()));
          case COMMIT -> new CommitRecord(decodeCommit(in));
          default -> throw new IllegalArgumentException("unknown record type " + type);
        };
    if (body.hasRemaining()) {
      throw new IllegalArgumentException(body.remaining() + " unexpected bytes after the record");
    }
    return record;
  }

  private static StoredCommit decodeCommit(Reader in) {
    String book = in.string();
    long seq = in.i64();
    UUID txId = new UUID(in.i64(), in.i64());
    Instant committedAt = in.time();
    Instant occurredAt = in.u8() == 0 ? null : in.time();
    String key = in.string();
    String fingerprint = in.hash();
    String memo = in.optionalString();
    Map<String, String> metadata = in.metadata();
    int count = in.u16();
    List<StoredPosting> postings = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String account = in.string();
      String asset = in.string();
      Side side = in.u8() == 1 ? Side.DEBIT : Side.CREDIT;
      postings.add(new StoredPosting(account, asset, side, in.integer(), in.integer()));
    }
    return new StoredCommit(
        book,
        seq,
        txId,
        committedAt,
        occurredAt,
        key,
        fingerprint,
        memo,
        metadata,
        postings,
        in.hash(),
        in.hash());
  }

  private static AccountKind kind(String name) {
    AccountKind kind = AccountKind.fromWire(name);
    if (kind == null) {
      throw new IllegalArgumentException("unknown account kind " + name);
    }
    return kind;
  }

  private static DecimalAmount minBalance(String text) {
    return text == null ? null : DecimalAmount.parseSigned(text, "min_balance");
  }

  private static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    Writer u8(int value) {
      out.write(value);
      return this;
    }

    Writer u16(int value) {
      out.write(value >>> 8);
      out.write(value);
      return this;
    }

    Writer u32(int value) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        out.write(value >>> shift);
      }
      return this;
    }

    Writer i64(long value) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
      return this;
    }

    Writer time(Instant instant) {
      return i64(Timestamps.toEpochMicros(instant));
    }

    Writer string(String value) {
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      u32(bytes.length);
      out.write(bytes, 0, bytes.length);
      return this;
    }

    Writer optionalString(String value) {
      return value == null ? u8(0) : u8(1).string(value);
    }

    Writer integer(BigInteger value) {
      byte[] bytes = value.toByteArray();
      u8(bytes.length);
      out.write(bytes, 0, bytes.length);
      return this;
    }

    Writer hash(String hex) {
      byte[] bytes = HEX.parseHex(hex);
      out.write(bytes, 0, bytes.length);
      return this;
    }

    Writer metadata(Map<String, String> metadata) {
      u32(metadata.size());
      metadata.forEach((key, value) -> string(key).string(value));
      return this;
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  private static final class Reader {
    private final ByteBuffer in;

    Reader(ByteBuffer in) {
      this.in = in;
    }

    int u8() {
      return in.get() & 0xFF;
    }

    int u16() {
      return in.getShort() & 0xFFFF;
    }

    long i64() {
      return in.getLong();
    }

    Instant time() {
      return Timestamps.fromEpochMicros(in.getLong());
    }

    String string() {
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("string length " + length + " exceeds the record");
      }
      byte[] bytes = new byte[length];
      in.get(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }

    String optionalString() {
      return u8() == 0 ? null : string();
    }

    BigInteger integer() {
      byte[] bytes = new byte[u8()];
      in.get(bytes);
      return new BigInteger(bytes);
    }

    String hash() {
      byte[] bytes = new byte[32];
      in.get(bytes);
      return HEX.formatHex(bytes);
    }

    Map<String, String> metadata() {
      int count = in.getInt();
      if (count < 0 || count > in.remaining()) {
        throw new IllegalArgumentException("metadata count " + count + " exceeds the record");
      }
      Map<String, String> metadata = new TreeMap<>();
      for (int i = 0; i < count; i++) {
        metadata.put(string(), string());
      }
      return metadata;
    }
  }
}
