package dev.talea.actors;

import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerApi;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Names;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.protocol.json.WireReader;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreUnavailableException;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.AsPublisher;
import org.apache.pekko.stream.javadsl.JavaFlowSupport;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger in-process: {@link LedgerApi} over a {@link Store}. Posts go through the book actors'
 * group commit ({@link BookRegistry}); everything else goes straight to the store on the blocking
 * dispatcher, so reads never queue behind writes. Arguments are checked here, at the boundary, with
 * the contract's codes. Store failures become {@code unavailable} (the store cannot be reached) or
 * {@code internal} (anything else; logged, never shown to the caller).
 */
public final class LedgerService implements LedgerApi {

  /** The dispatcher every blocking store call runs on (see {@code reference.conf}). */
  public static final String BLOCKING_DISPATCHER = "talea.blocking-dispatcher";

  private static final Logger LOG = LoggerFactory.getLogger(LedgerService.class);

  private final ActorSystem<?> system;
  private final Store store;
  private final LedgerSettings settings;
  private final Executor blocking;
  private final CommitFeed feed;
  private final ActorRef<BookRegistry.Command> registry;
  private final BookWriters writers;
  private final ShardedBooks sharded;

  /** A finished verify, and the chain head it verified (null where it cannot be reused). */
  private record Verified(VerifyResult result, String headHash, long finishedNanos) {}

  /** How many books' last verify results are kept; the least recently used go first. */
  private static final int VERIFIED_KEPT = 1024;

  /** A verify in progress, and the book's head just before it began. */
  private record Running(BookSummary before, CompletableFuture<VerifyResult> result) {}

  private final Map<String, Running> verifying = new ConcurrentHashMap<>();
  private final Map<String, Verified> verified =
      Collections.synchronizedMap(
          new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
              return size() > VERIFIED_KEPT;
            }
          });

  private LedgerService(
      ActorSystem<?> system,
      Store store,
      LedgerSettings settings,
      Executor blocking,
      CommitFeed feed,
      ActorRef<BookRegistry.Command> registry,
      ShardedBooks sharded) {
    this.system = system;
    this.store = store;
    this.settings = settings;
    this.blocking = blocking;
    this.feed = feed;
    this.registry = registry;
    this.sharded = sharded;
    this.writers = sharded != null ? sharded : BookWriters.local(registry, system.scheduler());
  }

  /** Starts the book registry in {@code system} and returns the service over {@code store}. */
  public static LedgerService start(ActorSystem<?> system, Store store, LedgerSettings settings) {
    return start(system, store, settings, LedgerMetrics.NONE);
  }

  /**
   * As {@link #start(ActorSystem, Store, LedgerSettings)}, reporting to {@code metrics}. In a
   * system whose actor provider is {@code cluster}, posts go to book actors placed by Cluster
   * Sharding (one writer per book across the cluster); otherwise to this process's own registry,
   * with no cluster machinery started at all.
   */
  public static LedgerService start(
      ActorSystem<?> system, Store store, LedgerSettings settings, LedgerMetrics metrics) {
    Executor blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
    CommitFeed feed = new CommitFeed(store, blocking, Materializer.matFromSystem(system), settings);
    ActorRef<BookRegistry.Command> registry =
        system.systemActorOf(
            BookRegistry.create(store, blocking, feed, settings, metrics), "books", Props.empty());
    // Commits made through other instances sharing the store reach this one's subscribers.
    AutoCloseable listening = store.listen(feed);
    system
        .getWhenTerminated()
        .whenComplete(
            (done, failure) -> {
              try {
                listening.close();
              } catch (Exception e) {
                LOG.warn("closing the commit listener failed", e);
              }
            });
    ShardedBooks sharded =
        isClustered(system)
            ? ShardedBooks.init(system, store, blocking, feed, settings, metrics)
            : null;
    return new LedgerService(system, store, settings, blocking, feed, registry, sharded);
  }

  private static boolean isClustered(ActorSystem<?> system) {
    return "cluster".equals(system.settings().config().getString("pekko.actor.provider"));
  }

  /** Whether posts go to book actors placed by Cluster Sharding. */
  public boolean clustered() {
    return writers.clustered();
  }

  /**
   * In a cluster: this node's shards, each with the books whose writers run in it now (shard ids in
   * order, books in order); in a single instance, one pseudo-shard {@code "local"} with the
   * registry's active books.
   */
  public CompletionStage<Map<String, List<String>>> localShards(java.time.Duration timeout) {
    if (sharded != null) {
      return sharded.localShards(timeout);
    }
    return AskPattern.<BookRegistry.Command, java.util.Set<String>>ask(
            registry, BookRegistry.ActiveBooks::new, timeout, system.scheduler())
        .thenApply(books -> Map.of("local", List.copyOf(books)));
  }

  public String backend() {
    return store.backend();
  }

  public LedgerSettings settings() {
    return settings;
  }

  /** The registry, for inspection (active books). */
  public ActorRef<BookRegistry.Command> registry() {
    return registry;
  }

  // ---- assets ---------------------------------------------------------------------------------

  @Override
  public CompletionStage<Registration<Asset>> registerAssetAsync(AssetSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return blocking(() -> store.registerAsset(spec));
  }

  @Override
  public CompletionStage<List<Asset>> listAssetsAsync() {
    return blocking(store::listAssets);
  }

  @Override
  public CompletionStage<Asset> getAssetAsync(String code) {
    return checked(() -> Names.requireAssetCode(code, "code"))
        .thenCompose(
            c ->
                blocking(
                    () ->
                        store
                            .findAsset(c)
                            .orElseThrow(
                                () -> LedgerError.notFound("no asset " + c).toException())));
  }

  // ---- books and accounts ---------------------------------------------------------------------

  @Override
  public CompletionStage<List<BookSummary>> listBooksAsync() {
    return blocking(store::listBooks);
  }

  /** A book's chain head; {@code not_found} if the book has no accounts. */
  public CompletionStage<BookSummary> getBookAsync(String book) {
    return checked(() -> Names.requireBook(book, "book"))
        .thenCompose(
            b ->
                blocking(
                    () ->
                        store
                            .findBook(b)
                            .orElseThrow(
                                () -> LedgerError.notFound("no book " + b).toException())));
  }

  @Override
  public CompletionStage<Registration<Account>> openAccountAsync(
      String book, String account, AccountSpec spec) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Names.requireAccount(account, "account");
              return Objects.requireNonNull(spec, "spec");
            })
        .thenCompose(s -> blocking(() -> store.openAccount(book, account, s)));
  }

  @Override
  public CompletionStage<AccountPage> listAccountsAsync(String book, String after, int limit) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              if (after != null) {
                Names.requireAccount(after, "after");
              }
              return Paging.requireLimit(limit);
            })
        .thenCompose(l -> blocking(() -> store.listAccounts(book, after, l)));
  }

  @Override
  public CompletionStage<Account> getAccountAsync(String book, String account) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              return Names.requireAccount(account, "account");
            })
        .thenCompose(a -> blocking(() -> store.getAccount(book, a)));
  }

  // ---- transactions ---------------------------------------------------------------------------

  @Override
  public CompletionStage<Transaction> postAsync(String book, TransactionDraft draft) {
    return postBatchAsync(book, List.of(Objects.requireNonNull(draft, "draft")))
        .thenApply(
            outcomes -> {
              PostOutcome outcome = outcomes.get(0);
              if (outcome instanceof PostOutcome.Committed committed) {
                return committed.transaction();
              }
              throw ((PostOutcome.Rejected) outcome).error().toException();
            });
  }

  @Override
  public CompletionStage<List<PostOutcome>> postBatchAsync(
      String book, List<TransactionDraft> drafts) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              if (drafts == null || drafts.isEmpty() || drafts.size() > WireReader.MAX_BATCH) {
                throw LedgerError.invalidRequest(
                        "transactions", "a batch holds 1 to " + WireReader.MAX_BATCH + " drafts")
                    .toException();
              }
              drafts.forEach(d -> Objects.requireNonNull(d, "draft"));
              return List.copyOf(drafts);
            })
        .thenCompose(
            checkedDrafts ->
                plain(writers.post(book, checkedDrafts, settings.requestTimeout()))
                    .handle(
                        (result, failure) -> {
                          if (failure != null) {
                            throw askFailure(failure);
                          }
                          if (result instanceof PostResult.Refused refused) {
                            throw refused.error().toException();
                          }
                          return ((PostResult.Done) result).outcomes();
                        }));
  }

  private RuntimeException askFailure(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof TimeoutException && writers.clustered()) {
      // The writer is elsewhere: no answer may mean the book is moving between instances or its
      // owner is unreachable, as much as a slow commit (contract §18).
      return LedgerError.of(
              ErrorCode.UNAVAILABLE,
              "the book's writer did not answer within "
                  + settings.requestTimeout().toMillis()
                  + " ms (it may be moving to another instance); the outcome is unknown — retry"
                  + " with the same idempotency key")
          .toException();
    }
    if (cause instanceof TimeoutException) {
      return LedgerError.of(
              ErrorCode.TIMEOUT,
              "the commit did not finish within "
                  + settings.requestTimeout().toMillis()
                  + " ms; its outcome is unknown — retry with the same idempotency key")
          .toException();
    }
    LOG.error("posting failed unexpectedly", cause);
    return LedgerError.of(ErrorCode.INTERNAL, "internal error").toException();
  }

  @Override
  public CompletionStage<Transaction> getTransactionAsync(UUID txId) {
    return checked(() -> Objects.requireNonNull(txId, "txId"))
        .thenCompose(
            id ->
                blocking(
                    () ->
                        store
                            .findTransaction(id)
                            .orElseThrow(
                                () -> LedgerError.notFound("no transaction " + id).toException())));
  }

  @Override
  public CompletionStage<TransactionPage> listTransactionsAsync(
      String book, long afterSeq, int limit) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Paging.requireAfterSeq(afterSeq);
              return Paging.requireLimit(limit);
            })
        .thenCompose(l -> blocking(() -> store.listTransactions(book, afterSeq, l)));
  }

  @Override
  public CompletionStage<Optional<Transaction>> findTransactionAsync(
      String book, String idempotencyKey) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              return Names.requireIdempotencyKey(idempotencyKey, "idempotency_key");
            })
        .thenCompose(key -> blocking(() -> store.findTransactionByKey(book, key)));
  }

  @Override
  public CompletionStage<PostingPage> listPostingsAsync(
      String book, String account, String asset, long afterSeq, int limit) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Names.requireAccount(account, "account");
              if (asset != null) {
                Names.requireAssetCode(asset, "asset");
              }
              Paging.requireAfterSeq(afterSeq);
              return Paging.requireLimit(limit);
            })
        .thenCompose(l -> blocking(() -> store.listPostings(book, account, asset, afterSeq, l)));
  }

  // ---- balances -------------------------------------------------------------------------------

  @Override
  public CompletionStage<AccountBalances> balancesAsync(
      String book, String account, Instant asOf, String asset) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Names.requireAccount(account, "account");
              if (asset != null) {
                Names.requireAssetCode(asset, "asset");
              }
              return account;
            })
        .thenCompose(a -> blocking(() -> store.balances(book, a, asOf, asset)));
  }

  @Override
  public CompletionStage<TrialBalance> trialBalanceAsync(String book, Instant asOf) {
    return checked(() -> Names.requireBook(book, "book"))
        .thenCompose(b -> blocking(() -> store.trialBalance(b, asOf)));
  }

  // ---- operations -----------------------------------------------------------------------------

  /**
   * Completes when the store answers a trivial query; fails with {@code unavailable} when it cannot
   * be reached.
   */
  public CompletionStage<String> healthAsync() {
    return blocking(
        () -> {
          store.findBook("health");
          return store.backend();
        });
  }

  /**
   * Verify reads the whole book, so it is bounded: at most one runs per book at a time, and a
   * result answers later calls while the book's head (seq and hash) is unchanged, for at most
   * {@link LedgerSettings#verifyReuse()}. A caller that comes while one runs shares it if the head
   * has not moved since it began (so the answer covers every commit the caller could know of), and
   * otherwise waits for it to end and then verifies anew.
   */
  @Override
  public CompletionStage<VerifyResult> verifyAsync(String book) {
    return checked(() -> Names.requireBook(book, "book"))
        .thenCompose(b -> blocking(() -> store.findBook(b)))
        .thenCompose(head -> verifyAt(book, head.orElse(null)));
  }

  private CompletionStage<VerifyResult> verifyAt(String book, BookSummary head) {
    Verified last = verified.get(book);
    if (head != null && last != null && reusable(last, head)) {
      return CompletableFuture.completedFuture(last.result());
    }
    Running mine = new Running(head, new CompletableFuture<>());
    Running running = verifying.putIfAbsent(book, mine);
    if (running == null) {
      run(book, mine);
      return mine.result();
    }
    if (java.util.Objects.equals(running.before(), head)) {
      return running.result();
    }
    return running
        .result()
        .handle((result, failure) -> null)
        .thenCompose(ignored -> verifyAsync(book));
  }

  private boolean reusable(Verified last, BookSummary head) {
    return last.headHash() != null
        && last.result().seq() == head.lastSeq()
        && last.headHash().equals(head.headHash())
        && System.nanoTime() - last.finishedNanos() < settings.verifyReuse().toNanos();
  }

  private void run(String book, Running mine) {
    BookSummary before = mine.before();
    blocking(() -> store.verify(book))
        .whenComplete(
            (result, failure) -> {
              verifying.remove(book, mine);
              if (failure != null) {
                mine.result().completeExceptionally(unwrap(failure));
                return;
              }
              String hash =
                  result.ok()
                      ? result.headHash()
                      : before != null && before.lastSeq() == result.seq()
                          ? before.headHash()
                          : null;
              verified.put(book, new Verified(result, hash, System.nanoTime()));
              mine.result().complete(result);
            });
  }

  @Override
  public Flow.Publisher<Transaction> subscribe(String book, OptionalLong fromSeq) {
    Names.requireBook(book, "book");
    Objects.requireNonNull(fromSeq, "fromSeq");
    Source<Transaction, NotUsed> commits = commits(book, fromSeq);
    return subscriber ->
        commits
            .runWith(
                JavaFlowSupport.Sink.asPublisher(AsPublisher.WITHOUT_FANOUT),
                Materializer.matFromSystem(system))
            .subscribe(subscriber);
  }

  /**
   * The book's commits as a Pekko Streams source: every commit with {@code seq >= fromSeq} (or, if
   * empty, every commit after the subscription starts), catch-up then live, each exactly once in
   * order. Fails with {@code not_found} for an unknown book, and with {@link
   * CommitFeed.SlowSubscriberException} if the consumer falls too far behind.
   */
  public Source<Transaction, NotUsed> commits(String book, OptionalLong fromSeq) {
    return Source.completionStage(getBookAsync(book))
        .flatMapConcat(
            head ->
                feed.subscribe(
                    book, fromSeq.isPresent() ? fromSeq.getAsLong() : head.lastSeq() + 1))
        .mapError(CompletionException.class, e -> unwrap(e));
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /**
   * The stage as a plain {@link CompletableFuture}, completed on the thread that completes {@code
   * stage}. Pekko's ask answers with a Scala-backed future whose non-async methods run their
   * functions on the default asynchronous executor — which, on a machine with two cores, starts a
   * new thread for every task. Everything downstream of this runs where the answer arrives.
   */
  private static <T> CompletableFuture<T> plain(CompletionStage<T> stage) {
    CompletableFuture<T> result = new CompletableFuture<>();
    stage.whenCompleteAsync(
        (value, failure) -> {
          if (failure != null) {
            result.completeExceptionally(failure);
          } else {
            result.complete(value);
          }
        },
        Runnable::run);
    return result;
  }

  /** Runs argument checks now, turning their exception into a failed stage. */
  private static <T> CompletionStage<T> checked(Supplier<T> check) {
    try {
      return CompletableFuture.completedFuture(check.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Runs a store call on the blocking dispatcher, translating infrastructure failures. */
  private <T> CompletionStage<T> blocking(Supplier<T> call) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return call.get();
          } catch (LedgerException e) {
            throw e;
          } catch (StoreUnavailableException e) {
            LOG.warn("the store is unavailable: {}", e.getMessage());
            throw new LedgerException(
                LedgerError.of(ErrorCode.UNAVAILABLE, "the store cannot be reached; retry later"),
                e);
          } catch (StoreException e) {
            LOG.error("the store failed", e);
            throw new LedgerException(LedgerError.of(ErrorCode.INTERNAL, "internal error"), e);
          }
        },
        blocking);
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
