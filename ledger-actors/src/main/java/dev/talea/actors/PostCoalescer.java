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

/**
 * Group commit's other half, on the sending side of a cluster: a node's posts to one book travel to
 * the book's writer as few messages as possible. Up to {@code inFlight} messages per book are on
 * their way at a time; posts that arrive meanwhile wait here and leave together, as one {@link
 * BookActor.Post} of their drafts in arrival order (at most {@code writeBatchMax} drafts), as soon
 * as a message is answered. The answer is split back by each post's number of drafts; a refusal or
 * a failure of the message is every one of its posts' answer.
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

  /** A caller's post, from the moment it reaches this node until its answer. */
  private record Waiter(
      List<TransactionDraft> drafts, long deadlineNanos, CompletableFuture<PostResult> answer) {}

  /** One book's posts waiting here and the number of messages on their way. */
  private static final class Outbox {
    final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    int inFlight;
  }

  private final Sender sender;
  private final int inFlight;
  private final int writeBatchMax;
  private final int writeQueueDepth;
  private final Map<String, Outbox> outboxes = new ConcurrentHashMap<>();

  PostCoalescer(Sender sender, int inFlight, int writeBatchMax, int writeQueueDepth) {
    if (inFlight < 1) {
      throw new IllegalArgumentException("inFlight must be positive: " + inFlight);
    }
    this.sender = sender;
    this.inFlight = inFlight;
    this.writeBatchMax = writeBatchMax;
    this.writeQueueDepth = writeQueueDepth;
  }

  CompletionStage<PostResult> post(String book, List<TransactionDraft> drafts, Duration timeout) {
    Waiter waiter =
        new Waiter(drafts, System.nanoTime() + timeout.toNanos(), new CompletableFuture<>());
    boolean[] overloaded = {false};
    List<Waiter> send = new ArrayList<>(1);
    outboxes.compute(
        book,
        (key, box) -> {
          Outbox outbox = box != null ? box : new Outbox();
          if (outbox.inFlight < inFlight) {
            outbox.inFlight++;
            send.add(waiter);
          } else if (outbox.waiting.size() >= writeQueueDepth) {
            overloaded[0] = true;
          } else {
            outbox.waiting.add(waiter);
          }
          return outbox;
        });
    if (overloaded[0]) {
      waiter.answer().complete(new PostResult.Refused(LedgerError.bookOverloaded(book)));
    } else if (!send.isEmpty()) {
      dispatch(book, send);
    }
    return waiter.answer();
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
    List<Waiter> next = new ArrayList<>();
    outboxes.compute(
        book,
        (key, outbox) -> {
          outbox.inFlight--;
          int drafts = 0;
          while (!outbox.waiting.isEmpty()) {
            Waiter waiter = outbox.waiting.peek();
            if (!next.isEmpty() && drafts + waiter.drafts().size() > writeBatchMax) {
              break;
            }
            outbox.waiting.poll();
            next.add(waiter);
            drafts += waiter.drafts().size();
          }
          if (!next.isEmpty()) {
            outbox.inFlight++;
          }
          return outbox.inFlight == 0 ? null : outbox;
        });
    // The next message leaves before this one's posts are answered: answering completes their
    // HTTP responses on this thread, and the book's writer need not wait for that.
    if (!next.isEmpty()) {
      dispatch(book, next);
    }
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
