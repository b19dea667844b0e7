package dev.talea.protocol;

/**
 * A ledger operation ended in one of the contract's error codes. Callers switch on {@link #code()};
 * the structured fields of the problem ({@code field}, {@code account}, ...) are available through
 * {@link #field(String)}.
 */
public class LedgerException extends RuntimeException {

  private final LedgerError error;

  public LedgerException(LedgerError error) {
    super(error.code().wireName() + ": " + error.detail(), null, false, true);
    this.error = error;
  }

  public LedgerException(LedgerError error, Throwable cause) {
    super(error.code().wireName() + ": " + error.detail(), cause);
    this.error = error;
  }

  public ErrorCode code() {
    return error.code();
  }

  public LedgerError error() {
    return error;
  }

  /** A structured field of the error, or {@code null}. */
  public String field(String name) {
    return error.field(name);
  }
}
