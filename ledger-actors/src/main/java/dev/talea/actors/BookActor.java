package dev.talea.actors;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreUnavailableException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.event.Level;

/**
 * One book's writer: turns concurrent posts into group commits.
 *
 * <p>Two phases. <b>Idle</b>: a post starts a group commit at once. <b>Committing</b>: one {@code
 * commitBatch} is in flight, on the blocking dispatcher, its result coming back through {@code
 * pipeToSelf}; posts that arrive meanwhile wait, up to {@code writeQueueDepth} of them, and any
 * more are answered {@code overloaded} at once. When the commit returns, each of its posts is
 * answered, the new commits go to the subscribers, and the next group commit takes the waiting
 * posts in arrival order, up to {@code writeBatchMax} drafts. So a hot book commits in batches that
 * grow with its load, one at a time, in order.
 *
 * <p>The waiting posts are an explicit bounded queue rather than a {@code StashBuffer}: a group
 * commit takes a prefix of them, which a stash (made for replaying messages into a behaviour) does
 * not offer. A post with more drafts than a group commit may hold (the batch endpoint) is committed
 * alone, in consecutive group commits of at most {@code writeBatchMax} drafts, and answered once
 * all are done.
 *
 * <p>If the store fails, every post in flight or waiting is answered {@code unavailable} (their
 * drafts may be retried with the same keys) and the actor throws, so that its supervisor restarts
 * it after a backoff; posts arriving during the backoff wait in the supervisor's bounded stash. An
 * idle actor asks to be passivated (by the registry, or by its shard in a cluster) after {@code
 * passivateAfter} — at once when its book turned out not to exist, so that posts to unknown books
 * (a typo, a scan) leave no actor behind.
 */
public final class BookActor {

  public sealed interface Command
      permits Post, Stop, CommitDone, CommitFailed, IdleTimeout, BookChecked {}

  /**
   * Commit these drafts (one for a single post, up to 1000 for a batch) and answer {@code replyTo}.
   */
  public record Post(List<TransactionDraft> drafts, ActorRef<PostResult> replyTo)
      implements Command {
    public Post {
      drafts = List.copyOf(drafts);
    }
  }

  /**
   * How an idle book actor asks whoever placed it to stop routing to it: the local {@link
   * BookRegistry}, or Cluster Sharding's shard ({@link ShardedBooks}). Either answers with {@link
   * Stop} once it holds the book's new posts.
   */
  @FunctionalInterface
  interface Passivation {
    void request(ActorRef<Command> self);
  }

  /**
   * From the registry or the shard, after this actor asked to passivate: stop once nothing is
   * pending.
   */
  enum Stop implements Command {
    INSTANCE
  }

  private record CommitDone(List<PostOutcome> outcomes) implements Command {}

  private record CommitFailed(Throwable cause) implements Command {}

  private enum IdleTimeout implements Command {
    INSTANCE
  }

  /** Whether the book exists, asked after a group commit that committed nothing. */
  private record BookChecked(boolean exists) implements Command {}

  /** Thrown after a failed group commit so that the supervisor restarts the actor with backoff. */
  static final class StoreFailure extends RuntimeException {
    StoreFailure(String book, Throwable cause) {
      super("group commit of book " + book + " failed: " + cause.getMessage(), cause);
    }
  }

  /** A post on its way through group commit: its drafts' outcomes so far. */
  private static final class Pending {
    final Post post;
    final PostOutcome[] outcomes;
    int done;

    Pending(Post post) {
      this.post = post;
      this.outcomes = new PostOutcome[post.drafts().size()];
    }

    int size() {
      return outcomes.length;
    }
  }

  /** Drafts {@code [from, to)} of a pending post, as part of one group commit. */
  private record Slice(Pending pending, int from, int to) {}

  private final String book;
  private final Passivation passivation;
  private final Store store;
  private final Executor blocking;
  private final CommitFeed feed;
  private final LedgerSettings settings;
  private final LedgerMetrics metrics;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;

  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private Pending chunked;
  private List<Slice> inFlight = List.of();
  private boolean stopRequested;

  /** The last group commit committed nothing, and the store has no such book. */
  private boolean missing;

  private BookActor(
      String book,
      Passivation passivation,
      Store store,
      Executor blocking,
      CommitFeed feed,
      LedgerSettings settings,
      LedgerMetrics metrics,
      ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    this.book = book;
    this.passivation = passivation;
    this.store = store;
    this.blocking = blocking;
    this.feed = feed;
    this.settings = settings;
    this.metrics = metrics;
    this.context = context;
    this.timers = timers;
  }

  static Behavior<Command> create(
      String book,
      Passivation passivation,
      Store store,
      Executor blocking,
      CommitFeed feed,
      LedgerSettings settings,
      LedgerMetrics metrics) {
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers ->
                            new BookActor(
                                    book,
                                    passivation,
                                    store,
                                    blocking,
                                    feed,
                                    settings,
                                    metrics,
                                    context,
                                    timers)
                                .idle())))
        .onFailure(
            StoreFailure.class,
            SupervisorStrategy.restartWithBackoff(
                    settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2)
                .withStashCapacity(settings.writeQueueDepth())
                .withLogLevel(Level.WARN));
  }

  private Behavior<Command> idle() {
    if (missing) {
      passivation.request(context.getSelf());
    } else {
      timers.startSingleTimer(IdleTimeout.INSTANCE, settings.passivateAfter());
    }
    return Behaviors.receive(Command.class)
        .onMessage(
            Post.class,
            post -> {
              timers.cancel(IdleTimeout.INSTANCE);
              waiting.add(new Pending(post));
              return commitNext();
            })
        .onMessageEquals(
            IdleTimeout.INSTANCE,
            () -> {
              passivation.request(context.getSelf());
              return Behaviors.same();
            })
        .onMessage(
            BookChecked.class,
            checked -> {
              missing = !checked.exists();
              if (missing) {
                timers.cancel(IdleTimeout.INSTANCE);
                passivation.request(context.getSelf());
              }
              return Behaviors.same();
            })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Command> committing() {
    return Behaviors.receive(Command.class)
        .onMessage(Post.class, this::enqueue)
        .onMessage(CommitDone.class, this::onCommitted)
        .onMessage(CommitFailed.class, this::onFailed)
        .onMessageEquals(
            Stop.INSTANCE,
            () -> {
              stopRequested = true;
              return Behaviors.same();
            })
        .onMessageEquals(IdleTimeout.INSTANCE, Behaviors::same)
        .onMessage(
            BookChecked.class,
            checked -> {
              missing = !checked.exists();
              return Behaviors.same();
            })
        .build();
  }

  private Behavior<Command> enqueue(Post post) {
    if (waiting.size() >= settings.writeQueueDepth()) {
      post.replyTo().tell(new PostResult.Refused(LedgerError.bookOverloaded(book)));
    } else {
      waiting.add(new Pending(post));
      metrics.queueDepth(book, waiting.size());
    }
    return Behaviors.same();
  }

  /** Starts the next group commit, or goes idle (or stops, if asked to) when nothing waits. */
  private Behavior<Command> commitNext() {
    int max = settings.writeBatchMax();
    List<Slice> slices = new ArrayList<>();
    if (chunked != null) {
      slices.add(new Slice(chunked, chunked.done, Math.min(chunked.size(), chunked.done + max)));
    } else {
      int drafts = 0;
      while (!waiting.isEmpty()) {
        Pending next = waiting.peek();
        if (drafts > 0 && drafts + next.size() > max) {
          break;
        }
        waiting.poll();
        if (next.size() > max) {
          chunked = next;
          slices.add(new Slice(next, 0, max));
          break;
        }
        slices.add(new Slice(next, 0, next.size()));
        drafts += next.size();
      }
    }
    if (slices.isEmpty()) {
      return stopRequested ? Behaviors.stopped() : idle();
    }
    inFlight = slices;
    metrics.queueDepth(book, waiting.size());
    List<TransactionDraft> drafts = new ArrayList<>();
    for (Slice slice : slices) {
      drafts.addAll(slice.pending().post.drafts().subList(slice.from(), slice.to()));
    }
    context.pipeToSelf(
        CompletableFuture.supplyAsync(
            () -> {
              long start = System.nanoTime();
              List<PostOutcome> outcomes = store.commitBatch(book, drafts);
              metrics.groupCommitted(book, drafts.size(), System.nanoTime() - start);
              return outcomes;
            },
            blocking),
        (outcomes, failure) ->
            failure == null ? new CommitDone(outcomes) : new CommitFailed(unwrap(failure)));
    return committing();
  }

  private Behavior<Command> onCommitted(CommitDone done) {
    int expected = inFlight.stream().mapToInt(slice -> slice.to() - slice.from()).sum();
    if (done.outcomes().size() != expected) {
      return onFailed(
          new CommitFailed(
              new IllegalStateException(
                  "the store answered "
                      + done.outcomes().size()
                      + " outcomes for "
                      + expected
                      + " drafts")));
    }
    int next = 0;
    List<Pending> answered = new ArrayList<>(inFlight.size());
    for (Slice slice : inFlight) {
      Pending pending = slice.pending();
      for (int i = slice.from(); i < slice.to(); i++) {
        pending.outcomes[i] = done.outcomes().get(next++);
      }
      pending.done = slice.to();
      if (pending.done == pending.size()) {
        answered.add(pending);
        if (pending == chunked) {
          chunked = null;
        }
      }
    }
    // The next group commit starts before the replies go out: answering a post completes its
    // HTTP response on this thread (rendering its JSON), and the store need not wait for that.
    inFlight = List.of();
    Behavior<Command> following = commitNext();
    for (Pending pending : answered) {
      pending.post.replyTo().tell(new PostResult.Done(Arrays.asList(pending.outcomes)));
    }
    boolean committedAny = false;
    for (PostOutcome outcome : done.outcomes()) {
      if (outcome instanceof PostOutcome.Committed committed) {
        committedAny = true;
        if (!committed.transaction().deduplicated()) {
          feed.publish(committed.transaction());
        }
      }
    }
    if (committedAny) {
      missing = false;
    } else {
      // Nothing committed: perhaps there is no such book. One cheap read tells.
      context.pipeToSelf(
          CompletableFuture.supplyAsync(() -> store.findBook(book).isPresent(), blocking),
          (exists, failure) -> new BookChecked(failure != null || exists));
    }
    return following;
  }

  private Behavior<Command> onFailed(CommitFailed failed) {
    Throwable cause = failed.cause();
    LedgerError error =
        cause instanceof StoreUnavailableException
            ? LedgerError.of(
                ErrorCode.UNAVAILABLE,
                "the store failed during the commit; retry with the same idempotency key")
            : LedgerError.of(ErrorCode.INTERNAL, "internal error");
    Set<Pending> answered = new LinkedHashSet<>();
    inFlight.forEach(slice -> answered.add(slice.pending()));
    if (chunked != null) {
      answered.add(chunked);
    }
    answered.addAll(waiting);
    for (Pending pending : answered) {
      pending.post.replyTo().tell(new PostResult.Refused(error));
    }
    // The supervisor logs the failure itself, with its stack trace, as it restarts the actor.
    context
        .getLog()
        .warn(
            "book {}: group commit failed; answered {} posts {}",
            book,
            answered.size(),
            error.code().wireName());
    waiting.clear();
    chunked = null;
    inFlight = List.of();
    metrics.groupFailed(book);
    metrics.queueDepth(book, 0);
    throw new StoreFailure(book, cause);
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }
}
