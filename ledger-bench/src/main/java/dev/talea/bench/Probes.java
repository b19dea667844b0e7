package dev.talea.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What a run cost and left behind, read from the outside: CPU time of the server process, of this
 * tool and of the whole machine (Linux {@code /proc}), and the server's heap from its Prometheus
 * endpoint. Readings that are not available (another OS, a remote server) are simply absent.
 */
final class Probes {

  /** Linux's USER_HZ, the unit of CPU times in /proc. */
  private static final long TICKS_PER_SECOND = 100;

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Probes() {}

  /** CPU time (user + system) a process has used so far, in nanoseconds. */
  static OptionalLong processCpuNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return OptionalLong.of(ticks * 1_000_000_000L / TICKS_PER_SECOND);
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** Busy CPU time of the whole machine so far (all cores, everything but idle and iowait). */
  static OptionalLong machineBusyNanos() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
      String[] fields = lines.get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < fields.length && i <= 8; i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(fields[i]);
        }
      }
      return OptionalLong.of(busy * 1_000_000_000L / TICKS_PER_SECOND);
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** The value of one un-labelled sample in the scrape of {@code metrics}, if present. */
  static OptionalDouble scrape(URI metrics, String name) {
    String text = metrics == null ? null : scrapeText(metrics);
    return text == null ? OptionalDouble.empty() : sample(text, name);
  }

  /** A whole Prometheus text scrape, or null if it cannot be had. */
  static String scrapeText(URI metrics) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static OptionalDouble sample(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{}")) {
        String value = line.substring(line.lastIndexOf(' ') + 1).trim();
        try {
          return OptionalDouble.of(Double.parseDouble(value));
        } catch (NumberFormatException e) {
          return OptionalDouble.empty();
        }
      }
    }
    return OptionalDouble.empty();
  }
}
