package dev.talea.protocol;

/** The contract's paging bounds, shared by every listing. */
public final class Paging {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  private Paging() {}

  /**
   * @throws LedgerException {@code invalid_request} on field {@code limit} unless 1–1000
   */
  public static int requireLimit(int limit) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw LedgerError.invalidRequest("limit", "limit must be an integer 1-1000").toException();
    }
    return limit;
  }

  /**
   * @throws LedgerException {@code invalid_request} on field {@code after_seq} if negative
   */
  public static long requireAfterSeq(long afterSeq) {
    if (afterSeq < 0) {
      throw LedgerError.invalidRequest("after_seq", "after_seq must be an integer >= 0")
          .toException();
    }
    return afterSeq;
  }
}
