package dev.talea.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.actors.LedgerService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterShardingHealthCheck;
import org.apache.pekko.cluster.typed.Cluster;
import scala.jdk.javaapi.FutureConverters;

/**
 * This talead as a member of a Pekko cluster: whether it may take traffic ({@code /health}), and
 * what it sees of the cluster ({@code GET /v1/cluster}, the cluster metrics).
 */
final class ClusterNode {

  private final Cluster cluster;
  private final ClusterShardingHealthCheck shardingCheck;
  private final AtomicBoolean regionRegistered = new AtomicBoolean();
  private final AtomicInteger shards = new AtomicInteger();
  private final AtomicInteger books = new AtomicInteger();

  private ClusterNode(ActorSystem<?> system) {
    this.cluster = Cluster.get(system);
    this.shardingCheck = new ClusterShardingHealthCheck(Adapter.toClassic(system));
  }

  /**
   * This node of the cluster that {@code system} belongs to; it counts the shards and book actors
   * it hosts every {@link #POLL} (for the metrics).
   */
  static ClusterNode of(ActorSystem<?> system, LedgerService ledger) {
    ClusterNode node = new ClusterNode(system);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            POLL,
            POLL,
            () ->
                ledger
                    .localShards(POLL)
                    .thenAccept(
                        hosted -> {
                          node.shards.set(hosted.size());
                          node.books.set(hosted.values().stream().mapToInt(List::size).sum());
                        }),
            system.executionContext());
    return node;
  }

  /** How often the hosted shards and books are counted. */
  static final Duration POLL = Duration.ofSeconds(2);

  /** Shards of books hosted here, as last counted. */
  int shardsHosted() {
    return shards.get();
  }

  /** Book actors (writers) running here, as last counted. */
  int booksHosted() {
    return books.get();
  }

  /** This node's address, {@code pekko://talead@host:port}. */
  String self() {
    return cluster.selfMember().address().toString();
  }

  /**
   * Whether this node takes traffic: it is an Up member and its book shard region has registered
   * with the coordinator (from then on the region's check stays true, so that a coordinator moving
   * never takes every node out of rotation at once).
   */
  CompletionStage<Boolean> ready() {
    if (cluster.selfMember().status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    if (regionRegistered.get()) {
      return CompletableFuture.completedFuture(true);
    }
    return FutureConverters.asJava(shardingCheck.apply())
        .thenApply(
            registered -> {
              if (Boolean.TRUE.equals(registered)) {
                regionRegistered.set(true);
                return true;
              }
              return false;
            });
  }

  /** This node's status as the cluster sees it: joining, up, leaving, exiting, down, removed. */
  String status() {
    return statusName(cluster.selfMember().status());
  }

  /** Members by status, and how many are unreachable from here, for the metrics. */
  record Counts(int up, int other, int unreachable) {}

  Counts counts() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    int up = 0;
    int other = 0;
    for (Member member : state.getMembers()) {
      if (member.status() == MemberStatus.up()) {
        up++;
      } else {
        other++;
      }
    }
    return new Counts(up, other, state.getUnreachable().size());
  }

  /** {@code GET /v1/cluster}: {@code {"self","members":[{"address","status"}],"unreachable"}}. */
  ObjectNode describe() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("self", self());
    ArrayNode members = body.putArray("members");
    List<Member> sorted = new ArrayList<>();
    state.getMembers().forEach(sorted::add);
    sorted.sort((a, b) -> Member.addressOrdering().compare(a.address(), b.address()));
    for (Member member : sorted) {
      ObjectNode entry = members.addObject();
      entry.put("address", member.address().toString());
      entry.put("status", statusName(member.status()));
    }
    ArrayNode unreachable = body.putArray("unreachable");
    List<String> addresses = new ArrayList<>();
    state.getUnreachable().forEach(member -> addresses.add(member.address().toString()));
    addresses.stream().sorted().forEach(unreachable::add);
    return body;
  }

  private static String statusName(MemberStatus status) {
    return switch (status.toString()) {
      case "WeaklyUp" -> "weakly_up";
      case "PreparingForShutdown" -> "preparing_for_shutdown";
      case "ReadyForShutdown" -> "ready_for_shutdown";
      default -> status.toString().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
