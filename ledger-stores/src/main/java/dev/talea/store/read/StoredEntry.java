package dev.talea.store.read;

import dev.talea.protocol.Side;
import java.math.BigInteger;
import java.time.Instant;
import java.util.UUID;

/**
 * One posting of an account, as its statement reads it: where it lies ({@code seq}, and {@code
 * index} within the commit), its commit's id and time, and the amounts in minor units.
 */
public record StoredEntry(
    long seq,
    int index,
    UUID txId,
    Instant committedAt,
    String asset,
    Side side,
    BigInteger amount,
    BigInteger balanceAfter) {}
