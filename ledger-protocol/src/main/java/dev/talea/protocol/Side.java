package dev.talea.protocol;

/** The two sides of double entry. */
public enum Side {
  DEBIT("debit"),
  CREDIT("credit");

  private final String wireName;

  Side(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public Side opposite() {
    return this == DEBIT ? CREDIT : DEBIT;
  }
}
