package dev.talea.protocol;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Checks of a draft that need the asset registry but not the book's state. */
public final class Drafts {

  private Drafts() {}

  /**
   * Ties a draft's amounts to their assets.
   *
   * @param assets the registered asset with a code, or {@code null}
   * @throws LedgerException {@code unknown_asset} for an unregistered asset, {@code invalid_amount}
   *     for an amount with more fractional digits than its asset allows or over 2^256 − 1 minor
   *     units, {@code unbalanced} when an asset's debits and credits differ (checked per asset in
   *     order of first appearance, after every posting is resolved)
   */
  public static ResolvedDraft resolve(TransactionDraft draft, Function<String, Asset> assets) {
    List<ResolvedDraft.Leg> legs = new ArrayList<>(draft.postings().size());
    Map<String, BigInteger[]> sums = new LinkedHashMap<>();
    Map<String, Integer> decimalsByAsset = new LinkedHashMap<>();
    for (int i = 0; i < draft.postings().size(); i++) {
      DraftPosting posting = draft.postings().get(i);
      Asset asset = assets.apply(posting.asset());
      if (asset == null) {
        throw LedgerError.unknownAsset(posting.asset()).toException();
      }
      String field = "postings[" + i + "]." + posting.side().wireName();
      BigInteger amount = posting.amount().toPostingUnits(asset.decimals(), field);
      legs.add(
          new ResolvedDraft.Leg(
              posting.account(), posting.asset(), posting.side(), amount, asset.decimals()));
      BigInteger[] columns =
          sums.computeIfAbsent(
              posting.asset(), a -> new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO});
      int column = posting.side() == Side.DEBIT ? 0 : 1;
      columns[column] = columns[column].add(amount);
      decimalsByAsset.put(posting.asset(), asset.decimals());
    }
    for (Map.Entry<String, BigInteger[]> entry : sums.entrySet()) {
      BigInteger[] columns = entry.getValue();
      if (!columns[0].equals(columns[1])) {
        int decimals = decimalsByAsset.get(entry.getKey());
        throw LedgerError.unbalanced(
                entry.getKey(),
                Amounts.format(columns[0], decimals),
                Amounts.format(columns[1], decimals))
            .toException();
      }
    }
    return new ResolvedDraft(draft, legs);
  }
}
