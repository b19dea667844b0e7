package dev.talea.actors;

import dev.talea.protocol.Transaction;
import dev.talea.store.Store;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Fans a book's commits out to its subscribers.
 *
 * <p>Each book with subscribers has a hub: a bounded queue that the book's actor offers each new
 * commit to, in seq order, drained by a small stream that hands each commit to every subscriber's
 * own bounded queue. The actor's offer never blocks: if the hub is congested the commit is not
 * queued, and subscribers find it missing by its seq and read it from the store instead. A
 * subscriber joins its book's hub synchronously, before its last store read (a {@code
 * BroadcastHub}'s consumers register asynchronously, which left a window in which a commit could
 * reach the hub but not the new subscriber), so every commit published after that read reaches it.
 *
 * <p>A subscription reads from the store first — pages of commits from its starting seq until it
 * has caught up — and only then attaches to the hub, reads the store once more for commits that
 * landed while it attached, and continues live. Every element is checked against the next expected
 * seq: a seq seen already is skipped (the seam), a seq beyond it means commits were missed, and
 * those are read from the store before it. So a subscriber sees every seq exactly once, in order.
 * It holds no store connection while it waits for live commits. Its live buffer is bounded: a
 * subscriber that falls {@code subscriberBuffer} commits behind fails with {@link
 * SlowSubscriberException} and resumes from its last seq.
 */
public final class CommitFeed {

  private final Store store;
  private final Executor blocking;
  private final Materializer materializer;
  private final LedgerSettings settings;
  private final Map<String, Hub> hubs = new ConcurrentHashMap<>();

  /**
   * A book's live commits: the actor offers to {@code input}; each subscriber has its own queue.
   */
  private record Hub(
      BoundedSourceQueue<Transaction> input, List<BoundedSourceQueue<Transaction>> subscribers) {}

  public CommitFeed(
      Store store, Executor blocking, Materializer materializer, LedgerSettings settings) {
    this.store = store;
    this.blocking = blocking;
    this.materializer = materializer;
    this.settings = settings;
  }

  /**
   * Offers a new commit to the book's subscribers, never blocking. Called by the book's writer, in
   * seq order.
   */
  public void publish(Transaction commit) {
    Hub hub = hubs.get(commit.book());
    if (hub != null) {
      // If the hub is congested the offer is dropped: subscribers find the seq missing and read it
      // from the store.
      hub.input().offer(commit);
    }
  }

  /**
   * The book's commits from {@code fromSeq} on: catch-up from the store, then live. Each
   * materialization is an independent subscription.
   */
  public Source<Transaction, NotUsed> subscribe(String book, long fromSeq) {
    return Source.lazySource(
            () -> {
              AtomicLong next = new AtomicLong(Math.max(1, fromSeq));
              Source<Transaction, NotUsed> live =
                  Source.lazySource(
                          () -> {
                            Source<Transaction, NotUsed> attached = attach(book);
                            return fromStore(book, next)
                                .concatLazy(attached.flatMapConcat(tx -> inOrder(book, next, tx)));
                          })
                      .mapMaterializedValue(ignored -> NotUsed.notUsed());
              return fromStore(book, next).concatLazy(live);
            })
        .mapMaterializedValue(ignored -> NotUsed.notUsed());
  }

  /** Whether some subscriber of the book has attached to its live commits (for tests). */
  boolean hasLiveFeed(String book) {
    return hubs.containsKey(book);
  }

  /** Attaches to the book's hub now, buffering live commits until they are consumed. */
  private Source<Transaction, NotUsed> attach(String book) {
    Hub hub = hubs.computeIfAbsent(book, this::newHub);
    Pair<BoundedSourceQueue<Transaction>, Source<Transaction, NotUsed>> subscriber =
        Source.<Transaction>queue(settings.subscriberBuffer()).preMaterialize(materializer);
    BoundedSourceQueue<Transaction> queue = subscriber.first();
    hub.subscribers().add(queue);
    return subscriber
        .second()
        .watchTermination(
            (notUsed, done) -> {
              done.whenComplete((ignored, failure) -> hub.subscribers().remove(queue));
              return NotUsed.notUsed();
            });
  }

  private Hub newHub(String book) {
    List<BoundedSourceQueue<Transaction>> subscribers = new CopyOnWriteArrayList<>();
    BoundedSourceQueue<Transaction> input =
        Source.<Transaction>queue(settings.feedBuffer())
            .to(Sink.foreach(commit -> distribute(book, subscribers, commit)))
            .run(materializer);
    return new Hub(input, subscribers);
  }

  /** Hands a commit to every subscriber; one whose queue is full has fallen too far behind. */
  private void distribute(
      String book, List<BoundedSourceQueue<Transaction>> subscribers, Transaction commit) {
    for (BoundedSourceQueue<Transaction> subscriber : subscribers) {
      QueueOfferResult result = subscriber.offer(commit);
      if (result == QueueOfferResult.dropped()) {
        subscribers.remove(subscriber);
        subscriber.fail(new SlowSubscriberException(book, settings.subscriberBuffer()));
      } else if (result != QueueOfferResult.enqueued()) {
        subscribers.remove(subscriber);
      }
    }
  }

  /**
   * A live commit in its place: skipped if already delivered, preceded by the commits between if
   * some were missed.
   */
  private Source<Transaction, NotUsed> inOrder(String book, AtomicLong next, Transaction tx) {
    long expected = next.get();
    if (tx.seq() < expected) {
      return Source.empty();
    }
    if (tx.seq() == expected) {
      next.set(expected + 1);
      return Source.single(tx);
    }
    return fromStore(book, next, tx.seq() - 1)
        .concatLazy(
            Source.lazySource(
                () -> {
                  if (next.get() != tx.seq()) {
                    return Source.<Transaction>failed(
                        new IllegalStateException(
                            "book "
                                + book
                                + ": commits "
                                + next.get()
                                + " to "
                                + (tx.seq() - 1)
                                + " are missing from the store"));
                  }
                  next.set(tx.seq() + 1);
                  return Source.single(tx);
                }))
        .mapMaterializedValue(ignored -> NotUsed.notUsed());
  }

  /** Commits from {@code next} until the store has no more, advancing {@code next}. */
  private Source<Transaction, NotUsed> fromStore(String book, AtomicLong next) {
    return fromStore(book, next, Long.MAX_VALUE);
  }

  /** Commits from {@code next} up to {@code last} (inclusive), advancing {@code next}. */
  private Source<Transaction, NotUsed> fromStore(String book, AtomicLong next, long last) {
    int page = settings.catchUpPage();
    return Source.unfoldAsync(
            Boolean.TRUE,
            (Boolean more) -> {
              long from = next.get();
              if (!more || from > last) {
                return CompletableFuture.completedFuture(Optional.empty());
              }
              int limit = (int) Math.min(page, last - from + 1);
              return read(book, from, limit)
                  .thenApply(
                      commits -> {
                        if (commits.isEmpty()) {
                          return Optional.<Pair<Boolean, List<Transaction>>>empty();
                        }
                        next.set(commits.get(commits.size() - 1).seq() + 1);
                        return Optional.of(Pair.create(commits.size() == limit, commits));
                      });
            })
        .mapConcat(commits -> commits);
  }

  private CompletionStage<List<Transaction>> read(String book, long from, int limit) {
    return CompletableFuture.supplyAsync(() -> store.readCommits(book, from, limit), blocking);
  }

  /** A subscriber fell too far behind the live commits and was disconnected. */
  public static final class SlowSubscriberException extends RuntimeException {
    SlowSubscriberException(String book, int buffer) {
      super(
          "the subscriber fell more than "
              + buffer
              + " commits behind book "
              + book
              + " and was disconnected; resume from the last seq received");
    }
  }
}
