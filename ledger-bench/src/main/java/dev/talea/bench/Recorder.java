package dev.talea.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Latencies and counts of one run, by operation ({@code post}, {@code read}, {@code batch}).
 * Latencies count the operations that fell due inside the measured window (after the warm-up),
 * throughput the work answered inside it; errors count every operation, warm-up included, because
 * every one of them is a fact about the server.
 */
final class Recorder {

  /** Latencies up to an hour, in microseconds, three significant digits. */
  private static final long MAX_MICROS = 3_600_000_000L;

  private final long measureFrom;
  private final long measureUntil;
  private final Map<String, Histogram> latencies = new LinkedHashMap<>();
  private final Map<String, Long> errors = new TreeMap<>();
  private long units;
  private final long[] perSecond;

  /**
   * @param measureFrom the start of the measured window ({@link System#nanoTime})
   * @param measureUntil its end
   */
  Recorder(long measureFrom, long measureUntil) {
    this.measureFrom = measureFrom;
    this.measureUntil = measureUntil;
    this.perSecond = new long[(int) ((measureUntil - measureFrom + 999_999_999L) / 1_000_000_000L)];
  }

  boolean inWindow(long dueNanos) {
    return dueNanos >= measureFrom && dueNanos < measureUntil;
  }

  /**
   * One operation that succeeded, carrying {@code units} of work (transfers committed, reads
   * answered). Its latency counts when it fell due in the window; its units count towards
   * throughput when it was answered in the window.
   */
  void succeeded(String operation, long dueNanos, long doneNanos, long units) {
    if (inWindow(dueNanos)) {
      latency(operation, doneNanos - dueNanos);
    }
    if (inWindow(doneNanos)) {
      this.units += units;
      perSecond[(int) ((doneNanos - measureFrom) / 1_000_000_000L)] += units;
    }
  }

  /** One operation answered with an error, by {@code key} such as {@code "429 overloaded"}. */
  void failed(String operation, String key, long dueNanos, long doneNanos) {
    errors.merge(operation + " " + key, 1L, Long::sum);
    if (inWindow(dueNanos)) {
      latency(operation + " (failed)", doneNanos - dueNanos);
    }
  }

  /** Errors of parts of a successful operation (the rejected drafts of a batch). */
  void partFailed(String operation, String key, long count) {
    errors.merge(operation + " " + key, count, Long::sum);
  }

  private void latency(String operation, long nanos) {
    latencies
        .computeIfAbsent(operation, k -> new Histogram(MAX_MICROS, 3))
        .recordValue(Math.max(0, Math.min(MAX_MICROS, nanos / 1_000)));
  }

  long units() {
    return units;
  }

  /** The units answered in each second of the window, the first second first. */
  long[] perSecond() {
    return perSecond.clone();
  }

  double windowSeconds() {
    return (measureUntil - measureFrom) / 1e9;
  }

  Map<String, Histogram> latencies() {
    return latencies;
  }

  Map<String, Long> errors() {
    return errors;
  }

  /** The error key of a problem answer: status and the {@code error} code when the body has one. */
  static String errorKey(int status, String body) {
    String code = jsonString(body, "error");
    return code == null ? String.valueOf(status) : status + " " + code;
  }

  /** The value of the first {@code "name":"value"} in a JSON text, or null (no unescaping). */
  static String jsonString(String json, String name) {
    String key = "\"" + name + "\":\"";
    int at = json.indexOf(key);
    if (at < 0) {
      return null;
    }
    int start = at + key.length();
    int end = json.indexOf('"', start);
    return end < 0 ? null : json.substring(start, end);
  }
}
