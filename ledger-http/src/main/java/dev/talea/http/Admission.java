package dev.talea.http;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's global bound on requests in flight ({@code TALEA_MAX_INFLIGHT}). A request is
 * admitted or refused synchronously, at once: excess load is answered {@code 503 overloaded} with
 * {@code Retry-After: 1} instead of queueing toward collapse. {@code /health} counts too, so that
 * it reports saturation (wire it to readiness, not liveness).
 *
 * <p>This is a non-blocking counter rather than a materialized {@code Source.queue(n)}: both refuse
 * synchronously, but a stream queue hands admitted elements to its downstream stages
 * asynchronously, so it admits its buffer plus whatever is in transit and cannot hold an exact
 * bound.
 */
final class Admission {

  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();

  Admission(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    this.limit = limit;
  }

  /** Takes a slot if one is free; never waits. */
  boolean tryAcquire() {
    while (true) {
      int current = inFlight.get();
      if (current >= limit) {
        return false;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void release() {
    inFlight.decrementAndGet();
  }

  int inFlight() {
    return inFlight.get();
  }

  int limit() {
    return limit;
  }
}
