package dev.talea.actors;

import dev.talea.protocol.TransactionDraft;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Where a post finds its book's one {@link BookActor}: in this process ({@link BookRegistry}), or
 * wherever Cluster Sharding placed it ({@link ShardedBooks}). Chosen once, at start-up; the book
 * actor is the same either way.
 */
interface BookWriters {

  /**
   * Asks the book's writer to commit {@code drafts}; fails with a timeout after {@code timeout}.
   */
  CompletionStage<PostResult> post(String book, List<TransactionDraft> drafts, Duration timeout);

  /**
   * Whether the writer may be on another node, so that a post left unanswered may mean that the
   * book is moving or its owner is unreachable rather than that its commit is slow.
   */
  boolean clustered();

  /** Today's local registry. */
  static BookWriters local(ActorRef<BookRegistry.Command> registry, Scheduler scheduler) {
    return new BookWriters() {
      @Override
      public CompletionStage<PostResult> post(
          String book, List<TransactionDraft> drafts, Duration timeout) {
        return AskPattern.ask(
            registry, replyTo -> new BookRegistry.Post(book, drafts, replyTo), timeout, scheduler);
      }

      @Override
      public boolean clustered() {
        return false;
      }
    };
  }
}
