package dev.talea.http;

/** A setting is missing or invalid; the message names the variable (or file) and what is wrong. */
public final class SettingsException extends RuntimeException {

  public SettingsException(String message) {
    super(message);
  }

  public SettingsException(String message, Throwable cause) {
    super(message, cause);
  }
}
