package dev.talea.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A graceful drain, as a balancer needs it: from {@link #begin} on, {@code /health} answers 503
 * {@code draining} and every response closes its connection, while requests are still served; when
 * the listener closes, {@link #endLiveTails} ends every live tail with a {@code retry:} line, so
 * that each client reconnects — through the balancer, to another instance — with {@code
 * Last-Event-ID}.
 */
final class Drain {

  /** The last bytes of a live tail ended by a drain: why, and how soon to reconnect. */
  static final ByteString LAST_WORDS =
      ByteString.fromString(
          ": talead is shutting down; reconnect with Last-Event-ID\nretry: 1000\n\n");

  private final AtomicBoolean draining = new AtomicBoolean();
  private final CompletableFuture<ByteString> tailsEnded = new CompletableFuture<>();

  /** Starts the drain; false if it had started already. */
  boolean begin() {
    return draining.compareAndSet(false, true);
  }

  boolean draining() {
    return draining.get();
  }

  /**
   * A live tail's bytes as they go until the drain ends it: then its last words, and the stream
   * completes, and so does the chunked response that carries it. A tail that ends by itself ends as
   * it would have.
   */
  Source<ByteString, NotUsed> endable(Source<ByteString, NotUsed> tail) {
    return tail.merge(Source.completionStage(tailsEnded), true)
        .takeWhile(bytes -> bytes != LAST_WORDS, true);
  }

  /** Ends every live tail, open or opening from now on. */
  void endLiveTails() {
    tailsEnded.complete(LAST_WORDS);
  }
}
