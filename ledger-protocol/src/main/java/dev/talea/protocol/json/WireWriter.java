package dev.talea.protocol.json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.Balance;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Posting;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Domain values to their wire JSON ({@code snake_case}, amounts as strings, timestamps in the
 * contract's form). Optional members are written as JSON {@code null}, so every object of a kind
 * has the same members.
 */
public final class WireWriter {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private WireWriter() {}

  // ---- requests ---------------------------------------------------------------------------------

  public static ObjectNode assetSpec(AssetSpec spec) {
    ObjectNode node = NODES.objectNode();
    node.put("code", spec.code());
    node.put("decimals", spec.decimals());
    if (spec.name() != null) {
      node.put("name", spec.name());
    }
    return node;
  }

  public static ObjectNode accountSpec(AccountSpec spec) {
    ObjectNode node = NODES.objectNode();
    node.put("kind", spec.kind().wireName());
    if (spec.minBalance() != null) {
      node.put("min_balance", spec.minBalance().asWritten());
    }
    if (!spec.metadata().isEmpty()) {
      node.set("metadata", stringMap(spec.metadata()));
    }
    return node;
  }

  public static ObjectNode draft(TransactionDraft draft) {
    ObjectNode node = NODES.objectNode();
    node.put("idempotency_key", draft.idempotencyKey());
    ArrayNode postings = node.putArray("postings");
    for (DraftPosting posting : draft.postings()) {
      ObjectNode item = postings.addObject();
      item.put("account", posting.account());
      item.put("asset", posting.asset());
      item.put(posting.side().wireName(), posting.amount().asWritten());
    }
    if (draft.occurredAt() != null) {
      node.put("occurred_at", Timestamps.format(draft.occurredAt()));
    }
    if (draft.memo() != null) {
      node.put("memo", draft.memo());
    }
    if (!draft.metadata().isEmpty()) {
      node.set("metadata", stringMap(draft.metadata()));
    }
    return node;
  }

  public static ObjectNode batchRequest(List<TransactionDraft> drafts) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("transactions");
    drafts.forEach(draft -> items.add(draft(draft)));
    return node;
  }

  // ---- responses --------------------------------------------------------------------------------

  public static ObjectNode asset(Asset asset) {
    ObjectNode node = NODES.objectNode();
    node.put("code", asset.code());
    node.put("decimals", asset.decimals());
    node.put("name", asset.name());
    node.put("created_at", Timestamps.format(asset.createdAt()));
    return node;
  }

  public static ObjectNode assets(List<Asset> assets) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("assets");
    assets.forEach(asset -> items.add(asset(asset)));
    return node;
  }

  public static ObjectNode books(List<BookSummary> books) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("books");
    for (BookSummary book : books) {
      ObjectNode item = items.addObject();
      item.put("book", book.book());
      item.put("last_seq", book.lastSeq());
      item.put("head_hash", book.headHash());
    }
    return node;
  }

  public static ObjectNode account(Account account) {
    ObjectNode node = NODES.objectNode();
    node.put("book", account.book());
    node.put("account", account.account());
    node.put("kind", account.kind().wireName());
    node.put("normal_side", account.normalSide().wireName());
    node.put(
        "min_balance", account.minBalance() == null ? null : account.minBalance().normalized());
    node.set("metadata", stringMap(account.metadata()));
    node.put("created_at", Timestamps.format(account.createdAt()));
    node.set("balances", balances(account.balances()));
    return node;
  }

  public static ObjectNode accountPage(AccountPage page) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("accounts");
    page.accounts().forEach(account -> items.add(account(account)));
    node.put("next_after", page.nextAfter());
    return node;
  }

  public static ObjectNode transaction(Transaction tx) {
    ObjectNode node = NODES.objectNode();
    node.put("tx_id", tx.txId().toString());
    node.put("book", tx.book());
    node.put("seq", tx.seq());
    node.put("committed_at", Timestamps.format(tx.committedAt()));
    node.put("occurred_at", timestampOrNull(tx.occurredAt()));
    node.put("idempotency_key", tx.idempotencyKey());
    node.put("deduplicated", tx.deduplicated());
    node.put("memo", tx.memo());
    node.set("metadata", stringMap(tx.metadata()));
    ArrayNode postings = node.putArray("postings");
    for (Posting posting : tx.postings()) {
      ObjectNode item = postings.addObject();
      item.put("account", posting.account());
      item.put("asset", posting.asset());
      item.put(posting.side().wireName(), posting.amount().toString());
      item.put("balance_after", posting.balanceAfter().toString());
    }
    node.put("hash", tx.hash());
    node.put("prev_hash", tx.prevHash());
    return node;
  }

  public static ObjectNode transactionPage(TransactionPage page) {
    ObjectNode node = transactions(page.transactions());
    if (page.nextAfterSeq() == null) {
      node.putNull("next_after_seq");
    } else {
      node.put("next_after_seq", page.nextAfterSeq());
    }
    return node;
  }

  /** {@code {"transactions":[...]}} without a cursor (the lookup by idempotency key). */
  public static ObjectNode transactions(List<Transaction> transactions) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("transactions");
    transactions.forEach(tx -> items.add(transaction(tx)));
    return node;
  }

  public static ObjectNode batchResults(List<PostOutcome> outcomes) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("results");
    for (PostOutcome outcome : outcomes) {
      ObjectNode item = items.addObject();
      item.put("status", outcome.httpStatus());
      if (outcome instanceof PostOutcome.Committed committed) {
        item.set("transaction", transaction(committed.transaction()));
      } else if (outcome instanceof PostOutcome.Rejected rejected) {
        item.set("error", problem(rejected.error()));
      }
    }
    return node;
  }

  public static ObjectNode postingPage(PostingPage page) {
    ObjectNode node = NODES.objectNode();
    ArrayNode items = node.putArray("postings");
    for (AccountPosting posting : page.postings()) {
      ObjectNode item = items.addObject();
      item.put("seq", posting.seq());
      item.put("tx_id", posting.txId().toString());
      item.put("committed_at", Timestamps.format(posting.committedAt()));
      item.put("asset", posting.asset());
      item.put(posting.side().wireName(), posting.amount().toString());
      item.put("balance_after", posting.balanceAfter().toString());
    }
    if (page.nextAfterSeq() == null) {
      node.putNull("next_after_seq");
    } else {
      node.put("next_after_seq", page.nextAfterSeq());
    }
    return node;
  }

  public static ObjectNode accountBalances(AccountBalances balances) {
    ObjectNode node = NODES.objectNode();
    node.put("book", balances.book());
    node.put("account", balances.account());
    node.put("kind", balances.kind().wireName());
    node.put("normal_side", balances.normalSide().wireName());
    node.put("as_of", timestampOrNull(balances.asOf()));
    node.put("seq", balances.seq());
    node.set("balances", balances(balances.balances()));
    return node;
  }

  public static ObjectNode trialBalance(TrialBalance trial) {
    ObjectNode node = NODES.objectNode();
    node.put("book", trial.book());
    node.put("as_of", timestampOrNull(trial.asOf()));
    node.put("seq", trial.seq());
    ArrayNode accounts = node.putArray("accounts");
    for (TrialBalance.Line line : trial.accounts()) {
      ObjectNode item = accounts.addObject();
      item.put("account", line.account());
      item.put("kind", line.kind().wireName());
      item.put("asset", line.asset());
      item.put("debit", line.debit().toString());
      item.put("credit", line.credit().toString());
    }
    ArrayNode totals = node.putArray("totals");
    for (TrialBalance.Total total : trial.totals()) {
      ObjectNode item = totals.addObject();
      item.put("asset", total.asset());
      item.put("debit", total.debit().toString());
      item.put("credit", total.credit().toString());
    }
    node.put("balanced", trial.balanced());
    return node;
  }

  public static ObjectNode verifyResult(VerifyResult result) {
    ObjectNode node = NODES.objectNode();
    node.put("book", result.book());
    if (result.ok()) {
      node.put("seq", result.seq());
      node.put("head_hash", result.headHash());
      node.put("ok", true);
    } else {
      node.put("seq", result.seq());
      node.put("ok", false);
      node.put("first_bad_seq", result.firstBadSeq());
      node.put("reason", result.reason());
    }
    return node;
  }

  /** An RFC 9457 problem document with the contract's {@code error} code and its fields. */
  public static ObjectNode problem(LedgerError error) {
    ObjectNode node = NODES.objectNode();
    node.put("type", error.code().typeUri());
    node.put("title", error.code().title());
    node.put("status", error.code().httpStatus());
    node.put("detail", error.detail());
    node.put("error", error.code().wireName());
    error.fields().forEach(node::put);
    return node;
  }

  private static ArrayNode balances(List<Balance> balances) {
    ArrayNode items = NODES.arrayNode();
    for (Balance balance : balances) {
      ObjectNode item = items.addObject();
      item.put("asset", balance.asset());
      item.put("balance", balance.balance().toString());
    }
    return items;
  }

  private static ObjectNode stringMap(Map<String, String> map) {
    ObjectNode node = NODES.objectNode();
    map.forEach(node::put);
    return node;
  }

  private static String timestampOrNull(Instant instant) {
    return instant == null ? null : Timestamps.format(instant);
  }
}
