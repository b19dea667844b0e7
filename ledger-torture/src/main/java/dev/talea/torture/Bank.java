package dev.talea.torture;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.Side;
import dev.talea.protocol.TransactionDraft;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bank the clients run: per book a vault (an asset account, unconstrained) and customers
 * (liabilities with {@code min_balance} 0), each customer funded once from the vault; then only
 * transfers between customers, many of which their balance cannot cover. So per book the customers'
 * balances always sum to the deposits, and none may ever read below zero.
 */
final class Bank {

  static final String ASSET = "USD";
  static final int DECIMALS = 2;
  static final String VAULT = "assets:vault";
  static final BigInteger DEPOSIT = BigInteger.valueOf(100_000); // 1,000.00 each

  final List<String> books;
  final List<String> customers;

  Bank(int books, int customers) {
    List<String> bookNames = new ArrayList<>();
    for (int b = 0; b < books; b++) {
      bookNames.add("bank-" + b);
    }
    List<String> customerNames = new ArrayList<>();
    for (int c = 0; c < customers; c++) {
      customerNames.add("liabilities:customers:c" + c);
    }
    this.books = List.copyOf(bookNames);
    this.customers = List.copyOf(customerNames);
  }

  static AccountKind kindOf(String account) {
    return account.equals(VAULT) ? AccountKind.ASSET : AccountKind.LIABILITY;
  }

  BigInteger deposits() {
    return DEPOSIT.multiply(BigInteger.valueOf(customers.size()));
  }

  static TransactionDraft deposit(String customer) {
    DecimalAmount amount = DecimalAmount.ofMinorUnits(DEPOSIT, DECIMALS);
    return new TransactionDraft(
        "deposit-" + customer,
        List.of(
            new DraftPosting(VAULT, ASSET, Side.DEBIT, amount),
            new DraftPosting(customer, ASSET, Side.CREDIT, amount)),
        null,
        "opening deposit",
        Map.of());
  }

  /** Moves {@code cents} from one customer to another (a debit lowers a liability). */
  static TransactionDraft transfer(String key, String from, String to, long cents) {
    DecimalAmount amount = DecimalAmount.ofMinorUnits(BigInteger.valueOf(cents), DECIMALS);
    return new TransactionDraft(
        key,
        List.of(
            new DraftPosting(from, ASSET, Side.DEBIT, amount),
            new DraftPosting(to, ASSET, Side.CREDIT, amount)),
        null,
        "transfer " + key,
        Map.of("from", from, "to", to));
  }
}
