package dev.talea.store.commit;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.LedgerError;
import java.util.Objects;

/**
 * The rules for registering an asset or opening an account that already exists, shared by every
 * store: the same code with other decimals, or the same account with another kind or min_balance,
 * is a {@code conflict}; anything else confirms the existing one (a new asset name or new account
 * metadata replaces the old).
 */
public final class Registrations {

  private Registrations() {}

  /**
   * @throws dev.talea.protocol.LedgerException {@code conflict} on field {@code decimals}
   */
  public static void requireCompatible(Asset existing, AssetSpec spec) {
    if (existing.decimals() != spec.decimals()) {
      throw LedgerError.conflict(
              "decimals",
              "asset " + spec.code() + " is registered with " + existing.decimals() + " decimals")
          .toException();
    }
  }

  /**
   * @throws dev.talea.protocol.LedgerException {@code conflict} on field {@code kind} or {@code
   *     min_balance}
   */
  public static void requireCompatible(
      String account, AccountKind kind, DecimalAmount minBalance, AccountSpec spec) {
    if (kind != spec.kind()) {
      throw LedgerError.conflict(
              "kind", "account " + account + " exists with kind " + kind.wireName())
          .toException();
    }
    if (!Objects.equals(minBalance, spec.minBalance())) {
      throw LedgerError.conflict(
              "min_balance",
              "account "
                  + account
                  + " exists with min_balance "
                  + (minBalance == null ? "null" : minBalance.normalized()))
          .toException();
    }
  }
}
