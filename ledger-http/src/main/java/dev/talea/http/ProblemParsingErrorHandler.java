package dev.talea.http;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests that Pekko HTTP rejects before they reach the routes with talea's problem
 * documents instead of plain text: a declared body over the limit (413), a URI too long (414),
 * headers too many or too long (431), an HTTP version other than 1.0 and 1.1 (505), anything else
 * malformed (400). Configured by {@code pekko.http.server.parsing.error-handler}.
 */
public final class ProblemParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public org.apache.pekko.http.scaladsl.model.HttpResponse handle(
      StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    LedgerError problem =
        switch (tooManyHeaders(error) ? 431 : status.intValue()) {
          case 413 -> LedgerError.of(ErrorCode.PAYLOAD_TOO_LARGE, "the request body exceeds 1 MiB");
          case 414 ->
              LedgerError.of(
                  ErrorCode.URI_TOO_LONG,
                  "the request URI is longer than "
                      + settings.parserSettings().maxUriLength()
                      + " characters");
          case 431 ->
              LedgerError.of(
                  ErrorCode.HEADERS_TOO_LARGE,
                  "the request headers are over the limit (at most "
                      + settings.parserSettings().maxHeaderCount()
                      + " headers of at most "
                      + settings.parserSettings().maxHeaderValueLength()
                      + " characters each)");
          case 505 ->
              LedgerError.of(
                  ErrorCode.HTTP_VERSION_NOT_SUPPORTED, "talead speaks HTTP/1.1 and HTTP/1.0 only");
          default ->
              LedgerError.invalidRequest("request", "malformed HTTP request: " + safe(error));
        };
    return (org.apache.pekko.http.scaladsl.model.HttpResponse)
        Problems.of(problem)
            .addHeader(ServerIdentity.backendHeader())
            .addHeaders(HttpText.securityHeaders());
  }

  /** Pekko says 400 for a head with too many headers; it is 431 as much as one too long. */
  private static boolean tooManyHeaders(ErrorInfo error) {
    return error.summary().startsWith("HTTP message contains more than the configured limit of");
  }

  /**
   * What was wrong, without what the client sent: a parser's summary can quote a header's value
   * ({@code Illegal 'authorization' header: ...}), which may be a secret. Only the part before the
   * first colon is kept.
   */
  static String safe(ErrorInfo error) {
    String summary = error.summary();
    int colon = summary.indexOf(':');
    return colon < 0 ? summary : summary.substring(0, colon);
  }
}
