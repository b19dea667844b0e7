package dev.talea.client;

/**
 * The client could not get an answer from talead: the base of the client's infrastructure failures.
 * Contract errors (the server answered with an error code) are {@link
 * dev.talea.protocol.LedgerException}s instead.
 */
public class TaleaClientException extends RuntimeException {

  public TaleaClientException(String message, Throwable cause) {
    super(message, cause);
  }
}
