package dev.talea.client;

/**
 * The server answered with something that is not the contract's response (a proxy's error page, a
 * malformed body, a server of another version). Not retried.
 */
public final class TaleaProtocolException extends TaleaClientException {

  public TaleaProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
