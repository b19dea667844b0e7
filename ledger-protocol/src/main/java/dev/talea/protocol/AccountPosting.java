package dev.talea.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** A posting as seen from its account: a line of the account's statement. */
public record AccountPosting(
    long seq,
    UUID txId,
    Instant committedAt,
    String asset,
    Side side,
    Amount amount,
    Amount balanceAfter) {

  public AccountPosting {
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(committedAt, "committedAt");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(side, "side");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(balanceAfter, "balanceAfter");
  }
}
