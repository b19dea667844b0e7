package dev.talea.protocol;

import java.util.Objects;

/**
 * The result of an idempotent create: the stored value and whether this call created it (201) or
 * found it already there (200).
 */
public record Registration<T>(T value, boolean created) {

  public Registration {
    Objects.requireNonNull(value, "value");
  }
}
