package dev.talea.client.cli;

/**
 * A command failed for a reason the CLI itself found (not a server error code): printed as {@code
 * talea: <message>}, exit code 1.
 */
final class CliFailure extends RuntimeException {

  CliFailure(String message) {
    super(message, null, false, false);
  }
}
