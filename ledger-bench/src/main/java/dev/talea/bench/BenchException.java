package dev.talea.bench;

/** A benchmark that cannot go on; the message says why, for the person running it. */
final class BenchException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  BenchException(String message) {
    super(message);
  }

  BenchException(String message, Throwable cause) {
    super(message, cause);
  }
}
