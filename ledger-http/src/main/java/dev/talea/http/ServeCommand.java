package dev.talea.http;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import sun.misc.Signal;

/** {@code talead serve}: runs the HTTP API until SIGTERM or SIGINT, then drains and exits 0. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the HTTP API.",
      "",
      "Reads ./.env, then the environment, which wins: TALEA_DB_URL, TALEA_API_TOKEN,"
          + " TALEA_TOKENS_FILE, TALEA_BIND, TALEA_DB_POOL, TALEA_DB_LISTEN_URL, TALEA_MAX_INFLIGHT,"
          + " TALEA_WRITE_QUEUE_DEPTH, TALEA_WRITE_BATCH_MAX, TALEA_REQUEST_TIMEOUT,"
          + " TALEA_METRICS_BIND, TALEA_HEADER_TIMEOUT, TALEA_BODY_TIMEOUT, TALEA_MAX_CONNECTIONS,"
          + " TALEA_MAX_SUBSCRIBERS, TALEA_MAX_SUBSCRIBERS_PER_TOKEN, TALEA_DRAIN_GRACE,"
          + " TALEA_SHUTDOWN_TIMEOUT, TALEA_ACCESS_LOG, TALEA_CLUSTER_BIND, TALEA_CLUSTER_SEEDS,"
          + " TALEA_CLUSTER_DISCOVERY, TALEA_MANAGEMENT_BIND, TALEA_CLUSTER_SERVICE,"
          + " TALEA_CLUSTER_ENDPOINTS, TALEA_CLUSTER_DOWN_AFTER, TALEA_CLUSTER_FORWARDS_IN_FLIGHT,"
          + " TALEA_CLUSTER_FORWARD_LINGER."
          + " Their defaults and meanings are"
          + " in docs/howto-run.md.",
      "",
      "On SIGTERM or Ctrl-C it drains: /health answers 503 {\"status\":\"draining\"} at once"
          + " while other requests are still served for TALEA_DRAIN_GRACE (default 5s), so that a"
          + " load balancer takes it out of rotation; then it stops listening, ends live tails"
          + " with a retry: line, gives the requests and group commits in flight up to"
          + " TALEA_SHUTDOWN_TIMEOUT (default 30s) to finish, and exits 0. A second signal skips"
          + " the grace.",
      "",
      "Cluster mode (TALEA_CLUSTER_BIND, TALEA_CLUSTER_SEEDS or TALEA_CLUSTER_DISCOVERY with"
          + " TALEA_MANAGEMENT_BIND, TALEA_CLUSTER_DOWN_AFTER; Postgres only): the instances form"
          + " a Pekko cluster in which each book has one writer; /health answers 503"
          + " {\"status\":\"joining\"} until this node has joined. With"
          + " TALEA_CLUSTER_DISCOVERY (config, dns or kubernetes-api) the nodes find each other"
          + " through Pekko Management's cluster bootstrap, which listens on"
          + " TALEA_MANAGEMENT_BIND and serves nothing but bootstrap: keep that port on the"
          + " private network. It looks up TALEA_CLUSTER_SERVICE (default talead); config"
          + " lists every node's TALEA_MANAGEMENT_BIND in TALEA_CLUSTER_ENDPOINTS. See"
          + " docs/howto-run-a-cluster.md.",
      "",
      "Exit codes: 0 after a clean shutdown, 1 if the store cannot be opened, 2 for a bad"
          + " setting, 3 if the node left its cluster unasked (downed, or found no cluster to"
          + " join)."
    })
final class ServeCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger("talead");

  @Override
  public Integer call() throws Exception {
    ServerSettings settings =
        ServerSettings.load(DotEnv.environment(Path.of(".env"), System.getenv()));
    if (settings.storeSettings().unsafeSkipReadSnapshots()) {
      LOG.warn(
          "talea.unsafe.skip-read-snapshots is on: reads can mix states. This is for testing the"
              + " history checker only");
    }
    TaleaServer server = TaleaServer.start(settings);
    LOG.info(
        "talead listening on http://{} (backend {}, store {})",
        HostPort.of(server.address()),
        server.backend(),
        settings.store());
    Runnable drain =
        () -> {
          if (server.draining()) {
            LOG.info("talead: second signal, shutting down without waiting for the drain's grace");
          } else {
            LOG.info(
                "talead draining: /health answers 503; requests are served for {}"
                    + " (TALEA_DRAIN_GRACE), then the listener closes and requests in flight"
                    + " have {} (TALEA_SHUTDOWN_TIMEOUT) to finish",
                settings.drainGrace(),
                settings.shutdownTimeout());
          }
          server.drain();
        };
    Signal.handle(new Signal("TERM"), signal -> drain.run());
    Signal.handle(new Signal("INT"), signal -> drain.run());
    server.awaitTermination();
    java.util.Optional<String> left = server.leftClusterBecause();
    if (left.isPresent()) {
      LOG.error("talead stopped: {}", left.get());
    } else {
      LOG.info("talead stopped");
    }
    // Give the logger a moment to flush its last line before the JVM exits.
    TimeUnit.MILLISECONDS.sleep(50);
    return left.isPresent() ? 3 : 0;
  }
}
