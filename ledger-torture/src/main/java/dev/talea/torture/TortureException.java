package dev.talea.torture;

/** The run could not be carried out (a bad option, a server that does not start): exit code 2. */
final class TortureException extends RuntimeException {

  TortureException(String message) {
    super(message);
  }

  TortureException(String message, Throwable cause) {
    super(message, cause);
  }
}
