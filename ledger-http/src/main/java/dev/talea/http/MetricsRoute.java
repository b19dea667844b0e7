package dev.talea.http;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** The metrics listener's one route: {@code GET /metrics}, Prometheus's text format. */
final class MetricsRoute extends AllDirectives {

  private static final ContentType PROMETHEUS_TEXT =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private MetricsRoute() {}

  static Route route() {
    MetricsRoute directives = new MetricsRoute();
    return directives.respondWithDefaultHeaders(
        HttpText.securityHeaders(),
        () ->
            directives.concat(
                directives.path(
                    "metrics",
                    () ->
                        directives.get(
                            () ->
                                directives.complete(
                                    HttpResponse.create()
                                        .withStatus(StatusCodes.OK)
                                        .withEntity(
                                            PROMETHEUS_TEXT,
                                            KamonMetrics.scrape()
                                                .getBytes(StandardCharsets.UTF_8))))),
                directives.complete(StatusCodes.NOT_FOUND, "not found: try GET /metrics\n")));
  }
}
