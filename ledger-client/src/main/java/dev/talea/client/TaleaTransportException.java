package dev.talea.client;

/**
 * The server could not be reached, or the connection failed, and retrying did not help (or was not
 * allowed). Whether a post took effect is unknown; retrying it with the same idempotency key is
 * safe.
 */
public final class TaleaTransportException extends TaleaClientException {

  public TaleaTransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
