package dev.talea.protocol;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * UUIDv7 transaction ids (RFC 9562): 48 bits of Unix milliseconds, the version, 74 random bits and
 * the variant. They sort roughly by creation time, which keeps database indexes on them compact.
 */
public final class TxIds {

  private static final SecureRandom RANDOM = new SecureRandom();

  private TxIds() {}

  /** A new UUIDv7 at the current time. */
  public static UUID newId() {
    return newId(System.currentTimeMillis());
  }

  static UUID newId(long unixMillis) {
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    long randA = ((random[0] & 0xFFL) << 4 | (random[1] & 0xF0L) >>> 4) & 0xFFFL;
    long msb = (unixMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | randA;
    long randB = 0;
    for (int i = 2; i < 10; i++) {
      randB = randB << 8 | (random[i] & 0xFFL);
    }
    long lsb = (randB & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** The Unix milliseconds embedded in a UUIDv7. */
  public static long unixMillis(UUID id) {
    if (id.version() != 7) {
      throw new IllegalArgumentException("not a UUIDv7: " + id);
    }
    return id.getMostSignificantBits() >>> 16;
  }
}
