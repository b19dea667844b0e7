package dev.talea.actors;

import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Book actors placed by Cluster Sharding: one writer per book in the whole cluster, however many
 * instances its posts arrive at. The entity is the same {@link BookActor} as on a single instance;
 * only the way to find it and the passivation handshake's other side differ (the shard holds a
 * passivating book's new posts, as the registry does, and sends {@link BookActor.Stop}).
 *
 * <p>Placement is an optimisation, never a guarantee the ledger relies on: during a partition or a
 * handover two nodes may briefly both run a book's actor, and the store's counter-row lock
 * serialises their group commits (see docs/architecture.md).
 */
final class ShardedBooks implements BookWriters {

  /** The entity type; also the name of the shard region and of its health check. */
  static final EntityTypeKey<BookActor.Command> BOOK =
      EntityTypeKey.create(BookActor.Command.class, "book");

  /** Where the number of messages in flight per book from one node is configured. */
  static final String FORWARDS_IN_FLIGHT = "talea.cluster.forwards-in-flight";

  /** Where how long a post waits on its node for company is configured. */
  static final String FORWARD_LINGER = "talea.cluster.forward-linger";

  /** Ends lingers: one daemon thread for every book of the node, idle when nothing lingers. */
  private static final ScheduledExecutorService LINGERS =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "talea-forward-linger");
            thread.setDaemon(true);
            return thread;
          });

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final PostCoalescer coalescer;

  private ShardedBooks(ActorSystem<?> system, ClusterSharding sharding, LedgerSettings settings) {
    this.system = system;
    this.sharding = sharding;
    this.coalescer =
        new PostCoalescer(
            (book, drafts, timeout) ->
                sharding
                    .entityRefFor(BOOK, book)
                    .ask(replyTo -> new BookActor.Post(drafts, replyTo), timeout),
            system.settings().config().getInt(FORWARDS_IN_FLIGHT),
            system.settings().config().getDuration(FORWARD_LINGER),
            (delay, task) -> LINGERS.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS),
            settings.writeBatchMax(),
            settings.writeQueueDepth());
  }

  /** Starts this node's shard region for books. */
  static ShardedBooks init(
      ActorSystem<?> system,
      Store store,
      Executor blocking,
      CommitFeed feed,
      LedgerSettings settings,
      LedgerMetrics metrics) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(
        Entity.of(
                BOOK,
                entity ->
                    BookActor.create(
                        entity.getEntityId(),
                        self -> entity.getShard().tell(new ClusterSharding.Passivate<>(self)),
                        store,
                        blocking,
                        feed,
                        settings,
                        metrics))
            .withStopMessage(BookActor.Stop.INSTANCE));
    return new ShardedBooks(system, sharding, settings);
  }

  @Override
  public CompletionStage<PostResult> post(
      String book, List<TransactionDraft> drafts, Duration timeout) {
    return coalescer.post(book, drafts, timeout);
  }

  @Override
  public boolean clustered() {
    return true;
  }

  /** This node's shards, each with the books whose actors run in it now. */
  CompletionStage<Map<String, List<String>>> localShards(Duration timeout) {
    return AskPattern
        .<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
            ShardRegion.CurrentShardRegionState>
            ask(
                sharding.shardState(),
                replyTo -> new GetShardRegionState(BOOK, replyTo),
                timeout,
                system.scheduler())
        .thenApplyAsync(
            state -> {
              Map<String, List<String>> shards = new TreeMap<>();
              for (ShardRegion.ShardState shard : state.getShards()) {
                shards.put(
                    shard.shardId(), List.copyOf(new java.util.TreeSet<>(shard.getEntityIds())));
              }
              return shards;
            },
            Runnable::run);
  }
}
