package dev.talea.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.metric.Timer;
import kamon.tag.TagSet;
import scala.concurrent.Await;

/**
 * talead's metrics in Kamon, scraped by Prometheus from its own listener ({@code
 * TALEA_METRICS_BIND}, path {@code /metrics}). Names follow Prometheus conventions once the
 * reporter renders them: counters end in {@code _total}, durations are histograms in seconds.
 *
 * <p>Books are not a label by default: their number is unbounded, and every label value is a time
 * series. The write queue is reported as the total and the largest per-book depth; {@code
 * talea.metrics.book-labels = on} adds a per-book series.
 */
final class KamonMetrics implements ServerMetrics {

  private static final Duration TICK = Duration.ofSeconds(1);

  private final boolean bookLabels;
  private final Map<String, Integer> queueDepths = new ConcurrentHashMap<>();
  private final AtomicInteger subscribers = new AtomicInteger();
  private final Histogram batchSize;
  private final Timer storeCommit;
  private final Counter storeFailures;
  private final Counter shed;

  private KamonMetrics(boolean bookLabels) {
    this.bookLabels = bookLabels;
    this.batchSize =
        Kamon.histogram("talea.commit.batch.size", "Drafts per group commit").withoutTags();
    this.storeCommit =
        Kamon.timer("talea.store.commit.duration", "Time the store took for one group commit")
            .withoutTags();
    this.storeFailures =
        Kamon.counter("talea.store.commit.failures", "Group commits that failed in the store")
            .withoutTags();
    this.shed =
        Kamon.counter("talea.admission.shed", "Requests refused with 503 at the admission limit")
            .withoutTags();
  }

  /**
   * Starts Kamon with its Prometheus reporter. The scrape is served by talead's own listener
   * ({@link #scrape}), behind the same connection limits as the API; Kamon's embedded HTTP server
   * would wait forever on a client that never finishes its request.
   *
   * @param admission the admission bound, whose in-flight count and sheds are reported
   */
  static KamonMetrics start(Config config, String backend, Admission admission) {
    Config kamon =
        ConfigFactory.parseMap(Map.of("kamon.prometheus.start-embedded-http-server", "no"))
            .withFallback(config);
    Kamon.init(kamon);
    KamonMetrics metrics = new KamonMetrics(config.getBoolean("talea.metrics.book-labels"));
    Kamon.gauge("talea.backend.info", "The store this talead runs on (always 1)")
        .withTag("backend", backend)
        .update(1);
    Kamon.gauge("talea.http.requests.in.flight", "Requests being served now")
        .withoutTags()
        .autoUpdate(reading(admission::inFlight), TICK);
    Kamon.gauge("talea.http.requests.limit", "The admission limit, TALEA_MAX_INFLIGHT")
        .withoutTags()
        .update(admission.limit());
    Kamon.gauge("talea.write.queue.depth", "Posts waiting behind group commits, all books")
        .withoutTags()
        .autoUpdate(
            reading(() -> metrics.queueDepths.values().stream().mapToInt(Integer::intValue).sum()),
            TICK);
    Kamon.gauge(
            "talea.write.queue.depth.max",
            "Posts waiting behind the group commit of the busiest book")
        .withoutTags()
        .autoUpdate(
            reading(
                () ->
                    metrics.queueDepths.values().stream()
                        .mapToInt(Integer::intValue)
                        .max()
                        .orElse(0)),
            TICK);
    Kamon.gauge("talea.sse.subscribers", "Live-tail (SSE) subscribers connected")
        .withoutTags()
        .autoUpdate(reading(metrics.subscribers::get), TICK);
    Kamon.gauge(
            "talea.jvm.heap.used",
            "Heap in use now, garbage included",
            MeasurementUnit.information().bytes())
        .withoutTags()
        .autoUpdate(
            reading(() -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()),
            TICK);
    Kamon.gauge(
            "talea.jvm.heap.after.gc",
            "Heap in use right after the latest garbage collection of each heap pool: the live"
                + " data, steady unless something leaks",
            MeasurementUnit.information().bytes())
        .withoutTags()
        .autoUpdate(reading(KamonMetrics::heapAfterGc), TICK);
    Kamon.gauge(
            "talea.jvm.heap.max", "The heap's limit (-Xmx)", MeasurementUnit.information().bytes())
        .withoutTags()
        .update(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax());
    return metrics;
  }

  /** The sum over heap pools of their use after their latest collection. */
  /** The latest scrape in Prometheus's text format (empty before the first tick). */
  static String scrape() {
    scala.Option<String> latest = kamon.prometheus.PrometheusReporter.latestScrapeData();
    return latest.isDefined() ? latest.get() : "";
  }

  private static double heapAfterGc() {
    long bytes = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        bytes += pool.getCollectionUsage().getUsed();
      }
    }
    return bytes;
  }

  /** A gauge update that reads its value each tick. */
  private static Consumer<Gauge> reading(DoubleSupplier value) {
    return gauge -> gauge.update(value.getAsDouble());
  }

  @Override
  public void requestCompleted(String method, String route, int status, long nanos) {
    // Tags are built as one set: chaining withTag on an instrument would register every prefix of
    // the tags as a series of its own.
    TagSet request = TagSet.of("method", method).withTag("route", route);
    Kamon.counter("talea.http.requests", "HTTP requests answered, by route template and status")
        .withTags(request.withTag("status", String.valueOf(status)))
        .increment();
    Kamon.timer("talea.http.request.duration", "Time to answer an HTTP request")
        .withTags(request)
        .record(nanos);
  }

  @Override
  public void cluster(ClusterNode node) {
    Kamon.gauge("talea.cluster.members", "Members of the cluster as this node sees them, by status")
        .withTag("status", "up")
        .autoUpdate(reading(() -> node.counts().up()), TICK);
    Kamon.gauge("talea.cluster.members", "Members of the cluster as this node sees them, by status")
        .withTag("status", "other")
        .autoUpdate(reading(() -> node.counts().other()), TICK);
    Kamon.gauge(
            "talea.cluster.members.unreachable",
            "Members this node's failure detector finds unreachable now")
        .withoutTags()
        .autoUpdate(reading(() -> node.counts().unreachable()), TICK);
    Kamon.gauge("talea.cluster.shards", "Shards of books hosted by this node")
        .withoutTags()
        .autoUpdate(reading(node::shardsHosted), TICK);
    Kamon.gauge("talea.cluster.books", "Book writers (sharded book actors) running on this node")
        .withoutTags()
        .autoUpdate(reading(node::booksHosted), TICK);
  }

  @Override
  public void shed() {
    shed.increment();
  }

  @Override
  public void subscribers(int delta) {
    subscribers.addAndGet(delta);
  }

  @Override
  public void groupCommitted(String book, int drafts, long storeNanos) {
    batchSize.record(drafts);
    storeCommit.record(storeNanos);
  }

  @Override
  public void groupFailed(String book) {
    storeFailures.increment();
  }

  @Override
  public void queueDepth(String book, int waiting) {
    if (waiting == 0) {
      queueDepths.remove(book);
    } else {
      queueDepths.put(book, waiting);
    }
    if (bookLabels) {
      Kamon.gauge("talea.book.write.queue.depth", "Posts waiting behind a book's group commit")
          .withTag("book", book)
          .update(waiting);
    }
  }

  @Override
  public void close() {
    try {
      Await.result(Kamon.stop(), scala.concurrent.duration.Duration.create(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      // Stopping the reporter is best effort at shutdown.
    }
  }
}
