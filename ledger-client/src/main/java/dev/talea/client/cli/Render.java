package dev.talea.client.cli;

import dev.talea.protocol.Account;
import dev.talea.protocol.Amount;
import dev.talea.protocol.Asset;
import dev.talea.protocol.Balance;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Side;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** The human-readable forms of talea's values, shared by the commands. */
final class Render {

  /** What an absent value prints as. */
  static final String NONE = "-";

  private Render() {}

  static String text(Object value) {
    return value == null ? NONE : value.toString();
  }

  static String time(Instant instant) {
    return instant == null ? NONE : Timestamps.format(instant);
  }

  /** {@code k=v, k2=v2} in key order, or {@code -}. */
  static String metadata(Map<String, String> metadata) {
    if (metadata.isEmpty()) {
      return NONE;
    }
    StringJoiner text = new StringJoiner(", ");
    metadata.forEach((key, value) -> text.add(key + "=" + value));
    return text.toString();
  }

  /** The amount if it is on this side, else an empty cell. */
  static String onSide(Side wanted, Side side, Amount amount) {
    return side == wanted ? amount.toString() : "";
  }

  /** An empty cell for a zero amount (the other column of a trial-balance line). */
  static String unlessZero(Amount amount) {
    return amount.signum() == 0 ? "" : amount.toString();
  }

  static void assets(PrintWriter out, List<Asset> assets) {
    Table table = Table.of("CODE", "DECIMALS>", "NAME", "CREATED_AT");
    for (Asset asset : assets) {
      table.row(asset.code(), asset.decimals(), text(asset.name()), time(asset.createdAt()));
    }
    table.print(out);
  }

  /** Name-value lines, the names padded to one width. */
  static void fields(PrintWriter out, Object... namesAndValues) {
    Table table = Table.of("", "");
    for (int i = 0; i < namesAndValues.length; i += 2) {
      table.row(namesAndValues[i], text(namesAndValues[i + 1]));
    }
    table.print(out, false, "");
  }

  static void account(PrintWriter out, Account account) {
    fields(
        out,
        "book",
        account.book(),
        "account",
        account.account(),
        "kind",
        account.kind().wireName(),
        "normal_side",
        account.normalSide().wireName(),
        "min_balance",
        account.minBalance() == null ? null : account.minBalance().normalized(),
        "metadata",
        metadata(account.metadata()),
        "created_at",
        time(account.createdAt()));
    out.println();
    balances(out, account.balances());
  }

  static void balances(PrintWriter out, List<Balance> balances) {
    Table table = Table.of("ASSET", "BALANCE>");
    for (Balance balance : balances) {
      table.row(balance.asset(), balance.balance());
    }
    table.print(out);
  }

  /** A transaction's fields, a blank line, and its postings. */
  static void transaction(PrintWriter out, Transaction tx) {
    fields(
        out,
        "tx_id",
        tx.txId(),
        "book",
        tx.book(),
        "seq",
        tx.seq(),
        "committed_at",
        time(tx.committedAt()),
        "occurred_at",
        time(tx.occurredAt()),
        "idempotency_key",
        tx.idempotencyKey(),
        "memo",
        tx.memo(),
        "metadata",
        metadata(tx.metadata()),
        "hash",
        tx.hash(),
        "prev_hash",
        tx.prevHash());
    out.println();
    postings(tx).print(out);
  }

  /** A transaction's postings: ACCOUNT, ASSET, DEBIT, CREDIT, BALANCE_AFTER. */
  static Table postings(Transaction tx) {
    Table table = Table.of("ACCOUNT", "ASSET", "DEBIT>", "CREDIT>", "BALANCE_AFTER>");
    for (Posting posting : tx.postings()) {
      table.row(
          posting.account(),
          posting.asset(),
          onSide(Side.DEBIT, posting.side(), posting.amount()),
          onSide(Side.CREDIT, posting.side(), posting.amount()),
          posting.balanceAfter());
    }
    return table;
  }
}
