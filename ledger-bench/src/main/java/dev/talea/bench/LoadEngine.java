package dev.talea.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Sends HTTP/1.1 requests on a fixed set of keep-alive connections, all driven by one selector
 * thread, so that the load generator costs little beside a server under test on the same machine.
 *
 * <p>Closed loop (rate 0): each connection sends its next request as soon as the previous answer
 * has arrived. Open loop (rate &gt; 0): requests fall due at that fixed rate and wait for a free
 * connection; a request's latency counts from when it fell due, not from when it was sent, so a
 * server that stalls cannot hide the stall by slowing the generator down (coordinated omission).
 */
final class LoadEngine {

  /** What to send and what to do with the answers; called on the engine's thread only. */
  interface Workload {
    Request next();

    void answered(Request request, ResponseParser.Response response, long dueNanos, long doneNanos);

    /** The connection failed while the request was outstanding: its outcome is unknown. */
    void failed(Request request, String reason, long dueNanos, long doneNanos);
  }

  /** The bytes of one request, and whatever the workload wants to remember about it. */
  record Request(byte[] bytes, Object tag) {}

  /**
   * What the engine did. {@code notSent}: due requests dropped because the backlog was full; {@code
   * behind}: due requests still waiting for a connection when the load stopped. Either means the
   * server did not keep up with the rate. {@code latencyByInstance}: with several instances, the
   * latency in microseconds of every request answered that fell due in the measured phase, one
   * histogram per instance in the order given (empty with one instance).
   */
  record Summary(
      long sent,
      long answered,
      long failed,
      long notSent,
      long behind,
      int peakBacklog,
      long warmupBacklogDropped,
      List<Histogram> latencyByInstance) {}

  /** Latencies up to an hour, in microseconds, three significant digits. */
  private static final long MAX_MICROS = 3_600_000_000L;

  private static final int READ_CHUNK = 64 * 1024;

  private final List<InetSocketAddress> addresses;
  private final int connections;
  private final double ratePerSecond;
  private final int maxResponseBytes;
  private final int backlogLimit;

  /**
   * @param ratePerSecond requests per second in an open loop, or 0 for a closed loop
   * @param backlogLimit the most due requests waiting for a connection; beyond it they are not sent
   *     and counted, and the run is not a valid measurement of that rate
   */
  LoadEngine(
      InetSocketAddress address,
      int connections,
      double ratePerSecond,
      int maxResponseBytes,
      int backlogLimit) {
    this(List.of(address), connections, ratePerSecond, maxResponseBytes, backlogLimit);
  }

  /**
   * As {@link #LoadEngine(InetSocketAddress, int, double, int, int)}, with the connections spread
   * evenly over several instances (connection {@code i} goes to {@code addresses[i % n]}), as a
   * round-robin balancer spreads them.
   */
  LoadEngine(
      List<InetSocketAddress> addresses,
      int connections,
      double ratePerSecond,
      int maxResponseBytes,
      int backlogLimit) {
    this.addresses = List.copyOf(addresses);
    this.connections = connections;
    this.ratePerSecond = ratePerSecond;
    this.maxResponseBytes = maxResponseBytes;
    this.backlogLimit = backlogLimit;
  }

  /**
   * Sends requests from now until {@code stopAtNanos}, then waits at most {@code drain} for the
   * answers still outstanding.
   */
  Summary run(Workload workload, long stopAtNanos, Duration drain) throws IOException {
    return run(workload, Long.MIN_VALUE, stopAtNanos, drain);
  }

  /**
   * As {@link #run(Workload, long, Duration)}, with a measured phase from {@code measureFromNanos}:
   * in an open loop, requests that fell due during the warm-up and still wait for a connection when
   * it ends are dropped (and counted), so that the measured phase starts at the rate with an empty
   * backlog rather than paying for a server that was still warming up.
   */
  Summary run(Workload workload, long measureFromNanos, long stopAtNanos, Duration drain)
      throws IOException {
    try (Selector selector = Selector.open()) {
      Loop loop = new Loop(selector, workload);
      return loop.run(measureFromNanos, stopAtNanos, drain);
    }
  }

  private final class Connection {
    final ResponseParser parser = new ResponseParser(maxResponseBytes);
    InetSocketAddress address;
    int instance;
    SocketChannel channel;
    SelectionKey key;
    ByteBuffer out;
    Request request;
    long due;
    long retryAt;
  }

  private final class Loop {
    private final Selector selector;
    private final Workload workload;
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final List<Connection> broken = new ArrayList<>();
    private final long[] backlog;
    private int backlogHead;
    private int backlogSize;
    private int peakBacklog;
    private long sent;
    private long answered;
    private long failed;
    private long notSent;
    private long warmupDropped;
    private boolean measuring;
    private int inFlight;
    private final List<Histogram> byInstance = new ArrayList<>();
    private long measureFrom;
    private long stopAt;

    Loop(Selector selector, Workload workload) {
      this.selector = selector;
      this.workload = workload;
      this.backlog = new long[Math.max(1, backlogLimit)];
      if (addresses.size() > 1) {
        for (int i = 0; i < addresses.size(); i++) {
          byInstance.add(new Histogram(MAX_MICROS, 3));
        }
      }
    }

    Summary run(long measureFrom, long stopAt, Duration drain) throws IOException {
      this.measureFrom = measureFrom;
      this.stopAt = stopAt;
      for (int i = 0; i < connections; i++) {
        Connection connection = new Connection();
        connection.instance = i % addresses.size();
        connection.address = addresses.get(connection.instance);
        connect(connection);
        idle.add(connection);
      }
      long interval = ratePerSecond > 0 ? Math.max(1, (long) (1e9 / ratePerSecond)) : 0;
      long nextDue = System.nanoTime();
      long drainUntil = stopAt + drain.toNanos();
      while (true) {
        long now = System.nanoTime();
        revive(now);
        if (!measuring && now >= measureFrom) {
          measuring = true;
          warmupDropped = backlogSize;
          backlogSize = 0;
          nextDue = Math.max(nextDue, measureFrom);
        }
        if (now < stopAt) {
          if (interval > 0) {
            while (nextDue <= now && nextDue < stopAt) {
              if (backlogSize < backlog.length) {
                backlog[(backlogHead + backlogSize++) % backlog.length] = nextDue;
                peakBacklog = Math.max(peakBacklog, backlogSize);
              } else {
                notSent++;
              }
              nextDue += interval;
            }
          }
          while (!idle.isEmpty() && (interval == 0 || backlogSize > 0)) {
            long due;
            if (interval == 0) {
              due = now;
            } else {
              due = backlog[backlogHead];
              backlogHead = (backlogHead + 1) % backlog.length;
              backlogSize--;
            }
            send(idle.poll(), workload.next(), due);
          }
        } else if (inFlight == 0 || now >= drainUntil) {
          break;
        }
        long waitNanos;
        if (now < stopAt && interval > 0 && backlogSize == 0) {
          waitNanos = Math.max(0, Math.min(nextDue, stopAt) - now);
        } else if (now < stopAt) {
          waitNanos = stopAt - now;
        } else {
          waitNanos = drainUntil - now;
        }
        if (!broken.isEmpty()) {
          waitNanos = Math.min(waitNanos, 100_000_000L);
        }
        long waitMillis = (waitNanos + 999_999) / 1_000_000;
        if (waitMillis <= 0) {
          selector.selectNow();
        } else {
          selector.select(Math.min(waitMillis, 1_000));
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          Connection connection = (Connection) key.attachment();
          if (!key.isValid()) {
            continue;
          }
          try {
            if (key.isWritable()) {
              write(connection);
            } else if (key.isReadable()) {
              read(connection);
            }
          } catch (IOException | ResponseParser.Malformed e) {
            fail(connection, e.getClass().getSimpleName());
          }
        }
      }
      for (Connection connection : idle) {
        close(connection);
      }
      for (SelectionKey key : selector.keys()) {
        close((Connection) key.attachment());
      }
      return new Summary(
          sent,
          answered,
          failed,
          notSent,
          backlogSize,
          peakBacklog,
          warmupDropped,
          List.copyOf(byInstance));
    }

    private void send(Connection connection, Request request, long due) {
      connection.request = request;
      connection.due = due;
      connection.out = ByteBuffer.wrap(request.bytes());
      sent++;
      inFlight++;
      try {
        write(connection);
      } catch (IOException e) {
        fail(connection, e.getClass().getSimpleName());
      }
    }

    private void write(Connection connection) throws IOException {
      connection.channel.write(connection.out);
      connection.key.interestOps(
          connection.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void read(Connection connection) throws IOException {
      ResponseParser parser = connection.parser;
      int n = connection.channel.read(parser.writable(READ_CHUNK));
      if (n < 0) {
        fail(connection, "connection closed by the server");
        return;
      }
      parser.advance(n);
      ResponseParser.Response response = parser.poll();
      if (response == null) {
        return;
      }
      long done = System.nanoTime();
      Request request = connection.request;
      connection.request = null;
      inFlight--;
      answered++;
      if (!byInstance.isEmpty() && connection.due >= measureFrom && connection.due < stopAt) {
        byInstance
            .get(connection.instance)
            .recordValue(Math.max(0, Math.min(MAX_MICROS, (done - connection.due) / 1_000)));
      }
      workload.answered(request, response, connection.due, done);
      if (response.close() || parser.buffered() > 0) {
        reconnect(connection);
      } else {
        connection.key.interestOps(0);
        idle.add(connection);
      }
    }

    private void fail(Connection connection, String reason) {
      if (connection.request != null) {
        Request request = connection.request;
        connection.request = null;
        inFlight--;
        failed++;
        workload.failed(request, reason, connection.due, System.nanoTime());
      }
      reconnect(connection);
    }

    private void reconnect(Connection connection) {
      close(connection);
      try {
        connect(connection);
        idle.add(connection);
      } catch (IOException e) {
        connection.retryAt = System.nanoTime() + 100_000_000L;
        broken.add(connection);
      }
    }

    private void revive(long now) {
      if (broken.isEmpty()) {
        return;
      }
      Iterator<Connection> it = broken.iterator();
      while (it.hasNext()) {
        Connection connection = it.next();
        if (connection.retryAt <= now) {
          it.remove();
          reconnect(connection);
        }
      }
    }

    private void connect(Connection connection) throws IOException {
      SocketChannel channel = SocketChannel.open();
      try {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.connect(connection.address);
        channel.configureBlocking(false);
        connection.channel = channel;
        connection.key = channel.register(selector, 0, connection);
        connection.parser.reset();
      } catch (IOException e) {
        channel.close();
        throw e;
      }
    }

    private void close(Connection connection) {
      if (connection.key != null) {
        connection.key.cancel();
        connection.key = null;
      }
      if (connection.channel != null) {
        try {
          connection.channel.close();
        } catch (IOException ignored) {
          // Closing a connection we are done with.
        }
        connection.channel = null;
      }
    }
  }
}
