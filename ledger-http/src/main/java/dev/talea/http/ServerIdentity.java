package dev.talea.http;

import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The backend name for the {@code X-Talea-Backend} header, for the few responses produced outside
 * the routes (by the HTTP parser). Set once when the server starts.
 */
final class ServerIdentity {

  private static volatile String backend = "unknown";

  private ServerIdentity() {}

  static void setBackend(String name) {
    backend = name;
  }

  static HttpHeader backendHeader() {
    return RawHeader.create("X-Talea-Backend", backend);
  }
}
