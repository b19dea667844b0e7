package dev.talea.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * An HTTP/1.1 listener: Pekko's HTTP server layer on TCP connections that each pass a {@link
 * ConnectionGuard} first. Pekko's own {@code bind} offers no place between the socket and its HTTP
 * parser, which is where the guard's time limits must sit, so the pieces are joined here.
 *
 * <p>Stopping: {@link #unbind} stops accepting; {@link #terminate} closes every connection, live
 * tails included, once the requests in flight have finished or a deadline has passed.
 */
final class HttpListener {

  /** No TLS (a balancer terminates it): session bytes are plain bytes. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final BidiFlow<
          TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed>
      PLAINTEXT = (BidiFlow) TLSPlacebo.getInstance();

  private final Tcp.ServerBinding binding;
  private final SharedKillSwitch connections;
  private final ActorSystem<?> system;

  private HttpListener(
      Tcp.ServerBinding binding, SharedKillSwitch connections, ActorSystem<?> system) {
    this.binding = binding;
    this.connections = connections;
    this.system = system;
  }

  /**
   * Binds {@code host:port} and serves every connection with {@code handler}, behind {@code guard}.
   * Pekko's {@code pekko.http.server} settings apply (parser limits, idle timeout, request
   * timeout).
   */
  static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      HostPort address,
      Flow<HttpRequest, HttpResponse, ?> handler,
      ConnectionGuard guard) {
    ServerSettings defaults = ServerSettings.create(system.classicSystem());
    // Pekko knows application/json as UTF-8 only and drops a charset parameter a request declares;
    // parsed as a type with an open charset, the parameter reaches the routes, which refuse all
    // but UTF-8 (415) instead of misreading the body.
    ServerSettings settings =
        defaults.withParserSettings(
            defaults
                .getParserSettings()
                .withCustomMediaTypes(MediaTypes.applicationWithOpenCharset("json")));
    Materializer materializer = Materializer.matFromSystem(system);
    SharedKillSwitch connections = KillSwitches.shared("http-" + address);
    scala.concurrent.duration.Duration idle = settings.getTimeouts().idleTimeout();
    Optional<Duration> idleTimeout =
        idle.isFinite() ? Optional.of(Duration.ofNanos(idle.toNanos())) : Optional.empty();
    return Tcp.get(system)
        .bind(address.host(), address.port(), settings.getBacklog(), List.of(), false, idleTimeout)
        .to(
            Sink.foreach(
                connection -> {
                  Flow<ByteString, ByteString, ?> served =
                      handler.join(
                          Http.get(system.classicSystem())
                              .serverLayer(settings, Optional.of(connection.remoteAddress()))
                              .atop(PLAINTEXT)
                              .atop(guard.forConnection()));
                  connection.handleWith(served.via(connections.flow()), materializer);
                }))
        .run(materializer)
        .thenApply(binding -> new HttpListener(binding, connections, system));
  }

  InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Stops accepting connections; those open go on. */
  CompletionStage<Done> unbind() {
    return binding.unbind().thenCompose(ignored -> binding.whenUnbound());
  }

  /**
   * Closes every connection once {@code inFlight} has read zero five times in a row, 10 ms apart,
   * or {@code deadline} has passed, whichever comes first. (A request whose body has just arrived
   * is between the two counts talead keeps — arriving, then admitted — for a moment; 50 ms of
   * readings cover that moment.)
   */
  CompletionStage<Done> terminate(Duration deadline, IntSupplier inFlight) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    long end = System.nanoTime() + deadline.toNanos();
    Runnable[] check = new Runnable[1];
    int[] quiet = {0};
    check[0] =
        () -> {
          quiet[0] = inFlight.getAsInt() == 0 ? quiet[0] + 1 : 0;
          if (quiet[0] >= 5 || System.nanoTime() >= end) {
            connections.shutdown();
            done.complete(Done.getInstance());
          } else {
            system
                .scheduler()
                .scheduleOnce(Duration.ofMillis(10), check[0], system.executionContext());
          }
        };
    check[0].run();
    return done;
  }

  /**
   * Unbinds at the start of a coordinated shutdown and, before the actors stop, waits for the
   * requests in flight (up to {@code deadline}), then closes the connections.
   */
  void addToCoordinatedShutdown(Duration deadline, IntSupplier inFlight) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind-" + address(), this::unbind);
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "http-drain-" + address(),
        () -> terminate(deadline, inFlight));
  }
}
