package dev.talea.actors;

import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit's other half, on the sending side of a cluster: a node's posts to one book travel to
 * the book's writer as few messages as possible. Posts wait here and leave together, as one {@link
 * BookActor.Post} of their drafts in arrival order (at most {@code writeBatchMax} drafts). A post
 * that finds nothing on its way to the book leaves at once. One that finds a message on its way
 * lingers for company, at most {@code linger}, and then leaves with whatever joined it — unless
 * {@code inFlight} messages are already on their way, when the posts wait for the next answer and
 * leave with it. The answer is split back by each post's number of drafts; a refusal or a failure
 * of the message is every one of its posts' answer.
 *
 * <p>Why linger and not simply wait for an answer: the book's writer starts its next group commit
 * the moment one ends, with whatever has reached it. Posts that arrive here just after an answer
 * (the callers it answered, posting again) and then wait for the next answer reach the writer one
 * commit later than posts made on the writer's own node; lingering a fraction of a commit lets them
 * join the same commit, so a hot book's groups stay as large as on one instance.
 *
 * <p>Merging changes nothing that a caller can see: the book's writer group-commits the drafts of
 * separate posts together anyway, each with its own outcome. What it saves is the cost per message
 * that crosses nodes — an envelope, a temporary reply actor, a remote reference to resolve — which
 * on a hot book was most of a non-owner's CPU.
 *
 * <p>Bounds: at most {@code writeQueueDepth} posts wait per book (more are answered {@code
 * overloaded} at once, as the writer's own queue would); a message is sent with the earliest
 * deadline of the posts it carries, so no post waits here longer than its own timeout. A book with
 * nothing waiting or in flight holds no state here.
 */
final class PostCoalescer {

  /** Sends one message to a book's writer. */
  @FunctionalInterface
  interface Sender {
    CompletionStage<PostResult> send(String book, List<TransactionDraft> drafts, Duration timeout);
  }

  /** Runs a task once, after a delay: what ends a linger. */
  @FunctionalInterface
  interface Timer {
    void after(Duration delay, Runnable task);
  }

  /** A caller's post, from the moment it reaches this node until its answer. */
  private record Waiter(
      List<TransactionDraft> drafts, long deadlineNanos, CompletableFuture<PostResult> answer) {}

  /** One book's posts waiting here and the number of messages on their way. */
  private static final class Outbox {
    final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    int inFlight;

    /** Drafts of the posts waiting. */
    int drafts;

    /** The linger now running for the posts waiting, or 0: a later timer ignores an earlier one. */
    long linger;
  }

  private final Sender sender;
  private final int inFlight;
  private final Duration linger;
  private final Timer timer;
  private final int writeBatchMax;
  private final int writeQueueDepth;
  private final Map<String, Outbox> outboxes = new ConcurrentHashMap<>();
  private final AtomicLong lingers = new AtomicLong();

  PostCoalescer(
      Sender sender,
      int inFlight,
      Duration linger,
      Timer timer,
      int writeBatchMax,
      int writeQueueDepth) {
    if (inFlight < 1) {
      throw new IllegalArgumentException("inFlight must be positive: " + inFlight);
    }
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must not be negative: " + linger);
    }
    this.sender = sender;
    this.inFlight = inFlight;
    this.linger = linger;
    this.timer = timer;
    this.writeBatchMax = writeBatchMax;
    this.writeQueueDepth = writeQueueDepth;
  }

  CompletionStage<PostResult> post(String book, List<TransactionDraft> drafts, Duration timeout) {
    Waiter waiter =
        new Waiter(drafts, System.nanoTime() + timeout.toNanos(), new CompletableFuture<>());
    boolean[] overloaded = {false};
    Release release = new Release();
    outboxes.compute(
        book,
        (key, box) -> {
          Outbox outbox = box != null ? box : new Outbox();
          if (outbox.waiting.size() >= writeQueueDepth) {
            overloaded[0] = true;
          } else {
            outbox.waiting.add(waiter);
            outbox.drafts += drafts.size();
            release(outbox, outbox.inFlight == 0 || linger.isZero(), release);
          }
          return outbox;
        });
    if (overloaded[0]) {
      waiter.answer().complete(new PostResult.Refused(LedgerError.bookOverloaded(book)));
    }
    send(book, release);
    return waiter.answer();
  }

  /** What leaves after a change to a book's outbox: messages, and a linger to start (0: none). */
  private static final class Release {
    final List<List<Waiter>> messages = new ArrayList<>(1);
    long linger;
  }

  /**
   * Called inside the outbox's compute: the posts waiting leave, in messages of up to {@code
   * writeBatchMax} drafts, while fewer than {@code inFlight} are on their way — all of them when
   * {@code now}, else only full messages — and a linger starts for those that may leave but stay.
   */
  private void release(Outbox outbox, boolean now, Release release) {
    while (!outbox.waiting.isEmpty()
        && outbox.inFlight < inFlight
        && (now || outbox.drafts >= writeBatchMax)) {
      List<Waiter> message = new ArrayList<>();
      take(outbox, message);
      release.messages.add(message);
    }
    if (!outbox.waiting.isEmpty() && outbox.inFlight < inFlight && outbox.linger == 0) {
      outbox.linger = lingers.incrementAndGet();
      release.linger = outbox.linger;
    }
  }

  /** Outside the compute: sends the messages released and starts the linger. */
  private void send(String book, Release release) {
    release.messages.forEach(message -> dispatch(book, message));
    if (release.linger != 0) {
      long ticket = release.linger;
      timer.after(linger, () -> lingered(book, ticket));
    }
  }

  /**
   * A linger ended: the posts it held leave, unless they left already or the limit is on its way.
   */
  private void lingered(String book, long ticket) {
    Release release = new Release();
    outboxes.computeIfPresent(
        book,
        (key, outbox) -> {
          if (outbox.linger == ticket) {
            release(outbox, true, release);
          }
          return outbox;
        });
    send(book, release);
  }

  /**
   * Moves the posts at the head of the queue, up to {@code writeBatchMax} drafts (at least one
   * post), into {@code message}, and counts it in flight. Called inside the outbox's compute.
   */
  private void take(Outbox outbox, List<Waiter> message) {
    int taken = 0;
    while (!outbox.waiting.isEmpty()) {
      Waiter waiter = outbox.waiting.peek();
      if (!message.isEmpty() && taken + waiter.drafts().size() > writeBatchMax) {
        break;
      }
      outbox.waiting.poll();
      message.add(waiter);
      taken += waiter.drafts().size();
    }
    outbox.drafts -= taken;
    outbox.linger = 0;
    if (!message.isEmpty()) {
      outbox.inFlight++;
    }
  }

  /** Posts waiting for {@code book} here: for tests. */
  int waiting(String book) {
    Outbox outbox = outboxes.get(book);
    return outbox == null ? 0 : outbox.waiting.size();
  }

  /** Books with posts waiting or in flight here: for tests. */
  int books() {
    return outboxes.size();
  }

  private void dispatch(String book, List<Waiter> message) {
    List<TransactionDraft> drafts;
    long deadline = Long.MAX_VALUE;
    if (message.size() == 1) {
      drafts = message.get(0).drafts();
      deadline = message.get(0).deadlineNanos();
    } else {
      drafts = new ArrayList<>();
      for (Waiter waiter : message) {
        drafts.addAll(waiter.drafts());
        deadline = Math.min(deadline, waiter.deadlineNanos());
      }
    }
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      // Waited its whole timeout behind messages that took as long: never sent.
      answered(book, message, null, new TimeoutException("no answer before the deadline"));
      return;
    }
    CompletionStage<PostResult> reply;
    try {
      reply = sender.send(book, drafts, Duration.ofNanos(remaining));
    } catch (RuntimeException e) {
      answered(book, message, null, e);
      return;
    }
    // Async with the calling thread as executor: a plain whenComplete on the stage of Pekko's ask
    // would run on the default asynchronous executor, a new thread per answer on two cores.
    reply.whenCompleteAsync(
        (result, failure) -> answered(book, message, result, failure), Runnable::run);
  }

  private void answered(String book, List<Waiter> message, PostResult result, Throwable failure) {
    Release release = new Release();
    outboxes.compute(
        book,
        (key, outbox) -> {
          outbox.inFlight--;
          release(outbox, true, release);
          return outbox.inFlight == 0 ? null : outbox;
        });
    // The next messages leave before this one's posts are answered: answering completes their
    // HTTP responses on this thread, and the book's writer need not wait for that.
    send(book, release);
    if (failure != null) {
      message.forEach(waiter -> waiter.answer().completeExceptionally(failure));
    } else if (result instanceof PostResult.Done done && message.size() > 1) {
      List<PostOutcome> outcomes = done.outcomes();
      int expected = message.stream().mapToInt(waiter -> waiter.drafts().size()).sum();
      if (outcomes.size() != expected) {
        IllegalStateException wrong =
            new IllegalStateException(
                "the book's writer answered " + outcomes.size() + " outcomes for " + expected);
        message.forEach(waiter -> waiter.answer().completeExceptionally(wrong));
        return;
      }
      int from = 0;
      for (Waiter waiter : message) {
        int to = from + waiter.drafts().size();
        waiter.answer().complete(new PostResult.Done(outcomes.subList(from, to)));
        from = to;
      }
    } else {
      message.forEach(waiter -> waiter.answer().complete(result));
    }
  }
}
