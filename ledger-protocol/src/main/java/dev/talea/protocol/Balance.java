package dev.talea.protocol;

import java.util.Objects;

/** An account's normal-side-adjusted balance in one asset. */
public record Balance(String asset, Amount balance) {

  public Balance {
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(balance, "balance");
  }
}
