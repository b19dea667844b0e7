package dev.talea.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadEngineTest {

  /** How long the slow instance holds each answer. */
  private static final long SLOW_MILLIS = 40;

  private final ExecutorService threads = Executors.newFixedThreadPool(8);
  private final AtomicInteger fastServed = new AtomicInteger();
  private final AtomicInteger slowServed = new AtomicInteger();
  private final HttpServer fast = server(0, fastServed);
  private final HttpServer slow = server(SLOW_MILLIS, slowServed);

  @AfterEach
  void stop() {
    fast.stop(0);
    slow.stop(0);
    threads.shutdownNow();
  }

  @Test
  void latenciesAreKeptPerInstanceInTheOrderGiven() throws IOException {
    LoadEngine engine = new LoadEngine(List.of(address(slow), address(fast)), 4, 0, 64 * 1024, 16);

    LoadEngine.Summary summary = getsFor(engine, Duration.ofMillis(600));

    assertThat(summary.failed()).isZero();
    List<Histogram> byInstance = summary.latencyByInstance();
    assertThat(byInstance).hasSize(2);
    // Every answer is counted once, against the instance that gave it.
    assertThat(byInstance.get(0).getTotalCount()).isEqualTo(slowServed.get());
    assertThat(byInstance.get(1).getTotalCount()).isEqualTo(fastServed.get());
    assertThat(byInstance.get(0).getTotalCount() + byInstance.get(1).getTotalCount())
        .isEqualTo(summary.answered());
    // The slow instance held every answer at least SLOW_MILLIS: none of its latencies is below.
    assertThat(byInstance.get(0).getMinValue()).isGreaterThanOrEqualTo(SLOW_MILLIS * 1_000 - 50);
    assertThat(fastServed.get()).isGreaterThan(slowServed.get());
  }

  @Test
  void oneInstanceKeepsNoSeparateLatencies() throws IOException {
    LoadEngine engine = new LoadEngine(address(fast), 2, 0, 64 * 1024, 16);

    LoadEngine.Summary summary = getsFor(engine, Duration.ofMillis(200));

    assertThat(summary.answered()).isEqualTo(fastServed.get()).isPositive();
    assertThat(summary.latencyByInstance()).isEmpty();
  }

  /** Sends GETs on every connection for {@code duration}, then waits for the last answers. */
  private static LoadEngine.Summary getsFor(LoadEngine engine, Duration duration)
      throws IOException {
    Requests requests = new Requests("127.0.0.1", "t");
    return engine.run(
        new LoadEngine.Workload() {
          @Override
          public LoadEngine.Request next() {
            return new LoadEngine.Request(requests.get("/x", "text/plain"), null);
          }

          @Override
          public void answered(
              LoadEngine.Request request,
              ResponseParser.Response response,
              long dueNanos,
              long doneNanos) {}

          @Override
          public void failed(
              LoadEngine.Request request, String reason, long dueNanos, long doneNanos) {}
        },
        System.nanoTime() + duration.toNanos(),
        Duration.ofSeconds(5));
  }

  /** A server answering "ok" to everything after {@code delayMillis}, counting its answers. */
  private HttpServer server(long delayMillis, AtomicInteger served) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.createContext(
        "/",
        exchange -> {
          try {
            Thread.sleep(delayMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          // Counted before the answer leaves, so the engine cannot have seen an uncounted one.
          served.incrementAndGet();
          exchange.close();
        });
    server.setExecutor(threads);
    server.start();
    return server;
  }

  private static InetSocketAddress address(HttpServer server) {
    return new InetSocketAddress("127.0.0.1", server.getAddress().getPort());
  }
}
