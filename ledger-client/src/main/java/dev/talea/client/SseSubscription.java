package dev.talea.client;

import dev.talea.protocol.BookSummary;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireFormatException;
import dev.talea.protocol.json.WireReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Flow;

/**
 * One live-tail subscription of {@link TaleaClient#subscribe}: a thread that reads the book's
 * server-sent events and hands each commit to the subscriber when it has asked for one.
 *
 * <p>It remembers the last seq delivered. When the connection drops or the server restarts it
 * reconnects with {@code Last-Event-ID} set to that seq, after a backoff that grows while
 * reconnecting keeps failing; the server resumes at the next seq, and any seq already delivered is
 * skipped, so the subscriber sees each commit exactly once, in order. A subscription that starts
 * live-only asks the server for the book's head first, so that even a drop before the first event
 * loses nothing.
 *
 * <p>Backpressure is the subscriber's demand: the thread stops reading until more is requested, the
 * server's buffer fills, and the server disconnects a subscriber too far behind — which this class
 * then resumes from its last seq.
 */
final class SseSubscription implements Flow.Subscription {

  private static final Duration READ_TIMEOUT = Duration.ofDays(3650);

  private final TaleaClient client;
  private final String book;
  private final Flow.Subscriber<? super Transaction> subscriber;
  private final Object lock = new Object();
  private final Thread thread;

  private long demand;
  private volatile boolean cancelled;
  private volatile InputStream current;
  private long nextSeq;

  SseSubscription(
      TaleaClient client,
      String book,
      OptionalLong fromSeq,
      Flow.Subscriber<? super Transaction> subscriber) {
    this.client = client;
    this.book = book;
    this.subscriber = subscriber;
    this.nextSeq = fromSeq.isPresent() ? Math.max(1, fromSeq.getAsLong()) : -1;
    this.thread = new Thread(this::run, "talea-subscription-" + book);
    this.thread.setDaemon(true);
  }

  void start() {
    subscriber.onSubscribe(this);
    thread.start();
  }

  @Override
  public void request(long n) {
    if (n <= 0) {
      cancel();
      subscriber.onError(new IllegalArgumentException("request(" + n + "): n must be positive"));
      return;
    }
    synchronized (lock) {
      demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
      lock.notifyAll();
    }
  }

  @Override
  public void cancel() {
    cancelled = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    // The thread may be anywhere: sending a request (the client's executor may be shutting down
    // with it), backing off, or waiting for demand. An interrupt ends each of those waits.
    if (Thread.currentThread() != thread) {
      thread.interrupt();
    }
    InputStream stream = current;
    if (stream != null) {
      try {
        stream.close();
      } catch (IOException ignored) {
        // Closing only unblocks the reading thread.
      }
    }
    client.forget(this);
  }

  private void run() {
    int failures = 0;
    try {
      while (!cancelled) {
        try {
          if (nextSeq < 0) {
            nextSeq = head() + 1;
          }
          if (stream()) {
            failures = 0;
          }
        } catch (LedgerException e) {
          if (!e.code().isRetryable()) {
            finish(e);
            return;
          }
        } catch (IOException | TaleaTransportException e) {
          // The connection dropped or the server is restarting: reconnect below.
        }
        if (cancelled) {
          return;
        }
        failures++;
        Duration delay = client.retryPolicy().delay(Math.min(failures, 10), null);
        Thread.sleep(Math.max(delay.toMillis(), 50));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      finish(e);
    }
  }

  /** The book's last seq now (0 for a book without commits). */
  private long head() {
    for (BookSummary summary : client.listBooks()) {
      if (summary.book().equals(book)) {
        return summary.lastSeq();
      }
    }
    throw LedgerError.notFound("no book " + book).toException();
  }

  /**
   * Reads one connection until it ends.
   *
   * @return whether any commit was delivered on it
   */
  private boolean stream() throws IOException, InterruptedException {
    HttpRequest.Builder request =
        client
            .request("/v1/books/" + book + "/events", READ_TIMEOUT)
            .header("Accept", "text/event-stream")
            .header("Last-Event-ID", String.valueOf(nextSeq - 1))
            .GET();
    HttpResponse<InputStream> response =
        client.http().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      byte[] body;
      try (InputStream in = response.body()) {
        body = in.readNBytes(64 * 1024);
      }
      JsonNodeOrNull problem = JsonNodeOrNull.parse(body);
      throw WireReader.problem(response.statusCode(), problem.node).toException();
    }
    current = response.body();
    if (cancelled) {
      current.close();
      return false;
    }
    boolean delivered = false;
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String id = null;
      StringBuilder data = new StringBuilder();
      String line;
      while (!cancelled && (line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (data.length() > 0) {
            delivered |= deliver(id, data.toString());
          }
          id = null;
          data.setLength(0);
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("data:")) {
          if (data.length() > 0) {
            data.append('\n');
          }
          data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
        }
        // "event:" is always "commit"; lines starting with ':' are keepalive comments.
      }
    } finally {
      current = null;
    }
    return delivered;
  }

  /** Hands one event's commit to the subscriber, in order; false if it was a repeat. */
  private boolean deliver(String id, String data) throws InterruptedException {
    Transaction tx;
    try {
      tx = WireReader.transaction(Json.parseResponse(data.getBytes(StandardCharsets.UTF_8)));
    } catch (WireFormatException e) {
      throw new TaleaProtocolException("the live tail sent an unreadable event " + id, e);
    }
    if (tx.seq() < nextSeq) {
      return false;
    }
    while (tx.seq() > nextSeq && !cancelled) {
      // Never expected from a talead; read what is missing rather than skip it.
      long before = nextSeq;
      for (Transaction missing : client.listTransactions(book, nextSeq - 1, 1000).transactions()) {
        if (missing.seq() == nextSeq && missing.seq() < tx.seq()) {
          emit(missing);
        }
      }
      if (nextSeq == before) {
        throw new TaleaProtocolException(
            "the live tail skipped from seq " + (nextSeq - 1) + " to " + tx.seq(), null);
      }
    }
    emit(tx);
    return true;
  }

  private void emit(Transaction tx) throws InterruptedException {
    synchronized (lock) {
      while (demand == 0 && !cancelled) {
        lock.wait();
      }
      if (cancelled) {
        return;
      }
      demand--;
    }
    nextSeq = tx.seq() + 1;
    subscriber.onNext(tx);
  }

  private void finish(Throwable failure) {
    if (!cancelled) {
      cancelled = true;
      client.forget(this);
      subscriber.onError(failure);
    }
  }

  /** A response body as JSON, or null if it is not JSON. */
  private record JsonNodeOrNull(com.fasterxml.jackson.databind.JsonNode node) {
    static JsonNodeOrNull parse(byte[] body) {
      try {
        return new JsonNodeOrNull(Json.parseResponse(body));
      } catch (WireFormatException e) {
        return new JsonNodeOrNull(null);
      }
    }
  }
}
