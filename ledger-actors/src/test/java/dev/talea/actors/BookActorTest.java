package dev.talea.actors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The write path: group commit, backpressure, failure and passivation of a book's actor. */
@ExtendWith(LogCapturingExtension.class)
class BookActorTest {

  private static final String BOOK = "payments";

  @TempDir Path temp;

  private ActorTestKit kit;
  private ControlledStore store;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create();
    store =
        new ControlledStore(Stores.open("log:" + temp.resolve("log"), StoreSettings.defaults()));
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    store.openAccount(BOOK, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(BOOK, "liabilities:customers", new AccountSpec(AccountKind.LIABILITY));
  }

  @AfterEach
  void stop() {
    store.releaseCommits();
    kit.shutdownTestKit();
    store.close();
  }

  private LedgerService service(LedgerSettings settings) {
    return LedgerService.start(kit.system(), store, settings);
  }

  private static TransactionDraft deposit(String key) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:hot-wallet", "BTC", "0.001"),
            DraftPosting.credit("liabilities:customers", "BTC", "0.001")));
  }

  private void post(LedgerService service, String key, TestProbe<PostResult> probe) {
    service.registry().tell(new BookRegistry.Post(BOOK, List.of(deposit(key)), probe.ref()));
  }

  private static Transaction committed(PostResult result) {
    assertThat(result).isInstanceOf(PostResult.Done.class);
    List<PostOutcome> outcomes = ((PostResult.Done) result).outcomes();
    assertThat(outcomes).hasSize(1);
    return ((PostOutcome.Committed) outcomes.get(0)).transaction();
  }

  @Test
  void concurrentPostsAreGroupCommittedInArrivalOrder() throws Exception {
    LedgerService service = service(LedgerSettings.defaults());
    store.holdCommits();
    List<TestProbe<PostResult>> probes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      TestProbe<PostResult> probe = kit.createTestProbe();
      probes.add(probe);
      post(service, "k" + i, probe);
    }
    store.awaitCommitEntered();
    // Let the actor take in every post while its first group commit is held.
    Thread.sleep(200);
    store.releaseCommits();

    for (int i = 0; i < 100; i++) {
      Transaction tx = committed(probes.get(i).receiveMessage(Duration.ofSeconds(10)));
      assertThat(tx.idempotencyKey()).isEqualTo("k" + i);
      assertThat(tx.seq()).as("post %d", i).isEqualTo(i + 1);
    }
    List<Integer> batches = store.batchSizes();
    assertThat(batches).hasSizeLessThan(100);
    assertThat(batches).allSatisfy(size -> assertThat(size).isBetween(1, 64));
    assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
    assertThat(batches).containsExactly(1, 64, 35);
    assertThat(store.verify(BOOK).ok()).isTrue();
  }

  @Test
  void postsBeyondTheQueueDepthAreAnsweredOverloadedAtOnce() throws Exception {
    int depth = 5;
    LedgerService service = service(LedgerSettings.defaults().withWriteQueueDepth(depth));
    store.holdCommits();
    TestProbe<PostResult> inFlight = kit.createTestProbe();
    post(service, "first", inFlight);
    store.awaitCommitEntered();

    List<TestProbe<PostResult>> queued = new ArrayList<>();
    for (int i = 0; i < depth; i++) {
      TestProbe<PostResult> probe = kit.createTestProbe();
      queued.add(probe);
      post(service, "queued-" + i, probe);
    }
    List<TestProbe<PostResult>> beyond = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestProbe<PostResult> probe = kit.createTestProbe();
      beyond.add(probe);
      post(service, "beyond-" + i, probe);
    }
    for (TestProbe<PostResult> probe : beyond) {
      PostResult.Refused refused =
          probe.expectMessageClass(PostResult.Refused.class, Duration.ofSeconds(5));
      assertThat(refused.error().code()).isEqualTo(ErrorCode.BOOK_OVERLOADED);
      assertThat(refused.error().code().httpStatus()).isEqualTo(429);
      assertThat(refused.error().fields()).isEqualTo(Map.of("book", BOOK));
    }
    for (TestProbe<PostResult> probe : queued) {
      probe.expectNoMessage(Duration.ofMillis(50));
    }

    store.releaseCommits();
    assertThat(committed(inFlight.receiveMessage(Duration.ofSeconds(10))).seq()).isEqualTo(1);
    for (int i = 0; i < depth; i++) {
      assertThat(committed(queued.get(i).receiveMessage(Duration.ofSeconds(10))).seq())
          .isEqualTo(i + 2);
    }
    assertThat(store.findBook(BOOK).orElseThrow().lastSeq()).isEqualTo(1 + depth);
  }

  @Test
  void aFailingStoreAnswersUnavailableRestartsTheActorAndLaterPostsSucceed() throws Exception {
    LedgerService service =
        service(
            LedgerSettings.defaults()
                .withRestartBackoff(Duration.ofMillis(50), Duration.ofMillis(200)));
    store.holdCommits();
    store.failNext(1);
    TestProbe<PostResult> inFlight = kit.createTestProbe();
    post(service, "in-flight", inFlight);
    store.awaitCommitEntered();
    List<TestProbe<PostResult>> queued = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestProbe<PostResult> probe = kit.createTestProbe();
      queued.add(probe);
      post(service, "queued-" + i, probe);
    }
    Thread.sleep(100);

    LoggingTestKit.warn("book payments: group commit failed; answered 4 posts unavailable")
        .expect(
            kit.system(),
            () -> {
              LoggingTestKit.warn(
                      "Supervisor RestartSupervisor saw failure [1]: group commit of book payments failed")
                  .expect(
                      kit.system(),
                      () -> {
                        store.releaseCommits();
                        return null;
                      });
              return null;
            });
    List<TestProbe<PostResult>> all = new ArrayList<>(queued);
    all.add(0, inFlight);
    for (TestProbe<PostResult> probe : all) {
      PostResult.Refused refused =
          probe.expectMessageClass(PostResult.Refused.class, Duration.ofSeconds(5));
      assertThat(refused.error().code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(refused.error().code().httpStatus()).isEqualTo(503);
    }

    // After the backoff the restarted actor commits again; nothing of the failed batch was stored.
    TestProbe<PostResult> later = kit.createTestProbe();
    post(service, "queued-0", later);
    Transaction tx = committed(later.receiveMessage(Duration.ofSeconds(10)));
    assertThat(tx.seq()).isEqualTo(1);
    assertThat(tx.deduplicated()).isFalse();
    assertThat(store.verify(BOOK).ok()).isTrue();
  }

  @Test
  void postsThatOverflowTheRestartStashAreAnsweredUnavailable() throws Exception {
    int depth = 2;
    LedgerService service =
        service(
            LedgerSettings.defaults()
                .withWriteQueueDepth(depth)
                .withRestartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(2)));
    store.failNext(1);
    TestProbe<PostResult> failing = kit.createTestProbe();
    post(service, "failing", failing);
    assertThat(failing.expectMessageClass(PostResult.Refused.class).error().code())
        .isEqualTo(ErrorCode.UNAVAILABLE);

    // The actor is backing off for two seconds: its stash takes two posts, the rest are dropped.
    List<TestProbe<PostResult>> probes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      TestProbe<PostResult> probe = kit.createTestProbe();
      probes.add(probe);
      post(service, "during-backoff-" + i, probe);
    }
    for (int i = depth; i < 5; i++) {
      PostResult.Refused refused =
          probes.get(i).expectMessageClass(PostResult.Refused.class, Duration.ofSeconds(1));
      assertThat(refused.error().code()).isEqualTo(ErrorCode.UNAVAILABLE);
    }
    for (int i = 0; i < depth; i++) {
      assertThat(committed(probes.get(i).receiveMessage(Duration.ofSeconds(10))).seq())
          .isEqualTo(i + 1);
    }
  }

  @Test
  void anIdleBookPassivatesAndItsNextPostContinuesTheSequence() {
    LedgerService service =
        service(LedgerSettings.defaults().withPassivateAfter(Duration.ofMillis(200)));
    TestProbe<PostResult> probe = kit.createTestProbe();
    for (int i = 1; i <= 3; i++) {
      post(service, "before-" + i, probe);
      assertThat(committed(probe.receiveMessage(Duration.ofSeconds(5))).seq()).isEqualTo(i);
    }
    TestProbe<Set<String>> books = kit.createTestProbe();
    service.registry().tell(new BookRegistry.ActiveBooks(books.ref()));
    assertThat(books.receiveMessage()).containsExactly(BOOK);

    books.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          service.registry().tell(new BookRegistry.ActiveBooks(books.ref()));
          assertThat(books.receiveMessage()).isEmpty();
          return null;
        });

    for (int i = 4; i <= 5; i++) {
      post(service, "after-" + i, probe);
      assertThat(committed(probe.receiveMessage(Duration.ofSeconds(5))).seq()).isEqualTo(i);
    }
    service.registry().tell(new BookRegistry.ActiveBooks(books.ref()));
    assertThat(books.receiveMessage()).containsExactly(BOOK);
    assertThat(store.verify(BOOK).ok()).isTrue();
  }

  @Test
  void postsToBooksThatDoNotExistLeaveNoActorBehind() {
    // The default passivation (two minutes) would keep one actor per unknown book alive.
    LedgerService service = service(LedgerSettings.defaults());
    int posts = 50_000;
    int window = 500;
    TestProbe<PostResult> probe = kit.createTestProbe();
    TestProbe<Set<String>> books = kit.createTestProbe();
    int largest = 0;
    for (int sent = 0; sent < posts; sent += window) {
      for (int i = sent; i < sent + window; i++) {
        service
            .registry()
            .tell(new BookRegistry.Post("ghost-" + i, List.of(deposit("k")), probe.ref()));
      }
      for (int i = 0; i < window; i++) {
        PostResult result = probe.receiveMessage(Duration.ofSeconds(10));
        assertThat(result).isInstanceOf(PostResult.Done.class);
        PostOutcome outcome = ((PostResult.Done) result).outcomes().get(0);
        assertThat(((PostOutcome.Rejected) outcome).error().code())
            .isEqualTo(ErrorCode.UNKNOWN_ACCOUNT);
      }
      service.registry().tell(new BookRegistry.ActiveBooks(books.ref()));
      largest = Math.max(largest, books.receiveMessage().size());
    }
    // Each unknown book's actor stops as soon as its post is answered: the registry never holds
    // more than the posts in flight, and ends with none.
    assertThat(largest).isLessThanOrEqualTo(2 * window);
    books.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          service.registry().tell(new BookRegistry.ActiveBooks(books.ref()));
          assertThat(books.receiveMessage()).isEmpty();
          return null;
        });
    assertThat(store.listBooks()).extracting(b -> b.book()).containsExactly(BOOK);
  }

  @Test
  void aPostLargerThanAGroupCommitIsCommittedInConsecutiveChunksAndAnsweredOnce() {
    LedgerService service = service(LedgerSettings.defaults().withWriteBatchMax(4));
    List<TransactionDraft> drafts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      drafts.add(deposit("batch-" + i));
    }
    drafts.set(7, deposit("batch-3"));
    TestProbe<PostResult> probe = kit.createTestProbe();
    service.registry().tell(new BookRegistry.Post(BOOK, drafts, probe.ref()));

    PostResult.Done done = probe.expectMessageClass(PostResult.Done.class, Duration.ofSeconds(10));
    probe.expectNoMessage(Duration.ofMillis(100));
    assertThat(store.batchSizes()).containsExactly(4, 4, 2);
    Map<Integer, Long> seqs = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      Transaction tx = ((PostOutcome.Committed) done.outcomes().get(i)).transaction();
      seqs.put(i, tx.seq());
      assertThat(tx.deduplicated()).isEqualTo(i == 7);
    }
    assertThat(seqs.values()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 4L, 8L, 9L);
  }
}
