package dev.talea.client;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When the client tries a request again: after {@code 503} (overloaded or unavailable), {@code 429}
 * (a book's queue is full), {@code 408} (the commit's outcome is unknown) and transport failures.
 * Every talea request is safe to repeat — a post carries its idempotency key, so its retry answers
 * the original commit if the first try landed — so these are retried for every operation.
 *
 * <p>Delays grow exponentially from {@code initialBackoff} to {@code maxBackoff} with full jitter,
 * and are never shorter than a {@code Retry-After} the server sent. Retrying stops after {@code
 * maxAttempts} tries in all or when the next try would start after {@code maxElapsed}.
 */
public record RetryPolicy(
    int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxElapsed) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(maxElapsed, "maxElapsed");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("backoffs must satisfy 0 <= initial <= max");
    }
  }

  /** 6 tries within 30 s, backing off from 100 ms to 5 s. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(
        6, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(30));
  }

  /** Every request is tried once. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);
  }

  public RetryPolicy withMaxAttempts(int value) {
    return new RetryPolicy(value, initialBackoff, maxBackoff, maxElapsed);
  }

  public RetryPolicy withBackoff(Duration initial, Duration max) {
    return new RetryPolicy(maxAttempts, initial, max, maxElapsed);
  }

  public RetryPolicy withMaxElapsed(Duration value) {
    return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, value);
  }

  /**
   * The delay before try number {@code attempt + 1}: full jitter over the exponential backoff,
   * added to {@code retryAfter} when the server sent one.
   */
  Duration delay(int attempt, Duration retryAfter) {
    long cap = maxBackoff.toMillis();
    long exponential = initialBackoff.toMillis() << Math.min(attempt - 1, 30);
    long ceiling = Math.max(0, Math.min(cap, exponential < 0 ? cap : exponential));
    long jittered = ceiling == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    long floor = retryAfter == null ? 0 : retryAfter.toMillis();
    return Duration.ofMillis(floor + jittered);
  }
}
