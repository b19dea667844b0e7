package dev.talea.store.read;

import dev.talea.protocol.Side;
import java.math.BigInteger;

/**
 * A posting as a store keeps it: the amount and the account's normal-side-adjusted {@code
 * balance_after} in minor units.
 */
public record StoredPosting(
    String account, String asset, Side side, BigInteger amount, BigInteger balanceAfter) {}
