package dev.talea.protocol;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A book's trial balance: every non-zero raw balance (debits minus credits) in its debit or credit
 * column, and per asset the column totals, which double entry keeps equal.
 *
 * @param asOf the requested moment, or {@code null} for the latest state
 * @param seq the last seq included (0 if none)
 * @param accounts one line per account and asset with a non-zero balance, by account then asset
 * @param totals one line per asset, by asset
 * @param balanced whether every asset's debit total equals its credit total
 */
public record TrialBalance(
    String book,
    Instant asOf,
    long seq,
    List<Line> accounts,
    List<Total> totals,
    boolean balanced) {

  public TrialBalance {
    Objects.requireNonNull(book, "book");
    accounts = List.copyOf(accounts);
    totals = List.copyOf(totals);
  }

  /** An account's raw balance in one asset, shown in one column; the other column is zero. */
  public record Line(String account, AccountKind kind, String asset, Amount debit, Amount credit) {}

  /** The column totals of one asset. */
  public record Total(String asset, Amount debit, Amount credit) {}

  /** A raw balance as a store holds it: debits minus credits, in minor units. */
  public record RawBalance(
      String account, AccountKind kind, String asset, int decimals, BigInteger raw) {}

  /** Builds the trial balance from raw balances; zero balances are left out. */
  public static TrialBalance of(String book, Instant asOf, long seq, List<RawBalance> balances) {
    List<RawBalance> sorted = new ArrayList<>(balances);
    sorted.sort(Comparator.comparing(RawBalance::account).thenComparing(RawBalance::asset));
    List<Line> lines = new ArrayList<>();
    Map<String, BigInteger[]> columns = new TreeMap<>();
    Map<String, Integer> decimals = new TreeMap<>();
    for (RawBalance balance : sorted) {
      if (balance.raw().signum() == 0) {
        continue;
      }
      BigInteger debit = balance.raw().signum() > 0 ? balance.raw() : BigInteger.ZERO;
      BigInteger credit = balance.raw().signum() < 0 ? balance.raw().negate() : BigInteger.ZERO;
      lines.add(
          new Line(
              balance.account(),
              balance.kind(),
              balance.asset(),
              new Amount(debit, balance.decimals()),
              new Amount(credit, balance.decimals())));
      BigInteger[] sums =
          columns.computeIfAbsent(
              balance.asset(), a -> new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO});
      sums[0] = sums[0].add(debit);
      sums[1] = sums[1].add(credit);
      decimals.put(balance.asset(), balance.decimals());
    }
    List<Total> totals = new ArrayList<>();
    boolean balanced = true;
    for (Map.Entry<String, BigInteger[]> entry : columns.entrySet()) {
      int scale = decimals.get(entry.getKey());
      BigInteger[] sums = entry.getValue();
      totals.add(new Total(entry.getKey(), new Amount(sums[0], scale), new Amount(sums[1], scale)));
      balanced &= sums[0].equals(sums[1]);
    }
    return new TrialBalance(book, asOf, seq, lines, totals, balanced);
  }
}
