package dev.talea.http;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Small pieces of HTTP text that several parts of the server write alike. */
final class HttpText {

  private HttpText() {}

  /**
   * Headers on every answer: nothing talead sends may be stored by a cache or a browser (answers
   * carry balances and are authorized per token), and none may be sniffed into another type.
   */
  static List<HttpHeader> securityHeaders() {
    return List.of(
        RawHeader.create("Cache-Control", "no-store"),
        RawHeader.create("X-Content-Type-Options", "nosniff"));
  }

  /** A duration as an operator writes it: {@code 5s}, {@code 1500ms}, {@code 2m}. */
  static String duration(Duration duration) {
    long millis = duration.toMillis();
    if (millis % 60_000 == 0 && millis > 0) {
      return millis / 60_000 + "m";
    }
    if (millis % 1000 == 0) {
      return millis / 1000 + "s";
    }
    return millis + "ms";
  }
}
