package dev.talea.actors;

import dev.talea.protocol.Transaction;
import dev.talea.store.CommitNotices;
import dev.talea.store.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans a book's commits out to its subscribers, whichever talead instance made them.
 *
 * <p>Each book with subscribers has a hub: a bounded queue of signals drained by a small stream
 * that turns them into commits in seq order and hands each to every subscriber's own bounded queue.
 * The signals are a commit made here (offered by the book's actor right after its group commit), a
 * notice that another instance committed a range of seqs (from the store's listener: the hub reads
 * that range from the store, once for all its subscribers), and a resync after the listener's
 * connection was down (the hub reads everything after what it last handed out). The hub keeps count
 * of the last seq it handed out, skips what it has handed out already, and reads any gap from the
 * store before a commit that arrives early, so its output is contiguous. Offers never block: if the
 * hub is congested the signal is not queued, the hub notes it, and its once-a-second check reads
 * what it missed from the store. A hub with no subscribers left is stopped.
 *
 * <p>A subscription reads from the store first — pages of commits from its starting seq until it
 * has caught up — and only then joins its book's hub, synchronously (so every signal offered after
 * that reaches it), reads the store once more for commits that landed while it joined, and
 * continues live. Every element is checked against the next expected seq: a seq seen already is
 * skipped (the seam), a seq beyond it means commits were missed, and those are read from the store
 * before it. So a subscriber sees every seq exactly once, in order. It holds no store connection
 * while it waits for live commits. Its live buffer is bounded: a subscriber that falls {@code
 * subscriberBuffer} commits behind fails with {@link SlowSubscriberException} and resumes from its
 * last seq.
 */
public final class CommitFeed implements CommitNotices {

  private static final Logger LOG = LoggerFactory.getLogger(CommitFeed.class);

  /** How often a hub checks whether it missed a signal (a congested queue, a failed read). */
  private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  /** Pages a hub reads for one signal before it yields to the next; the rest is read later. */
  private static final int PAGES_PER_SIGNAL = 4;

  private final Store store;
  private final Executor blocking;
  private final Materializer materializer;
  private final LedgerSettings settings;
  private final Map<String, Hub> hubs = new ConcurrentHashMap<>();

  public CommitFeed(
      Store store, Executor blocking, Materializer materializer, LedgerSettings settings) {
    this.store = store;
    this.blocking = blocking;
    this.materializer = materializer;
    this.settings = settings;
  }

  /**
   * Offers a new commit made by this instance to the book's subscribers, never blocking. Called by
   * the book's writer, in seq order.
   */
  public void publish(Transaction commit) {
    Hub hub = hubs.get(commit.book());
    if (hub != null) {
      hub.offer(new Signal.Local(commit));
    }
  }

  /** Another instance committed seqs {@code firstSeq..lastSeq} of {@code book}. */
  @Override
  public void committed(String book, long firstSeq, long lastSeq) {
    Hub hub = hubs.get(book);
    if (hub != null) {
      hub.offer(new Signal.Remote(firstSeq, lastSeq));
    }
  }

  /** The store's listener reconnected: notices may have been lost, so every hub resyncs. */
  @Override
  public void resumed() {
    for (Hub hub : hubs.values()) {
      hub.offer(Signal.RESYNC);
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
                            Source<Transaction, NotUsed> attached = attach(book, next);
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

  /** How many subscribers have attached to the book's live commits (for tests). */
  int liveSubscribers(String book) {
    Hub hub = hubs.get(book);
    return hub == null ? 0 : hub.subscribers.size();
  }

  /** Joins the book's hub now, buffering live commits until they are consumed. */
  private Source<Transaction, NotUsed> attach(String book, AtomicLong next) {
    Pair<BoundedSourceQueue<Transaction>, Source<Transaction, NotUsed>> queue =
        Source.<Transaction>queue(settings.subscriberBuffer()).preMaterialize(materializer);
    Subscriber subscriber = new Subscriber(queue.first(), next);
    Hub hub =
        hubs.compute(
            book,
            (name, existing) -> {
              Hub joined = existing != null ? existing : new Hub(name);
              joined.subscribers.add(subscriber);
              return joined;
            });
    return queue
        .second()
        .watchTermination(
            (notUsed, done) -> {
              // In the completing thread: a plain whenComplete on Pekko's stage would start a
              // thread of the default asynchronous executor (see LedgerService).
              done.whenCompleteAsync(
                  (ignored, failure) -> leave(book, hub, subscriber), Runnable::run);
              return NotUsed.notUsed();
            });
  }

  private void leave(String book, Hub hub, Subscriber subscriber) {
    hubs.computeIfPresent(
        book,
        (name, current) -> {
          current.subscribers.remove(subscriber);
          if (current == hub && current.subscribers.isEmpty()) {
            current.stop();
            return null;
          }
          return current;
        });
    // A hub replaced meanwhile (or already stopped) still lets go of the subscriber.
    hub.subscribers.remove(subscriber);
  }

  /** What a hub turns into commits. */
  private sealed interface Signal {
    Signal RESYNC = new Resync();
    Signal CHECK = new Check();

    /** A commit made through this instance. */
    record Local(Transaction commit) implements Signal {}

    /** Another instance committed these seqs. */
    record Remote(long firstSeq, long lastSeq) implements Signal {}

    /** Notices may have been lost: read everything after the last seq handed out. */
    record Resync() implements Signal {}

    /** The periodic check: resync if a signal was dropped or a read failed since the last one. */
    record Check() implements Signal {}
  }

  private record Subscriber(BoundedSourceQueue<Transaction> queue, AtomicLong next) {}

  /** A book's live commits, for every subscriber of the book in this instance. */
  private final class Hub {
    final String book;
    final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    final BoundedSourceQueue<Signal> input;

    /** Set when a signal could not be queued or a read failed: the next check resyncs. */
    final AtomicBoolean missed = new AtomicBoolean();

    /** The last seq handed out, or 0 before the first. Touched by one signal at a time. */
    volatile long handedOut;

    Hub(String book) {
      this.book = book;
      this.input =
          Source.<Signal>queue(settings.feedBuffer())
              .merge(Source.tick(CHECK_INTERVAL, CHECK_INTERVAL, Signal.CHECK), true)
              .mapAsync(1, this::commitsFor)
              .mapConcat(commits -> commits)
              .to(Sink.foreach(this::distribute))
              .run(materializer);
    }

    void offer(Signal signal) {
      QueueOfferResult result = input.offer(signal);
      if (result != QueueOfferResult.enqueued() && !input.isCompleted()) {
        missed.set(true);
      }
    }

    void stop() {
      input.complete();
    }

    /** The commits a signal stands for, in seq order, after the last handed out. */
    CompletionStage<List<Transaction>> commitsFor(Signal signal) {
      long last = handedOut;
      if (signal instanceof Signal.Local local) {
        Transaction commit = local.commit();
        if (last == 0 || commit.seq() == last + 1) {
          handedOut = commit.seq();
          return CompletableFuture.completedFuture(List.of(commit));
        }
        if (commit.seq() <= last) {
          return CompletableFuture.completedFuture(List.of());
        }
        // Commits of another instance whose notice has not come yet: read them first.
        return readAfter(last, commit.seq() - 1)
            .thenApply(
                earlier -> {
                  List<Transaction> all = new ArrayList<>(earlier);
                  all.add(commit);
                  handedOut = commit.seq();
                  return all;
                });
      }
      if (signal instanceof Signal.Remote remote) {
        if (remote.lastSeq() <= last) {
          return CompletableFuture.completedFuture(List.of());
        }
        return readAfter(last == 0 ? remote.firstSeq() - 1 : last, remote.lastSeq());
      }
      if (signal instanceof Signal.Check && !missed.getAndSet(false)) {
        return CompletableFuture.completedFuture(List.of());
      }
      // Resync, or a check after something was missed.
      long from = last;
      if (from == 0) {
        // Nothing handed out yet: start where the least advanced subscriber is.
        from = subscribers.stream().mapToLong(s -> s.next().get()).min().orElse(1) - 1;
        if (subscribers.isEmpty()) {
          return CompletableFuture.completedFuture(List.of());
        }
      }
      return readAfter(from, Long.MAX_VALUE);
    }

    /**
     * Commits after {@code after} up to {@code last}, at most a few pages; if more remain, a resync
     * is queued for them. A failed read is noted for the next check and hands out nothing.
     */
    CompletionStage<List<Transaction>> readAfter(long after, long last) {
      int page = settings.catchUpPage();
      return CompletableFuture.supplyAsync(
              () -> {
                List<Transaction> read = new ArrayList<>();
                long from = after + 1;
                for (int pages = 0; pages < PAGES_PER_SIGNAL && from <= last; pages++) {
                  int limit = (int) Math.min(page, last - from + 1);
                  List<Transaction> commits = store.readCommits(book, from, limit);
                  read.addAll(commits);
                  if (commits.size() < limit) {
                    return read;
                  }
                  from = commits.get(commits.size() - 1).seq() + 1;
                }
                if (from <= last) {
                  offer(Signal.RESYNC);
                }
                return read;
              },
              blocking)
          .handle(
              (read, failure) -> {
                if (failure != null) {
                  LOG.warn(
                      "live commits of book {}: reading from the store failed ({}); retrying",
                      book,
                      failure.getMessage());
                  missed.set(true);
                  return List.<Transaction>of();
                }
                if (!read.isEmpty()) {
                  handedOut = Math.max(handedOut, read.get(read.size() - 1).seq());
                }
                return read;
              });
    }

    /** Hands a commit to every subscriber; one whose queue is full has fallen too far behind. */
    void distribute(Transaction commit) {
      for (Subscriber subscriber : subscribers) {
        QueueOfferResult result = subscriber.queue().offer(commit);
        if (result == QueueOfferResult.dropped()) {
          subscribers.remove(subscriber);
          subscriber.queue().fail(new SlowSubscriberException(book, settings.subscriberBuffer()));
        } else if (result != QueueOfferResult.enqueued()) {
          subscribers.remove(subscriber);
        }
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
