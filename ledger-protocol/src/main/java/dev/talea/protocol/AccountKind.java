package dev.talea.protocol;

/**
 * The five account kinds and their normal side. Balances are reported normal-side-adjusted: a
 * liability holding 100 reads {@code 100}, not {@code -100}, so {@code min_balance} means the same
 * thing for every kind.
 */
public enum AccountKind {
  ASSET("asset", Side.DEBIT),
  LIABILITY("liability", Side.CREDIT),
  EQUITY("equity", Side.CREDIT),
  INCOME("income", Side.CREDIT),
  EXPENSE("expense", Side.DEBIT);

  private final String wireName;
  private final Side normalSide;

  AccountKind(String wireName, Side normalSide) {
    this.wireName = wireName;
    this.normalSide = normalSide;
  }

  public String wireName() {
    return wireName;
  }

  public Side normalSide() {
    return normalSide;
  }

  /**
   * Converts a raw balance (debits minus credits) into this kind's normal-side view, and back: the
   * conversion is its own inverse.
   */
  public java.math.BigInteger normalize(java.math.BigInteger raw) {
    return normalSide == Side.DEBIT ? raw : raw.negate();
  }

  /** The kind with this wire name, or {@code null}. */
  public static AccountKind fromWire(String wireName) {
    for (AccountKind kind : values()) {
      if (kind.wireName.equals(wireName)) {
        return kind;
      }
    }
    return null;
  }
}
