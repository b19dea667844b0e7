package dev.talea.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An account in a book with its current balances (one per asset it has ever held, in asset order).
 *
 * @param minBalance the floor of the normal-side-adjusted balance, or {@code null} if unconstrained
 */
public record Account(
    String book,
    String account,
    AccountKind kind,
    DecimalAmount minBalance,
    Map<String, String> metadata,
    Instant createdAt,
    List<Balance> balances) {

  public Account {
    Objects.requireNonNull(book, "book");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(createdAt, "createdAt");
    metadata = Metadata.normalize(metadata, "metadata");
    balances = List.copyOf(balances);
  }

  public Side normalSide() {
    return kind.normalSide();
  }
}
