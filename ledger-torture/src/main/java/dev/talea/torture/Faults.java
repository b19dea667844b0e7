package dev.talea.torture;

import dev.talea.testkit.PrivatePostgres;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fault schedule of a run, drawn from its seed (the same seed, duration and fault set give the
 * same schedule), and the thread that carries it out beside the clients.
 *
 * <ul>
 *   <li>{@code kill}: {@code kill -9} of talead, then a restart on the same store and port; on the
 *       embedded stores (log, SQLite) the kill waits, up to 5 s, for one of talead's threads to be
 *       inside {@code fsync}/{@code fdatasync} and lands there;
 *   <li>{@code pause}: SIGSTOP, then SIGCONT a moment later;
 *   <li>{@code postgres}: the private Postgres cluster crashed ({@code pg_ctl stop -m immediate})
 *       and started again;
 *   <li>{@code listen}: talead's LISTEN connection killed with {@code pg_terminate_backend}.
 * </ul>
 */
final class Faults {

  enum Kind {
    KILL,
    PAUSE,
    POSTGRES,
    LISTEN;

    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One fault: when (after the start of the clients), what, for how long, and to which talead (0
   * unless the run is a cluster).
   */
  record Fault(Duration at, Kind kind, Duration outage, int node) {
    Fault(Duration at, Kind kind, Duration outage) {
      this(at, kind, outage, 0);
    }
  }

  /** What the thread did: each fault as it happened. */
  record Injected(Fault fault, long startedNanos, long endedNanos, String note) {}

  static List<Fault> schedule(long seed, Duration duration, Set<Kind> kinds) {
    return schedule(seed, duration, kinds, 1);
  }

  /**
   * The schedule for {@code nodes} talead instances: each kill or pause hits one node, drawn from
   * the seed. In a cluster, pauses last up to 8 s, so that some outlast the downing time (the
   * failure detector's 3 s plus TALEA_CLUSTER_DOWN_AFTER) and the paused node is downed, while
   * others end before it.
   */
  static List<Fault> schedule(long seed, Duration duration, Set<Kind> kinds, int nodes) {
    List<Fault> faults = new ArrayList<>();
    if (kinds.isEmpty()) {
      return faults;
    }
    Random random = new Random(seed);
    // Rounds of every kind in a shuffled order, so that even a short run meets each of them.
    List<Kind> round = new ArrayList<>();
    // None in the last five seconds, so that the run ends on a server that has settled.
    long end = duration.toMillis() - 5_000;
    for (long at = 3_000 + random.nextInt(3_000); at < end; at += 4_000 + random.nextInt(5_000)) {
      if (round.isEmpty()) {
        round.addAll(kinds);
        java.util.Collections.shuffle(round, random);
      }
      Kind kind = round.remove(0);
      long outage =
          switch (kind) {
            case KILL -> 200 + random.nextInt(1_300);
            case PAUSE -> nodes > 1 ? 500 + random.nextInt(7_500) : 500 + random.nextInt(2_500);
            case POSTGRES -> 500 + random.nextInt(2_000);
            case LISTEN -> 0;
          };
      int node = nodes > 1 ? random.nextInt(nodes) : 0;
      faults.add(new Fault(Duration.ofMillis(at), kind, Duration.ofMillis(outage), node));
    }
    return faults;
  }

  private final List<Fault> schedule;
  private final List<Talead> servers;
  private final PrivatePostgres postgres;
  private final String database;
  private final PrintStream out;
  private final List<Injected> injected = new ArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private Thread thread;
  private volatile RuntimeException failure;

  Faults(
      List<Fault> schedule,
      List<Talead> servers,
      PrivatePostgres postgres,
      String database,
      PrintStream out) {
    this.schedule = schedule;
    this.servers = List.copyOf(servers);
    this.postgres = postgres;
    this.database = database;
    this.out = out;
  }

  void start() {
    long origin = System.nanoTime();
    thread =
        new Thread(
            () -> {
              try {
                for (Fault fault : schedule) {
                  while (!stop.get() && System.nanoTime() < origin + fault.at().toNanos()) {
                    Thread.sleep(50);
                  }
                  if (stop.get()) {
                    return;
                  }
                  inject(fault, origin);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (RuntimeException e) {
                failure = e;
              }
            },
            "torture-faults");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops before the next fault; a fault in progress finishes, restarts included. */
  List<Injected> stop() {
    stop.set(true);
    if (thread != null) {
      try {
        thread.join(Duration.ofSeconds(120).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (failure != null) {
      throw failure;
    }
    return List.copyOf(injected);
  }

  private void inject(Fault fault, long origin) {
    long started = System.nanoTime();
    // A cluster node downed by an earlier pause has left the cluster and exited (code 3), as it
    // must: an orchestrator would restart it, and so does this before the next fault.
    // One fault at a time: the next waits until every node is back and healthy, so that two
    // faults never add up to the loss of a majority.
    String restarted = "";
    for (int i = 0; i < servers.size(); i++) {
      if (!servers.get(i).alive()) {
        servers.get(i).start();
        restarted += "; node " + (i + 1) + " had left the cluster (downed), restarted first";
      } else if (servers.size() > 1) {
        servers.get(i).awaitServing();
      }
    }
    Talead server = servers.get(fault.node());
    String note;
    switch (fault.kind()) {
      case KILL -> {
        if (postgres == null) {
          // An embedded store fsyncs in talead itself: kill it in the middle of one.
          boolean duringFsync = server.killDuringFsync(Duration.ofSeconds(5));
          note = duringFsync ? "killed during an fsync, restarted" : "killed, restarted";
        } else {
          server.kill();
          note = "killed, restarted";
        }
        sleepQuietly(fault.outage());
        server.start();
      }
      case PAUSE -> {
        server.pause();
        sleepQuietly(fault.outage());
        server.resume();
        note = "paused";
      }
      case POSTGRES -> {
        postgres.crash();
        sleepQuietly(fault.outage());
        postgres.startAgain();
        note = "Postgres crashed, started";
      }
      case LISTEN -> note = terminateListener() + " listener connection(s) terminated";
      default -> throw new IllegalStateException(fault.kind().name());
    }
    if (servers.size() > 1 && fault.kind() != Kind.POSTGRES && fault.kind() != Kind.LISTEN) {
      note = "node " + (fault.node() + 1) + " " + note;
    }
    note += restarted;
    long ended = System.nanoTime();
    synchronized (injected) {
      injected.add(new Injected(fault, started, ended, note));
    }
    out.printf(
        Locale.ROOT,
        "  fault %-8s at %5.1f s, %5d ms: %s%n",
        fault.kind().wireName(),
        (started - origin) / 1e9,
        (ended - started) / 1_000_000,
        note);
  }

  private int terminateListener() {
    try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("postgres"));
        PreparedStatement terminate =
            admin.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name = 'talead-listener' AND datname = ?")) {
      terminate.setString(1, database);
      try (ResultSet rows = terminate.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    } catch (SQLException e) {
      return 0; // the database is down (another fault): nothing to terminate
    }
  }

  private static void sleepQuietly(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
