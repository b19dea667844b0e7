package dev.talea.protocol;

import java.util.Map;
import java.util.Objects;

/**
 * A request to open an account in a book.
 *
 * @param kind the account kind, which fixes its normal side
 * @param minBalance the lowest normal-side-adjusted balance the account may reach in any asset it
 *     holds, in that asset's units; may be negative; {@code null} means unconstrained
 * @param metadata string values, at most 16 KiB serialised; may be updated later
 */
public record AccountSpec(
    AccountKind kind, DecimalAmount minBalance, Map<String, String> metadata) {

  public AccountSpec {
    if (kind == null) {
      throw LedgerError.invalidRequest(
              "kind", "kind must be one of asset, liability, equity, income, expense")
          .toException();
    }
    metadata = Metadata.normalize(metadata, "metadata");
  }

  public AccountSpec(AccountKind kind) {
    this(kind, null, Map.of());
  }

  /**
   * Whether an existing account with this kind and min_balance conflicts with this spec. Metadata
   * never conflicts; it is updated.
   */
  public boolean conflictsWith(AccountKind otherKind, DecimalAmount otherMinBalance) {
    return kind != otherKind || !Objects.equals(minBalance, otherMinBalance);
  }
}
