package dev.talea.actors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Subscriptions: catch-up from the store, then live, every seq exactly once in order. */
@ExtendWith(LogCapturingExtension.class)
class CommitFeedTest {

  private static final String BOOK = "payments";

  @TempDir Path temp;

  private ActorTestKit kit;
  private Store store;
  private Materializer materializer;
  private ExecutorService blocking;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create();
    materializer = Materializer.matFromSystem(kit.system());
    blocking = Executors.newFixedThreadPool(4);
    store = Stores.open("log:" + temp.resolve("log"), StoreSettings.defaults());
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    store.openAccount(BOOK, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(BOOK, "liabilities:customers", new AccountSpec(AccountKind.LIABILITY));
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
    blocking.shutdownNow();
    store.close();
  }

  private static TransactionDraft deposit(String key) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:hot-wallet", "BTC", "0.001"),
            DraftPosting.credit("liabilities:customers", "BTC", "0.001")));
  }

  private Transaction commitDirectly(String key) {
    return ((PostOutcome.Committed) store.commitBatch(BOOK, List.of(deposit(key))).get(0))
        .transaction();
  }

  private CompletionStage<List<Transaction>> collect(CommitFeed feed, long fromSeq, long untilSeq) {
    return feed.subscribe(BOOK, fromSeq)
        .takeWhile(tx -> tx.seq() < untilSeq, true)
        .runWith(Sink.seq(), materializer);
  }

  private static List<Long> seqs(List<Transaction> commits) {
    return commits.stream().map(Transaction::seq).toList();
  }

  private static List<Long> range(long first, long last) {
    return LongStream.rangeClosed(first, last).boxed().toList();
  }

  @Test
  void commitsMissingFromTheLiveFeedAreReadFromTheStoreInOrder() throws Exception {
    CommitFeed feed =
        new CommitFeed(store, blocking, materializer, LedgerSettings.defaults().withCatchUpPage(3));
    for (int i = 1; i <= 4; i++) {
      commitDirectly("old-" + i);
    }
    CompletionStage<List<Transaction>> subscriber = collect(feed, 2, 12);
    // Wait until it has caught up and attached to the live hub.
    awaitSubscribed(feed);

    for (int i = 5; i <= 12; i++) {
      Transaction tx = commitDirectly("new-" + i);
      if (i % 3 != 0) {
        feed.publish(tx); // seqs 6 and 9 and 12 never reach the live feed
      }
    }
    // 12 was never published: it arrives only once something later is, so publish 12 late.
    feed.publish(store.readCommits(BOOK, 12, 1).get(0));

    List<Transaction> received = subscriber.toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(seqs(received)).isEqualTo(range(2, 12));
    assertThat(received).allSatisfy(tx -> assertThat(tx.deduplicated()).isFalse());
  }

  // ---- commits made through other instances
  // ------------------------------------------------------

  @Test
  void anotherInstancesCommitsReachSubscribersThroughItsNotices() throws Exception {
    CommitFeed feed = new CommitFeed(store, blocking, materializer, LedgerSettings.defaults());
    commitDirectly("here-1");
    CompletionStage<List<Transaction>> first = collect(feed, 1, 4);
    CompletionStage<List<Transaction>> second = collect(feed, 1, 4);
    awaitSubscribed(feed);

    // Another instance commits 2 alone and 3..4 as one group commit, and says so.
    commitDirectly("there-2");
    feed.committed(BOOK, 2, 2);
    commitDirectly("there-3");
    commitDirectly("there-4");
    feed.committed(BOOK, 3, 4);
    // A late duplicate notice, and one for a book nobody here follows, change nothing.
    feed.committed(BOOK, 2, 3);
    feed.committed("elsewhere", 1, 9);

    // Nothing was published here after seq 1: only the notices can have carried 2..4.
    assertThat(seqs(first.toCompletableFuture().get(10, TimeUnit.SECONDS))).isEqualTo(range(1, 4));
    assertThat(seqs(second.toCompletableFuture().get(10, TimeUnit.SECONDS))).isEqualTo(range(1, 4));
    assertThat(feed.hasLiveFeed("elsewhere")).isFalse();
  }

  @Test
  void aCommitMadeHereAfterAnotherInstancesUnannouncedOnesBringsThemAlong() throws Exception {
    CommitFeed feed = new CommitFeed(store, blocking, materializer, LedgerSettings.defaults());
    CompletionStage<List<Transaction>> subscriber = collect(feed, 1, 4);
    awaitSubscribed(feed);
    feed.publish(commitDirectly("here-1"));
    // 2 and 3 come from another instance whose notices are still on their way.
    commitDirectly("there-2");
    commitDirectly("there-3");
    feed.publish(commitDirectly("here-4"));

    assertThat(seqs(subscriber.toCompletableFuture().get(10, TimeUnit.SECONDS)))
        .isEqualTo(range(1, 4));
    // The notices arrive after all: nothing is repeated (the subscriber above stopped at 4, so a
    // second one that joins now and reads on past them shows it).
    CompletionStage<List<Transaction>> later = collect(feed, 4, 5);
    feed.committed(BOOK, 2, 3);
    feed.publish(commitDirectly("here-5"));
    assertThat(seqs(later.toCompletableFuture().get(10, TimeUnit.SECONDS))).isEqualTo(range(4, 5));
  }

  @Test
  void afterTheListenerResumesSubscribersGetWhatItsNoticesWouldHaveCarried() throws Exception {
    CommitFeed feed = new CommitFeed(store, blocking, materializer, LedgerSettings.defaults());
    commitDirectly("k1");
    CompletionStage<List<Transaction>> subscriber = collect(feed, 1, 4);
    awaitSubscribed(feed);
    // Another instance commits while the listener is disconnected: no notices.
    commitDirectly("k2");
    commitDirectly("k3");
    commitDirectly("k4");
    assertThat(subscriber.toCompletableFuture().isDone()).isFalse();

    feed.resumed();

    assertThat(seqs(subscriber.toCompletableFuture().get(10, TimeUnit.SECONDS)))
        .isEqualTo(range(1, 4));
  }

  @Test
  void aResyncLongerThanItsReadLimitIsReadInTurns() throws Exception {
    CommitFeed feed =
        new CommitFeed(store, blocking, materializer, LedgerSettings.defaults().withCatchUpPage(2));
    CompletionStage<List<Transaction>> subscriber = collect(feed, 1, 20);
    awaitSubscribed(feed);
    feed.publish(commitDirectly("k1"));
    for (int i = 2; i <= 20; i++) {
      commitDirectly("k" + i);
    }
    // Nineteen commits at two per page are ten pages: more than one signal reads.
    feed.resumed();

    assertThat(seqs(subscriber.toCompletableFuture().get(10, TimeUnit.SECONDS)))
        .isEqualTo(range(1, 20));
  }

  @Test
  void aBooksHubStopsWhenItsLastSubscriberLeaves() throws Exception {
    CommitFeed feed = new CommitFeed(store, blocking, materializer, LedgerSettings.defaults());
    CompletionStage<List<Transaction>> first = collect(feed, 1, 1);
    CompletionStage<List<Transaction>> second = collect(feed, 1, 2);
    awaitSubscribed(feed, 2);
    feed.publish(commitDirectly("k1"));
    assertThat(seqs(first.toCompletableFuture().get(10, TimeUnit.SECONDS))).containsExactly(1L);
    assertThat(feed.hasLiveFeed(BOOK)).isTrue();

    feed.publish(commitDirectly("k2"));
    assertThat(seqs(second.toCompletableFuture().get(10, TimeUnit.SECONDS)))
        .containsExactly(1L, 2L);
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (feed.hasLiveFeed(BOOK) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(feed.hasLiveFeed(BOOK)).isFalse();
  }

  @Test
  void commitsDeliveredDuringCatchUpAreNotRepeatedFromTheLiveFeed() throws Exception {
    CommitFeed feed = new CommitFeed(store, blocking, materializer, LedgerSettings.defaults());
    List<Transaction> early = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      early.add(commitDirectly("k" + i));
    }
    CompletionStage<List<Transaction>> subscriber = collect(feed, 1, 7);
    awaitSubscribed(feed);
    // Commits the subscriber already read from the store are published (late) again.
    early.forEach(feed::publish);
    feed.publish(commitDirectly("k6"));
    feed.publish(early.get(2));
    feed.publish(commitDirectly("k7"));

    assertThat(seqs(subscriber.toCompletableFuture().get(10, TimeUnit.SECONDS)))
        .isEqualTo(range(1, 7));
  }

  @Test
  void subscribersJoiningMidStreamSeeEverySeqExactlyOnce() throws Exception {
    LedgerService service =
        LedgerService.start(kit.system(), store, LedgerSettings.defaults().withCatchUpPage(7));
    int writers = 4;
    int perWriter = 150;
    long total = (long) writers * perWriter;
    ExecutorService threads = Executors.newFixedThreadPool(writers);
    List<Future<?>> writing = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      writing.add(
          threads.submit(
              () -> {
                for (int i = 0; i < perWriter; i++) {
                  service.post(BOOK, deposit("w" + writer + "-" + i));
                }
              }));
    }
    // Join while commits are streaming in: one from the start, one live-only, one from the middle.
    while (store.findBook(BOOK).orElseThrow().lastSeq() < total / 4) {
      Thread.sleep(2);
    }
    CompletionStage<List<Transaction>> fromStart =
        service
            .commits(BOOK, OptionalLong.of(1))
            .takeWhile(tx -> tx.seq() < total, true)
            .runWith(Sink.seq(), materializer);
    CompletionStage<List<Transaction>> liveOnly =
        service
            .commits(BOOK, OptionalLong.empty())
            .takeWhile(tx -> tx.seq() < total, true)
            .runWith(Sink.seq(), materializer);
    while (store.findBook(BOOK).orElseThrow().lastSeq() < total / 2) {
      Thread.sleep(2);
    }
    long middle = store.findBook(BOOK).orElseThrow().lastSeq() - 20;
    CompletionStage<List<Transaction>> fromMiddle =
        service
            .commits(BOOK, OptionalLong.of(middle))
            .takeWhile(tx -> tx.seq() < total, true)
            .runWith(Sink.seq(), materializer);

    for (Future<?> writer : writing) {
      writer.get(60, TimeUnit.SECONDS);
    }
    threads.shutdown();

    assertThat(seqs(fromStart.toCompletableFuture().get(30, TimeUnit.SECONDS)))
        .isEqualTo(range(1, total));
    assertThat(seqs(fromMiddle.toCompletableFuture().get(30, TimeUnit.SECONDS)))
        .isEqualTo(range(middle, total));
    List<Long> live = seqs(liveOnly.toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertThat(live).isNotEmpty().isEqualTo(range(live.get(0), total));
    assertThat(live.get(0)).isGreaterThan(total / 4);
  }

  @Test
  void everySubscriberOfABookReceivesEveryCommit() throws Exception {
    LedgerService service = LedgerService.start(kit.system(), store, LedgerSettings.defaults());
    service.post(BOOK, deposit("first"));
    List<CompletionStage<List<Transaction>>> subscribers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      subscribers.add(
          service
              .commits(BOOK, OptionalLong.of(1))
              .takeWhile(tx -> tx.seq() < 40, true)
              .runWith(Sink.seq(), materializer));
    }
    for (int i = 2; i <= 40; i++) {
      service.post(BOOK, deposit("k" + i));
    }
    for (CompletionStage<List<Transaction>> subscriber : subscribers) {
      assertThat(seqs(subscriber.toCompletableFuture().get(20, TimeUnit.SECONDS)))
          .isEqualTo(range(1, 40));
    }
  }

  /** Waits until the subscriber has caught up from the store and attached to the live feed. */
  private static void awaitSubscribed(CommitFeed feed) throws InterruptedException {
    awaitSubscribed(feed, 1);
  }

  /** Waits until {@code count} subscribers have attached to the book's live commits. */
  private static void awaitSubscribed(CommitFeed feed, int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (feed.liveSubscribers(BOOK) < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(feed.liveSubscribers(BOOK))
        .as("subscribers attached to the live feed")
        .isGreaterThanOrEqualTo(count);
  }
}
