package dev.talea.protocol.json;

/**
 * A response body did not have the shape the contract promises (a bug or a version mismatch on the
 * other side). Requests that break the contract are answered with {@code invalid_request} instead.
 */
public class WireFormatException extends RuntimeException {

  public WireFormatException(String message) {
    super(message);
  }

  public WireFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
