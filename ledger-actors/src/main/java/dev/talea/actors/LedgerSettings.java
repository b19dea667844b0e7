package dev.talea.actors;

import java.time.Duration;
import java.util.Objects;

/**
 * The write path's and the subscriptions' bounds, validated once. Defaults match the contract's
 * configuration table where it names them.
 *
 * @param writeQueueDepth posts waiting per book behind the one group commit in flight ({@code
 *     TALEA_WRITE_QUEUE_DEPTH}); beyond it a post is answered {@code overloaded} (429) at once
 * @param writeBatchMax drafts per group commit ({@code TALEA_WRITE_BATCH_MAX}); a batch request
 *     with more drafts is committed in several group commits of at most this many
 * @param requestTimeout how long a caller waits for its commit before {@code timeout} (408): the
 *     outcome is then unknown and the caller retries with the same key ({@code
 *     TALEA_REQUEST_TIMEOUT})
 * @param passivateAfter an idle book's actor stops after this long; the next post starts a new one
 * @param restartMinBackoff first delay before a book's actor restarts after a store failure
 * @param restartMaxBackoff longest such delay (the delay doubles on repeated failures)
 * @param subscriberBuffer live commits buffered per subscriber; a subscriber that falls further
 *     behind is disconnected and resumes from its last seq
 * @param catchUpPage commits read from the store per page while a subscriber catches up
 * @param feedBuffer commits buffered per book between the book's actor and its subscribers
 * @param verifyReuse how long a verify's result answers later verifies of the same book while its
 *     head (seq and hash) has not moved; zero verifies afresh every time
 */
public record LedgerSettings(
    int writeQueueDepth,
    int writeBatchMax,
    Duration requestTimeout,
    Duration passivateAfter,
    Duration restartMinBackoff,
    Duration restartMaxBackoff,
    int subscriberBuffer,
    int catchUpPage,
    int feedBuffer,
    Duration verifyReuse) {

  public LedgerSettings {
    requirePositive(writeQueueDepth, "writeQueueDepth");
    requirePositive(writeBatchMax, "writeBatchMax");
    requirePositive(requestTimeout, "requestTimeout");
    requirePositive(passivateAfter, "passivateAfter");
    requirePositive(restartMinBackoff, "restartMinBackoff");
    requirePositive(restartMaxBackoff, "restartMaxBackoff");
    if (restartMaxBackoff.compareTo(restartMinBackoff) < 0) {
      throw new IllegalArgumentException("restartMaxBackoff must not be below restartMinBackoff");
    }
    requirePositive(subscriberBuffer, "subscriberBuffer");
    requirePositive(catchUpPage, "catchUpPage");
    if (catchUpPage > 1000) {
      throw new IllegalArgumentException("catchUpPage must be at most 1000: " + catchUpPage);
    }
    requirePositive(feedBuffer, "feedBuffer");
    Objects.requireNonNull(verifyReuse, "verifyReuse");
    if (verifyReuse.isNegative()) {
      throw new IllegalArgumentException("verifyReuse must not be negative: " + verifyReuse);
    }
  }

  public static LedgerSettings defaults() {
    return new LedgerSettings(
        256,
        64,
        Duration.ofSeconds(10),
        Duration.ofMinutes(2),
        Duration.ofMillis(200),
        Duration.ofSeconds(5),
        1024,
        500,
        1024,
        Duration.ofMinutes(1));
  }

  public LedgerSettings withWriteQueueDepth(int value) {
    return new LedgerSettings(
        value,
        writeBatchMax,
        requestTimeout,
        passivateAfter,
        restartMinBackoff,
        restartMaxBackoff,
        subscriberBuffer,
        catchUpPage,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withWriteBatchMax(int value) {
    return new LedgerSettings(
        writeQueueDepth,
        value,
        requestTimeout,
        passivateAfter,
        restartMinBackoff,
        restartMaxBackoff,
        subscriberBuffer,
        catchUpPage,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withRequestTimeout(Duration value) {
    return new LedgerSettings(
        writeQueueDepth,
        writeBatchMax,
        value,
        passivateAfter,
        restartMinBackoff,
        restartMaxBackoff,
        subscriberBuffer,
        catchUpPage,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withPassivateAfter(Duration value) {
    return new LedgerSettings(
        writeQueueDepth,
        writeBatchMax,
        requestTimeout,
        value,
        restartMinBackoff,
        restartMaxBackoff,
        subscriberBuffer,
        catchUpPage,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withRestartBackoff(Duration min, Duration max) {
    return new LedgerSettings(
        writeQueueDepth,
        writeBatchMax,
        requestTimeout,
        passivateAfter,
        min,
        max,
        subscriberBuffer,
        catchUpPage,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withSubscriberBuffer(int value) {
    return new LedgerSettings(
        writeQueueDepth,
        writeBatchMax,
        requestTimeout,
        passivateAfter,
        restartMinBackoff,
        restartMaxBackoff,
        value,
        catchUpPage,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withCatchUpPage(int value) {
    return new LedgerSettings(
        writeQueueDepth,
        writeBatchMax,
        requestTimeout,
        passivateAfter,
        restartMinBackoff,
        restartMaxBackoff,
        subscriberBuffer,
        value,
        feedBuffer,
        verifyReuse);
  }

  public LedgerSettings withVerifyReuse(Duration value) {
    return new LedgerSettings(
        writeQueueDepth,
        writeBatchMax,
        requestTimeout,
        passivateAfter,
        restartMinBackoff,
        restartMaxBackoff,
        subscriberBuffer,
        catchUpPage,
        feedBuffer,
        value);
  }

  private static void requirePositive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1: " + value);
    }
  }

  private static void requirePositive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }
}
