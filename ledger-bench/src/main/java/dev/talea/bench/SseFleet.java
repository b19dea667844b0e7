package dev.talea.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Live-tail subscribers of one book, all read by one selector thread. Each follows the book from
 * seq 1 and checks that seqs arrive one after another, no gap and no repeat; for each event it
 * records the time from the commit's {@code committed_at} to the event's arrival.
 */
final class SseFleet implements AutoCloseable {

  private static final long MAX_MICROS = 3_600_000_000L;

  private final Selector selector;
  private final InetSocketAddress address;
  private final Requests requests;
  private final String path;
  private volatile long resumed;
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final Histogram delivery = new Histogram(MAX_MICROS, 3);
  private final TreeMap<String, Long> problems = new TreeMap<>();
  private final Thread thread;
  private volatile boolean stopping;
  private volatile long measureFromMicros = Long.MAX_VALUE;
  private volatile long measureUntilMicros = Long.MAX_VALUE;

  private final class Subscriber {
    SseDecoder decoder;
    long nextSeq = 1;
    volatile long received;

    Subscriber() {
      decoder = newDecoder();
    }

    SseDecoder newDecoder() {
      return new SseDecoder(this::event, comment -> {});
    }

    private void event(SseDecoder.Event event) {
      long seq;
      try {
        seq = Long.parseLong(event.id());
      } catch (RuntimeException e) {
        problem("event without a numeric id");
        return;
      }
      if (seq != nextSeq) {
        problem(seq < nextSeq ? "repeated seq" : "gap in seqs");
      }
      nextSeq = Math.max(nextSeq, seq + 1);
      received++;
      String committed = Recorder.jsonString(event.data(), "committed_at");
      if (committed == null) {
        problem("event without committed_at");
        return;
      }
      Instant at = Instant.parse(committed);
      long committedMicros = at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000;
      if (committedMicros >= measureFromMicros && committedMicros < measureUntilMicros) {
        long nowMicros = nowMicros();
        delivery.recordValue(Math.max(0, Math.min(MAX_MICROS, nowMicros - committedMicros)));
      }
    }
  }

  /** Connects {@code count} subscribers to {@code book} from seq 1 and starts reading. */
  SseFleet(InetSocketAddress address, Requests requests, String book, int count)
      throws IOException {
    this.address = address;
    this.requests = requests;
    this.path = "/v1/books/" + book + "/events";
    selector = Selector.open();
    byte[] request = requests.get(path + "?from_seq=1", "text/event-stream");
    for (int i = 0; i < count; i++) {
      Subscriber subscriber = new Subscriber();
      subscribers.add(subscriber);
      connect(subscriber, request);
    }
    thread = new Thread(this::run, "talea-bench-sse");
    thread.setDaemon(true);
    thread.start();
  }

  private void connect(Subscriber subscriber, byte[] request) throws IOException {
    SocketChannel channel = SocketChannel.open();
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    channel.connect(address);
    ByteBuffer out = ByteBuffer.wrap(request);
    while (out.hasRemaining()) {
      channel.write(out);
    }
    channel.configureBlocking(false);
    channel.register(selector, SelectionKey.OP_READ, subscriber);
  }

  /**
   * The server ended a subscriber's stream (it fell too far behind): reconnect with {@code
   * Last-Event-ID}, as a client does, and go on from the next seq.
   */
  private void resume(SelectionKey key, Subscriber subscriber) {
    key.cancel();
    try {
      key.channel().close();
      subscriber.decoder = subscriber.newDecoder();
      connect(subscriber, requests.resume(path, subscriber.nextSeq - 1));
      resumed++;
    } catch (IOException e) {
      problem("cannot reconnect: " + e.getMessage());
    }
  }

  /** How many times a subscriber was disconnected by the server and resumed. */
  long resumed() {
    return resumed;
  }

  /** Records deliveries of commits made in this wall-clock window (epoch microseconds). */
  void measure(long fromMicros, long untilMicros) {
    measureFromMicros = fromMicros;
    measureUntilMicros = untilMicros;
  }

  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private void run() {
    ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
    try {
      while (!stopping) {
        selector.select(200);
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          Subscriber subscriber = (Subscriber) key.attachment();
          buffer.clear();
          int n;
          try {
            n = ((SocketChannel) key.channel()).read(buffer);
          } catch (IOException e) {
            n = -1;
          }
          if (n < 0) {
            key.cancel();
            problem("stream ended by the server");
            continue;
          }
          synchronized (this) {
            subscriber.decoder.feed(buffer.array(), 0, n);
          }
          if (subscriber.decoder.ended() && !stopping) {
            resume(key, subscriber);
            continue;
          }
          if (subscriber.decoder.status() > 0 && subscriber.decoder.status() != 200) {
            problem("answered " + subscriber.decoder.status());
            key.cancel();
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      problem("reader failed: " + e);
    }
  }

  private synchronized void problem(String what) {
    problems.merge(what, 1L, Long::sum);
  }

  /** The fewest events any subscriber has received. */
  long minReceived() {
    return subscribers.stream().mapToLong(s -> s.received).min().orElse(0);
  }

  long totalReceived() {
    return subscribers.stream().mapToLong(s -> s.received).sum();
  }

  int size() {
    return subscribers.size();
  }

  /** Waits until every subscriber has {@code seq} events, at most {@code timeoutMillis}. */
  boolean awaitAll(long seq, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (System.nanoTime() < deadline) {
      if (minReceived() >= seq) {
        return true;
      }
      Server.sleep(50);
    }
    return minReceived() >= seq;
  }

  synchronized Histogram delivery() {
    return delivery.copy();
  }

  synchronized TreeMap<String, Long> problems() {
    return new TreeMap<>(problems);
  }

  @Override
  public void close() {
    stopping = true;
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey key : selector.keys()) {
      try {
        key.channel().close();
      } catch (IOException ignored) {
        // Done with it.
      }
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // Done with it.
    }
  }
}
