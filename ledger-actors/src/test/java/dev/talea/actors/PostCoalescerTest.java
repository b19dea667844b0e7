package dev.talea.actors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Test;

/**
 * A node's posts to one book leave for its writer as few messages as possible, and every post gets
 * exactly its own drafts' outcomes back, whatever it travelled with.
 */
class PostCoalescerTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** A message as the book's writer received it, answered when the test says so. */
  private record Sent(
      String book,
      List<TransactionDraft> drafts,
      Duration timeout,
      CompletableFuture<PostResult> reply) {

    List<String> keys() {
      return drafts.stream().map(TransactionDraft::idempotencyKey).toList();
    }

    /** Answers each draft with a rejection that names its key, so that outcomes are traceable. */
    void answerEach() {
      reply.complete(new PostResult.Done(drafts.stream().map(PostCoalescerTest::outcome).toList()));
    }
  }

  private final List<Sent> sent = new ArrayList<>();

  private PostCoalescer coalescer(int inFlight, int writeBatchMax, int writeQueueDepth) {
    return new PostCoalescer(
        this::send,
        inFlight,
        Duration.ZERO,
        PostCoalescerTest::noTimer,
        writeBatchMax,
        writeQueueDepth);
  }

  private static void noTimer(Duration delay, Runnable task) {
    throw new AssertionError("no linger was asked for");
  }

  private synchronized CompletionStage<PostResult> send(
      String book, List<TransactionDraft> drafts, Duration timeout) {
    Sent message = new Sent(book, List.copyOf(drafts), timeout, new CompletableFuture<>());
    sent.add(message);
    return message.reply();
  }

  @Test
  void postsArrivingWhileTheLimitIsInFlightLeaveTogetherAndEachGetsItsOwnOutcomes()
      throws Exception {
    PostCoalescer coalescer = coalescer(2, 64, 256);
    CompletableFuture<PostResult> a = post(coalescer, "b", "a");
    CompletableFuture<PostResult> b = post(coalescer, "b", "b");
    CompletableFuture<PostResult> c = post(coalescer, "b", "c");
    CompletableFuture<PostResult> d = post(coalescer, "b", "d1", "d2");
    CompletableFuture<PostResult> e = post(coalescer, "b", "e");
    assertThat(sent).extracting(Sent::keys).containsExactly(List.of("a"), List.of("b"));
    assertThat(coalescer.waiting("b")).isEqualTo(3);

    sent.get(0).answerEach();

    assertThat(keysOf(a)).containsExactly("a");
    assertThat(sent).extracting(Sent::keys).hasSize(3);
    assertThat(sent.get(2).keys()).containsExactly("c", "d1", "d2", "e");
    assertThat(coalescer.waiting("b")).isZero();
    assertThat(c).isNotDone();

    sent.get(2).answerEach();
    assertThat(keysOf(c)).containsExactly("c");
    assertThat(keysOf(d)).containsExactly("d1", "d2");
    assertThat(keysOf(e)).containsExactly("e");
    assertThat(b).isNotDone();
    assertThat(coalescer.books()).isEqualTo(1);

    sent.get(1).answerEach();
    assertThat(keysOf(b)).containsExactly("b");
    assertThat(sent).hasSize(3);
    assertThat(coalescer.books()).as("a book with nothing in flight holds no state").isZero();
  }

  /** Lingers asked for and not yet ended, with their delays; the test ends them. */
  private final List<Runnable> lingers = new ArrayList<>();

  private final List<Duration> lingerDelays = new ArrayList<>();

  private PostCoalescer lingering(int inFlight, Duration linger, int writeBatchMax) {
    return new PostCoalescer(
        this::send,
        inFlight,
        linger,
        (delay, task) -> {
          lingerDelays.add(delay);
          lingers.add(task);
        },
        writeBatchMax,
        256);
  }

  @Test
  void aPostThatFindsAMessageOnItsWayLingersAndLeavesWithItsCompanyWithoutWaitingForTheAnswer()
      throws Exception {
    PostCoalescer coalescer = lingering(4, Duration.ofMillis(1), 64);
    CompletableFuture<PostResult> a = post(coalescer, "b", "a");
    assertThat(sent).extracting(Sent::keys).containsExactly(List.of("a"));
    assertThat(lingers).as("nothing was on its way: a left at once").isEmpty();

    CompletableFuture<PostResult> b = post(coalescer, "b", "b");
    CompletableFuture<PostResult> c = post(coalescer, "b", "c1", "c2");
    assertThat(sent).hasSize(1);
    assertThat(lingerDelays).as("one linger for the posts waiting together").hasSize(1);
    assertThat(lingerDelays.get(0)).isEqualTo(Duration.ofMillis(1));

    lingers.get(0).run();

    assertThat(sent).extracting(Sent::keys).containsExactly(List.of("a"), List.of("b", "c1", "c2"));
    assertThat(coalescer.waiting("b")).isZero();
    sent.get(1).answerEach();
    assertThat(keysOf(b)).containsExactly("b");
    assertThat(keysOf(c)).containsExactly("c1", "c2");
    assertThat(a).as("a's message is still on its way").isNotDone();
    sent.get(0).answerEach();
    assertThat(keysOf(a)).containsExactly("a");
    assertThat(coalescer.books()).isZero();
  }

  @Test
  void withTheLimitOnItsWayALingerEndsWithoutSendingAndTheNextAnswerTakesThePosts()
      throws Exception {
    PostCoalescer coalescer = lingering(2, Duration.ofMillis(1), 64);
    post(coalescer, "b", "a");
    post(coalescer, "b", "b");
    lingers.get(0).run();
    assertThat(sent).extracting(Sent::keys).containsExactly(List.of("a"), List.of("b"));

    CompletableFuture<PostResult> c = post(coalescer, "b", "c");
    assertThat(lingers).as("the limit is on its way: c waits for an answer").hasSize(1);
    sent.get(0).answerEach();
    assertThat(sent.get(2).keys()).containsExactly("c");

    // d and e find the limit on its way too: they wait for an answer and leave with it, together.
    CompletableFuture<PostResult> d = post(coalescer, "b", "d");
    CompletableFuture<PostResult> e = post(coalescer, "b", "e");
    assertThat(sent).hasSize(3);
    sent.get(2).answerEach();
    assertThat(keysOf(c)).containsExactly("c");
    assertThat(sent.get(3).keys()).containsExactly("d", "e");
    sent.get(1).answerEach();
    sent.get(3).answerEach();
    assertThat(keysOf(d)).containsExactly("d");
    assertThat(keysOf(e)).containsExactly("e");
    assertThat(coalescer.books()).isZero();
  }

  @Test
  void anEarlierLingerDoesNotCutALaterOneShort() {
    PostCoalescer coalescer = lingering(4, Duration.ofMillis(1), 64);
    post(coalescer, "b", "a");
    post(coalescer, "b", "b");
    sent.get(0).answerEach();
    assertThat(sent).extracting(Sent::keys).containsExactly(List.of("a"), List.of("b"));

    post(coalescer, "b", "c");
    assertThat(lingers).hasSize(2);
    lingers.get(0).run();
    assertThat(sent).as("the first linger's posts left with an answer").hasSize(2);
    lingers.get(1).run();
    assertThat(sent.get(2).keys()).containsExactly("c");
  }

  @Test
  void postsLingeringReachingWriteBatchMaxDraftsLeaveAtOnce() {
    PostCoalescer coalescer = lingering(4, Duration.ofMillis(1), 4);
    post(coalescer, "b", "a");
    post(coalescer, "b", "x1", "x2");
    post(coalescer, "b", "y1", "y2");
    assertThat(sent)
        .extracting(Sent::keys)
        .containsExactly(List.of("a"), List.of("x1", "x2", "y1", "y2"));
    lingers.get(0).run();
    assertThat(sent).as("nothing was left to linger").hasSize(2);
  }

  @Test
  void postsLeftBehindByAFullMessageLingerInTheirTurn() {
    PostCoalescer coalescer = lingering(4, Duration.ofMillis(1), 4);
    post(coalescer, "b", "a");
    post(coalescer, "b", "x1", "x2");
    post(coalescer, "b", "y1", "y2", "y3");
    assertThat(sent).extracting(Sent::keys).containsExactly(List.of("a"), List.of("x1", "x2"));
    assertThat(lingers).as("y, left behind, lingers on its own").hasSize(2);

    lingers.get(0).run();
    assertThat(sent).as("x's linger is over: x left").hasSize(2);
    lingers.get(1).run();
    assertThat(sent.get(2).keys()).containsExactly("y1", "y2", "y3");
  }

  @Test
  void aMergedMessageHoldsAtMostWriteBatchMaxDraftsAndALargerBatchTravelsAlone() throws Exception {
    PostCoalescer coalescer = coalescer(1, 4, 256);
    post(coalescer, "b", "first");
    post(coalescer, "b", "x1", "x2", "x3");
    post(coalescer, "b", "y1", "y2");
    CompletableFuture<PostResult> big = post(coalescer, "b", keys("big", 6));
    post(coalescer, "b", "z");

    sent.get(0).answerEach();
    assertThat(sent.get(1).keys()).containsExactly("x1", "x2", "x3");
    sent.get(1).answerEach();
    assertThat(sent.get(2).keys()).containsExactly("y1", "y2");
    sent.get(2).answerEach();
    assertThat(sent.get(3).keys()).containsExactly(keys("big", 6));
    sent.get(3).answerEach();
    assertThat(keysOf(big)).containsExactly(keys("big", 6));
    assertThat(sent.get(4).keys()).containsExactly("z");
  }

  @Test
  void aRefusalOrAFailureOfAMessageIsTheAnswerOfEveryPostInIt() throws Exception {
    PostCoalescer coalescer = coalescer(1, 64, 256);
    post(coalescer, "b", "first");
    CompletableFuture<PostResult> x = post(coalescer, "b", "x");
    CompletableFuture<PostResult> y = post(coalescer, "b", "y");
    CompletableFuture<PostResult> later = post(coalescer, "b", "later");
    PostResult.Refused overloaded = new PostResult.Refused(LedgerError.bookOverloaded("b"));

    sent.get(0).reply().complete(overloaded);
    assertThat(sent.get(1).keys()).containsExactly("x", "y", "later");
    sent.get(1).reply().completeExceptionally(new TimeoutException("no answer"));

    assertThat(x.isCompletedExceptionally()).isTrue();
    assertThat(y.isCompletedExceptionally()).isTrue();
    assertThat(later.isCompletedExceptionally()).isTrue();
    assertThat(causeOf(x)).isInstanceOf(TimeoutException.class);

    CompletableFuture<PostResult> z = post(coalescer, "b", "z");
    CompletableFuture<PostResult> w = post(coalescer, "b", "w");
    sent.get(2).answerEach();
    sent.get(3).reply().complete(overloaded);
    assertThat(w.get()).isSameAs(overloaded);
    assertThat(keysOf(z)).containsExactly("z");
    assertThat(coalescer.books()).isZero();
  }

  @Test
  void beyondWriteQueueDepthWaitingPostsAPostIsRefusedOverloadedAtOnce() throws Exception {
    PostCoalescer coalescer = coalescer(1, 64, 2);
    post(coalescer, "b", "first");
    post(coalescer, "b", "w1");
    post(coalescer, "b", "w2");
    CompletableFuture<PostResult> refused = post(coalescer, "b", "w3");
    CompletableFuture<PostResult> otherBook = post(coalescer, "other", "o");

    assertThat(refused).isDone();
    assertThat(((PostResult.Refused) refused.get()).error().code())
        .isEqualTo(ErrorCode.BOOK_OVERLOADED);
    assertThat(otherBook).isNotDone();
    assertThat(sent).extracting(Sent::book).containsExactly("b", "other");
    sent.get(0).answerEach();
    assertThat(sent.get(2).keys()).containsExactly("w1", "w2");
  }

  @Test
  void aMessageCarriesTheEarliestDeadlineOfItsPosts() {
    PostCoalescer coalescer = coalescer(1, 64, 256);
    coalescer.post("b", List.of(draft("first")), TIMEOUT);
    coalescer.post("b", List.of(draft("short")), Duration.ofSeconds(3));
    coalescer.post("b", List.of(draft("long")), Duration.ofSeconds(30));
    assertThat(sent.get(0).timeout()).isLessThanOrEqualTo(TIMEOUT).isGreaterThan(Duration.ZERO);

    sent.get(0).answerEach();
    assertThat(sent.get(1).keys()).containsExactly("short", "long");
    assertThat(sent.get(1).timeout())
        .isLessThanOrEqualTo(Duration.ofSeconds(3))
        .isGreaterThan(Duration.ZERO);
  }

  @Test
  void manyThreadsPostingToOneBookEachGetTheirOwnOutcome() throws Exception {
    List<Sent> answeredBy = new ArrayList<>();
    PostCoalescer coalescer =
        new PostCoalescer(
            (book, drafts, timeout) -> {
              Sent message =
                  new Sent(book, List.copyOf(drafts), timeout, new CompletableFuture<>());
              synchronized (answeredBy) {
                answeredBy.add(message);
              }
              // The writer answers on another thread, a moment later.
              CompletableFuture.runAsync(message::answerEach);
              return message.reply();
            },
            2,
            Duration.ZERO,
            PostCoalescerTest::noTimer,
            64,
            100_000);
    Map<String, CompletableFuture<PostResult>> posts =
        IntStream.range(0, 8)
            .parallel()
            .boxed()
            .flatMap(thread -> IntStream.range(0, 2_000).mapToObj(i -> thread + "-" + i))
            .collect(Collectors.toConcurrentMap(key -> key, key -> post(coalescer, "b", key)));
    assertThat(posts).hasSize(16_000);
    CompletableFuture.allOf(posts.values().toArray(CompletableFuture[]::new)).get();
    for (Map.Entry<String, CompletableFuture<PostResult>> post : posts.entrySet()) {
      assertThat(keysOf(post.getValue())).as(post.getKey()).containsExactly(post.getKey());
    }
    synchronized (answeredBy) {
      assertThat(answeredBy.stream().mapToInt(m -> m.drafts().size()).sum()).isEqualTo(16_000);
      assertThat(answeredBy).allSatisfy(m -> assertThat(m.drafts().size()).isLessThanOrEqualTo(64));
    }
    assertThat(coalescer.books()).isZero();
  }

  @Test
  void anAnswerFromPekkosAskIsHandedOnInTheThreadThatDeliversIt() throws Exception {
    // Pekko's ask answers with a stage whose plain whenComplete runs on the default asynchronous
    // executor, which on a two-core machine starts a new thread for every answer.
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<BookActor.Post> writer = kit.createTestProbe();
      PostCoalescer coalescer =
          new PostCoalescer(
              (book, drafts, timeout) ->
                  AskPattern.ask(
                      writer.ref(),
                      replyTo -> new BookActor.Post(drafts, replyTo),
                      timeout,
                      kit.scheduler()),
              2,
              Duration.ZERO,
              PostCoalescerTest::noTimer,
              64,
              256);
      CompletableFuture<PostResult> post = post(coalescer, "b", "a");
      CompletableFuture<Thread> handedOnIn = post.thenApply(result -> Thread.currentThread());
      BookActor.Post received = writer.expectMessageClass(BookActor.Post.class);

      received.replyTo().tell(new PostResult.Done(List.of(outcome(received.drafts().get(0)))));

      assertThat(handedOnIn.get(10, TimeUnit.SECONDS)).isSameAs(Thread.currentThread());
      assertThat(keysOf(post)).containsExactly("a");
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static CompletableFuture<PostResult> post(
      PostCoalescer coalescer, String book, String... keys) {
    List<TransactionDraft> drafts = new ArrayList<>();
    for (String key : keys) {
      drafts.add(draft(key));
    }
    return coalescer.post(book, drafts, TIMEOUT).toCompletableFuture();
  }

  private static String[] keys(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).toArray(String[]::new);
  }

  private static TransactionDraft draft(String key) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:hot-wallet", "BTC", "1"),
            DraftPosting.credit("liabilities:customers:alice", "BTC", "1")));
  }

  private static PostOutcome outcome(TransactionDraft draft) {
    return new PostOutcome.Rejected(
        LedgerError.of(ErrorCode.INVALID_REQUEST, draft.idempotencyKey()));
  }

  /** The keys named by the outcomes a post got back, in order. */
  private static List<String> keysOf(CompletableFuture<PostResult> post) throws Exception {
    PostResult result = post.get();
    return ((PostResult.Done) result)
        .outcomes().stream()
            .map(outcome -> ((PostOutcome.Rejected) outcome).error().detail())
            .toList();
  }

  private static Throwable causeOf(CompletableFuture<PostResult> post) {
    try {
      post.get();
      throw new AssertionError("expected a failure");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
