package dev.talea.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Waiting for a talead this process started to serve: polls {@code GET /health} every 100 ms until
 * it answers 200, the process exits, or the time is up. What to do about an exit or a timeout is
 * the caller's (a test fails, a benchmark or a torture run stops with its own message, a cluster
 * node that exits 3 is started again), so the wait only says how it ended.
 */
public final class HealthWait {

  /** How a wait ended. */
  public enum Outcome {
    /** {@code /health} answered 200. */
    HEALTHY,
    /** The process exited first; its {@link Process#exitValue()} says how. */
    EXITED,
    /** Neither, within the time given. */
    TIMED_OUT
  }

  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

  private HealthWait() {}

  /**
   * Polls {@code base}'s {@code /health} until it answers 200, {@code process} exits, or {@code
   * timeout} has passed. A refused connection or an answer other than 200 counts as not yet.
   *
   * @throws InterruptedException when the waiting thread is interrupted
   */
  public static Outcome await(Process process, URI base, Duration timeout)
      throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
    HttpRequest health =
        HttpRequest.newBuilder(base.resolve("/health")).timeout(REQUEST_TIMEOUT).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        return Outcome.EXITED;
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return Outcome.HEALTHY;
        }
      } catch (IOException notYet) {
        // Not listening yet, or its store not reachable yet.
      }
      Thread.sleep(POLL.toMillis());
    }
    return process.isAlive() ? Outcome.TIMED_OUT : Outcome.EXITED;
  }
}
