package dev.talea.store;

/**
 * The store cannot be reached right now (connection refused or lost, pool exhausted, database
 * shutting down). The operation may or may not have taken effect; retrying it later is safe because
 * posts carry idempotency keys. Answered as {@code 503 unavailable}.
 */
public class StoreUnavailableException extends StoreException {

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
