package dev.talea.store;

/** The store failed for a reason that is not a business outcome: a bug, or a damaged store. */
public class StoreException extends RuntimeException {

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
