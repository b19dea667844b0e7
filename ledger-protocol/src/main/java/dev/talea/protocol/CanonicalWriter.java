package dev.talea.protocol;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The primitive encodings of talea's canonical byte format (see {@code
 * docs/canonical-encoding.md}). Every value is written in a fixed order with explicit lengths, so
 * no two different commits or requests can produce the same bytes.
 */
final class CanonicalWriter {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);

  /** {@code u32} byte length, then the UTF-8 bytes. */
  CanonicalWriter string(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    u32(bytes.length);
    out.write(bytes, 0, bytes.length);
    return this;
  }

  CanonicalWriter u8(int value) {
    out.write(value);
    return this;
  }

  CanonicalWriter u32(int value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.write(value >>> shift);
    }
    return this;
  }

  /** Eight bytes, big-endian, two's complement. */
  CanonicalWriter i64(long value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (value >>> shift));
    }
    return this;
  }

  /** Thirty-two bytes, big-endian, for a value in 0 … 2^256 − 1. */
  CanonicalWriter u256(BigInteger value) {
    if (value.signum() < 0 || value.bitLength() > 256) {
      throw new IllegalArgumentException("not a uint256: " + value);
    }
    byte[] magnitude = value.toByteArray();
    int start = magnitude.length > 32 ? magnitude.length - 32 : 0; // a sign byte of 0
    int length = magnitude.length - start;
    for (int i = length; i < 32; i++) {
      out.write(0);
    }
    out.write(magnitude, start, length);
    return this;
  }

  /** Sixteen bytes: the most then the least significant half, big-endian. */
  CanonicalWriter uuid(UUID value) {
    i64(value.getMostSignificantBits());
    return i64(value.getLeastSignificantBits());
  }

  /** {@code 0x00} for absent, or {@code 0x01} and the string. */
  CanonicalWriter optionalString(String value) {
    if (value == null) {
      return u8(0);
    }
    return u8(1).string(value);
  }

  /** {@code 0x00} for absent, or {@code 0x01} and the {@code i64}. */
  CanonicalWriter optionalI64(Long value) {
    if (value == null) {
      return u8(0);
    }
    return u8(1).i64(value);
  }

  /**
   * {@code u32} entry count, then key and value strings in ascending order of the keys' UTF-8
   * bytes.
   */
  CanonicalWriter metadata(Map<String, String> metadata) {
    List<String> keys = new ArrayList<>(metadata.keySet());
    keys.sort(CanonicalWriter::compareCodePoints);
    u32(keys.size());
    for (String key : keys) {
      string(key).string(metadata.get(key));
    }
    return this;
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }

  /** Code point order, which is also the order of the UTF-8 bytes. */
  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
