package dev.talea.http;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many live tails may be open at once, in all and per token ({@code TALEA_MAX_SUBSCRIBERS},
 * {@code TALEA_MAX_SUBSCRIBERS_PER_TOKEN}). A live tail holds no admission slot once it streams, so
 * without these a single read-only token could hold every connection the server has.
 */
final class LiveTailLimits {

  private final int total;
  private final int perToken;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> byToken = new ConcurrentHashMap<>();

  /** Gives back places whose stream never started (its client left before the response). */
  private final ScheduledExecutorService unclaimed =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "talea-live-tail-limits");
            thread.setDaemon(true);
            return thread;
          });

  /** A place taken for one live tail; given back exactly once. */
  final class Place {
    private final String token;
    private final AtomicBoolean held = new AtomicBoolean(true);
    private final AtomicBoolean started = new AtomicBoolean();

    private Place(String token) {
      this.token = token;
      unclaimed.schedule(
          () -> {
            if (!started.get()) {
              release();
            }
          },
          UNCLAIMED_AFTER_SECONDS,
          TimeUnit.SECONDS);
    }

    /** The stream began: from now on only its end gives the place back. */
    void started() {
      started.set(true);
    }

    void release() {
      if (held.compareAndSet(true, false)) {
        LiveTailLimits.this.release(token);
      }
    }
  }

  /** How long a response may take to start streaming before its place is given back. */
  static final long UNCLAIMED_AFTER_SECONDS = 30;

  LiveTailLimits(int total, int perToken) {
    this.total = total;
    this.perToken = perToken;
  }

  /** Live tails open now. */
  int open() {
    return open.get();
  }

  int total() {
    return total;
  }

  int perToken() {
    return perToken;
  }

  /**
   * Takes a place for a new tail of {@code token} on {@code book}.
   *
   * @throws dev.talea.protocol.LedgerException {@code overloaded} (429) when a limit is reached
   */
  Place acquire(String token, String book) {
    String refused = take(token);
    if (refused != null) {
      boolean mine = refused.endsWith("PER_TOKEN");
      throw new LedgerError(
              ErrorCode.BOOK_OVERLOADED,
              "the server is at its limit of "
                  + (mine ? perToken + " live tails for this token" : total + " live tails")
                  + " ("
                  + refused
                  + "); retry later",
              Map.of("book", book))
          .toException();
    }
    return new Place(token);
  }

  private String take(String token) {
    if (open.incrementAndGet() > total) {
      open.decrementAndGet();
      return "TALEA_MAX_SUBSCRIBERS";
    }
    boolean[] taken = {false};
    byToken.compute(
        token,
        (t, count) -> {
          int now = count == null ? 0 : count;
          if (now >= perToken) {
            return count;
          }
          taken[0] = true;
          return now + 1;
        });
    if (!taken[0]) {
      open.decrementAndGet();
      return "TALEA_MAX_SUBSCRIBERS_PER_TOKEN";
    }
    return null;
  }

  private void release(String token) {
    byToken.computeIfPresent(token, (t, count) -> count == 1 ? null : count - 1);
    open.decrementAndGet();
  }
}
