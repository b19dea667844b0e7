package dev.talea.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code TALEA_ACCESS_LOG=stdout}: one JSON line per request on standard output, through the logger
 * {@code talea.access} (logback.xml writes it to standard output as it comes, behind a queue, so
 * that a slow terminal or pipe never holds a request). A line names the token that made the
 * request, never its secret, and carries no query or body.
 */
final class AccessLog {

  private static final Logger LOG = LoggerFactory.getLogger("talea.access");

  /** Where the routes leave the name of the token that authenticated a request. */
  static final AttributeKey<Caller> CALLER = AttributeKey.create("talea-caller", Caller.class);

  /** The token behind one request, once authentication has found it. */
  static final class Caller {
    private volatile String token;

    void set(String name) {
      token = name;
    }

    String token() {
      return token;
    }
  }

  private AccessLog() {}

  /** The line for one answered request. */
  static String line(
      Instant at, String method, String route, int status, long nanos, String token) {
    ObjectNode line = JsonNodeFactory.instance.objectNode();
    line.put("time", at.toString());
    line.put("method", method);
    line.put("route", route);
    line.put("status", status);
    line.put("duration_ms", BigDecimal.valueOf(nanos / 1000).movePointLeft(3));
    if (token == null) {
      line.putNull("token");
    } else {
      line.put("token", token);
    }
    return line.toString();
  }

  static void write(String method, String route, int status, long nanos, String token) {
    LOG.info(line(Instant.now(), method, route, status, nanos, token));
  }
}
