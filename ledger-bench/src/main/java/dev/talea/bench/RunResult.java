package dev.talea.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/** What one run measured and checked: printed for people, written as JSON for comparison. */
final class RunResult {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

  /** The live tails of a fanout run. */
  record Fanout(
      int subscribers,
      long resumed,
      long lastSeq,
      long minReceived,
      long totalReceived,
      boolean allCaughtUp,
      Histogram delivery,
      TreeMap<String, Long> problems) {}

  /** One book's check. */
  record BookCheck(
      String book,
      long head,
      long acknowledged,
      boolean countOk,
      boolean verified,
      JsonNode verify) {}

  final String scenario;
  final String id;
  Instant started;
  String backend;
  Integer batchMax;
  double rate;
  int clients;
  int accounts;
  int books;
  Duration duration;

  /** Seconds from the server's process start to the measured window's start; -1 if unknown. */
  double measuredFromAfterStart = -1;

  /** Whether to print the throughput of every second ({@code --timeline}). */
  boolean printTimeline;

  Duration warmup;
  Map<String, String> serverEnv;
  String serverLog;
  LoadEngine.Summary engine;
  Recorder recorder;
  List<double[]> heapSamples = List.of();
  double heapMeasuredFrom = -1;
  Long serverCpuNanos;
  Long benchCpuNanos;
  Long machineCpuNanos;
  Run.GroupCommits groupCommits;

  /**
   * talead instances loaded (the load spread evenly over them), and whether they were a cluster.
   */
  int instances = 1;

  boolean cluster;

  long unknownOutcomes;
  Fanout fanout;
  final List<BookCheck> checks = new ArrayList<>();

  RunResult(String scenario, String id) {
    this.scenario = scenario;
    this.id = id;
  }

  void addBook(
      String book, long head, long acknowledged, boolean countOk, boolean verified, JsonNode v) {
    checks.add(new BookCheck(book, head, acknowledged, countOk, verified, v));
  }

  /** Units of work per second in the measured window: transfers, or operations for read-mix. */
  double throughput() {
    return recorder == null ? 0 : recorder.units() / recorder.windowSeconds();
  }

  String unit() {
    return scenario.equals("read-mix") ? "operations" : "transfers";
  }

  boolean ok() {
    boolean books = !checks.isEmpty() && checks.stream().allMatch(c -> c.countOk() && c.verified());
    boolean generator = engine != null && engine.notSent() == 0;
    boolean tails = fanout == null || (fanout.allCaughtUp() && fanout.problems().isEmpty());
    return books && generator && tails;
  }

  String config() {
    return backend
        + (instances > 1 || cluster
            ? ", " + instances + (cluster ? "-node cluster" : " independent instances")
            : "")
        + ", batch max "
        + (batchMax == null ? "default" : batchMax)
        + ", "
        + clients
        + " clients, "
        + (rate > 0 ? String.format(Locale.ROOT, "open loop at %.0f/s", rate) : "closed loop");
  }

  String title() {
    return scenario
        + " ("
        + config()
        + "), "
        + seconds(duration)
        + " after a "
        + seconds(warmup)
        + " warm-up";
  }

  String fileName() {
    return scenario
        + "-"
        + backend
        + (instances > 1 || cluster ? (cluster ? "-cluster" : "-instances") + instances : "")
        + "-batchmax"
        + (batchMax == null ? "default" : batchMax)
        + (rate > 0 ? "-rate" + Math.round(rate) : "")
        + "-"
        + FILE_TIME.format(started)
        + "-"
        + id
        + ".json";
  }

  void print(PrintWriter out) {
    out.printf(Locale.ROOT, "  throughput   %,.0f %s/s%n", throughput(), unit());
    for (Map.Entry<String, Histogram> entry : recorder.latencies().entrySet()) {
      Histogram h = entry.getValue();
      out.printf(
          Locale.ROOT,
          "  %-12s p50 %s  p99 %s  p99.9 %s  max %s  (%,d measured)%n",
          entry.getKey(),
          millis(h.getValueAtPercentile(50)),
          millis(h.getValueAtPercentile(99)),
          millis(h.getValueAtPercentile(99.9)),
          millis(h.getMaxValue()),
          h.getTotalCount());
    }
    if (fanout != null) {
      Histogram h = fanout.delivery();
      out.printf(
          Locale.ROOT,
          "  delivery     p50 %s  p99 %s  p99.9 %s  max %s  (%,d events to %d subscribers)%n",
          millis(h.getValueAtPercentile(50)),
          millis(h.getValueAtPercentile(99)),
          millis(h.getValueAtPercentile(99.9)),
          millis(h.getMaxValue()),
          h.getTotalCount(),
          fanout.subscribers());
    }
    if (engine != null && !engine.latencyByInstance().isEmpty()) {
      StringBuilder p50 = new StringBuilder();
      StringBuilder p99 = new StringBuilder();
      for (Histogram h : engine.latencyByInstance()) {
        p50.append(p50.isEmpty() ? "" : " / ").append(plain(h.getValueAtPercentile(50)));
        p99.append(p99.isEmpty() ? "" : " / ").append(plain(h.getValueAtPercentile(99)));
      }
      out.printf(
          Locale.ROOT,
          "  by instance  p50 %s ms  p99 %s ms  (every answered request, instance 1 first)%n",
          p50,
          p99);
    }
    out.println("  errors       " + (recorder.errors().isEmpty() ? "none" : recorder.errors()));
    if (engine.warmupBacklogDropped() > 0) {
      out.printf(
          "  generator    %,d requests due in the warm-up were still waiting when it ended: not"
              + " sent (the measured phase starts with an empty backlog)%n",
          engine.warmupBacklogDropped());
    }
    if (engine.notSent() > 0 || engine.behind() > 0) {
      out.printf(
          "  generator    the server fell behind the rate: %,d due requests dropped from a full"
              + " backlog, %,d still waiting at the end (peak backlog %,d)%n",
          engine.notSent(), engine.behind(), engine.peakBacklog());
    }
    long acknowledged = checks.stream().mapToLong(BookCheck::acknowledged).sum();
    long heads = checks.stream().mapToLong(BookCheck::head).sum();
    long verified = checks.stream().filter(BookCheck::verified).count();
    long counted = checks.stream().filter(BookCheck::countOk).count();
    out.printf(
        Locale.ROOT,
        "  check        %s: %,d commits in %d book(s), %,d acknowledged%s; %d/%d verify ok, %d/%d"
            + " counts match%n",
        ok() ? "PASS" : "FAIL",
        heads,
        checks.size(),
        acknowledged,
        unknownOutcomes > 0 ? String.format(" (+%,d unknown outcomes)", unknownOutcomes) : "",
        verified,
        checks.size(),
        counted,
        checks.size());
    if (fanout != null) {
      out.printf(
          Locale.ROOT,
          "  live tails   %d subscribers, each received %,d of %,d commits%s%s; %d resumed after"
              + " the server disconnected them as too slow%n",
          fanout.subscribers(),
          fanout.minReceived(),
          fanout.lastSeq(),
          fanout.allCaughtUp() ? "" : " (NOT all caught up)",
          fanout.problems().isEmpty() ? "" : "; problems " + fanout.problems(),
          fanout.resumed());
    }
    double window = recorder.windowSeconds();
    if (groupCommits != null && groupCommits.commits() > 0) {
      out.printf(
          Locale.ROOT,
          "  server       %,.0f group commits, mean group %.1f drafts, store time per commit %.2f"
              + " ms%s%n",
          groupCommits.commits(),
          groupCommits.drafts() / groupCommits.commits(),
          groupCommits.storeSeconds() * 1000 / groupCommits.commits(),
          books == 1
              ? String.format(
                  Locale.ROOT,
                  " (the book's store busy %.0f%% of the window)",
                  100 * groupCommits.storeSeconds() / window)
              : "");
      if (groupCommits.perNode().length > 1) {
        StringBuilder shares = new StringBuilder();
        for (int i = 0; i < groupCommits.perNode().length; i++) {
          shares
              .append(i == 0 ? "" : ", ")
              .append(
                  String.format(
                      Locale.ROOT,
                      "%d: %.0f%%",
                      i + 1,
                      100 * groupCommits.perNode()[i] / Math.max(1, groupCommits.drafts())));
        }
        out.printf(
            Locale.ROOT,
            "  writers      drafts committed by instance %s; %.0f group commits/s%n",
            shares,
            groupCommits.commits() / window);
      }
    }
    if (machineCpuNanos != null) {
      double units = recorder.units();
      out.printf(
          Locale.ROOT,
          "  cpu          server %s cores, load generator %s cores, machine %.2f cores busy;"
              + " %s µs of machine CPU per %s%n",
          serverCpuNanos == null
              ? "?"
              : String.format(Locale.ROOT, "%.2f", serverCpuNanos / 1e9 / window),
          benchCpuNanos == null
              ? "?"
              : String.format(Locale.ROOT, "%.2f", benchCpuNanos / 1e9 / window),
          machineCpuNanos / 1e9 / window,
          units == 0 ? "?" : String.format(Locale.ROOT, "%.0f", machineCpuNanos / 1e3 / units),
          unit().substring(0, unit().length() - 1));
    }
    if (!heapSamples.isEmpty()) {
      double first = heapSamples.get(0)[1];
      double last = heapSamples.get(heapSamples.size() - 1)[1];
      double max = heapSamples.stream().mapToDouble(s -> s[1]).max().orElse(0);
      out.printf(
          Locale.ROOT,
          "  heap         after GC: first %.0f MiB, last %.0f MiB, max %.0f MiB (%d samples)%n",
          first / 1048576,
          last / 1048576,
          max / 1048576,
          heapSamples.size());
    }
    if (printTimeline) {
      printTimeline(out);
    }
    if (serverLog != null) {
      out.println("  server log   " + serverLog);
    }
  }

  /** Throughput second by second, counted from the server's process start when it is known. */
  private void printTimeline(PrintWriter out) {
    long[] seconds = recorder.perSecond();
    String origin = measuredFromAfterStart >= 0 ? "s after talead's start" : "s of the window";
    double offset = Math.max(0, measuredFromAfterStart);
    out.println("  per second   (" + unit() + "/s; t = " + origin + ")");
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < seconds.length; i++) {
      line.append(String.format(Locale.ROOT, "  t=%4.0f %,7d", offset + i + 1, seconds[i]));
      if ((i + 1) % 5 == 0 || i == seconds.length - 1) {
        out.println("  " + line);
        line.setLength(0);
      }
    }
  }

  void write(Path file) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("scenario", scenario);
    root.put("run_id", id);
    root.put("started_at", started.toString());
    root.put("backend", backend);
    if (batchMax == null) {
      root.putNull("write_batch_max");
    } else {
      root.put("write_batch_max", batchMax);
    }
    root.put("clients", clients);
    root.put("instances", instances);
    root.put("cluster", cluster);
    root.put("rate_per_second", rate);
    root.put("books", books);
    root.put("accounts_per_book", accounts);
    root.put("duration_seconds", duration.toMillis() / 1000.0);
    root.put("warmup_seconds", warmup.toMillis() / 1000.0);
    ObjectNode env = root.putObject("server_env");
    serverEnv.forEach(env::put);
    ObjectNode machine = root.putObject("machine");
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    machine.put("java", System.getProperty("java.version"));
    root.put("unit", unit());
    root.put("throughput_per_second", Math.round(throughput() * 10) / 10.0);
    if (measuredFromAfterStart >= 0) {
      root.put(
          "measured_from_seconds_after_start", Math.round(measuredFromAfterStart * 1000) / 1000.0);
    }
    var perSecond = root.putArray("per_second");
    for (long units : recorder.perSecond()) {
      perSecond.add(units);
    }
    ObjectNode latency = root.putObject("latency_ms");
    recorder.latencies().forEach((op, h) -> latency.set(op, percentiles(h)));
    if (fanout != null) {
      latency.set("delivery", percentiles(fanout.delivery()));
      ObjectNode tails = root.putObject("fanout");
      tails.put("subscribers", fanout.subscribers());
      tails.put("resumed", fanout.resumed());
      tails.put("last_seq", fanout.lastSeq());
      tails.put("min_received", fanout.minReceived());
      tails.put("total_received", fanout.totalReceived());
      tails.put("all_caught_up", fanout.allCaughtUp());
      ObjectNode problems = tails.putObject("problems");
      fanout.problems().forEach(problems::put);
    }
    ObjectNode errors = root.putObject("errors");
    recorder.errors().forEach(errors::put);
    ObjectNode generator = root.putObject("generator");
    generator.put("sent", engine.sent());
    generator.put("answered", engine.answered());
    generator.put("failed", engine.failed());
    generator.put("not_sent", engine.notSent());
    generator.put("behind_at_end", engine.behind());
    generator.put("warmup_backlog_dropped", engine.warmupBacklogDropped());
    generator.put("peak_backlog", engine.peakBacklog());
    ObjectNode check = root.putObject("check");
    check.put("ok", ok());
    check.put("unknown_outcomes", unknownOutcomes);
    ArrayNode bookChecks = check.putArray("books");
    for (BookCheck c : checks) {
      ObjectNode b = bookChecks.addObject();
      b.put("book", c.book());
      b.put("last_seq", c.head());
      b.put("acknowledged", c.acknowledged());
      b.put("count_ok", c.countOk());
      b.put("verify_ok", c.verified());
      b.set("verify", c.verify());
    }
    if (engine != null && !engine.latencyByInstance().isEmpty()) {
      ArrayNode byInstance = root.putArray("latency_by_instance_ms");
      engine.latencyByInstance().forEach(h -> byInstance.add(percentiles(h)));
    }
    ObjectNode cpu = root.putObject("cpu_seconds");
    putNullable(cpu, "server", serverCpuNanos);
    putNullable(cpu, "load_generator", benchCpuNanos);
    putNullable(cpu, "machine", machineCpuNanos);
    if (groupCommits != null) {
      ObjectNode group = root.putObject("group_commits");
      group.put("commits", (long) groupCommits.commits());
      group.put("drafts", (long) groupCommits.drafts());
      group.put("store_seconds", Math.round(groupCommits.storeSeconds() * 1000) / 1000.0);
      ArrayNode perInstance = group.putArray("drafts_per_instance");
      for (double drafts : groupCommits.perNode()) {
        perInstance.add((long) drafts);
      }
    }
    ArrayNode heap = root.putArray("heap_after_gc_bytes");
    for (double[] sample : heapSamples) {
      heap.addArray().add(Math.round(sample[0] * 10) / 10.0).add((long) sample[1]);
    }
    root.put("heap_measured_from_seconds", heapMeasuredFrom);
    if (serverLog != null) {
      root.put("server_log", serverLog);
    }
    JSON.writeValue(file.toFile(), root);
  }

  private static void putNullable(ObjectNode node, String name, Long nanos) {
    if (nanos == null) {
      node.putNull(name);
    } else {
      node.put(name, Math.round(nanos / 1e6) / 1000.0);
    }
  }

  private static ObjectNode percentiles(Histogram h) {
    ObjectNode node = JSON.createObjectNode();
    node.put("count", h.getTotalCount());
    node.put("p50", h.getValueAtPercentile(50) / 1000.0);
    node.put("p99", h.getValueAtPercentile(99) / 1000.0);
    node.put("p99_9", h.getValueAtPercentile(99.9) / 1000.0);
    node.put("max", h.getMaxValue() / 1000.0);
    node.put("mean", Math.round(h.getMean()) / 1000.0);
    return node;
  }

  /** One line per run, and the group-commit ratio where a baseline ran beside it. */
  static void printSummary(PrintWriter out, List<RunResult> results) {
    if (results.size() < 2) {
      return;
    }
    out.println("summary");
    out.printf(
        Locale.ROOT,
        "  %-11s %-9s %-9s %-12s %14s %10s %10s %10s  %s%n",
        "scenario",
        "store",
        "batch max",
        "load",
        "throughput/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "check");
    for (RunResult r : results) {
      Histogram main = r.recorder.latencies().values().stream().findFirst().orElse(null);
      out.printf(
          Locale.ROOT,
          "  %-11s %-9s %-9s %-12s %,14.0f %10s %10s %10s  %s%n",
          r.scenario,
          r.backend,
          r.batchMax == null ? "default" : String.valueOf(r.batchMax),
          r.rate > 0 ? String.format(Locale.ROOT, "%.0f/s", r.rate) : "closed",
          r.throughput(),
          main == null ? "-" : plain(main.getValueAtPercentile(50)),
          main == null ? "-" : plain(main.getValueAtPercentile(99)),
          main == null ? "-" : plain(main.getValueAtPercentile(99.9)),
          r.ok() ? "PASS" : "FAIL");
    }
    for (RunResult r : results) {
      if (r.batchMax != null && r.batchMax == 1 && r.rate == 0) {
        for (RunResult other : results) {
          if (other.scenario.equals(r.scenario)
              && other.backend.equals(r.backend)
              && other.rate == 0
              && (other.batchMax == null || other.batchMax != 1)
              && r.throughput() > 0) {
            out.printf(
                Locale.ROOT,
                "  %s on %s: group commit gives %.1fx the throughput of batch max 1%n",
                r.scenario,
                r.backend,
                other.throughput() / r.throughput());
          }
        }
      }
    }
  }

  private static String millis(long micros) {
    return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
  }

  private static String plain(long micros) {
    return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
