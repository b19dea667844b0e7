package dev.talea.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.talea.actors.LedgerService;
import dev.talea.store.Store;
import dev.talea.store.Stores;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.stream.Materializer;

/**
 * A running talead: the store, the actor system with the ledger, and the HTTP listener. Shutting
 * down (SIGTERM, or {@link #shutdown()}) stops accepting connections, lets the requests in flight —
 * and with them their group commits — finish, then stops the actors and closes the store.
 */
final class TaleaServer {

  private final ServerSettings settings;
  private final Store store;
  private final ActorSystem<Void> system;
  private final LedgerService ledger;
  private final HttpListener listener;
  private final CompletionStage<Void> closed;
  private final Admission admission;
  private final ConnectionGuard guard;
  private final Drain drain;

  private TaleaServer(
      ServerSettings settings,
      Store store,
      ActorSystem<Void> system,
      LedgerService ledger,
      HttpListener listener,
      CompletionStage<Void> closed,
      Admission admission,
      ConnectionGuard guard,
      Drain drain) {
    this.settings = settings;
    this.store = store;
    this.system = system;
    this.ledger = ledger;
    this.listener = listener;
    this.closed = closed;
    this.admission = admission;
    this.guard = guard;
    this.drain = drain;
  }

  /**
   * Starts the server.
   *
   * @throws SettingsException if no token is configured, or the tokens are unusable
   * @throws dev.talea.store.StoreException if the store cannot be opened (unreachable, newer
   *     schema)
   */
  static TaleaServer start(ServerSettings settings) {
    return start(settings, store -> store);
  }

  /**
   * Starts the server on the store as {@code decorate} returns it: a seam for tests that must hold
   * the store's work (a request in flight for as long as a test needs).
   */
  static TaleaServer start(ServerSettings settings, UnaryOperator<Store> decorate) {
    Tokens tokens = settings.tokens();
    if (tokens.isEmpty()) {
      throw new SettingsException(
          "no API token is configured. Run `talead init` to generate one (it writes"
              + " TALEA_API_TOKEN to ./.env), or set TALEA_API_TOKEN or TALEA_TOKENS_FILE.");
    }
    Store store = decorate.apply(Stores.open(settings.store(), settings.storeSettings()));
    ActorSystem<Void> system = null;
    ServerMetrics metrics = ServerMetrics.none();
    try {
      ServerIdentity.setBackend(store.backend());
      // The drain's last phase (requests in flight finishing) may take TALEA_SHUTDOWN_TIMEOUT;
      // Pekko would otherwise cut it at its default of 5 s.
      Config config =
          settings
              .config()
              .withValue(
                  "pekko.coordinated-shutdown.phases.service-requests-done.timeout",
                  ConfigValueFactory.fromAnyRef(
                      settings.shutdownTimeout().plusSeconds(5).toMillis() + "ms"));
      ClusterSettings clusterSettings = settings.cluster();
      if (clusterSettings != null) {
        config = clusterSettings.pekkoConfig(config);
      }
      system = ActorSystem.create(Behaviors.empty(), ClusterSettings.SYSTEM_NAME, config);
      Admission admission =
          Admission.start(settings.maxInflight(), Materializer.matFromSystem(system));
      ServerSettings.Limits limits = settings.limits();
      if (settings.metricsBind() != null) {
        metrics = KamonMetrics.start(settings.config(), store.backend(), admission);
      }
      LedgerService ledger = LedgerService.start(system, store, settings.ledgerSettings(), metrics);
      ClusterNode cluster = clusterSettings == null ? null : ClusterNode.of(system, ledger);
      if (cluster != null) {
        metrics.cluster(cluster);
      }
      Drain drain = new Drain();
      LiveTailLimits liveTails =
          new LiveTailLimits(limits.maxSubscribers(), limits.maxSubscribersPerToken());
      ApiRoutes routes =
          new ApiRoutes(
              ledger,
              tokens,
              admission,
              metrics,
              settings.keepalive(),
              limits.bodyTimeout(),
              liveTails,
              drain,
              cluster,
              settings.accessLog());
      ConnectionGuard guard =
          new ConnectionGuard(
              limits.headerTimeout(), limits.bodyTimeout(), limits.maxConnections());
      HttpListener listener =
          HttpListener.bind(system, settings.bind(), routes.routes().flow(system), guard)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      // Drain: stop accepting and end the live tails (each with its retry: line), then give the
      // requests in flight until TALEA_SHUTDOWN_TIMEOUT to finish, and close the connections.
      CoordinatedShutdown.get(system)
          .addTask(
              CoordinatedShutdown.PhaseServiceUnbind(),
              "live-tails-end",
              () -> {
                drain.begin();
                drain.endLiveTails();
                return CompletableFuture.completedFuture(Done.getInstance());
              });
      listener.addToCoordinatedShutdown(
          settings.shutdownTimeout(),
          () -> admission.inFlight() + guard.requestsArriving() + liveTails.open());
      if (settings.metricsBind() != null) {
        HttpListener scrapes =
            HttpListener.bind(
                    system,
                    settings.metricsBind(),
                    MetricsRoute.route().flow(system),
                    new ConnectionGuard(limits.headerTimeout(), limits.bodyTimeout(), 64))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        scrapes.addToCoordinatedShutdown(Duration.ZERO, () -> 0);
      }
      if (clusterSettings != null && clusterSettings.discovery() != null) {
        // Last, once every listener of this node is bound: only then may it join a cluster.
        startBootstrap(system, clusterSettings);
      }
      ServerMetrics started = metrics;
      CompletionStage<Void> closed =
          system
              .getWhenTerminated()
              .thenRun(
                  () -> {
                    store.close();
                    started.close();
                  });
      return new TaleaServer(
          settings, store, system, ledger, listener, closed, admission, guard, drain);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopQuietly(system, store, metrics);
      throw new IllegalStateException("interrupted while starting", e);
    } catch (ExecutionException | TimeoutException e) {
      stopQuietly(system, store, metrics);
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new SettingsException(
          "cannot listen on TALEA_BIND=" + settings.bind() + ": " + cause.getMessage(), cause);
    } catch (RuntimeException e) {
      stopQuietly(system, store, metrics);
      throw e;
    }
  }

  /**
   * Discovery mode: Pekko Management's HTTP listener on {@code TALEA_MANAGEMENT_BIND} (serving only
   * bootstrap's route, see {@link ClusterSettings#pekkoConfig}), stopped with the API listener on
   * shutdown; then cluster bootstrap, which finds the other nodes and joins or forms the cluster.
   *
   * @throws SettingsException if the management listener cannot be bound
   */
  private static void startBootstrap(ActorSystem<Void> system, ClusterSettings cluster)
      throws InterruptedException {
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    PekkoManagement management = PekkoManagement.get(classic);
    try {
      management.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause.getCause() != null && cause instanceof IllegalArgumentException) {
        cause = cause.getCause();
      }
      throw new SettingsException(
          "cannot listen on TALEA_MANAGEMENT_BIND="
              + cluster.managementBind()
              + ": "
              + cause.getMessage(),
          cause);
    }
    CoordinatedShutdown.get(system)
        .addTask(CoordinatedShutdown.PhaseServiceUnbind(), "management-unbind", management::stop);
    ClusterBootstrap.get(classic).start();
  }

  private static void stopQuietly(ActorSystem<Void> system, Store store, ServerMetrics metrics) {
    metrics.close();
    if (system != null) {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Best effort while failing to start.
      }
    }
    store.close();
  }

  /** The admission bound (tests fill it to show what saturation answers). */
  Admission admission() {
    return admission;
  }

  /** Requests holding an admission slot now. */
  int requestsInFlight() {
    return admission.inFlight();
  }

  InetSocketAddress address() {
    return listener.address();
  }

  /** Connections open now on the API listener. */
  int openConnections() {
    return guard.openConnections();
  }

  String backend() {
    return store.backend();
  }

  ActorSystem<Void> system() {
    return system;
  }

  LedgerService ledger() {
    return ledger;
  }

  ServerSettings settings() {
    return settings;
  }

  /**
   * SIGTERM: {@code /health} answers 503 draining at once while every other request is still
   * served; after {@code TALEA_DRAIN_GRACE} the {@link #shutdown} begins. A second call (a second
   * signal) shuts down at once.
   *
   * @return completes when the server has shut down and closed its store
   */
  CompletionStage<Done> drain() {
    if (!drain.begin()) {
      return shutdown();
    }
    system
        .scheduler()
        .scheduleOnce(settings.drainGrace(), this::shutdown, system.executionContext());
    return closed.thenApply(ignored -> Done.getInstance());
  }

  /** Whether a drain has begun ({@code /health} answers 503 draining). */
  boolean draining() {
    return drain.draining();
  }

  /**
   * Runs the coordinated shutdown at once, without the drain's grace; completes when the actors
   * have stopped and the store is closed.
   */
  CompletionStage<Done> shutdown() {
    return CoordinatedShutdown.get(system)
        .run(CoordinatedShutdown.jvmExitReason(), java.util.Optional.empty())
        .thenCompose(done -> closed.thenApply(ignored -> done));
  }

  /**
   * Why the server shut down without being asked to, if it did: this cluster node was downed (by
   * the split brain resolver, on the other side of a partition or after a pause), or it found no
   * cluster to join. Empty after a shutdown that was asked for (a signal, {@link #shutdown}).
   */
  java.util.Optional<String> leftClusterBecause() {
    return CoordinatedShutdown.get(system)
        .getShutdownReason()
        .flatMap(
            reason -> {
              if (reason.equals(CoordinatedShutdown.clusterDowningReason())) {
                return java.util.Optional.of(
                    "this node was downed by the cluster (unreachable from the majority); its"
                        + " books have moved to the other nodes. Restart it to rejoin");
              }
              if (reason.equals(CoordinatedShutdown.clusterJoinUnsuccessfulReason())) {
                return java.util.Optional.of(
                    "this node could not join the cluster within 60s: no seed (or bootstrap"
                        + " contact) answered at TALEA_CLUSTER_SEEDS / TALEA_CLUSTER_DISCOVERY");
              }
              return java.util.Optional.empty();
            });
  }

  /** Blocks until the server has shut down and closed its store. */
  void awaitTermination() throws InterruptedException, ExecutionException {
    closed.toCompletableFuture().get();
  }

  Duration requestTimeout() {
    return settings.requestTimeout();
  }
}
