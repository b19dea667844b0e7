package dev.talea.actors;

import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import java.util.List;

/** A book's answer to a post: an outcome per draft, or a refusal of the whole post. */
public sealed interface PostResult {

  /** The post went through group commit: one outcome per draft, in order. */
  record Done(List<PostOutcome> outcomes) implements PostResult {
    public Done {
      outcomes = List.copyOf(outcomes);
    }
  }

  /**
   * The post was refused: {@code overloaded} (429, the book's queue is full; nothing was recorded)
   * or {@code unavailable} (503, the store failed; whether the commit reached the store before the
   * failure is unknown). Either way retrying with the same keys is safe: a commit that did land is
   * returned as {@code deduplicated}.
   */
  record Refused(LedgerError error) implements PostResult {}
}
